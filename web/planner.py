"""Adapter between the web app and the ``matcher`` library — the only module that imports it.

Imports are done inside the functions: the web app starts (and its tests run) without
the solver loaded, and the worker process pays for it only when it solves.

Files a run keeps in its folder (written by :func:`run_plan`):
``plan.json`` (SPEC §7), ``plan_vi.xlsx``, ``roster_index.json`` (names and points the
result page and map show), ``report.json`` (the steering committee's figures per ward,
made once here so pages need neither pandas nor the roster) and ``state.pickle`` (roster
and plan, for :func:`alternatives`). ``plan_en.xlsx`` and ``ics/<mentor_id>.ics`` (one
calendar per mentor with visits) are made from ``state.pickle`` on their first download
(:func:`make_output`): at province scale they took 7.5 s of the worker's 24 s (issue 20).
"""

from __future__ import annotations

import dataclasses
import logging
import multiprocessing
import os
import pickle
import re
import shutil
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from web.results import atomic_write_json, summarize

ProgressCallback = Callable[[float, str], None]
log = logging.getLogger(__name__)


def _issue_dict(issue: Any) -> dict[str, Any]:
    return {
        "severity": issue.severity,
        "code": issue.code,
        "sheet": issue.sheet,
        "row": issue.row,
        "column": issue.column,
        "message": {"vi": issue.message("vi"), "en": issue.message("en")},
        "file": getattr(issue, "file", None),  # set when placed in the coordinator's file
    }


def _previous_issue(issue: Any) -> dict[str, Any]:
    """An issue of the earlier plan: its file is one the app made, so the report names it
    "previous plan" (``origin``) rather than by its stored name."""
    return {**_issue_dict(issue), "sheet": None, "origin": "previous_plan"}


def roster_summary(roster: Any) -> dict[str, int]:
    """Counts only (no personal data): safe to keep in the database."""
    return {
        "returnees": len(roster.returnees),
        "mentors": len(roster.mentors),
        "jobs": len(roster.jobs),
        "trainings": len(roster.trainings),
        "pairs": len(roster.pairs),
        "warnings": len(roster.warnings),
    }


def validate(paths: Iterable[Path], lang: str = "vi",
             previous: Path | None = None) -> tuple[bool, list[dict], dict | None]:
    """Read the roster: (ok, every issue as a dict, counts). ``ok`` is False when any
    issue is an error. Each issue's ``message`` holds both languages ({"vi", "en"}) so
    the report can switch language without reading the files again; ``lang`` is the
    language the caller shows first (kept for the adapter's stable signature).
    ``previous`` (a rerun's earlier plan) is read too: ids it names that the new roster
    no longer has are warnings (those pairs end), an unreadable plan is an error."""
    from matcher.errors import RosterError
    from matcher.io.merge import own_places

    paths = list(paths)
    try:
        roster = _read_roster(paths)
    except RosterError as exc:  # a rerun's merged workbook: in the coordinator's own files
        return False, [_issue_dict(i) for i in own_places(exc.issues, paths)], None
    issues = [_issue_dict(i) for i in own_places(roster.warnings, paths)]
    if previous is not None:
        try:
            found = load_previous(Path(previous), roster).issues
        except RosterError as exc:
            return False, issues + [_previous_issue(i) for i in exc.issues], None
        issues += [_previous_issue(i) for i in found]
    ok = not any(i["severity"] == "error" for i in issues)
    return ok, issues, roster_summary(roster)


_UNSAFE_NAME = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')


def reader_file_name(display_name: str, stored_name: str) -> str:
    """The name the reader must see a stored upload under. A CSV file names its table
    (``Người trở về.csv``, ``mentors.csv``): when the coordinator's name does, that name
    (made safe for a file system); any other name stays the generated ``stored_name``,
    so a file name that says something about people never reaches the disk."""
    from matcher.schema import SHEETS
    from matcher.text import header_key

    suffix = Path(stored_name).suffix
    if suffix.lower() != ".csv":
        return stored_name
    stem = _UNSAFE_NAME.sub("_", Path(display_name.replace("\\", "/")).name).strip(" .")
    if stem.lower().endswith(suffix.lower()):
        stem = stem[: -len(suffix)].rstrip(" .")
    key = header_key(stem)
    if stem and len(stem) <= 60 and any(key in sheet.names() for sheet in SHEETS):
        return stem + suffix
    return stored_name


