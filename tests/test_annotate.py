"""The checked copy of a roster (matcher.io.annotate): problem cells filled and commented,
for CSV files, workbooks and several files, from the web's issue dicts or the CLI's
Issue objects."""

from __future__ import annotations

import io
import zipfile

import openpyxl
import pandas as pd
import pytest
from openpyxl.styles import Font

from matcher.errors import ERROR, WARNING, Issue, RosterError
from matcher.io.annotate import LABELS, annotate_file, annotated_download
from matcher.io.reader import read_roster

VI = {"error": "Lỗi", "warning": "Cảnh báo", "author": "test"}


def _issue(sheet, row, column, severity="error", text="sai"):
    return {"sheet": sheet, "row": row, "column": column, "severity": severity,
            "message": {"vi": text, "en": text.upper()}}


def _comments(sheet) -> str:
    return "".join(str(c.comment.text) for row in sheet.iter_rows() for c in row if c.comment)


def test_a_csv_file_becomes_a_workbook_with_its_problem_cells_marked(tmp_path):
    path = tmp_path / "Người trở về.csv"
    path.write_text("Mã,Họ và tên,Năm sinh\nR1,Lê Văn A,1990\nR2,Trần B,abc\n",
                    encoding="utf-8-sig")
    issues = [_issue("Người trở về.csv", 3, "Năm sinh", text="'abc' không phải số"),
              _issue("Người trở về.csv", 3, "Năm sinh", "warning", text="thêm"),
              _issue("Người trở về.csv", 2, None, "warning", text="cả dòng"),
              _issue("Mentors.csv", 2, "Mã", text="tệp khác"),
              _issue(None, None, None, text="không có chỗ")]
    data, marked = annotate_file(path, issues, "vi", VI)
    assert marked == 3  # the other file's problem and the one with no place are not marked
    sheet = openpyxl.load_workbook(io.BytesIO(data))["Người trở về"]
    assert [c.value for c in sheet[3]] == ["R2", "Trần B", "abc"]
    cell = sheet["C3"]
    assert cell.fill.fgColor.rgb.endswith("FFC7CE")  # an error wins over the warning
    assert cell.comment.text == "Lỗi: 'abc' không phải số\nCảnh báo: thêm"
    assert sheet["A2"].fill.fgColor.rgb.endswith("FFEB9C")
    assert sheet["A2"].comment.text == "Cảnh báo: cả dòng"
    assert "tệp khác" not in _comments(sheet)


def test_several_files_give_a_zip_and_english_comments(tmp_path):
    a = tmp_path / "Returnees.csv"
    a.write_text("id,full_name\nR1,A\n", encoding="utf-8")
    b = tmp_path / "Mentors.csv"
    b.write_text("id,full_name\nM1,B\n", encoding="utf-8")
    issues = [_issue("Mentors.csv", 2, "full_name"),
              {**_issue("Returnees.csv", 2, "id"), "origin": "previous_plan"}]
    data, kind = annotated_download([a, b], issues, "en",
                                    {"error": "Error", "warning": "Warning"})
    assert kind == "zip"
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert sorted(zf.namelist()) == ["Mentors-checked.xlsx", "Returnees-checked.xlsx"]
        mentors = openpyxl.load_workbook(io.BytesIO(zf.read("Mentors-checked.xlsx"))).active
        returnees = openpyxl.load_workbook(io.BytesIO(zf.read("Returnees-checked.xlsx"))).active
    assert mentors["B2"].comment.text == "Error: SAI"
    assert _comments(returnees) == ""  # a previous plan's problem is not the roster's


def test_the_cli_marks_a_workbook_from_its_roster_errors_keeping_the_formatting(tmp_path):
    """What ``read_roster`` raises marks the coordinator's own .xlsx (its formatting kept),
    with the default words of the language."""
    path = tmp_path / "roster.xlsx"
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "Returnees"
    ws.append(["id", "full_name", "birth_year", "ward"])
    ws.append(["R1", "Lê Văn A", "abc", "Phường Hạc Thành"])
    ws["A1"].font = Font(bold=True)
    book.save(path)
    with pytest.raises(RosterError) as caught:
        read_roster(path)
    issues = caught.value.issues
    wrong = next(i for i in issues if i.code == "wrong_type")
    assert (wrong.sheet, wrong.row, wrong.column) == ("Returnees", 2, "birth_year")
    data, kind = annotated_download([path], issues, "en")
    assert kind == "xlsx"
    out = openpyxl.load_workbook(io.BytesIO(data))["Returnees"]
    assert out["A1"].font.bold
    assert out["C2"].fill.fgColor.rgb.endswith("FFC7CE")
    assert out["C2"].comment.text.startswith(f"{LABELS['en']['error']}: ")
    assert wrong.message("en") in out["C2"].comment.text
    assert out["C2"].comment.author == LABELS["en"]["author"]


def test_issue_objects_and_default_vietnamese_words(tmp_path):
    path = tmp_path / "returnees.csv"
    path.write_text("id,full_name\nR1,A\n", encoding="utf-8")
    issues = [Issue("empty_required", "returnees.csv", 2, "full_name",
                    {"column": "Full name", "column_vi": "Họ và tên"}, ERROR),
              Issue("old_ward_name", "returnees.csv", 2, "id",
                    {"value": "x", "ward": "y"}, WARNING)]
    data, marked = annotate_file(path, issues)
    assert marked == 2
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert sheet["B2"].comment.text == f"Lỗi: {issues[0].message('vi')}"
    assert sheet["A2"].comment.text == f"Cảnh báo: {issues[1].message('vi')}"


def test_a_table_that_does_not_start_at_a1_keeps_its_cells_where_the_issues_point(tmp_path):
    """An .ods sheet whose table starts at C3: the fresh workbook holds each value in the
    row and column the reader's issue names (the same engine reads both)."""
    pytest.importorskip("odf", reason="odfpy (the 'ods' extra) writes the .ods file")
    path = tmp_path / "roster.ods"
    frame = pd.DataFrame([["R1", "A", "abc"]], columns=["id", "full_name", "birth_year"])
    with pd.ExcelWriter(path, engine="odf") as writer:
        frame.to_excel(writer, sheet_name="Returnees", index=False, startrow=2, startcol=2)
    data, marked = annotate_file(path, [_issue("Returnees", 4, "birth_year")], "en",
                                 {"error": "Error", "warning": "Warning"})
    assert marked == 1
    sheet = openpyxl.load_workbook(io.BytesIO(data))["Returnees"]
    assert [c.value for c in sheet[3]][2:] == ["id", "full_name", "birth_year"]
    assert sheet["E4"].value == "abc"
    assert sheet["E4"].comment.text == "Error: SAI"
