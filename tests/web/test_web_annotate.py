"""The web's door to the checked roster (web.annotate): what the run pages call, with the
web's issue dicts and translated words, without loading openpyxl or numpy when the app
starts. The marking itself is tested in tests/test_annotate.py."""

from __future__ import annotations

import io
import subprocess
import sys
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
              _issue("Người trở về.csv", 3, "Năm sinh", "warning", text="thêm")]
    data, kind = annotated_download([path], issues, "vi", LABELS)
    assert kind == "xlsx"
    cell = openpyxl.load_workbook(io.BytesIO(data))["Người trở về"]["C3"]
    assert cell.fill.fgColor.rgb.endswith("FFC7CE")
    assert cell.comment.text == "Lỗi: 'abc' không phải số\nCảnh báo: thêm"


def test_several_files_give_a_zip_and_english_comments(tmp_path):
    a = tmp_path / "Returnees.csv"
    a.write_text("id,full_name\nR1,A\n", encoding="utf-8")
    b = tmp_path / "Mentors.csv"
    b.write_text("id,full_name\nM1,B\n", encoding="utf-8")
    issues = [_issue("Mentors.csv", 2, "full_name"), _issue("Returnees.csv", 2, "id")]
    data, kind = annotated_download([a, b], issues, "en",
                                    {"error": "Error", "warning": "Warning"})
    assert kind == "zip"
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert sorted(zf.namelist()) == ["Mentors-checked.xlsx", "Returnees-checked.xlsx"]
        sheet = openpyxl.load_workbook(io.BytesIO(zf.read("Mentors-checked.xlsx"))).active
    assert sheet["B2"].comment.text == "Error: SAI"


def test_only_the_files_with_a_problem_are_given_under_the_coordinators_names(tmp_path):
    """The web stores uploads under generated names: the issues (and the zip) use the
    coordinator's; a file with nothing marked is left out of the download."""
    a = tmp_path / "roster-1.csv"
    a.write_text("id,full_name\nR1,A\n", encoding="utf-8")
    b = tmp_path / "roster-2.csv"
    b.write_text("id,full_name\nM1,B\n", encoding="utf-8")
    data, kind = annotated_download([a, b], [_issue("cuu chien binh.csv", 2, "full_name")],
                                    "en", {"error": "Error", "warning": "Warning"},
                                    names=["nguoi tro ve.csv", "cuu chien binh.csv"])
    assert kind == "xlsx"
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["cuu chien binh"]
    assert book.active["B2"].comment.text == "Error: SAI"


def test_importing_it_loads_neither_openpyxl_nor_numpy():
    code = ("import sys, web.annotate; "
            "print(sorted(m for m in ('openpyxl', 'numpy', 'python_calamine') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"
