"""Runs end to end with real worker processes: progress, result, downloads, alternatives,
cancel, a killed worker, rerun with new releases, delete, and the audit log."""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import signal
import zipfile
from pathlib import Path

import pytest
from web_helpers import (
    SECRET_FILE,
    SECRET_NAME,
    Browser,
    query,
    roster_csv,
    run_id_from,
    wait_gone,
    wait_progress,
    wait_status,
)

from web import db


def _run_dir(app, run_id: int) -> Path:
    return Path(app.config["UPLOAD_FOLDER"]) / str(run_id)


def _body(browser, url: str) -> bytes:
    response = browser.get(url)
    try:
        assert response.status_code == 200, url
        return response.data
    finally:
        response.close()


def _solved_run(app, coord) -> int:
    run_id = run_id_from(coord.upload())
    assert coord.post(f"/runs/{run_id}/start").status_code == 302
    assert wait_status(app, run_id, {"done", "failed"}) == "done", (
        _run_dir(app, run_id) / "worker.log").read_text()
    return run_id


def test_run_solves_in_a_worker_process_and_shows_the_result(app, coord):
    """Start → the worker writes the plan → status JSON says done → the result page shows
    summary, tier proof, assignments with names, reasons, capacity gaps and the map."""
    run_id = _solved_run(app, coord)
    status = coord.get(f"/runs/{run_id}/status").get_json()
    assert status["status"] == "done" and status["progress"] == 1
    row = query(app, "SELECT * FROM runs WHERE id = ?", (run_id,))[0]
    assert row["pid"] != os.getpid()
    summary = json.loads(row["summary_json"])
    assert summary["returnees"] == 3 and summary["with_mentor"] == 2
    page = coord.get(f"/runs/{run_id}/result").get_data(as_text=True)
    assert SECRET_NAME in page and "Trần Văn Cựu" in page
    assert "no mentor within 5 km" in page and "1 more mentor" in page
    assert "<svg" in page and page.count('class="pair-line"') == 2
    assert "Số người trở về có cựu chiến binh giúp đỡ" in page  # tier M1 explained
    assert 'data-ward="Phường Hàm Rồng"' in page
    # The map is drawn server-side without any external resource.
    assert "http://" not in page.split("<svg", 1)[1].split("</svg>", 1)[0].replace(
        "http://www.w3.org/2000/svg", "")


def test_downloads_are_attachments_and_csv_is_formula_safe(app, coord):
    """Workbooks, JSON, schedule CSV, per-mentor zip and the .ics zip download as
    attachments; a name starting with '=' is written as text."""
    run_id = _solved_run(app, coord)
    for kind in ("xlsx-vi", "xlsx-en", "json", "schedule-csv", "schedules-zip", "ics-zip"):
        response = coord.get(f"/runs/{run_id}/download/{kind}")
        assert response.status_code == 200, kind
        assert response.headers["Content-Disposition"].startswith("attachment"), kind
        assert "Bimat" not in response.headers["Content-Disposition"]
        response.close()
    plan = json.loads(_body(coord, f"/runs/{run_id}/download/json"))
    assert plan["schema"] == "reintegration-plan/1"
    text = _body(coord, f"/runs/{run_id}/download/schedule-csv").decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0] == "Mã cựu chiến binh"
    assert [r[0] for r in rows[1:]] == ["M1", "M2"]  # grouped by mentor
    assert rows[2][1] == "'=HYPERLINK(\"x\")"
    with zipfile.ZipFile(io.BytesIO(_body(coord, f"/runs/{run_id}/download/ics-zip"))) as zf:
        assert zf.namelist() == ["M1.ics"]
    with zipfile.ZipFile(io.BytesIO(
            _body(coord, f"/runs/{run_id}/download/schedules-zip"))) as zf:
        assert sorted(zf.namelist()) == ["lich-tham-M1.csv", "lich-tham-M2.csv"]
    assert coord.get(f"/runs/{run_id}/download/nothing").status_code == 404


def test_alternatives_endpoint_returns_json_for_a_table_row(app, coord):
    """Alternatives are fetched by table row and name the returnee they belong to."""
    run_id = _solved_run(app, coord)
    data = coord.get(f"/runs/{run_id}/alternatives/1").get_json()
    assert data["returnee_id"] == "R002"
    assert data["alternatives"][0]["mentor_id"] == "M2"
    assert coord.get(f"/runs/{run_id}/alternatives/99").status_code == 404


