"""Runs: upload, validation report, solve with progress and cancel, results, downloads,
rerun with new releases, delete.

A coordinator sees only their own runs; an admin sees all. Any other run id is a 404.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import logging
import os
import shutil
import threading
import traceback
from pathlib import Path
from types import ModuleType
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)

from web import annotate, db, jobs, results, uploads
from web.auth import audit
from web.i18n import _, current_lang
from web.mapsvg import render_map

bp = Blueprint("runs", __name__)
log = logging.getLogger(__name__)

# Reading uploaded files (validation, the rerun merge, the checked roster) happens in a
# child process with hard memory and time limits (matcher.io.sandbox), at most
# CHECKS_AT_ONCE at a time; a request that finds no free slot within CHECK_WAIT_SECONDS gets
# a "busy, try again" page. Each can be changed in the app config (UPLOAD_CHECK_...).
CHECK_DEFAULTS = {"UPLOAD_CHECKS_AT_ONCE": 2, "UPLOAD_CHECK_WAIT_SECONDS": 10.0,
                  "UPLOAD_CHECK_MEM_MB": 1536, "UPLOAD_CHECK_SECONDS": 60.0}
# issues that mean the files could not be read: no checked copy can be made of them
UNREAD_CODES = frozenset({"unreadable_file", "sheet_too_large", "file_too_large",
                          "unsafe_xml", "read_limit", "missing_file", "internal"})
BUSY_TEXT = {
    "vi": ("Máy chủ đang bận", "Máy chủ đang kiểm tra các tệp khác. Hãy đợi một lát rồi thử "
           "lại; tệp của bạn chưa được lưu."),
    "en": ("The server is busy", "The server is checking other files. Wait a moment and try "
           "again; your file was not stored."),
}
_slots_lock = threading.Lock()


class CheckBusy(Exception):
    """No free slot to read uploaded files."""


def _setting(name: str) -> Any:
    return current_app.config.get(name, CHECK_DEFAULTS[name])


@contextlib.contextmanager
def check_slot():
    """One of the UPLOAD_CHECKS_AT_ONCE slots for reading uploaded files; raises CheckBusy
    when none frees up within UPLOAD_CHECK_WAIT_SECONDS."""
    with _slots_lock:
        slots = current_app.extensions.get("upload_check_slots")
        if slots is None:
            slots = threading.BoundedSemaphore(int(_setting("UPLOAD_CHECKS_AT_ONCE")))
            current_app.extensions["upload_check_slots"] = slots
    if not slots.acquire(timeout=float(_setting("UPLOAD_CHECK_WAIT_SECONDS"))):
        raise CheckBusy()
    try:
        yield
    finally:
        slots.release()


def bounded(fn, *args):
    """``fn(*args)`` in a child process within the upload check limits."""
    from matcher.io.sandbox import run_bounded

    return run_bounded(fn, *args, mem_mb=int(_setting("UPLOAD_CHECK_MEM_MB")),
                       seconds=float(_setting("UPLOAD_CHECK_SECONDS")))

# download kind -> (file in the run folder or None when built on request, name, mimetype)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOWNLOADS = {
    "xlsx-vi": ("plan_vi.xlsx", "plan-{id}-vi.xlsx", XLSX),
    "xlsx-en": ("plan_en.xlsx", "plan-{id}-en.xlsx", XLSX),
    "json": ("plan.json", "plan-{id}.json", "application/json"),
    "schedule-csv": (None, "schedule-{id}.csv", "text/csv"),
    "schedules-zip": (None, "schedules-by-mentor-{id}.zip", "application/zip"),
    "ics-zip": (None, "visits-{id}-ics.zip", "application/zip"),
}


def planner() -> ModuleType:
    """The planner adapter (``web.planner`` unless configured otherwise)."""
    return importlib.import_module(current_app.config["PLANNER"])


def run_dir(run_id: int) -> Path:
    return jobs.run_dir(current_app.config, run_id)


def get_run_or_404(run_id: int):
    run = db.get_run(db.get_db(), run_id)
    if run is None or (g.user["role"] != "admin" and run["user_id"] != g.user["id"]):
        abort(404)
    return run


def log_failure(what: str, exc: BaseException) -> None:
    """Log where an error happened without its message (it may quote roster cells)."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = " <- ".join(f"{Path(f.filename).name}:{f.lineno}:{f.name}" for f in frames[::-1][:6])
    log.error("%s failed: %s at %s", what, type(exc).__name__, where)


