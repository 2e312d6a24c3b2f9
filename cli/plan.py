"""``python run.py plan ROSTER ...``: read, solve, check, then write (SPEC section 8).

Nothing is written unless the roster reads cleanly and the independent checker accepts the
plan; a plan that fails the checker is a bug in the planner and is reported as such.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

from cli import base as cli_base
from cli.base import (
    DEFAULT_LANG,
    EXIT_BAD_INPUT,
    EXIT_FAILED,
    EXIT_OK,
    add_lang,
    nsay,
    register,
    say,
)


def _args(p: argparse.ArgumentParser) -> None:
    p.add_argument("roster", nargs="+", metavar="ROSTER",
                   help="the roster workbook, or several files (CSV: one per table)")
    p.add_argument("--previous", metavar="PLAN", help="previous plan (.xlsx or .json): rerun")
    p.add_argument("--out", metavar="PLAN.xlsx", help="write the plan workbook")
    p.add_argument("--json", metavar="PLAN.json", help="write the plan as JSON")
    p.add_argument("--csv", metavar="DIR", help="write one CSV per sheet (UTF-8 with BOM)")
    p.add_argument("--ics", metavar="DIR", help="write one calendar (.ics) per mentor")
    p.add_argument("--documents", metavar="DIR",
                   help="write the documents to sign: a list of assignments per ward (.docx) "
                        "and a zip of one assignment paper per new pair, a folder per ward")
    p.add_argument("--doc-template", metavar="FILE",
                   help="your own .docx template for the assignment papers (placeholders "
                        "as in data/templates/phan_cong.docx; see the README)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a setting (repeatable), e.g. --set mentor_max_km=4")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="solve the independent regions on an existing Dask cluster "
                        "(e.g. tcp://10.0.0.5:8786); default: the local cores")
    p.add_argument("--time-limit", type=float, metavar="S",
                   help="solver time limit per stage in seconds")
    add_lang(p, "messages, workbook, CSV and calendars (the documents to sign are Vietnamese)")
    p.add_argument("--details", action="store_true",
                   help="also print the best value each objective could reach")
    p.add_argument("--quiet", action="store_true", help="no progress bar or progress lines")


def stage_text(stage: str, lang: str) -> str:
    """A progress stage of the planner ("mentors", "visit schedule" …: stable names the
    library reports) in the coordinator's words, from the catalogue (``progress.*``)."""
    from matcher import catalog

    key = "progress." + "_".join(stage.lower().split())
    return catalog.text(key, lang) if catalog.has(key) else stage


def _progress(quiet: bool, lang: str):
    """Progress for the coordinator: a bar on a terminal, otherwise one line per stage
    (on standard error, so a piped summary stays clean); nothing with ``--quiet``."""
    if quiet:
        return None
    if not sys.stderr.isatty():
        seen: set[str] = set()

        def line(fraction: float, message: str) -> None:
            if message not in seen:
                seen.add(message)
                print(say("cli.progress", lang, percent=max(0.0, min(1.0, fraction)),
                          stage=stage_text(message, lang)), file=sys.stderr, flush=True)

        return line
    from tqdm import tqdm

    bar = tqdm(total=100, desc=stage_text("reading roster", lang), unit="%", file=sys.stderr,
               leave=False)

    def update(fraction: float, message: str) -> None:
        bar.set_description(stage_text(message, lang))
        bar.update(max(0, round(fraction * 100) - bar.n))
        if fraction >= 1:
            bar.close()

    return update