def test_cancel_stops_the_worker_and_marks_the_run_cancelled(app, coord, monkeypatch):
    """Cancel terminates the solver process; the run is 'cancelled' and can be re-run."""
    monkeypatch.setenv("FAKE_PLAN_SECONDS", "60")
    run_id = run_id_from(coord.upload())
    coord.post(f"/runs/{run_id}/start")
    row = wait_progress(app, run_id)
    page = coord.get(f"/runs/{run_id}").get_data(as_text=True)
    assert "<progress" in page and 'data-status-url="/runs/' in page
    coord.post(f"/runs/{run_id}/cancel")
    assert query(app, "SELECT status FROM runs WHERE id = ?", (run_id,))[0][
        "status"] == "cancelled"
    wait_gone(row["pid"], timeout=1)
    assert "Bắt đầu lại</button>" in coord.get(f"/runs/{run_id}").get_data(as_text=True)


def test_solve_survives_the_page_being_closed(app, coord, monkeypatch):
    """Nobody polls the status: the worker still finishes and records the plan."""
    monkeypatch.setenv("FAKE_PLAN_SECONDS", "0.5")
    run_id = run_id_from(coord.upload())
    coord.post(f"/runs/{run_id}/start")
    assert wait_status(app, run_id, {"done", "failed"}) == "done"
    assert (_run_dir(app, run_id) / "plan.json").is_file()


def test_killed_worker_leaves_run_failed_after_restart_and_rerunnable(make_app, monkeypatch):
    """A worker killed mid-solve: after an app restart the run is 'failed', the database
    is intact, and Re-run solves it."""
    monkeypatch.setenv("FAKE_PLAN_SECONDS", "60")
    app = make_app()
    with app.app_context():
        from web.auth import create_user

        create_user("c", "coordinator", "p" * 12)
    b = Browser(app.test_client())
    b.login("c", "p" * 12)
    run_id = run_id_from(b.upload())
    b.post(f"/runs/{run_id}/start")
    row = wait_progress(app, run_id)
    os.kill(row["pid"], signal.SIGKILL)
    wait_gone(row["pid"])

    restarted = make_app()  # start-up recovery marks the orphaned run
    row = query(restarted, "SELECT * FROM runs WHERE id = ?", (run_id,))[0]
    assert row["status"] == "failed" and row["error"] == "worker_gone"
    assert query(restarted, "PRAGMA integrity_check")[0][0] == "ok"
    assert query(restarted, "SELECT name FROM users")[0]["name"] == "c"
    assert (_run_dir(restarted, run_id) / "inputs").is_dir()

    b2 = Browser(restarted.test_client())
    b2.login("c", "p" * 12)
    page = b2.get(f"/runs/{run_id}").get_data(as_text=True)
    assert "dừng bất ngờ" in page and "Bắt đầu lại</button>" in page
    monkeypatch.setenv("FAKE_PLAN_SECONDS", "0")
    b2.post(f"/runs/{run_id}/start")
    assert wait_status(restarted, run_id, {"done", "failed"}) == "done"
    assert b2.get(f"/runs/{run_id}/result").status_code == 200


def test_status_endpoint_notices_a_dead_worker_without_restart(app, coord, monkeypatch):
    """While the app runs, polling a run whose worker died reports 'failed'."""
    monkeypatch.setenv("FAKE_PLAN_SECONDS", "60")
    run_id = run_id_from(coord.upload())
    coord.post(f"/runs/{run_id}/start")
    row = wait_progress(app, run_id)
    os.kill(row["pid"], signal.SIGKILL)
    wait_gone(row["pid"])
    data = coord.get(f"/runs/{run_id}/status").get_json()
    assert data["status"] == "failed" and "dừng bất ngờ" in data["error"]


def test_worker_error_marks_the_run_failed(app, coord, monkeypatch):
    """A planner exception ends the run as 'failed' with the error type, not a hang."""
    monkeypatch.setenv("FAKE_PLAN_SECONDS", "not a number")
    run_id = run_id_from(coord.upload())
    coord.post(f"/runs/{run_id}/start")
    assert wait_status(app, run_id, {"done", "failed"}) == "failed"
    assert query(app, "SELECT error FROM runs WHERE id = ?", (run_id,))[0]["error"] == "ValueError"
    assert "ValueError" in coord.get(f"/runs/{run_id}").get_data(as_text=True)