@bp.errorhandler(CheckBusy)
def check_busy(_exc: CheckBusy):
    audit("upload_rejected", detail="busy")
    title, message = BUSY_TEXT.get(current_lang(), BUSY_TEXT["en"])
    return (render_template("error.html", code=503, key="500", title=title, message=message),
            503, {"Retry-After": "10"})


@bp.errorhandler(uploads.UploadRejected)
def upload_rejected(exc: uploads.UploadRejected):
    audit("upload_rejected", detail=exc.msgid)
    return render_template("error.html", code=400, key="400", title=_("upload.rejected_title"),
                           message=_(exc.msgid, **exc.params)), 400


# --- history and upload -------------------------------------------------------------

@bp.get("/")
def index():
    conn = db.get_db()
    is_admin = g.user["role"] == "admin"
    runs = db.list_runs(conn, None if is_admin else g.user["id"])
    files = {run["id"]: db.run_files(conn, run["id"]) for run in runs}
    return render_template("runs/index.html", runs=runs, files=files, show_owner=is_admin)


def _read_uploads(field: str = "files") -> list[uploads.Upload] | None:
    """The request's checked files; None (after a flash) when there are none or too many.
    A file that is not a spreadsheet raises UploadRejected (a 400 page)."""
    sent = [f for f in request.files.getlist(field) if f and f.filename]
    if not sent:
        flash(_("upload.none"), "error")
        return None
    if len(sent) > current_app.config["MAX_FILES"]:
        flash(_("upload.too_many", n=current_app.config["MAX_FILES"]), "error")
        return None
    return [uploads.check_upload(f.filename, f.read()) for f in sent]


def _new_run(files: list[tuple[str, uploads.Upload]], *, kind: str,
             previous_run_id: int | None = None,
             copies: list[tuple[str, Path, str]] = ()) -> int:
    """Create a run, store its files under generated names and validate it.
    ``copies``: (role, path, display name) of files taken over from an earlier run.
    Nothing is stored unless a check slot is free (CheckBusy otherwise)."""
    with check_slot():
        return _create_and_validate(files, kind=kind, previous_run_id=previous_run_id,
                                    copies=copies)


def _create_and_validate(files: list[tuple[str, uploads.Upload]], *, kind: str,
                         previous_run_id: int | None,
                         copies: list[tuple[str, Path, str]]) -> int:
    conn = db.get_db()
    run_id = db.create_run(conn, g.user["id"], kind=kind, previous_run_id=previous_run_id)
    inputs = run_dir(run_id) / "inputs"
    try:
        for role, upload in files:
            stored = uploads.store(upload, inputs, role=role)
            db.add_run_file(conn, run_id, role=role, stored_name=stored,
                            display_name=upload.display_name, size=len(upload.data),
                            sha256=upload.sha256)
        for role, source, name in copies:
            stored, size, sha256 = uploads.copy_in(source, inputs, role=role)
            db.add_run_file(conn, run_id, role=role, stored_name=stored, display_name=name,
                            size=size, sha256=sha256)
    except OSError:
        shutil.rmtree(run_dir(run_id), ignore_errors=True)
        db.delete_run(conn, run_id)
        raise
    audit("upload", run_id=run_id, detail=f"kind={kind}; files={len(files)}")
    _validate(run_id)
    return run_id


def _validate(run_id: int) -> None:
    """Read the run's files in a bounded child process and store the report beside them
    (``validation.json``): pages show it without reading the files again."""
    conn = db.get_db()
    adapter = planner()
    files = [dict(row) for row in db.run_files(conn, run_id)]
    config = {"UPLOAD_FOLDER": current_app.config["UPLOAD_FOLDER"]}
    try:
        ok, issues, roster = bounded(_check_files, config, run_id, files,
                                     current_app.config["PLANNER"], current_lang())
    except Exception as exc:  # noqa: BLE001 - never a traceback for the coordinator
        from matcher.io.sandbox import LimitExceeded

        ok, roster = False, None
        if isinstance(exc, LimitExceeded):
            log.warning("validation of run %s stopped: %s", run_id, exc)
            shown = [f["display_name"] for f in files if f["role"] in ("roster", "addition")]
            issue = exc.issue(", ".join(shown) or None)
            issues = [{"severity": "error", "code": issue.code, "sheet": issue.sheet,
                       "row": None, "column": None,
                       "message": {lang: issue.message(lang) for lang in ("vi", "en")}}]
        else:
            log_failure(f"validation of run {run_id}", exc)
            issues = [{"severity": "error", "code": "internal", "sheet": None, "row": None,
                       "column": None, "message": {lang: _("validate.internal", lang=lang)
                                                   for lang in ("vi", "en")}}]
    ok = ok and not any(i.get("severity") == "error" for i in issues)
    issues = _with_display_names(issues, jobs.reader_names(conn, run_id, adapter))
    readable = not any(i.get("code") in UNREAD_CODES for i in issues
                       if i.get("severity") == "error")
    results.atomic_write_json(run_dir(run_id) / "validation.json",
                              {"ok": ok, "issues": issues, "roster": roster,
                               "readable": readable})
    db.set_validation(conn, run_id, ok=ok, roster=roster)