def merge_additions(roster_paths: list[Path], addition_paths: list[Path]) -> list[Path]:
    """The files to read for "rerun with new releases": the earlier run's roster with the
    rows of the new returnees appended to its Returnees table, in ``merged-<hash>.xlsx``
    next to the additions (:func:`matcher.io.merge.merge_new_releases`). Reads untrusted
    files: callers run it in a bounded child (:func:`web.jobs.reader_inputs`)."""
    from matcher.io.merge import merge_new_releases

    return merge_new_releases(roster_paths, addition_paths)


class _Read:
    def __init__(self, roster: Any = None, error: BaseException | None = None):
        self.roster, self.error = roster, error

    def result(self) -> Any:
        if self.error is not None:
            raise self.error
        return self.roster


def _start_read_roster(paths: list[Path]) -> Any:
    """:func:`_read_roster` started: ``.result()`` is the roster (or raises)."""
    from matcher.io.sandbox import start_read_roster_bounded

    if multiprocessing.current_process().daemon:
        try:
            return _Read(_read_roster(paths))
        except Exception as exc:  # noqa: BLE001 - raised again by result()
            return _Read(error=exc)
    return start_read_roster_bounded(list(paths))


def _read_roster(paths: list[Path]) -> Any:
    """The roster, read within memory and time limits. In a process that is itself one of
    the sandbox's bounded children (the web validates uploads inside one, with the upload
    check limits) it is read right here: a daemonic child may not start another, and its
    own limits already hold. Anywhere else (the worker) it is read by
    :func:`matcher.io.sandbox.read_roster_bounded`, whose limits the worker's environment
    sets to the upload check's (:func:`web.jobs.start_worker`)."""
    from matcher.io.sandbox import read_roster_bounded

    if multiprocessing.current_process().daemon:
        from matcher.io.reader import read_roster

        return read_roster(list(paths))
    return read_roster_bounded(list(paths))


def _index(roster: Any) -> dict[str, dict[str, dict[str, Any]]]:
    def point(loc: Any) -> dict[str, Any]:
        return {"ward": loc.ward, "lat": loc.lat, "lon": loc.lon}

    return {
        "returnees": {r.id: {"name": r.full_name, "risk": r.risk, "gender": r.gender,
                             **point(r.location)} for r in roster.returnees},
        "mentors": {m.id: {"name": m.full_name, "phone": m.phone, "capacity": m.capacity,
                           **point(m.location)} for m in roster.mentors},
        "jobs": {j.id: {"name": j.employer, "sector": j.sector, **point(j.location)}
                 for j in roster.jobs},
        "trainings": {t.id: {"name": t.provider, "sector": t.sector, **point(t.location)}
                      for t in roster.trainings},
    }


def load_previous(path: Path, roster: Any = None) -> Any:
    """The earlier run's plan (its ``plan.json``, or a plan workbook with hand-filled
    ``confirmed``/``hired`` columns) as the library's previous plan for ``roster`` (None:
    not yet bound to a roster, :func:`matcher.io.plan_reader.bind_previous`)."""
    from matcher.io.plan_reader import load_previous as library_load_previous

    return library_load_previous(Path(path), roster)