def summary_lines(plan, lang: str = DEFAULT_LANG, details: bool = False) -> list[str]:
    """What ``plan`` prints after planning, in ``lang``: the counts, each objective in
    priority order with whether it is proved best (the best reachable value only with
    ``details``), the loans, a rerun's changes and the plan's notes."""
    from matcher import catalog
    from matcher.catalog import millions

    c = plan.counts()
    lines = [
        say("cli.summary.head", lang, returnees=nsay("cli.count.returnees", c["returnees"], lang),
            date=catalog.date(plan.plan_date, lang), with_mentor=c["with_mentor"],
            share=c["with_mentor"] / max(1, c["returnees"]), in_job=c["in_job"],
            in_training=c["in_training"], missing=c["unassigned"]),
        say("cli.summary.time", lang, seconds=plan.solve_seconds),
        say("cli.summary.all_proved" if all(t.optimal for t in plan.tiers.values())
            else "cli.summary.some_not_proved", lang),
        say("cli.summary.objectives", lang),
    ]
    for index, (name, t) in enumerate(plan.tiers.items(), 1):
        lines.append(say("cli.summary.objective", lang, index=index,
                         name=catalog.text("tier." + name, lang),
                         value=catalog.number(t.value, lang),
                         verdict=say("cli.summary.proved" if t.optimal
                                     else "cli.summary.not_proved", lang)))
        if details:
            lines.append(say("cli.summary.best_unknown", lang) if t.bound is None else
                         say("cli.summary.best", lang, value=catalog.number(t.bound, lang)))
    if plan.loans:
        status = Counter(x.status for x in plan.loans)
        lines.append(say("cli.summary.loans", lang,
                         people=nsay("cli.count.people", c["loans"], lang),
                         amount=millions(c["loan_vnd"], lang), funded=status["funded"],
                         granted=status["granted"], left_out=status["left_out"],
                         ineligible=status["ineligible"]))
        if plan.employer_loans:
            top = plan.employer_loans[0]
            lines.append(say("cli.summary.employer_loans", lang, n=len(plan.employer_loans),
                             employer=top.employer, amount=millions(top.amount, lang)))
    if plan.changes:
        items = [say("cli.summary.change", lang, n=v,
                     word=catalog.text("change." + k, lang) if catalog.has("change." + k)
                     else k)
                 for k, v in plan.changes.get("counts", {}).items()]
        lines.append(say("cli.summary.changes", lang, items=", ".join(items)))
    notes = plan.warnings_vi or plan.warnings if lang == "vi" else plan.warnings
    for w in notes[:20]:
        lines.append(say("cli.summary.note", lang, text=getattr(w, "vi", w) if lang == "vi"
                         else w))
    return lines


def _run(args: argparse.Namespace) -> int:
    # Inside the function: reading and solving bring numpy, scipy and ortools, which
    # `run.py --help` and the other commands do not need (see cli.base).
    from matcher.errors import PlanCheckError, RosterError
    from matcher.io.report import format_report
    from matcher.io.sandbox import start_read_roster_bounded

    lang = args.lang
    missing = [f for f in args.roster if not Path(f).is_file()]
    if missing:
        print(say("cli.file_not_found", lang, files=", ".join(missing)), file=sys.stderr)
        return EXIT_BAD_INPUT
    progress = _progress(args.quiet, lang) or (lambda fraction, message: None)
    progress(0.0, "reading roster")
    t0 = time.perf_counter()
    try:
        # the bounded child reads while this process imports the planner (issue 20)
        reading = start_read_roster_bounded(args.roster, set_args=args.set)
        from matcher.check import assert_plan_ok
        from matcher.planner import plan_roster, preload, regions_likely

        large = bool(args.scheduler) or regions_likely(args.roster)
        preload(workbook=bool(args.out), regions=large)
        if not large and cli_base.WHOLE_PROCESS:
            _collect_less()
        # a rerun's previous plan is read while the roster still is (province: 0.16 s
        # of the 2 s the read takes); its problems come after the roster's
        previous = _read_previous(args.previous) if args.previous else None
        roster = reading.result()
    except RosterError as exc:
        progress(1.0, "done")
        print(format_report(exc.issues, lang=lang))
        return EXIT_BAD_INPUT
    read_s = time.perf_counter() - t0
    if args.previous:
        progress(0.02, "reading previous plan")
        if isinstance(previous, RosterError):
            progress(1.0, "done")
            print(format_report(previous.issues, lang=lang))
            return EXIT_BAD_INPUT
        from matcher.io.plan_reader import bind_previous

        previous = bind_previous(previous, roster)

    def planning(fraction: float, message: str) -> None:
        if fraction < 1:  # "done" once the files are written
            progress(fraction, message)

    try:
        plan = plan_roster(roster, progress=planning, time_limit=args.time_limit,
                           previous=previous, scheduler=args.scheduler)
    except (ImportError, OSError) as exc:  # no 'dask' extra, or the cluster cannot be reached
        progress(1.0, "done")
        print(say("cli.dask_failed", lang, address=args.scheduler, error=exc), file=sys.stderr)
        return EXIT_FAILED
    if args.out:  # written by a forked child while the plan is checked (issue 20)
        from matcher.planner import WorkbookJob

        args.workbook_job = WorkbookJob(plan, roster, args.out, args.lang)
    try:
        assert_plan_ok(roster, plan, previous)  # hard rules, require rows, rerun, schedule, tiers
    except PlanCheckError as exc:
        if getattr(args, "workbook_job", None) is not None:
            args.workbook_job.discard()
        progress(1.0, "done")
        print(say("cli.bug", lang), file=sys.stderr)
        for v in exc.violations[:50]:
            print(f"  - {v}", file=sys.stderr)
        return EXIT_FAILED
    progress(0.95, "writing plan")
    written = _write_outputs(plan, roster, args)
    progress(1.0, "done")
    print(say("cli.read", lang, returnees=nsay("cli.count.returnees", len(roster.returnees), lang),
              mentors=nsay("cli.count.mentors", len(roster.mentors), lang),
              jobs=nsay("cli.count.jobs", len(roster.jobs), lang),
              trainings=nsay("cli.count.trainings", len(roster.trainings), lang),
              seconds=read_s, warnings=nsay("cli.count.warnings", len(roster.warnings), lang)))
    for line in summary_lines(plan, lang, details=args.details):
        print(line)
    for path in written:
        print(say("cli.wrote", lang, path=path))
    return EXIT_OK