def _check_files(config: dict, run_id: int, files: list[dict], planner_name: str,
                 lang: str) -> tuple[bool, list[dict], dict | None]:
    """In the bounded child: merge new releases into the roster if asked, then validate."""
    adapter = importlib.import_module(planner_name)
    paths, previous = jobs.input_paths_from(files, config, run_id, adapter)
    if previous is None:
        return adapter.validate(paths, lang)
    return adapter.validate(paths, lang, previous=previous)


def _with_display_names(issues: list[dict], names: dict[str, str]) -> list[dict]:
    """Issues that quote a stored file name (``roster-3f2a….xlsx``) quote the
    coordinator's own file name instead."""
    names = {k: v for k, v in names.items() if k and v and k != v}
    if not names:
        return issues

    def fix(text):
        if isinstance(text, dict):
            return {k: fix(v) for k, v in text.items()}
        if isinstance(text, str):
            for stored, shown in names.items():
                text = text.replace(stored, shown)
        return text

    return [{**i, "sheet": fix(i.get("sheet")), "message": fix(i.get("message"))}
            for i in issues]


@bp.route("/runs/new", methods=["GET", "POST"])
def new():
    if request.method == "POST":
        files = _read_uploads()
        if files is not None:
            run_id = _new_run([("roster", f) for f in files], kind="upload")
            return redirect(url_for("runs.show", run_id=run_id))
    return render_template("runs/new.html")


@bp.post("/runs/sample")
def sample():
    path = Path(current_app.config["SAMPLE_ROSTER"])
    if not path.is_file():
        flash(_("sample.missing"), "error")
        return redirect(url_for("runs.new"))
    upload = uploads.check_upload(path.name, path.read_bytes())
    run_id = _new_run([("roster", upload)], kind="sample")
    return redirect(url_for("runs.show", run_id=run_id))


# --- one run ------------------------------------------------------------------------

def _report(run_id: int) -> dict:
    path = run_dir(run_id) / "validation.json"
    return results.read_json(path) if path.exists() else {"ok": False, "issues": []}


def _grouped(issues: list[dict], lang: str) -> list[tuple[str, list[dict]]]:
    """Issues grouped by sheet (file-level problems first), errors before warnings."""
    groups: dict[str, list[dict]] = {}
    for issue in issues:
        sheet = issue.get("sheet") or ""
        if issue.get("origin") == "previous_plan":
            sheet = _("report.previous_plan", lang=lang)
        groups.setdefault(sheet, []).append(
            {**issue, "text": results.pick(issue.get("message"), lang)})
    for items in groups.values():
        items.sort(key=lambda i: (i.get("severity") != "error", i.get("row") or 0))
    return sorted(groups.items(), key=lambda kv: (kv[0] != "", kv[0]))


def _live_run(conn, run_id: int):
    """The user's run (404 otherwise), marked failed first if its worker has died."""
    run = get_run_or_404(run_id)
    if jobs.fail_if_orphaned(conn, run):
        run = db.get_run(conn, run_id)
    return run


@bp.get("/runs/<int:run_id>")
def show(run_id: int):
    conn = db.get_db()
    run = _live_run(conn, run_id)
    report = _report(run_id)
    issues = report.get("issues", [])
    return render_template(
        "runs/show.html", run=run, files=db.run_files(conn, run_id),
        groups=_grouped(issues, current_lang()),
        n_errors=sum(1 for i in issues if i.get("severity") == "error"),
        n_warnings=sum(1 for i in issues if i.get("severity") != "error"),
        roster=report.get("roster") or {},
        summary=json.loads(run["summary_json"]) if run["summary_json"] else None,
    )