def run_plan(paths: list[Path], out_dir: Path, previous_json_path: Path | None,
             progress_cb: ProgressCallback) -> dict[str, Any]:
    """Solve and write the plan files into ``out_dir``; return the summary (counts only).

    With ``previous_json_path`` (the earlier run's plan) the library solves in rerun mode:
    confirmed pairs stay, other pairs change as little as possible, and the plan's
    ``changes`` says new / kept / changed / ended for every returnee, with reasons."""
    started = time.monotonic()
    progress_cb(0.0, "reading roster")
    reading = _start_read_roster(list(paths))
    # imported while the bounded child reads (issue 20)
    from matcher.check import assert_plan_ok
    from matcher.errors import PlanCheckError
    from matcher.planner import WorkbookJob, plan_roster, preload, regions_likely

    preload(workbook=True, regions=bool(os.environ.get("PLANNER_DASK_SCHEDULER"))
            or regions_likely(paths))
    previous = None
    if previous_json_path is not None:  # read while the roster still is (issue 20)
        previous = load_previous(Path(previous_json_path))
    roster = reading.result()
    # a rerun's merged workbook: the plan's Input warnings name the coordinator's own
    # files and rows, as the validation page does
    from matcher.io.merge import own_places

    roster = dataclasses.replace(roster, warnings=tuple(own_places(roster.warnings, paths)))
    if previous is not None:
        from matcher.io.plan_reader import bind_previous

        progress_cb(0.02, "reading previous plan")
        previous = bind_previous(previous, roster)
    # the same path as `run.py plan`: regions in parallel, on a Dask cluster when the
    # deployment names one (PLANNER_DASK_SCHEDULER, see README)
    plan = plan_roster(roster, previous=previous, progress=progress_cb,
                       scheduler=os.environ.get("PLANNER_DASK_SCHEDULER") or None)
    out_dir = Path(out_dir)
    # the Vietnamese workbook (English: on request) is written by a forked child while
    # the plan is checked and the other files written (issue 20)
    workbook = WorkbookJob(plan, roster, out_dir / "plan_vi.xlsx", "vi")
    try:
        assert_plan_ok(roster, plan, previous)
    except PlanCheckError as exc:  # a solver bug: nothing is written, the run fails
        workbook.discard()
        raise RuntimeError("the computed plan breaks a hard rule (a bug; please report it "
                           f"with the roster): {exc.violations[0]}") from None
    progress_cb(0.95, "writing plan")
    atomic_write_json(out_dir / "roster_index.json", _index(roster))
    _write_report(plan, roster, out_dir)
    with open(out_dir / "state.pickle", "wb") as fh:
        pickle.dump((roster, plan), fh, protocol=pickle.HIGHEST_PROTOCOL)
    try:  # like every workbook, an output the plan does not depend on
        workbook.commit()
    except Exception:  # noqa: BLE001 - logged into worker.log; the page says it is missing
        log.exception("plan workbook (vi) could not be written")
        workbook.discard()
        (out_dir / "plan_vi.xlsx").unlink(missing_ok=True)
    atomic_write_json(out_dir / "plan.json", plan.to_json())  # last: it means complete
    progress_cb(1.0, "done")
    return summarize(plan, seconds=time.monotonic() - started)


def report_data(plan: Any, roster: Any) -> dict[str, Any]:
    """The committee report (:func:`matcher.review.committee_report`) as ``report.json``
    holds it: the column keys, headers and rows in both languages (the last row is the
    total; ``wards`` are the rows' ward keys, :data:`matcher.review.TOTAL` for it), the
    "since" date and the capital pools' names (the loans table names each pool)."""
    from matcher.review import (
        REPORT_COLUMNS,
        TOTAL,
        committee_report,
        report_headers,
        report_rows,
        report_since,
    )

    table = committee_report(roster, plan)
    since = report_since(roster)
    return {
        "since": since.isoformat(),
        "columns": list(REPORT_COLUMNS),
        "total": TOTAL,
        "wards": [str(w) for w in table["ward"]],
        "headers": {lang: report_headers(lang, since) for lang in ("vi", "en")},
        "rows": {lang: report_rows(table, lang) for lang in ("vi", "en")},
        "pools": {p.id: p.name for p in getattr(roster, "loan_pools", ())},
    }


def _write_report(plan: Any, roster: Any, out_dir: Path) -> None:
    """``report.json``; like the workbooks an output the plan does not depend on: a
    failure is logged into worker.log and the report page says the report is missing."""
    try:
        atomic_write_json(out_dir / "report.json", report_data(plan, roster))
    except Exception:  # noqa: BLE001 - an optional output; logged into worker.log
        log.exception("committee report could not be written")
        (out_dir / "report.json").unlink(missing_ok=True)