def _collect_less() -> None:
    """A short command on a small roster: the objects imported so far are set aside from
    the cyclic garbage collector and it runs less often (its passes over the planner's
    many small objects were 4 % of a city plan: 1.22 s -> 1.17 s, for 28 MB more at the
    peak). Large rosters keep the default: their peak memory is what bounds them."""
    import gc

    gc.freeze()
    gc.set_threshold(50_000, 20, 20)


def _read_previous(path: str):
    """The previous plan at ``path``, not yet bound to the new roster; its RosterError
    (returned, not raised: the roster's own problems are reported first)."""
    from matcher.errors import RosterError
    from matcher.io.plan_reader import load_previous

    try:
        return load_previous(Path(path))
    except RosterError as exc:
        return exc


def _write_outputs(plan, roster, args) -> list[str]:
    written = []
    for name in (args.json, args.out):  # a new folder for the outputs is made, not refused
        if name:
            Path(name).parent.mkdir(parents=True, exist_ok=True)
    if args.json:
        Path(args.json).write_text(json.dumps(plan.to_json(), ensure_ascii=False, indent=1),
                                   encoding="utf-8")
        written.append(args.json)
    if args.out:
        from matcher.io.plan_writer import write_plan_workbook

        job = getattr(args, "workbook_job", None)
        if job is not None:  # moved into place now the plan passed the check
            job.commit()
        else:
            write_plan_workbook(plan, roster, args.out, lang=args.lang)
        written.append(args.out)
    if args.csv:
        from matcher.io.plan_writer import write_plan_csv

        Path(args.csv).mkdir(parents=True, exist_ok=True)
        written += [str(p) for p in write_plan_csv(plan, roster, args.csv, lang=args.lang)]
    if args.ics:
        from matcher.ics import write_ics

        Path(args.ics).mkdir(parents=True, exist_ok=True)
        written += [str(p) for p in write_ics(plan, roster, args.ics, lang=args.lang)]
    if args.documents:
        from matcher.io.documents import write_documents

        written += [str(p) for p in write_documents(plan, roster, args.documents,
                                                    template=args.doc_template)]
    return written


register("plan", "plan mentors, jobs, training and visits for a roster", _args, _run)
