"""The web app over the real planning library (``web.planner`` → ``matcher``)."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from web_helpers import PASSWORD, Browser, query, run_id_from, wait_status

from web.app import PROJECT_ROOT
from web.auth import create_user

SAMPLE = PROJECT_ROOT / "data" / "sample" / "roster.xlsx"


@pytest.fixture
def real(make_app):
    app = make_app(PLANNER="web.planner", SAMPLE_ROSTER=str(SAMPLE))
    with app.app_context():
        create_user("coord", "coordinator", PASSWORD)
    b = Browser(app.test_client())
    b.login("coord")
    return app, b


@pytest.mark.skipif(not SAMPLE.exists(), reason="no bundled sample roster")
def test_sample_roster_is_planned_by_the_library_in_a_worker(real):
    """'Try the sample' → validation → worker solve → result page, alternatives and
    workbook download, all through the real adapter."""
    app, b = real
    run_id = run_id_from(b.post("/runs/sample"))
    assert query(app, "SELECT status FROM runs WHERE id = ?", (run_id,))[0]["status"] == "ready"
    b.post(f"/runs/{run_id}/start")
    status = wait_status(app, run_id, {"done", "failed"}, timeout=300)
    log = Path(app.config["UPLOAD_FOLDER"]) / str(run_id) / "worker.log"
    assert status == "done", log.read_text(encoding="utf-8")
    page = b.get(f"/runs/{run_id}/result").get_data(as_text=True)
    assert "<svg" in page and "M1" in page and 'class="pair-line"' in page
    alternatives = b.get(f"/runs/{run_id}/alternatives/0").get_json()
    assert isinstance(alternatives["alternatives"], list)
    assert all("mentor_id" in a for a in alternatives["alternatives"])
    # Rerun with new releases: a CSV of only the new returnees is merged into the
    # earlier workbook's Returnees sheet and validated by the real reader.
    new = ("id,full_name,gender,birth_year,ward,release_date,offense,risk\n"
           "R90001,Lê Văn Mới,M,1990,Phường Hạc Thành,01/12/2026,drugs,3\n"
           "R90002,Trần Thị Mới,F,1995,Phường Hàm Rồng,02/12/2026,fraud,1\n").encode()
    second = run_id_from(b.post(f"/runs/{run_id}/rerun", {
        "mode": "additions", "files": (io.BytesIO(new), "moi_ve.csv")},
        content_type="multipart/form-data"))
    row = query(app, "SELECT status, roster_json FROM runs WHERE id = ?", (second,))[0]
    first_count = json.loads(query(app, "SELECT roster_json FROM runs WHERE id = ?",
                                   (run_id,))[0]["roster_json"])["returnees"]
    assert row["status"] == "ready"
    assert json.loads(row["roster_json"])["returnees"] == first_count + 2
    # ... and solved with the earlier plan as the previous plan (library rerun mode).
    b.post(f"/runs/{second}/start")
    status = wait_status(app, second, {"done", "failed"}, timeout=300)
    log = Path(app.config["UPLOAD_FOLDER"]) / str(second) / "worker.log"
    assert status == "done", log.read_text(encoding="utf-8")
    plan = json.loads((log.parent / "plan.json").read_text(encoding="utf-8"))
    counts = plan["changes"]["counts"]
    assert counts["new"] >= 2 and counts["kept"] + counts["changed"] >= 1
    assert sum(counts.values()) >= first_count + 2 - len(plan["unassigned"])
    page = b.get(f"/runs/{second}/result").get_data(as_text=True)
    assert 'id="change-list"' in page and "R90001" in page.split('id="change-list"')[1]
    assert f'<span class="n" data-change="new">{counts["new"]}</span>' in page
    assert plan["visits"]
    # the calendars of the rerun's visits
    response = b.get(f"/runs/{second}/download/ics-zip")
    try:
        assert response.status_code == 200
        names = zipfile.ZipFile(io.BytesIO(response.data)).namelist()
        assert names and all(n.endswith(".ics") for n in names)
    finally:
        response.close()
    csv_text = b.get(f"/runs/{second}/download/schedule-csv").data.decode("utf-8-sig")
    assert csv_text.splitlines()[0].startswith("Mã cựu chiến binh")
    assert len(csv_text.splitlines()) == len(plan["visits"]) + 1

    response = b.get(f"/runs/{run_id}/download/xlsx-vi")
    try:
        assert response.status_code == 200
        assert zipfile.ZipFile(io.BytesIO(response.data)).testzip() is None
    finally:
        response.close()
    assert (log.parent / "plan_vi.xlsx").is_file()


def test_library_issues_are_reported_in_both_languages(real):
    """A roster the reader rejects shows its Issue messages, in the chosen language."""
    app, b = real
    bad = "id,full_name\nR1,Lê Văn A\n".encode()
    run_id = run_id_from(b.upload(bad, "returnees.csv"))
    assert query(app, "SELECT status FROM runs WHERE id = ?", (run_id,))[0]["status"] == "invalid"
    vi = b.get(f"/runs/{run_id}").get_data(as_text=True)
    assert "Lỗi" in vi and "cần sửa trước khi lập kế hoạch" in vi
    b.post("/lang", {"lang": "en"})
    en = b.get(f"/runs/{run_id}").get_data(as_text=True)
    assert "Error" in en and "must be fixed before planning" in en


@pytest.mark.skipif(not SAMPLE.exists(), reason="no bundled sample roster")
def test_several_csv_files_are_read_under_their_own_names(real, tmp_path):
    """A roster sent as one CSV per table works: the reader names each table by its file
    name, so it sees the coordinator's names, not the generated stored names."""
    from matcher.io.reader import read_roster
    from matcher.io.roster_writer import write_roster_csv

    app, b = real
    paths = write_roster_csv(read_roster([SAMPLE]), tmp_path / "csv", lang="vi")
    files = [(io.BytesIO(p.read_bytes()), p.name) for p in paths]
    run_id = run_id_from(b.post("/runs/new", {"files": files},
                                content_type="multipart/form-data"))
    row = query(app, "SELECT status, roster_json FROM runs WHERE id = ?", (run_id,))[0]
    assert row["status"] == "ready", b.get(f"/runs/{run_id}").get_data(as_text=True)
    assert json.loads(row["roster_json"])["returnees"] == 120
    inputs = Path(app.config["UPLOAD_FOLDER"]) / str(run_id) / "inputs"
    stored = sorted(p.name for p in inputs.glob("*.csv"))
    assert len(stored) == len(paths) and all(n.startswith("roster-") for n in stored)
    # A problem in one of them is reported under that file's own name.
    bad = paths[0].read_text(encoding="utf-8-sig").splitlines()
    bad[1] = bad[1].replace(bad[1].split(",")[0], "", 1)  # first returnee without an id
    files = [(io.BytesIO(("\n".join(bad) + "\n").encode()), paths[0].name)]
    files += [(io.BytesIO(p.read_bytes()), p.name) for p in paths[1:]]
    run_id = run_id_from(b.post("/runs/new", {"files": files},
                                content_type="multipart/form-data"))
    page = b.get(f"/runs/{run_id}").get_data(as_text=True)
    assert f"<h3>{paths[0].name}</h3>" in page and "roster-" not in page

    # A file name that does not name a table (it may name people) never reaches the disk;
    # the report still speaks of the file by the name the coordinator gave it.
    files = [(io.BytesIO(paths[0].read_bytes()), "danh_sach_Bimat_2026.csv")]
    files += [(io.BytesIO(p.read_bytes()), p.name) for p in paths[1:]]
    run_id = run_id_from(b.post("/runs/new", {"files": files},
                                content_type="multipart/form-data"))
    inputs = Path(app.config["UPLOAD_FOLDER"]) / str(run_id)
    assert not [p for p in inputs.rglob("*") if "Bimat" in p.name]
    page = b.get(f"/runs/{run_id}").get_data(as_text=True)
    assert "danh_sach_Bimat_2026.csv" in page.split('class="card report"')[1]
    assert "roster-" not in page


