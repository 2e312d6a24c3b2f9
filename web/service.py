"""What the run pages do, without HTTP: store and validate a run's files, start, cancel
and delete it, build its checked roster and downloads, find alternatives.

Functions take plain arguments — the app's ``config`` mapping, a database connection, a
run id or row, the language — and return data or raise :class:`NotFound`. Reading
uploaded files goes through ``runner`` (``web.runs.bounded``: a child process with the
upload check limits); the views in :mod:`web.runs` hold the check slots, write the audit
log and flash messages.
"""

from __future__ import annotations

import importlib
import io
import logging
import os
import shutil
import traceback
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

from web import annotate, db, jobs, results, uploads
from web.i18n import _
from web.mapsvg import render_map

log = logging.getLogger("web.runs")

Runner = Callable[..., Any]  # runner(fn, *args): fn(*args) in a bounded child process

# issues that mean the files could not be read: no checked copy can be made of them
UNREAD_CODES = frozenset({"unreadable_file", "sheet_too_large", "file_too_large",
                          "unsafe_xml", "read_limit", "missing_file", "internal"})

# download kind -> (file in the run folder or None when built on request, the catalogue
# key of its download name, mimetype). Names are ASCII in the page's language
# (ke-hoach-1.xlsx, plan-1-en.xlsx): every browser keeps them as they are.
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOWNLOADS = {
    "xlsx-vi": ("plan_vi.xlsx", "file.plan_vi", XLSX),
    "xlsx-en": ("plan_en.xlsx", "file.plan_en", XLSX),
    "json": ("plan.json", "file.plan_json", "application/json"),
    "schedule-csv": (None, "file.schedule_csv", "text/csv"),
    "schedules-zip": (None, "file.schedules_zip", "application/zip"),
    "ics-zip": (None, "file.ics_zip", "application/zip"),
}
RERUN_MODES = ("additions", "full")


class CheckBusy(Exception):
    """No free slot to read uploaded files."""


class NotFound(LookupError):
    """What was asked for does not exist (the page answers 404)."""


def planner(config: Mapping[str, Any]) -> ModuleType:
    """The planner adapter (``web.planner`` unless configured otherwise)."""
    return importlib.import_module(config["PLANNER"])


def run_dir(config: Mapping[str, Any], run_id: int) -> Path:
    return jobs.run_dir(config, run_id)