@bp.get("/runs/<int:run_id>/checked-roster")
def checked_roster(run_id: int):
    """The roster as uploaded, with every problem of the validation report marked on its
    cell (red: error, yellow: warning) and explained in a comment. Made once per language
    in a bounded child process and kept in the run's ``checked/`` folder."""
    get_run_or_404(run_id)
    report = _report(run_id)
    issues = report.get("issues", [])
    if not any(i.get("sheet") for i in issues):
        abort(404)
    lang = current_lang()
    folder = run_dir(run_id) / "checked"
    made = _stored_checked(folder, lang)
    if made is None and report.get("readable", True) and not (folder / f"{lang}.failed").exists():
        with check_slot():
            made = _stored_checked(folder, lang)  # another request may have made it
            if made is None:
                made = _make_checked(run_id, folder, lang, issues)
    if made is None:
        flash(_("report.checked_unavailable"), "error")
        return redirect(url_for("runs.show", run_id=run_id))
    path, kind = made
    audit("download", run_id=run_id, detail=f"kind=checked-roster-{kind}")
    mimetype = XLSX if kind == "xlsx" else "application/zip"
    return send_file(io.BytesIO(path.read_bytes()), mimetype=mimetype, as_attachment=True,
                     download_name=f"roster-checked-{run_id}.{kind}")


def _stored_checked(folder: Path, lang: str) -> tuple[Path, str] | None:
    for kind in ("xlsx", "zip"):
        path = folder / f"{lang}.{kind}"
        if path.is_file():
            return path, kind
    return None


def _make_checked(run_id: int, folder: Path, lang: str,
                  issues: list[dict]) -> tuple[Path, str] | None:
    files = [dict(row) for row in db.run_files(db.get_db(), run_id)]
    config = {"UPLOAD_FOLDER": current_app.config["UPLOAD_FOLDER"]}
    labels = {"error": _("severity.error"), "warning": _("severity.warning"),
              "author": _("app.name")}
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        data, kind = bounded(_annotate_files, config, run_id, files,
                             current_app.config["PLANNER"], issues, lang, labels)
    except Exception as exc:  # noqa: BLE001 - an unreadable file: the report still stands
        log_failure(f"checked roster of run {run_id}", exc)
        (folder / f"{lang}.failed").write_text(type(exc).__name__, encoding="utf-8")
        return None
    path = folder / f"{lang}.{kind}"
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return path, kind


def _annotate_files(config: dict, run_id: int, files: list[dict], planner_name: str,
                    issues: list[dict], lang: str, labels: dict) -> tuple[bytes, str]:
    """In the bounded child: the checked copy of the run's roster files."""
    adapter = importlib.import_module(planner_name)
    paths, _previous = jobs.input_paths_from(files, config, run_id, adapter)
    return annotate.annotated_download(paths, issues, lang, labels)


@bp.get("/runs/<int:run_id>/status")
def status(run_id: int):
    conn = db.get_db()
    run = _live_run(conn, run_id)
    return jsonify({
        "status": run["status"],
        "status_text": _("status." + run["status"]),
        "progress": run["progress"],
        "message": run["message"] or "",
        "error": _error_text(run["error"]),
    })


def _error_text(error: str | None) -> str:
    if not error:
        return ""
    if error == "worker_gone":
        return _("run.worker_gone")
    return _("run.error", error=error)


@bp.post("/runs/<int:run_id>/start")
def start(run_id: int):
    run = get_run_or_404(run_id)
    conn = db.get_db()
    if not db.queue_run(conn, run_id):
        flash(_("run.cannot_start"), "error")
        return redirect(url_for("runs.show", run_id=run_id))
    directory = run_dir(run_id)
    jobs.clear_outputs(directory)
    try:
        jobs.start_worker(current_app.config, conn, run_id)
    except OSError as exc:
        log_failure(f"starting run {run_id}", exc)
        db.finish_run(conn, run_id, "failed", error=type(exc).__name__)
    audit("run", run_id=run_id, detail=f"after={run['status']}")
    return redirect(url_for("runs.show", run_id=run_id))


@bp.post("/runs/<int:run_id>/cancel")
def cancel(run_id: int):
    run = get_run_or_404(run_id)
    if db.finish_run(db.get_db(), run_id, "cancelled"):
        jobs.stop_worker(run)
        audit("cancel", run_id=run_id)
        flash(_("run.cancelled"), "info")
    return redirect(url_for("runs.show", run_id=run_id))


@bp.post("/runs/<int:run_id>/delete")
def delete(run_id: int):
    run = get_run_or_404(run_id)
    conn = db.get_db()
    if db.finish_run(conn, run_id, "cancelled"):
        jobs.stop_worker(run)
    shutil.rmtree(run_dir(run_id), ignore_errors=True)
    db.delete_run(conn, run_id)
    audit("delete", run_id=run_id)
    flash(_("run.deleted", id=run_id), "info")
    return redirect(url_for("runs.index"))


# --- results ------------------------------------------------------------------------