def test_rerun_with_new_releases_merges_files_and_uses_the_previous_plan(app, coord):
    """'Rerun with new releases' copies the earlier roster, adds the new returnees and
    hands the earlier plan to the solver as the previous plan."""
    first = _solved_run(app, coord)
    new = roster_csv(("R010", "Đỗ Văn Mới", "Phường Hàm Rồng"))
    response = coord.post(f"/runs/{first}/rerun", {
        "mode": "additions", "files": (io.BytesIO(new), "moi_ve.csv")},
        content_type="multipart/form-data")
    second = run_id_from(response)
    assert second != first
    roles = sorted(r["role"] for r in query(
        app, "SELECT role FROM run_files WHERE run_id = ?", (second,)))
    assert roles == ["addition", "previous_plan", "roster"]
    run = query(app, "SELECT * FROM runs WHERE id = ?", (second,))[0]
    assert run["previous_run_id"] == first and run["kind"] == "additions"
    assert json.loads(run["roster_json"])["returnees"] == 4
    coord.post(f"/runs/{second}/start")
    assert wait_status(app, second, {"done", "failed"}) == "done"
    plan = json.loads((_run_dir(app, second) / "plan.json").read_text())
    assert plan["previous_used"] is True and len(plan["assignments"]) == 4
    # The result page shows the change report and each row's change status.
    page = coord.get(f"/runs/{second}/result").get_data(as_text=True)
    assert "Thay đổi so với kế hoạch trước" in page and f"kế hoạch #{first}" in page
    assert '<span class="n" data-change="new">1</span>' in page
    assert '<span class="n" data-change="kept">3</span>' in page
    assert 'id="change-list"' in page and "R010" in page.split('id="change-list"')[1]
    assert page.count('class="tag change-kept"') >= 3
    summary = json.loads(query(app, "SELECT summary_json FROM runs WHERE id = ?",
                               (second,))[0]["summary_json"])
    assert summary["changes"] == {"new": 1, "kept": 3, "changed": 0, "ended": 0}
    first_page = coord.get(f"/runs/{first}/result").get_data(as_text=True)
    assert 'id="changes"' not in first_page  # a first plan has no change report
    # The new run keeps its own copies: deleting the earlier run does not break it.
    coord.post(f"/runs/{first}/delete")
    assert coord.get(f"/runs/{second}/result").status_code == 200


def test_rerun_with_a_full_new_roster(app, coord):
    """A full new roster replaces the earlier files; only the previous plan is carried."""
    first = _solved_run(app, coord)
    response = coord.post(f"/runs/{first}/rerun", {
        "mode": "full", "files": (io.BytesIO(roster_csv(("R020", "A", "x"))), "new.csv")},
        content_type="multipart/form-data")
    second = run_id_from(response)
    roles = sorted(r["role"] for r in query(
        app, "SELECT role FROM run_files WHERE run_id = ?", (second,)))
    assert roles == ["previous_plan", "roster"]


def test_delete_removes_the_run_rows_and_files(app, coord):
    """Delete removes the run's database rows and its whole folder."""
    run_id = _solved_run(app, coord)
    assert _run_dir(app, run_id).is_dir()
    response = coord.post(f"/runs/{run_id}/delete")
    assert response.status_code == 302
    assert not _run_dir(app, run_id).exists()
    assert not query(app, "SELECT * FROM runs WHERE id = ?", (run_id,))
    assert not query(app, "SELECT * FROM run_files WHERE run_id = ?", (run_id,))
    assert coord.get(f"/runs/{run_id}").status_code == 404


def test_history_lists_own_runs_and_admin_sees_all(app, coord):
    """The history shows a coordinator's own runs; an admin sees everyone's."""
    run_id = run_id_from(coord.upload())
    other = Browser(app.test_client())
    other.login("other")
    other_id = run_id_from(other.upload())
    page = coord.get("/").get_data(as_text=True)
    assert f"/runs/{run_id}\"" in page and f"/runs/{other_id}\"" not in page
    admin = Browser(app.test_client())
    admin.login("admin")
    page = admin.get("/").get_data(as_text=True)
    assert f"/runs/{run_id}\"" in page and f"/runs/{other_id}\"" in page


