"""The marked-up copy of a roster (web.annotate) for CSV files and several files."""

from __future__ import annotations

import io
import zipfile

import openpyxl

from web.annotate import annotated_download

LABELS = {"error": "Lỗi", "warning": "Cảnh báo", "author": "test"}


def _issue(sheet, row, column, severity="error", text="sai"):
    return {"sheet": sheet, "row": row, "column": column, "severity": severity,
            "message": {"vi": text, "en": text.upper()}}


def test_a_csv_file_becomes_a_workbook_with_its_problem_cells_marked(tmp_path):
    path = tmp_path / "Người trở về.csv"
    path.write_text("Mã,Họ và tên,Năm sinh\nR1,Lê Văn A,1990\nR2,Trần B,abc\n",
                    encoding="utf-8-sig")
    issues = [_issue("Người trở về.csv", 3, "Năm sinh", text="'abc' không phải số"),
              _issue("Người trở về.csv", 3, "Năm sinh", "warning", text="thêm"),
              _issue("Người trở về.csv", 2, None, "warning", text="cả dòng"),
              _issue("Mentors.csv", 2, "Mã", text="tệp khác"),
              _issue(None, None, None, text="không có chỗ")]
    data, kind = annotated_download([path], issues, "vi", LABELS)
    assert kind == "xlsx"
    sheet = openpyxl.load_workbook(io.BytesIO(data))["Người trở về"]
    assert [c.value for c in sheet[3]] == ["R2", "Trần B", "abc"]
    cell = sheet["C3"]
    assert cell.fill.fgColor.rgb.endswith("FFC7CE")  # an error wins over the warning
    assert cell.comment.text == "Lỗi: 'abc' không phải số\nCảnh báo: thêm"
    assert sheet["A2"].fill.fgColor.rgb.endswith("FFEB9C")
    assert sheet["A2"].comment.text == "Cảnh báo: cả dòng"
    assert "tệp khác" not in "".join(str(c.comment.text) for row in sheet.iter_rows()
                                     for c in row if c.comment)


def test_several_files_give_a_zip_and_english_comments(tmp_path):
    a = tmp_path / "Returnees.csv"
    a.write_text("id,full_name\nR1,A\n", encoding="utf-8")
    b = tmp_path / "Mentors.csv"
    b.write_text("id,full_name\nM1,B\n", encoding="utf-8")
    data, kind = annotated_download([a, b], [_issue("Mentors.csv", 2, "full_name")], "en",
                                    {"error": "Error", "warning": "Warning"})
    assert kind == "zip"
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert sorted(zf.namelist()) == ["Mentors-checked.xlsx", "Returnees-checked.xlsx"]
        sheet = openpyxl.load_workbook(io.BytesIO(zf.read("Mentors-checked.xlsx"))).active
    assert sheet["B2"].comment.text == "Error: SAI"