def _has_plan(run) -> bool:
    return run["status"] == "done" and (run_dir(run["id"]) / "plan.json").is_file()


def _done_run_or_404(run_id: int):
    run = get_run_or_404(run_id)
    if not _has_plan(run):
        abort(404)
    return run


@bp.get("/runs/<int:run_id>/result")
def result(run_id: int):
    run = get_run_or_404(run_id)
    if not _has_plan(run):
        return redirect(url_for("runs.show", run_id=run_id))
    res = results.load_result(run_dir(run_id), current_lang())
    available = {kind for kind, (name, _n, _m) in DOWNLOADS.items()
                 if name and (run_dir(run_id) / name).is_file()}
    if res.plan.get("visits"):
        available |= {"schedule-csv", "schedules-zip"}
    if results.ics_files(run_dir(run_id)):
        available.add("ics-zip")
    return render_template(
        "runs/result.html", run=run, res=res, downloads=available,
        map_svg=render_map(res, max_lines=current_app.config["MAP_MAX_LINES"]),
        n_warnings=sum(1 for i in _report(run_id).get("issues", [])
                       if i.get("severity") != "error"),
    )


@bp.get("/runs/<int:run_id>/alternatives/<int:row>")
def alternatives(run_id: int, row: int):
    """Top-5 other mentors for the returnee on row ``row`` of the assignments table
    (a row number, not the returnee id, so no roster id appears in URLs or access logs)."""
    _done_run_or_404(run_id)
    directory = run_dir(run_id)
    plan = results.read_json(directory / "plan.json")
    rows = plan.get("assignments", [])
    if not 0 <= row < len(rows):
        abort(404)
    returnee_id = rows[row].get("returnee_id")
    try:
        found = planner().alternatives(directory, returnee_id)
    except Exception as exc:  # noqa: BLE001 - the page shows a message instead
        log_failure(f"alternatives of run {run_id}", exc)
        return jsonify({"returnee_id": returnee_id, "error": _("alt.unavailable")}), 503
    mentors = results.load_index(directory).get("mentors", {})
    out = []
    lang = current_lang()
    for alt in found:
        alt = {k: results.field_text(alt, k, lang) for k in alt if not k.endswith("_vi")}
        alt.setdefault("full_name", mentors.get(alt.get("mentor_id"), {}).get("name", ""))
        out.append(alt)
    return jsonify({"returnee_id": returnee_id, "alternatives": out})


@bp.get("/runs/<int:run_id>/download/<kind>")
def download(run_id: int, kind: str):
    _done_run_or_404(run_id)
    if kind not in DOWNLOADS:
        abort(404)
    name, download_name, mimetype = DOWNLOADS[kind]
    directory = run_dir(run_id)
    if name is not None:
        if not (directory / name).is_file():
            abort(404)
        body = directory / name
    elif kind == "schedule-csv":
        body = io.BytesIO(results.schedule_csv(directory))
    elif kind == "schedules-zip":
        body = io.BytesIO(results.schedules_zip(directory))
    else:
        if not results.ics_files(directory):
            abort(404)
        body = io.BytesIO(results.ics_zip(directory))
    audit("download", run_id=run_id, detail=f"kind={kind}")
    return send_file(body, mimetype=mimetype, as_attachment=True,
                     download_name=download_name.format(id=run_id))


# --- rerun with new releases --------------------------------------------------------

@bp.route("/runs/<int:run_id>/rerun", methods=["GET", "POST"])
def rerun(run_id: int):
    """A new run that uses this run's plan as the previous plan, with either a file of
    only the new returnees (merged with this run's roster files) or a full new roster."""
    earlier = _done_run_or_404(run_id)
    if request.method == "POST":
        mode = request.form.get("mode")
        if mode not in ("additions", "full"):
            flash(_("rerun.choose_mode"), "error")
        else:
            files = _read_uploads()
            if files is not None:
                earlier_dir = run_dir(run_id)
                copies = [("previous_plan", earlier_dir / "plan.json", _("rerun.previous_plan"))]
                if mode == "additions":
                    copies += [("roster", earlier_dir / "inputs" / row["stored_name"],
                                row["display_name"])
                               for row in db.run_files(db.get_db(), run_id)
                               if row["role"] in ("roster", "addition")]
                role = "addition" if mode == "additions" else "roster"
                new_id = _new_run([(role, f) for f in files], kind=mode,
                                  previous_run_id=earlier["id"], copies=copies)
                return redirect(url_for("runs.show", run_id=new_id))
    return render_template("runs/rerun.html", run=earlier)