def test_audit_log_records_actions_without_roster_contents(app, coord, caplog):
    """login, upload, run, download and delete are audited with user, run id, time and
    IP; neither the audit log nor the app log holds names or file names from the roster."""
    with caplog.at_level(logging.DEBUG):
        run_id = _solved_run(app, coord)
        coord.get(f"/runs/{run_id}/result")
        coord.get(f"/runs/{run_id}/download/xlsx-vi").close()
        coord.post(f"/runs/{run_id}/delete")
    rows = query(app, "SELECT * FROM audit_log ORDER BY id")
    actions = [r["action"] for r in rows]
    for action in ("login", "upload", "run", "download", "delete"):
        assert action in actions, action
    for r in rows:
        if r["action"] in ("upload", "run", "download", "delete"):
            assert r["run_id"] == run_id and r["user_name"] == "coord"
            assert r["ip"] == "127.0.0.1" and r["at"] > 0
    dump = "\n".join(" ".join(str(v) for v in tuple(r)) for r in rows)
    for secret in (SECRET_NAME, SECRET_FILE, "Bimat", "R001"):
        assert secret not in dump
        assert secret not in caplog.text


def test_admin_audit_page_is_paginated(app, admin):
    """The audit page shows 50 entries per page, newest first."""
    conn = db.connect(app.config["DATABASE"])
    for i in range(1, 121):
        db.add_audit(conn, "download", user_id=None, user_name="x", run_id=i, ip="1.2.3.4",
                     detail="kind=json")
    conn.close()
    page1 = admin.get("/admin/audit").get_data(as_text=True)
    assert "Trang 1/3" in page1 and "#120<" in page1 and "#60<" not in page1
    page3 = admin.get("/admin/audit?page=3").get_data(as_text=True)
    assert "Trang 3/3" in page3 and "#1<" in page3
    assert admin.get("/admin/audit?page=99").status_code == 200


def test_busy_page_in_both_languages_with_its_own_audit_entry(make_app):
    """No free check slot: a 503 "busy, try again" page in the session's language, a
    ``server_busy`` audit entry, and nothing stored."""
    from web_helpers import PASSWORD

    from web import runs
    from web.auth import create_user

    app = make_app(UPLOAD_CHECKS_AT_ONCE=1, UPLOAD_CHECK_WAIT_SECONDS=0.1)
    with app.app_context():
        create_user("coord", "coordinator", PASSWORD)
    b = Browser(app.test_client())
    b.login("coord")
    with app.app_context(), runs.check_slot():  # another request holds the only slot
        vi = b.upload()
        b.post("/lang", {"lang": "en", "next": "/"})
        en = b.upload()
    assert vi.status_code == en.status_code == 503 and vi.headers["Retry-After"] == "10"
    assert "Máy chủ đang bận" in vi.get_data(as_text=True)
    assert "The server is busy" in en.get_data(as_text=True)
    rows = query(app, "SELECT action, detail FROM audit_log WHERE action = 'server_busy'")
    assert [tuple(r) for r in rows] == [("server_busy", "runs.new")] * 2
    assert query(app, "SELECT COUNT(*) AS n FROM runs")[0]["n"] == 0
    assert b.upload().status_code == 302  # the slot is free again


def test_worker_reads_within_the_upload_check_limits(app):
    """The worker's environment sets the sandbox's read limits to the upload check's,
    so the roster and the rerun merge are read bounded there too."""
    from web import jobs

    env = jobs.worker_env({**app.config, "UPLOAD_CHECK_MEM_MB": 900,
                           "UPLOAD_CHECK_SECONDS": 45.0})
    assert env["MATCHER_READ_MEM_MB"] == "900" and env["MATCHER_READ_SECONDS"] == "45"
    defaults = jobs.worker_env({})
    assert defaults["MATCHER_READ_MEM_MB"] == str(jobs.CHECK_DEFAULTS["UPLOAD_CHECK_MEM_MB"])


def test_service_downloads_and_rows_raise_not_found(app, coord):
    """The service answers plain data or NotFound (the views turn it into a 404)."""
    from web import service

    run_id = _solved_run(app, coord)
    with pytest.raises(service.NotFound):
        service.download(app.config, run_id, "nope")
    with pytest.raises(service.NotFound):
        service.plan_returnee(app.config, run_id, 99)
    body, name, mimetype = service.download(app.config, run_id, "schedule-csv")
    assert name == f"lich-tham-{run_id}.csv" and mimetype == "text/csv"
    assert service.download(app.config, run_id, "schedule-csv", "en")[1] == f"schedule-{run_id}.csv"
    assert service.plan_returnee(app.config, run_id, 0) == "R001"
    assert coord.get(f"/runs/{run_id}/download/nope").status_code == 404
    assert coord.get(f"/runs/{run_id}/alternatives/99").status_code == 404
