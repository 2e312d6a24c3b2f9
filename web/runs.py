"""Runs: upload, validation report, solve with progress and cancel, results, downloads,
rerun with new releases, delete.

A coordinator sees only their own runs; an admin sees all. Any other run id is a 404.
The views parse the request, check access, call :mod:`web.service` and answer; the audit
log, flashes and check slots are here.
"""

from __future__ import annotations

import contextlib
import io
import json
import threading
from pathlib import Path

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    get_template_attribute,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from werkzeug.exceptions import NotFound as HTTPNotFound

from matcher import catalog
from web import db, jobs, report_view, results, service, uploads
from web.auth import audit
from web.i18n import _, current_lang
from web.service import XLSX, CheckBusy, log_failure  # noqa: F401 - log_failure: web.app

bp = Blueprint("runs", __name__)

_slots_lock = threading.Lock()


@contextlib.contextmanager
def check_slot():
    """One of the UPLOAD_CHECKS_AT_ONCE slots for reading uploaded files; raises CheckBusy
    when none frees up within UPLOAD_CHECK_WAIT_SECONDS."""
    config = current_app.config
    with _slots_lock:
        slots = current_app.extensions.get("upload_check_slots")
        if slots is None:
            slots = threading.BoundedSemaphore(
                int(jobs.setting(config, "UPLOAD_CHECKS_AT_ONCE")))
            current_app.extensions["upload_check_slots"] = slots
    if not slots.acquire(timeout=float(jobs.setting(config, "UPLOAD_CHECK_WAIT_SECONDS"))):
        raise CheckBusy()
    try:
        yield
    finally:
        slots.release()


def bounded(fn, *args):
    """``fn(*args)`` in a child process within the upload check limits."""
    from matcher.io.sandbox import run_bounded

    return run_bounded(fn, *args, **jobs.read_limits(current_app.config))


@bp.app_template_global("number")
def number(n: int) -> str:
    """A whole number as the page's language writes it (10.000 / 10,000)."""
    return results.number(n, current_lang())


def get_run_or_404(run_id: int):
    run = db.get_run(db.get_db(), run_id)
    if run is None or (g.user["role"] != "admin" and run["user_id"] != g.user["id"]):
        abort(404)
    return run


@bp.errorhandler(CheckBusy)
def check_busy(_exc: CheckBusy):
    audit("server_busy", detail=request.endpoint)
    return (render_template("error.html", code=503, key="500", title=_("busy.title"),
                            message=_("busy.text")),
            503, {"Retry-After": "10"})


@bp.errorhandler(uploads.UploadRejected)
def upload_rejected(exc: uploads.UploadRejected):
    audit("upload_rejected", detail=exc.msgid)
    return render_template("error.html", code=400, key="400", title=_("upload.rejected_title"),
                           message=_(exc.msgid, **exc.params)), 400


@bp.errorhandler(service.NotFound)
def not_found(_exc: service.NotFound):
    return current_app.handle_http_exception(HTTPNotFound())


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
    """Create a run, store its files and validate it. Nothing is stored unless a check
    slot is free (CheckBusy otherwise)."""
    conn, config = db.get_db(), current_app.config
    with check_slot():
        run_id = service.store_run(conn, config, g.user["id"], files, kind=kind,
                                   previous_run_id=previous_run_id, copies=copies)
        audit("upload", run_id=run_id, detail=f"kind={kind}; files={len(files)}")
        service.validate_run(conn, config, run_id, current_lang(), bounded)
    return run_id


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

def _live_run(conn, run_id: int):
    """The user's run (404 otherwise), marked failed first if its worker has died."""
    return service.live_run(conn, get_run_or_404(run_id))


@bp.get("/runs/<int:run_id>")
def show(run_id: int):
    conn = db.get_db()
    run = _live_run(conn, run_id)
    report = service.report(current_app.config, run_id)
    issues = report.get("issues", [])
    n_errors, n_warnings = service.count_issues(issues)
    view = service.report_view(issues, current_lang())
    wanted = request.args.get("code")
    for kind in view["kinds"]:  # another page of one kind, asked for without scripts
        if kind["code"] == wanted:
            kind["page"] = service.warning_page(issues, current_lang(), wanted,
                                                page=_page_arg())
            kind["open"] = True
    return render_template(
        "runs/show.html", run=run, files=db.run_files(conn, run_id),
        progress_text=progress_text(run["status"], run["message"]),
        errors=view["errors"], kinds=view["kinds"],
        n_errors=n_errors, n_warnings=n_warnings,
        roster=report.get("roster") or {},
        summary=json.loads(run["summary_json"]) if run["summary_json"] else None,
    )