@pytest.mark.skipif(not SAMPLE.exists(), reason="no bundled sample roster")
def test_checked_roster_marks_the_bad_cells(real, tmp_path):
    """The validation report's download: the uploaded workbook with each problem cell
    filled (red error, yellow warning) and a comment with the message."""
    import openpyxl

    app, b = real
    book = openpyxl.load_workbook(SAMPLE)
    returnees = book.worksheets[0]
    headers = {c.value: c.column_letter for c in returnees[1]}
    returnees[f"{headers['Năm sinh']}5"] = "abc"
    returnees[f"{headers['Mức nguy cơ']}7"] = "rất cao"
    bad = tmp_path / "danh sach.xlsx"
    book.save(bad)
    run_id = run_id_from(b.upload(bad.read_bytes(), bad.name))
    assert query(app, "SELECT status FROM runs WHERE id = ?", (run_id,))[0]["status"] == "invalid"
    page = b.get(f"/runs/{run_id}").get_data(as_text=True)
    assert f'href="/runs/{run_id}/checked-roster"' in page
    response = b.get(f"/runs/{run_id}/checked-roster")
    try:
        assert response.status_code == 200
        assert response.headers["Content-Disposition"].startswith("attachment")
        checked = openpyxl.load_workbook(io.BytesIO(response.data))
    finally:
        response.close()
    sheet = checked[returnees.title]
    year, risk = sheet[f"{headers['Năm sinh']}5"], sheet[f"{headers['Mức nguy cơ']}7"]
    assert year.value == "abc" and year.fill.fgColor.rgb.endswith("FFC7CE")
    assert "Lỗi:" in year.comment.text and "abc" in year.comment.text
    assert risk.fill.fgColor.rgb.endswith("FFC7CE") and "rất cao" in risk.comment.text
    warned = [c for row in sheet.iter_rows() for c in row
              if c.fill.fgColor.rgb and str(c.fill.fgColor.rgb).endswith("FFEB9C")]
    assert warned and all(c.comment and "Cảnh báo:" in c.comment.text for c in warned)
    assert sheet["B2"].value == returnees["B2"].value  # the rest is the coordinator's file
    other = Browser(app.test_client())
    with app.app_context():
        create_user("other", "coordinator", PASSWORD)
    other.login("other")
    assert other.get(f"/runs/{run_id}/checked-roster").status_code == 404


@pytest.mark.skipif(not SAMPLE.exists(), reason="no bundled sample roster")
def test_the_adapter_reads_rosters_only_within_limits(monkeypatch):
    """validate (and run_plan) read the roster with read_roster_bounded; inside the bounded
    child the web validates uploads in, within that child's own limits (a daemonic child
    may not start another)."""
    from matcher.io import sandbox
    from web import planner

    calls = []
    real = sandbox.read_roster_bounded
    monkeypatch.setattr(sandbox, "read_roster_bounded",
                        lambda paths, **kw: calls.append(paths) or real(paths, **kw))
    ok, issues, counts = planner.validate([SAMPLE])
    assert ok and counts["returnees"] > 0 and calls == [[SAMPLE]]
    inside = sandbox.run_bounded(planner.validate, [SAMPLE], mem_mb=1536, seconds=60)
    assert inside[0] and inside[2] == counts and len(calls) == 1
