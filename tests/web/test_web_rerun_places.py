"""A rerun with new releases, over the real planning library: the reader reads a merge of
the earlier roster and the new-releases file, but every problem is reported in the file
and row the coordinator uploaded, and the checked copy is those files, marked."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from pathlib import Path

import openpyxl
import pytest
from web_helpers import PASSWORD, Browser, query, run_id_from

from web import db
from web.app import PROJECT_ROOT
from web.auth import create_user

SAMPLE = PROJECT_ROOT / "data" / "sample" / "roster.xlsx"
ROSTER_NAME = "danh sach 2026.xlsx"
NEW_NAME = "moi_ve.csv"
# the new releases, English headers: row 3 of this file has a birth year that is no number
NEW = ("id,full_name,gender,birth_year,ward,release_date,offense,risk\n"
       "R90001,Lê Văn Mới,M,1990,Phường Hạc Thành,01/12/2026,drugs,3\n"
       "R90002,Trần Thị Mới,F,abc,Phường Hàm Rồng,02/12/2026,fraud,1\n")

pytestmark = pytest.mark.skipif(not SAMPLE.exists(), reason="no bundled sample roster")


@pytest.fixture
def real(make_app):
    app = make_app(PLANNER="web.planner")
    with app.app_context():
        create_user("coord", "coordinator", PASSWORD)
    b = Browser(app.test_client())
    b.login("coord")
    return app, b


def _roster_with_a_bad_cell(tmp_path: Path) -> tuple[bytes, str, int]:
    """The sample roster with row 5's birth year not a number: (bytes, its column
    letter, how many rows the Returnees sheet has)."""
    book = openpyxl.load_workbook(SAMPLE)
    sheet = book.worksheets[0]
    column = {c.value: c.column_letter for c in sheet[1]}["Năm sinh"]
    sheet[f"{column}5"] = "xyz"
    path = tmp_path / "roster.xlsx"
    book.save(path)
    return path.read_bytes(), column, sheet.max_row


def _done_without_solving(app, run_id: int) -> None:
    """Mark a run done with an empty plan: what a rerun needs of the earlier run (its
    roster and plan), without solving it."""
    from matcher.plan import Plan

    plan = Plan(plan_date=dt.date(2026, 12, 1), settings={}, tiers={}, assignments=[])
    folder = Path(app.config["UPLOAD_FOLDER"]) / str(run_id)
    (folder / "plan.json").write_text(json.dumps(plan.to_json()), encoding="utf-8")
    conn = db.connect(app.config["DATABASE"])
    try:
        conn.execute("UPDATE runs SET status = 'done' WHERE id = ?", (run_id,))
        conn.commit()
    finally:
        conn.close()


def _get(b: Browser, url: str):
    response = b.get(url)
    try:
        assert response.status_code == 200, url
        return response.data, response.headers
    finally:
        response.close()


def test_a_rerun_reports_each_problem_in_the_coordinators_own_file_and_row(real, tmp_path):
    app, b = real
    roster, year_column, roster_rows = _roster_with_a_bad_cell(tmp_path)
    first = run_id_from(b.upload(roster, ROSTER_NAME))
    _done_without_solving(app, first)
    second = run_id_from(b.post(f"/runs/{first}/rerun", {
        "mode": "additions", "files": (io.BytesIO(NEW.encode()), NEW_NAME)},
        content_type="multipart/form-data"))
    assert query(app, "SELECT status FROM runs WHERE id = ?", (second,))[0]["status"] == "invalid"

    # validation.json: the new-releases file's own row 3 and column, the roster's row 5
    report = json.loads((Path(app.config["UPLOAD_FOLDER"]) / str(second)
                         / "validation.json").read_text(encoding="utf-8"))
    errors = [i for i in report["issues"] if i["severity"] == "error"]
    new_error = [i for i in errors if i.get("file") == NEW_NAME]
    assert [(i["sheet"], i["row"], i["column"]) for i in new_error] == [
        (NEW_NAME, 3, "birth_year")]
    assert "abc" in new_error[0]["message"]["vi"]
    roster_error = [i for i in errors if i.get("file") == ROSTER_NAME]
    assert [(i["sheet"], i["row"], i["column"]) for i in roster_error] == [
        ("Người trở về", 5, "Năm sinh")]
    # no row of the internal merge (the new rows are merged under the roster's) shows
    text = json.dumps(report, ensure_ascii=False)
    assert "merged-" not in text and "addition-" not in text and "roster-" not in text
    assert not [i for i in report["issues"]
                if i["sheet"] == "Người trở về" and (i.get("row") or 0) > roster_rows]

    # the validation page: a group per file, the row the coordinator's file has
    page = b.get(f"/runs/{second}").get_data(as_text=True)
    new_group = page.split(f"<h3>{NEW_NAME}</h3>", 1)[1].split("</table>", 1)[0]
    assert "<td data-label=\"Dòng\">3</td>" in new_group and "birth_year" in new_group
    roster_group = page.split(f"<h3>{ROSTER_NAME} › Người trở về</h3>", 1)[1]
    assert "<td data-label=\"Dòng\">5</td>" in roster_group.split("</table>", 1)[0]

    # the warnings as JSON: the new releases' ward point on its own row 2 (the merged
    # workbook's row is the roster's last + 1)
    rows = b.get(f"/runs/{second}/table/warnings?code=ward_point").get_json()["rows"]
    assert [(r["file"], r["sheet"], r["row"]) for r in rows if r["file"] == NEW_NAME] == [
        (NEW_NAME, NEW_NAME, 2)]
    others = [r for r in rows if r["file"] != NEW_NAME]
    assert others and all(r["file"] == ROSTER_NAME for r in others)
    assert all(r["row"] <= roster_rows for r in others
               if r["sheet"] == f"{ROSTER_NAME} › Người trở về")

    # the checked copy: each uploaded file marked, under the coordinator's names
    data, headers = _get(b, f"/runs/{second}/checked-roster")
    assert headers["Content-Disposition"].startswith("attachment")
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert sorted(zf.namelist()) == ["danh sach 2026-checked.xlsx", "moi_ve-checked.xlsx"]
        new_book = openpyxl.load_workbook(io.BytesIO(zf.read("moi_ve-checked.xlsx")))
        roster_book = openpyxl.load_workbook(
            io.BytesIO(zf.read("danh sach 2026-checked.xlsx")))
    assert new_book.sheetnames == ["moi_ve"]
    sheet = new_book["moi_ve"]
    assert sheet.max_row == 3 and sheet["A3"].value == "R90002"
    cell = sheet["D3"]  # birth_year, row 3: the file's own cell
    assert cell.value == "abc" and cell.fill.fgColor.rgb.endswith("FFC7CE")
    assert "Lỗi:" in cell.comment.text and "abc" in cell.comment.text
    assert sheet["E2"].fill.fgColor.rgb.endswith("FFEB9C")  # row 2's ward point: a warning
    assert sheet["D2"].comment is None and sheet["E3"].comment is None
    returnees = roster_book["Người trở về"]
    assert returnees.max_row == roster_rows  # the roster as uploaded, no merged rows
    year = returnees[f"{year_column}5"]
    assert year.value == "xyz" and year.fill.fgColor.rgb.endswith("FFC7CE")
    assert "xyz" in year.comment.text


def test_a_rerun_of_a_rerun_keeps_the_earlier_new_releases_in_their_own_file(real, tmp_path):
    """The new releases of a rerun are carried into the next rerun as new releases (merged
    again, not read as a roster file of their own), and are still reported in their file."""
    app, b = real
    roster, _column, _rows = _roster_with_a_bad_cell(tmp_path)
    book = openpyxl.load_workbook(io.BytesIO(roster))
    book.worksheets[0][f"{_column}5"] = 1980  # a clean roster this time
    fixed = tmp_path / "fixed.xlsx"
    book.save(fixed)
    first = run_id_from(b.upload(fixed.read_bytes(), ROSTER_NAME))
    _done_without_solving(app, first)
    good = NEW.replace(",abc,", ",1995,")
    second = run_id_from(b.post(f"/runs/{first}/rerun", {
        "mode": "additions", "files": (io.BytesIO(good.encode()), NEW_NAME)},
        content_type="multipart/form-data"))
    counts = json.loads(query(app, "SELECT roster_json FROM runs WHERE id = ?",
                              (second,))[0]["roster_json"])
    _done_without_solving(app, second)
    later = "id,full_name,gender,birth_year,ward,release_date,offense,risk\n" \
            "R90003,Phạm Văn Sau,M,1988,Phường Hạc Thành,05/12/2026,property,2\n"
    third = run_id_from(b.post(f"/runs/{second}/rerun", {
        "mode": "additions", "files": (io.BytesIO(later.encode()), "dot2.csv")},
        content_type="multipart/form-data"))
    row = query(app, "SELECT status, roster_json FROM runs WHERE id = ?", (third,))[0]
    assert row["status"] == "ready"
    assert json.loads(row["roster_json"])["returnees"] == counts["returnees"] + 1
    roles = sorted((r["role"], r["display_name"]) for r in query(
        app, "SELECT role, display_name FROM run_files WHERE run_id = ?", (third,)))
    assert ("addition", NEW_NAME) in roles and ("addition", "dot2.csv") in roles
    issues = json.loads((Path(app.config["UPLOAD_FOLDER"]) / str(third)
                         / "validation.json").read_text(encoding="utf-8"))["issues"]
    assert {(i["row"], i["file"]) for i in issues if i["code"] == "ward_point"
            and i.get("file") in (NEW_NAME, "dot2.csv")} == {
        (2, NEW_NAME), (3, NEW_NAME), (2, "dot2.csv")}


def test_the_plan_workbook_of_a_rerun_names_the_coordinators_own_rows(tmp_path):
    """A rerun that plans: the plan workbook's Input warnings sheet, like the validation
    page, names the new-releases file and its own row, never a row of the merge."""
    from web.planner import merge_additions, run_plan

    roster_path = tmp_path / "roster.xlsx"
    roster_path.write_bytes(SAMPLE.read_bytes())
    roster_rows = openpyxl.load_workbook(SAMPLE).worksheets[0].max_row
    additions = tmp_path / "adds"
    additions.mkdir()
    new = additions / NEW_NAME
    new.write_text(NEW.replace(",abc,", ",1995,"), encoding="utf-8")
    paths = merge_additions([roster_path], [new])
    assert any(p.name.startswith("merged-") for p in paths)  # the reader reads a merge
    out = tmp_path / "out"
    out.mkdir()
    run_plan(paths, out, None, lambda *_: None)

    book = openpyxl.load_workbook(out / "plan_vi.xlsx", read_only=True)
    sheet = next(book[n] for n in book.sheetnames if "cảnh báo" in n.lower())
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    where = [(r[header.index("Trang")], r[header.index("Dòng")]) for r in rows[1:]
             if r[header.index("Dòng")] is not None]
    assert (NEW_NAME, 2) in where and (NEW_NAME, 3) in where  # each new row's ward point
    assert not [w for w in where if w[0] == "Người trở về" and w[1] > roster_rows]
    assert not [w for w in where if "merged-" in str(w[0])]
