"""The web app over the real planning library (``web.planner`` → ``matcher``)."""

from __future__ import annotations

import importlib.util
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

    if importlib.util.find_spec("matcher.io.plan_writer") is None:
        return  # the workbook writer is not built yet
    response = b.get(f"/runs/{run_id}/download/xlsx-vi")
    try:
        assert response.status_code == 200
        assert zipfile.ZipFile(io.BytesIO(response.data)).testzip() is None
    finally:
        response.close()


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