def log_failure(what: str, exc: BaseException) -> None:
    """Log where an error happened without its message (it may quote roster cells)."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = " <- ".join(f"{Path(f.filename).name}:{f.lineno}:{f.name}" for f in frames[::-1][:6])
    log.error("%s failed: %s at %s", what, type(exc).__name__, where)


def _file_rows(conn, run_id: int) -> list[dict[str, Any]]:
    return [dict(row) for row in db.run_files(conn, run_id)]


def _child_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """The part of the config a bounded child needs (it must not touch the database)."""
    return {"UPLOAD_FOLDER": config["UPLOAD_FOLDER"]}


# --- a new run ----------------------------------------------------------------------

def store_run(conn, config: Mapping[str, Any], user_id: int,
              files: Iterable[tuple[str, uploads.Upload]], *, kind: str,
              previous_run_id: int | None = None,
              copies: Iterable[tuple[str, Path, str]] = ()) -> int:
    """Create a run and store its files under generated names; return its id.
    ``files``: (role, checked upload); ``copies``: (role, path, display name) of files
    taken over from an earlier run. On a disk error nothing is left behind."""
    run_id = db.create_run(conn, user_id, kind=kind, previous_run_id=previous_run_id)
    inputs = run_dir(config, run_id) / "inputs"
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
        shutil.rmtree(run_dir(config, run_id), ignore_errors=True)
        db.delete_run(conn, run_id)
        raise
    return run_id


def rerun_copies(conn, config: Mapping[str, Any], run_id: int, mode: str,
                 previous_label: str) -> list[tuple[str, Path, str]]:
    """The files a rerun of ``run_id`` takes over: its plan as the previous plan and, for
    ``mode == "additions"``, its roster files (the new returnees are merged into them)
    and the new releases it had itself (merged again, so a rerun of a rerun keeps them;
    each file's problems are still reported in that file)."""
    earlier = run_dir(config, run_id)
    copies = [("previous_plan", earlier / "plan.json", previous_label)]
    if mode == "additions":
        copies += [(row["role"], earlier / "inputs" / row["stored_name"], row["display_name"])
                   for row in db.run_files(conn, run_id)
                   if row["role"] in ("roster", "addition")]
    return copies


def validate_run(conn, config: Mapping[str, Any], run_id: int, lang: str,
                 runner: Runner) -> None:
    """Read the run's files in a bounded child process and store the report beside them
    (``validation.json``): pages show it without reading the files again."""
    adapter = planner(config)
    files = _file_rows(conn, run_id)
    try:
        ok, issues, roster = runner(_check_files, _child_config(config), run_id, files,
                                    config["PLANNER"], lang)
    except Exception as exc:  # noqa: BLE001 - never a traceback for the coordinator
        ok, roster = False, None
        issues = _failure_issues(run_id, files, exc)
    ok = ok and not any(i.get("severity") == "error" for i in issues)
    issues = with_display_names(issues, jobs.reader_names(conn, run_id, adapter))
    readable = not any(i.get("code") in UNREAD_CODES for i in issues
                       if i.get("severity") == "error")
    results.atomic_write_json(run_dir(config, run_id) / "validation.json",
                              {"ok": ok, "issues": issues, "roster": roster,
                               "readable": readable})
    db.set_validation(conn, run_id, ok=ok, roster=roster)


def _failure_issues(run_id: int, files: list[dict], exc: Exception) -> list[dict]:
    """The report's one issue when the check itself stopped: a limit, or a bug."""
    from matcher.io.sandbox import LimitExceeded

    if isinstance(exc, LimitExceeded):
        log.warning("validation of run %s stopped: %s", run_id, exc)
        shown = [f["display_name"] for f in files if f["role"] in ("roster", "addition")]
        issue = exc.issue(", ".join(shown) or None)
        return [{"severity": "error", "code": issue.code, "sheet": issue.sheet, "row": None,
                 "column": None,
                 "message": {lang: issue.message(lang) for lang in ("vi", "en")}}]
    log_failure(f"validation of run {run_id}", exc)
    return [{"severity": "error", "code": "internal", "sheet": None, "row": None,
             "column": None,
             "message": {lang: _("validate.internal", lang=lang) for lang in ("vi", "en")}}]


def _check_files(config: dict, run_id: int, files: list[dict], planner_name: str,
                 lang: str) -> tuple[bool, list[dict], dict | None]:
    """In the bounded child: merge new releases into the roster if asked, then validate."""
    adapter = importlib.import_module(planner_name)
    paths, previous = jobs.reader_inputs(files, config, run_id, planner_name)
    if previous is None:
        return adapter.validate(paths, lang)
    return adapter.validate(paths, lang, previous=previous)


def with_display_names(issues: list[dict], names: dict[str, str]) -> list[dict]:
    """Issues that quote or name a stored file (``roster-3f2a….xlsx``) quote and name the
    coordinator's own file instead."""
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

    return [{**i, "sheet": fix(i.get("sheet")), "message": fix(i.get("message")),
             **({"file": names.get(i["file"], fix(i["file"]))} if i.get("file") else {})}
            for i in issues]


# --- the validation report ----------------------------------------------------------

def report(config: Mapping[str, Any], run_id: int) -> dict[str, Any]:
    path = run_dir(config, run_id) / "validation.json"
    return results.read_json(path) if path.exists() else {"ok": False, "issues": []}


WARNING_PAGE_SIZE = 20


def _issue_row(issue: dict, lang: str) -> dict[str, Any]:
    """One row of the report. An issue placed in one of the coordinator's files (a
    rerun's roster or new releases) is shown as "file › sheet" (a CSV file's sheet is the
    file)."""
    sheet = issue.get("sheet") or ""
    file = issue.get("file") or ""
    if file and sheet and sheet != file:
        sheet = f"{file} › {sheet}"
    sheet = sheet or file
    if issue.get("origin") == "previous_plan":
        sheet = _("report.previous_plan", lang=lang)
    return {"severity": issue.get("severity") or "", "code": str(issue.get("code") or ""),
            "sheet": sheet or _("report.whole_file", lang=lang), "file": file,
            "row": issue.get("row") or "", "column": issue.get("column") or "",
            "text": results.pick(issue.get("message"), lang)}


def _by_row(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows of the report by sheet (in the order the report first names them), then by
    row number."""
    sheets: dict[str, int] = {}
    for r in rows:
        sheets.setdefault(r["sheet"], len(sheets))
    return sorted(rows, key=lambda r: (sheets[r["sheet"]],
                                       r["row"] if isinstance(r["row"], int) else 0))


def report_view(issues: list[dict], lang: str) -> dict[str, Any]:
    """The validation page's content: every error as (sheet, rows), problems of a whole
    file first, then the warnings grouped by kind (issue code), most frequent first, each
    with its count and its first page of rows (:func:`warning_page` gives the others)."""
    rows = [_issue_row(i, lang) for i in issues]
    errors: dict[str, list[dict]] = {}
    for issue, row in zip(issues, rows, strict=True):  # problems of the whole file first
        if row["severity"] == "error":
            errors.setdefault(row["sheet"], []).append({**row, "whole": not issue.get("sheet")})
    error_groups = sorted(((sheet, _by_row(items))
                           for sheet, items in errors.items()),
                          key=lambda kv: (not kv[1][0]["whole"], kv[0]))
    by_code: dict[str, list[dict]] = {}
    for r in rows:
        if r["severity"] != "error":
            by_code.setdefault(r["code"], []).append(r)
    kinds = []
    for code, items in sorted(by_code.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        items = _by_row(items)
        kinds.append({"code": code, "count": len(items),
                      "label": _("issue." + code, lang=lang, default=items[0]["text"]),
                      "page": results.page_of("warnings", items, size=WARNING_PAGE_SIZE)})
    return {"errors": error_groups, "kinds": kinds}


def warning_page(issues: list[dict], lang: str, code: str, *, q: str = "",
                 page: int = 1) -> results.Page:
    """One page of the warnings of kind ``code`` (NotFound when there are none)."""
    items = _by_row([r for r in (_issue_row(i, lang) for i in issues)
                     if r["severity"] != "error" and r["code"] == code])
    if not items:
        raise NotFound(code)
    return results.page_of("warnings", items, q=q, page=page, size=WARNING_PAGE_SIZE)


def count_issues(issues: list[dict]) -> tuple[int, int]:
    """(errors, warnings)."""
    errors = sum(1 for i in issues if i.get("severity") == "error")
    return errors, len(issues) - errors


def stored_checked(config: Mapping[str, Any], run_id: int,
                   lang: str) -> tuple[Path, str] | None:
    """The checked roster already made for ``lang``: (path, "xlsx" or "zip")."""
    folder = run_dir(config, run_id) / "checked"
    for kind in ("xlsx", "zip"):
        path = folder / f"{lang}.{kind}"
        if path.is_file():
            return path, kind
    return None


def can_make_checked(config: Mapping[str, Any], run_id: int, lang: str,
                     rep: dict[str, Any]) -> bool:
    """Whether a checked roster may be made: the files could be read and no earlier
    attempt in this language failed (a file is never read twice for it)."""
    failed = run_dir(config, run_id) / "checked" / f"{lang}.failed"
    return bool(rep.get("readable", True)) and not failed.exists()


def make_checked(conn, config: Mapping[str, Any], run_id: int, lang: str,
                 issues: list[dict], labels: dict[str, str],
                 runner: Runner) -> tuple[Path, str] | None:
    """Make and keep the checked roster for ``lang`` (every issue of the report marked on
    its cell) in a bounded child; None (and a ``.failed`` mark) when it cannot be made."""
    folder = run_dir(config, run_id) / "checked"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        data, kind = runner(_annotate_files, _child_config(config), run_id,
                            _file_rows(conn, run_id), config["PLANNER"], issues, lang, labels)
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
    """In the bounded child: the checked copy of the files the coordinator uploaded (a
    rerun's roster and new releases each as itself, never the merge the reader read),
    those with a problem marked: one workbook, or a zip of them under the coordinator's
    own names."""
    inputs = run_dir(config, run_id) / "inputs"
    own = sorted((f for f in files if f["role"] in ("roster", "addition")),
                 key=lambda f: f["role"] != "roster")
    return annotate.annotated_download([inputs / f["stored_name"] for f in own], issues,
                                       lang, labels,
                                       names=[f["display_name"] for f in own])


# --- solving ------------------------------------------------------------------------

def start_run(conn, config: Mapping[str, Any], run_id: int) -> bool:
    """Queue the run and start its worker; False when the run cannot start (not valid,
    or already running). A worker that cannot be started fails the run."""
    if not db.queue_run(conn, run_id):
        return False
    jobs.clear_outputs(run_dir(config, run_id))
    try:
        jobs.start_worker(config, conn, run_id)
    except OSError as exc:
        log_failure(f"starting run {run_id}", exc)
        db.finish_run(conn, run_id, "failed", error=type(exc).__name__)
    return True


def cancel_run(conn, run) -> bool:
    """Cancel an active run and stop its worker; False when it was not active."""
    if not db.finish_run(conn, run["id"], "cancelled"):
        return False
    jobs.stop_worker(run)
    return True


def delete_run(conn, config: Mapping[str, Any], run) -> None:
    """Stop the run's worker if it runs, then remove its folder and its rows."""
    cancel_run(conn, run)
    results.forget(run_dir(config, run["id"]))
    shutil.rmtree(run_dir(config, run["id"]), ignore_errors=True)
    db.delete_run(conn, run["id"])


def live_run(conn, run):
    """The run row, marked failed first if its worker has died."""
    if jobs.fail_if_orphaned(conn, run):
        return db.get_run(conn, run["id"])
    return run


# --- results ------------------------------------------------------------------------

def has_plan(config: Mapping[str, Any], run) -> bool:
    return run["status"] == "done" and (run_dir(config, run["id"]) / "plan.json").is_file()


def result_page(config: Mapping[str, Any], run_id: int,
                lang: str) -> tuple[results.Result, set[str]]:
    """The result page's content and the download kinds it offers."""
    directory = run_dir(config, run_id)
    res = results.cached_result(directory, lang)
    available = {kind for kind, (name, _n, _m) in DOWNLOADS.items()
                 if name and (directory / name).is_file()}
    if res.plan.visits:
        available |= {"schedule-csv", "schedules-zip"}
    if results.ics_files(directory):
        available.add("ics-zip")
    if hasattr(planner(config), "make_output") and (directory / "state.pickle").is_file():
        available.add("xlsx-en")  # made on the first download (issue 20)
        if res.plan.visits:
            available.add("ics-zip")
    return res, available


def _made(config: Mapping[str, Any], directory: Path, name: str) -> None:
    """Make an output the planner makes on request (``make_output``: the English
    workbook, the calendars) when it is not there yet; a failure is logged."""
    make = getattr(planner(config), "make_output", None)
    if make is not None:
        try:
            make(directory, name)
        except Exception as exc:  # noqa: BLE001 - the download is then missing
            log_failure("making " + name, exc)


def result_map(res: results.Result, max_lines: int) -> Any:
    """The result's map (inline SVG), drawn once per loaded result."""
    drawn = res.__dict__.setdefault("_maps", {})
    if max_lines not in drawn:
        drawn[max_lines] = render_map(res.map_source(), max_lines=max_lines)
    return drawn[max_lines]


def table_page(config: Mapping[str, Any], run_id: int, lang: str, name: str, *,
               q: str = "", ward: str = "", page: int = 1) -> results.Page:
    """One page of a finished run's result table ``name``, searched and filtered;
    NotFound for a table the result page does not have."""
    if name not in results.TABLES:
        raise NotFound(name)
    res = results.cached_result(run_dir(config, run_id), lang)
    return results.table_page(res, name, q=q, ward=ward, page=page)


def plan_returnee(config: Mapping[str, Any], run_id: int, row: int) -> str:
    """The returnee id on row ``row`` of the assignments table (a row number, not the id,
    is what URLs carry); NotFound for a row that does not exist."""
    plan = results.load_plan(run_dir(config, run_id))
    if not 0 <= row < len(plan.assignments):
        raise NotFound(row)
    return plan.assignments[row].returnee_id


def alternatives(config: Mapping[str, Any], run_id: int, returnee_id: str,
                 lang: str) -> list[dict[str, Any]]:
    """The top-5 other mentors for one returnee of a finished run, in ``lang``, each with
    the mentor's name; the planner's own errors propagate."""
    directory = run_dir(config, run_id)
    found = planner(config).alternatives(directory, returnee_id)
    mentors = results.load_index(directory).get("mentors", {})
    out = []
    for alt in found:
        alt = {k: results.field_text(alt, k, lang) for k in alt if not k.endswith("_vi")}
        alt.setdefault("full_name", mentors.get(alt.get("mentor_id"), {}).get("name", ""))
        out.append(alt)
    return out


def download(config: Mapping[str, Any], run_id: int, kind: str,
             lang: str | None = None) -> tuple[Path | io.BytesIO, str, str]:
    """(file or bytes, download name in ``lang``, mimetype) of a finished run's download
    ``kind``; NotFound for an unknown kind or a file the run does not have."""
    if kind not in DOWNLOADS:
        raise NotFound(kind)
    name, download_name, mimetype = DOWNLOADS[kind]
    directory = run_dir(config, run_id)
    if name is not None:
        if not (directory / name).is_file():
            _made(config, directory, name)
        if not (directory / name).is_file():
            raise NotFound(kind)
        body: Path | io.BytesIO = directory / name
    elif kind == "schedule-csv":
        body = io.BytesIO(results.schedule_csv(directory))
    elif kind == "schedules-zip":
        body = io.BytesIO(results.schedules_zip(directory, lang))
    else:  # the calendars in the page's language, made on the first download
        ics_lang = "en" if lang == "en" else "vi"
        if not results.ics_files(directory, ics_lang):
            _made(config, directory, results.ics_folder(ics_lang))
        if not results.ics_files(directory, ics_lang):
            ics_lang = "vi"  # a run whose planner writes only the Vietnamese ones
        if not results.ics_files(directory, ics_lang):
            raise NotFound(kind)
        body = io.BytesIO(results.ics_zip(directory, ics_lang))
    return body, _(download_name, lang=lang, id=str(run_id)), mimetype