@bp.get("/runs/<int:run_id>/checked-roster")
def checked_roster(run_id: int):
    """The roster as uploaded, with every problem of the validation report marked on its
    cell (red: error, yellow: warning) and explained in a comment. Made once per language
    in a bounded child process and kept in the run's ``checked/`` folder."""
    get_run_or_404(run_id)
    config, lang = current_app.config, current_lang()
    report = service.report(config, run_id)
    issues = report.get("issues", [])
    if not any(i.get("sheet") for i in issues):
        abort(404)
    made = service.stored_checked(config, run_id, lang)
    if made is None and service.can_make_checked(config, run_id, lang, report):
        with check_slot():
            made = service.stored_checked(config, run_id, lang)  # another request's
            if made is None:
                labels = {"error": _("severity.error"), "warning": _("severity.warning"),
                          "author": _("app.name")}
                made = service.make_checked(db.get_db(), config, run_id, lang, issues,
                                            labels, bounded)
    if made is None:
        flash(_("report.checked_unavailable"), "error")
        return redirect(url_for("runs.show", run_id=run_id))
    path, kind = made
    audit("download", run_id=run_id, detail=f"kind=checked-roster-{kind}")
    mimetype = XLSX if kind == "xlsx" else "application/zip"
    return send_file(io.BytesIO(path.read_bytes()), mimetype=mimetype, as_attachment=True,
                     download_name=_("file.checked_roster", id=str(run_id), ext=kind))


@bp.get("/runs/<int:run_id>/status")
def status(run_id: int):
    conn = db.get_db()
    run = _live_run(conn, run_id)
    return jsonify({
        "status": run["status"],
        "status_text": _("status." + run["status"]),
        "progress": run["progress"],
        "percent": catalog.percent(run["progress"] or 0, current_lang(), 0),
        "message": progress_text(run["status"], run["message"]),
        "error": _error_text(run["error"]),
    })


def progress_text(status: str, stage: str | None) -> str:
    """What the planner is doing, in the page's language: its stage ("mentors", "visit
    schedule" …, the names the planner reports) from the catalogue's ``progress.*``, or
    the run's status when the stage has no words (or none was reported yet)."""
    key = "progress." + "_".join(str(stage or "").lower().split())
    running = status == "running" and stage and catalog.has(key)
    return _(key) if running else _("status." + status)


def _error_text(error: str | None) -> str:
    if not error:
        return ""
    if error == "worker_gone":
        return _("run.worker_gone")
    return _("run.error", error=error)


@bp.post("/runs/<int:run_id>/start")
def start(run_id: int):
    run = get_run_or_404(run_id)
    if not service.start_run(db.get_db(), current_app.config, run_id):
        flash(_("run.cannot_start"), "error")
        return redirect(url_for("runs.show", run_id=run_id))
    audit("run", run_id=run_id, detail=f"after={run['status']}")
    return redirect(url_for("runs.show", run_id=run_id))


@bp.post("/runs/<int:run_id>/cancel")
def cancel(run_id: int):
    run = get_run_or_404(run_id)
    if service.cancel_run(db.get_db(), run):
        audit("cancel", run_id=run_id)
        flash(_("run.cancelled"), "info")
    return redirect(url_for("runs.show", run_id=run_id))


@bp.post("/runs/<int:run_id>/delete")
def delete(run_id: int):
    run = get_run_or_404(run_id)
    service.delete_run(db.get_db(), current_app.config, run)
    audit("delete", run_id=run_id)
    flash(_("run.deleted", id=run_id), "info")
    return redirect(url_for("runs.index"))


# --- results ------------------------------------------------------------------------

def _done_run_or_404(run_id: int):
    run = get_run_or_404(run_id)
    if not service.has_plan(current_app.config, run):
        abort(404)
    return run


@bp.get("/runs/<int:run_id>/result")
def result(run_id: int):
    run = get_run_or_404(run_id)
    config = current_app.config
    if not service.has_plan(config, run):
        return redirect(url_for("runs.show", run_id=run_id))
    lang = current_lang()
    res, available = service.result_page(config, run_id, lang)
    _errors, n_warnings = service.count_issues(service.report(config, run_id).get("issues", []))
    # the first page of every table; the one named in the link (pager or search without
    # scripts) at the page and search it asks for
    wanted = request.args.get("table")
    pages = {name: results.table_page(res, name, **(_table_args() if name == wanted else {}))
             for name in results.TABLES}
    return render_template(
        "runs/result.html", run=run, res=res, downloads=available, pages=pages,
        map_svg=service.result_map(res, config["MAP_MAX_LINES"]),
        n_warnings=n_warnings, millions=lambda vnd: results.millions(vnd, lang),
        has_report=(service.run_dir(config, run_id) / report_view.REPORT_FILE).is_file(),
    )


@bp.get("/runs/<int:run_id>/report")
def report(run_id: int):
    """The steering committee's figures per ward and in total (table, bar chart per ward,
    main reasons, the last plan's visits done), for the run's owner or an admin."""
    run = _done_run_or_404(run_id)
    config, lang = current_app.config, current_lang()
    directory = service.run_dir(config, run_id)
    res = results.cached_result(directory, lang)
    data = report_view.load_report(directory)
    table = chart_svg = None
    left_out = 0
    if data is not None:
        table = report_view.report_table(data, lang)
        chart_svg, left_out = report_view.chart(table, lang)
    return render_template(
        "runs/report.html", run=run, res=res, table=table, chart_svg=chart_svg,
        chart_left_out=left_out, reasons=report_view.main_reasons(table) if table else [],
        visits=report_view.visits_view(res, lang))


