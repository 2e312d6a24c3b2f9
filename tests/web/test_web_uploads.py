"""Upload limits, content checks, storage under generated names and the validation report."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from web_helpers import GOOD_ROSTER, SECRET_FILE, Browser, query, roster_csv, run_id_from

from web.uploads import UploadRejected, check_upload


def _xlsx_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
    return buf.getvalue()


def _ods_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        zf.writestr("content.xml", "<x/>")
    return buf.getvalue()


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.mark.parametrize("name, data", [
    ("a.xlsx", _xlsx_bytes()),
    ("a.XLSM", _xlsx_bytes()),
    ("a.ods", _ods_bytes()),
    ("a.xls", bytes.fromhex("D0CF11E0A1B11AE1") + b"\x00" * 504),
    ("a.csv", "id,họ tên\nR1,Lê Văn A\n".encode()),
    ("a.csv", "id;tên\r\nR1;Lê Văn\r\n".encode("cp1258")),
])
def test_real_spreadsheets_pass_the_content_check(name, data):
    """Each accepted type passes when its bytes are what the extension promises."""
    assert check_upload(name, data).data == data


@pytest.mark.parametrize("name, data, msgid", [
    ("photo.xlsx", PNG, "upload.bad_content"),
    ("photo.csv", PNG, "upload.bad_content"),
    ("zip.xlsx", _ods_bytes(), "upload.bad_content"),
    ("book.ods", _xlsx_bytes(), "upload.bad_content"),
    ("old.xls", _xlsx_bytes(), "upload.bad_content"),
    ("broken.xlsx", b"PK\x03\x04 not really a zip", "upload.bad_content"),
    ("notes.docx", b"hello", "upload.bad_type"),
    ("script.exe", b"MZ", "upload.bad_type"),
    ("empty.csv", b"", "upload.empty"),
])
def test_renamed_or_wrong_files_are_rejected(name, data, msgid):
    """Wrong extensions and renamed files are refused with a specific message id."""
    with pytest.raises(UploadRejected) as info:
        check_upload(name, data)
    assert info.value.msgid == msgid


def test_renamed_non_spreadsheet_is_a_clear_400_and_stores_nothing(app, coord):
    """A picture renamed to .xlsx gets a 400 page that names the file and says why;
    no run and no file is created."""
    response = coord.upload(PNG, "anh_chup.xlsx")
    text = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "anh_chup.xlsx" in text and "không phải là tệp .xlsx thật" in text
    assert not query(app, "SELECT * FROM runs")
    assert not any(Path(app.config["UPLOAD_FOLDER"]).iterdir())


def test_oversized_upload_is_a_friendly_413(make_app):
    """A request above MAX_CONTENT_LENGTH gets the translated 413 page."""
    app = make_app(MAX_CONTENT_LENGTH=2048)
    with app.app_context():
        from web.auth import create_user

        create_user("c", "coordinator", "p" * 12)
    b = Browser(app.test_client())
    b.login("c", "p" * 12)
    response = b.upload(b"id,full_name\n" + b"R1,x\n" * 1000, "big.csv")
    assert response.status_code == 413
    assert "Tệp quá lớn" in response.get_data(as_text=True)
    assert not query(app, "SELECT * FROM runs")


def test_default_upload_limit_is_20_mb(app):
    """The default size cap is 20 MB."""
    assert app.config["MAX_CONTENT_LENGTH"] == 20 * 1024 * 1024


def test_upload_is_stored_under_a_generated_name(app, coord):
    """The file on disk has a generated name; the user's name is only display text."""
    run_id = run_id_from(coord.upload())
    inputs = list((Path(app.config["UPLOAD_FOLDER"]) / str(run_id) / "inputs").iterdir())
    assert len(inputs) == 1
    assert "Bimat" not in inputs[0].name and inputs[0].name.startswith("roster-")
    assert inputs[0].read_bytes() == GOOD_ROSTER
    row = query(app, "SELECT * FROM run_files WHERE run_id = ?", (run_id,))[0]
    assert row["display_name"] == SECRET_FILE and row["stored_name"] == inputs[0].name
    assert SECRET_FILE in coord.get(f"/runs/{run_id}").get_data(as_text=True)