def _write_workbooks(plan: Any, roster: Any, out_dir: Path,
                     langs: tuple[str, ...] = ("vi", "en")) -> None:
    """``plan_vi.xlsx`` and ``plan_en.xlsx``. The plan itself is complete before these are
    written, so a writer failure costs only the workbook (the result page then offers
    JSON and CSV and says the workbook is missing); the traceback goes to worker.log."""
    try:
        from matcher.io.plan_writer import write_plan_workbook
    except ImportError:  # the workbook writer is still being built: JSON and CSV only
        log.warning("plan workbook writer not available; no .xlsx written")
        return
    for lang in langs:
        path = out_dir / f"plan_{lang}.xlsx"
        try:
            write_plan_workbook(plan, roster, path, lang=lang)
        except Exception:  # noqa: BLE001 - an optional output; logged into worker.log
            log.exception("plan workbook (%s) could not be written", lang)
            path.unlink(missing_ok=True)


def _write_calendars(plan: Any, roster: Any, out_dir: Path,
                     folder: Path | None = None, lang: str = "vi") -> None:
    """One ``ics/<mentor_id>.ics`` per mentor with visits (the result page zips them),
    its words in ``lang``; ``folder``: write them there instead of ``out_dir / "ics"``."""
    folder = folder or out_dir / "ics"
    if not plan.visits:
        return
    try:
        from matcher.ics import write_ics
    except ImportError:  # calendars are optional: the schedule CSV is still offered
        log.warning("calendar writer not available; no .ics written")
        return
    try:
        write_ics(plan, roster, folder, lang=lang)
    except Exception:  # noqa: BLE001 - an optional output; logged into worker.log
        log.exception("visit calendars could not be written")
        shutil.rmtree(folder, ignore_errors=True)


_making = threading.Lock()
# outputs :func:`make_output` makes from state.pickle on request -> their language
# (``ics``: the Vietnamese calendars, ``ics_en``: the English ones)
ON_REQUEST = {"plan_vi.xlsx": "vi", "plan_en.xlsx": "en", "ics": "vi", "ics_en": "en"}


def make_output(run_dir: Path, name: str) -> Path | None:
    """``plan_vi.xlsx``, ``plan_en.xlsx`` or a calendars folder (``ics``, ``ics_en``:
    :data:`ON_REQUEST`) of a finished run, made
    from its ``state.pickle`` on the first request (the worker writes only the Vietnamese
    workbook) and kept; None when the run keeps no state or the output has nothing (no
    visits: no calendars) or its writer failed (logged)."""
    run_dir = Path(run_dir)
    path = run_dir / name
    if name not in ON_REQUEST:
        return None
    with _making:
        if path.exists():  # made before, or by another request meanwhile
            return path
        state = run_dir / "state.pickle"
        if not state.is_file():
            return None
        with open(state, "rb") as fh:
            roster, plan = pickle.load(fh)  # the worker's own file, never user input
        if name.startswith("ics"):
            tmp = run_dir / f"{name}.tmp"
            shutil.rmtree(tmp, ignore_errors=True)
            _write_calendars(plan, roster, tmp, folder=tmp, lang=ON_REQUEST[name])
            if not tmp.is_dir():
                return None
            os.replace(tmp, path)
        else:  # written aside, then moved: a download never sees half a workbook
            tmp = run_dir / "xlsx.tmp"
            tmp.mkdir(exist_ok=True)
            _write_workbooks(plan, roster, tmp, langs=(ON_REQUEST[name],))
            if (tmp / name).is_file():
                os.replace(tmp / name, path)
            shutil.rmtree(tmp, ignore_errors=True)
    return path if path.exists() else None


def alternatives(run_dir: Path, returnee_id: str, k: int = 5) -> list[dict[str, Any]]:
    """Top-k alternative mentors for one returnee of a finished run."""
    from matcher.explain import alternatives as explain_alternatives
    from matcher.solve import build_context

    # state.pickle is written by run_plan above into the app's own instance folder.
    with open(Path(run_dir) / "state.pickle", "rb") as fh:
        roster, plan = pickle.load(fh)  # our own file, never user input
    return explain_alternatives(build_context(roster), plan, returnee_id, k=k)