@bp.get("/runs/<int:run_id>/report.csv")
def report_csv(run_id: int):
    """The report's table as CSV (UTF-8 with BOM, headers in the page's language)."""
    _done_run_or_404(run_id)
    data = report_view.load_report(service.run_dir(current_app.config, run_id))
    if data is None:
        abort(404)
    audit("download", run_id=run_id, detail="kind=report-csv")
    return send_file(io.BytesIO(report_view.report_csv(data, current_lang())),
                     mimetype="text/csv", as_attachment=True,
                     download_name=_("file.report_csv", id=str(run_id)))


def _page_arg() -> int:
    try:
        return max(1, min(int(request.args.get("page", 1)), 10**6))
    except ValueError:
        return 1


def _table_args() -> dict:
    return {"q": request.args.get("q", ""), "ward": request.args.get("ward", ""),
            "page": _page_arg()}


@bp.get("/runs/<int:run_id>/table/<name>")
def table(run_id: int, name: str):
    """One page of a table as JSON: its rows, and the same rows and pager as the page
    shows them (``html``, ``pager``), for app.js to put in place. Result tables of a
    finished run (``assignments``, ``unassigned``, ``changes``, ``unmet``,
    ``unscheduled``, ``gaps``, ``loans``, ``employers``; ``q`` searches ids and names with
    or without accents, ``ward`` filters, ``page`` counts from 1) and the validation
    report's warnings of one kind (``warnings?code=…``). Another user's run, or an
    unknown table, is a 404."""
    config, lang = current_app.config, current_lang()
    if name == "warnings":
        run = get_run_or_404(run_id)
        issues = service.report(config, run_id).get("issues", [])
        code = request.args.get("code", "")
        page = service.warning_page(issues, lang, code, q=request.args.get("q", ""),
                                    page=_page_arg())
        extra = {"code": code}
        res = None  # warnings need no plan
    else:
        run = _done_run_or_404(run_id)
        page = service.table_page(config, run_id, lang, name, **_table_args())
        extra = {}
        res = results.cached_result(service.run_dir(config, run_id), lang)
    html = get_template_attribute("runs/_tables.html", "rows")(page, run, res)
    pager = get_template_attribute("runs/_tables.html", "pager")(page, run, extra)
    return jsonify({"table": name, "page": page.page, "pages": page.pages,
                    "total": page.total, "count": page.count, "rows": page.rows,
                    "html": html, "pager": pager})


@bp.get("/runs/<int:run_id>/alternatives/<int:row>")
def alternatives(run_id: int, row: int):
    """Top-5 other mentors for the returnee on row ``row`` of the assignments table
    (a row number, not the returnee id, so no roster id appears in URLs or access logs)."""
    _done_run_or_404(run_id)
    config = current_app.config
    returnee_id = service.plan_returnee(config, run_id, row)
    try:
        found = service.alternatives(config, run_id, returnee_id, current_lang())
    except Exception as exc:  # noqa: BLE001 - the page shows a message instead
        service.log_failure(f"alternatives of run {run_id}", exc)
        return jsonify({"returnee_id": returnee_id, "error": _("alt.unavailable")}), 503
    lang = current_lang()
    shown = [{k: _shown_number(k, v, lang) for k, v in alt.items()} for alt in found]
    return jsonify({"returnee_id": returnee_id, "alternatives": shown})


def _shown_number(key: str, value, lang: str):
    """A number of the alternatives panel as the page writes it (2,4 km; a difference
    with its sign: +1,7); other values as they are."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    text = catalog.number(value, lang)
    return "+" + text if key.endswith("_diff") and value > 0 else text


@bp.get("/runs/<int:run_id>/download/<kind>")
def download(run_id: int, kind: str):
    _done_run_or_404(run_id)
    body, name, mimetype = service.download(current_app.config, run_id, kind, current_lang())
    audit("download", run_id=run_id, detail=f"kind={kind}")
    return send_file(body, mimetype=mimetype, as_attachment=True, download_name=name)


# --- rerun with new releases --------------------------------------------------------

@bp.route("/runs/<int:run_id>/rerun", methods=["GET", "POST"])
def rerun(run_id: int):
    """A new run that uses this run's plan as the previous plan, with either a file of
    only the new returnees (merged with this run's roster files) or a full new roster."""
    earlier = _done_run_or_404(run_id)
    if request.method == "POST":
        mode = request.form.get("mode")
        if mode not in service.RERUN_MODES:
            flash(_("rerun.choose_mode"), "error")
        else:
            files = _read_uploads()
            if files is not None:
                copies = service.rerun_copies(db.get_db(), current_app.config, run_id, mode,
                                              _("rerun.previous_plan"))
                role = "addition" if mode == "additions" else "roster"
                new_id = _new_run([(role, f) for f in files], kind=mode,
                                  previous_run_id=earlier["id"], copies=copies)
                return redirect(url_for("runs.show", run_id=new_id))
    return render_template("runs/rerun.html", run=earlier)