def test_no_file_chosen_shows_the_form_again(coord):
    """Submitting without a file flashes a message and shows the form."""
    response = coord.post("/runs/new", {}, content_type="multipart/form-data")
    assert response.status_code == 200
    assert "Hãy chọn ít nhất một tệp" in response.get_data(as_text=True)


def test_validation_report_groups_problems_and_errors_block_the_run(app, coord):
    """Every problem is listed by sheet with row, column and message in the chosen
    language; with errors the run cannot start."""
    bad = roster_csv(("R001", "A", "x"), ("BAD1", "B", "x"), ("WARN1", "C", "x"),
                     ("BAD2", "D", "x"))
    run_id = run_id_from(coord.upload(bad, "bad.csv"))
    page = coord.get(f"/runs/{run_id}").get_data(as_text=True)
    assert "Returnees" in page and "Mã &#39;BAD1&#39; không hợp lệ." in page
    assert "Mã &#39;BAD2&#39; không hợp lệ." in page and "Mã &#39;WARN1&#39;" in page
    assert "2 lỗi, 1 cảnh báo" in page
    assert "Lập kế hoạch</button>" not in page
    coord.post("/lang", {"lang": "en"})
    page = coord.get(f"/runs/{run_id}").get_data(as_text=True)
    assert "Id &#39;BAD1&#39; is not valid." in page and "2 errors, 1 warning." in page
    coord.post(f"/runs/{run_id}/start")
    assert query(app, "SELECT status FROM runs WHERE id = ?", (run_id,))[0]["status"] == "invalid"


def test_warnings_do_not_block_the_run(app, coord):
    """A roster with only warnings is ready to run."""
    run_id = run_id_from(coord.upload(roster_csv(("WARN1", "A", "x")), "w.csv"))
    assert query(app, "SELECT status FROM runs WHERE id = ?", (run_id,))[0]["status"] == "ready"
    assert "Lập kế hoạch</button>" in coord.get(f"/runs/{run_id}").get_data(as_text=True)


def test_planner_crash_during_validation_is_a_report_not_a_traceback(app, coord, monkeypatch):
    """If the library raises while validating, the user sees a plain message."""
    import web_fake_planner

    def broken(paths, lang="vi"):
        raise KeyError("Nguyễn")

    monkeypatch.setattr(web_fake_planner, "validate", broken)
    run_id = run_id_from(coord.upload())
    page = coord.get(f"/runs/{run_id}").get_data(as_text=True)
    assert "lỗi của chương trình" in page and "Traceback" not in page


def test_sample_roster_starts_a_run_or_explains_it_is_missing(app, coord, tmp_path):
    """'Try the sample' makes a run from the bundled sample, or says it is not installed."""
    app.config["SAMPLE_ROSTER"] = str(tmp_path / "missing.xlsx")
    page = coord.post("/runs/sample", follow_redirects=True).get_data(as_text=True)
    assert "Chưa có tệp dữ liệu mẫu" in page
    sample = tmp_path / "roster.csv"
    sample.write_bytes(GOOD_ROSTER)
    app.config["SAMPLE_ROSTER"] = str(sample)
    run_id = run_id_from(coord.post("/runs/sample"))
    row = query(app, "SELECT kind, status FROM runs WHERE id = ?", (run_id,))[0]
    assert (row["kind"], row["status"]) == ("sample", "ready")


def test_excel_unicode_text_is_accepted_and_binary_in_disguise_is_not():
    """Excel's "Unicode Text" save (UTF-16, tab-separated .txt) passes the upload check
    like a CSV; a zip renamed .txt does not."""
    from web.uploads import UploadRejected, check_upload

    text = "Mã\tHọ và tên\r\nR1\tNguyễn Văn An\r\n".encode("utf-16")
    assert check_upload("Người trở về.txt", text).suffix == ".txt"
    with pytest.raises(UploadRejected):
        check_upload("returnees.txt", b"PK\x03\x04" + b"\x00" * 40)
