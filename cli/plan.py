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

from cli.base import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, register


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
    p.add_argument("--lang", choices=("vi", "en"), default="vi", help="workbook language")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def _progress(quiet: bool):
    if quiet or not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    bar = tqdm(total=100, desc="planning", unit="%", file=sys.stderr, leave=False)

    def update(fraction: float, message: str) -> None:
        bar.set_description(message)
        bar.update(max(0, round(fraction * 100) - bar.n))
        if fraction >= 1:
            bar.close()

    return update


def _number(x: float) -> str:
    """A tier value: whole numbers with thousands separators, others as they are."""
    return f"{int(x):,}" if float(x).is_integer() else f"{x:g}"


def summary_lines(plan) -> list[str]:
    from matcher import catalog

    c = plan.counts()
    n = max(1, c["returnees"])
    lines = [
        f"Plan for {c['returnees']} returnees, plan date {plan.plan_date:%d/%m/%Y}: "
        f"{c['with_mentor']} with a mentor ({100 * c['with_mentor'] / n:.1f} %), "
        f"{c['in_job']} in jobs, {c['in_training']} in training, "
        f"{c['unassigned']} with something missing.",
        f"Solved in {plan.solve_seconds:.2f} s, status {plan.status}.",
        "Tiers (value / proved bound / optimal):",
    ]
    for name, t in plan.tiers.items():
        desc = catalog.text("tier." + name, "en")
        bound = "—" if t.bound is None else _number(t.bound)
        lines.append(f"  {name:3} {_number(t.value):>13} / {bound:<13} "
                     f"{'proved optimal' if t.optimal else 'not proved'}  {desc}")
    if plan.loans:
        from matcher.text import millions

        status = Counter(x.status for x in plan.loans)
        lines.append(
            f"Loans: {c['loans']} people, {millions(c['loan_vnd'])} "
            f"({status['funded']} referred now, {status['granted']} granted before); "
            f"{status['left_out']} left out for lack of capital, {status['ineligible']} "
            "not eligible.")
        if plan.employer_loans:
            lines.append(f"Employers who may borrow per worker: {len(plan.employer_loans)} "
                         f"(largest: {plan.employer_loans[0].employer}, "
                         f"{millions(plan.employer_loans[0].amount)}).")
    if plan.changes:
        ch = plan.changes.get("counts", {})
        lines.append("Changes: " + ", ".join(f"{k} {v}" for k, v in ch.items()))
    for w in plan.warnings[:20]:
        lines.append(f"Note: {w}")
    return lines


def _run(args: argparse.Namespace) -> int:
    # Inside the function: reading and solving bring numpy, scipy and ortools, which
    # `run.py --help` and the other commands do not need (see cli.base).
    from matcher.errors import PlanCheckError, RosterError
    from matcher.io.reader import overrides_from_args
    from matcher.io.report import format_report
    from matcher.io.sandbox import start_read_roster_bounded

    missing = [f for f in args.roster if not Path(f).is_file()]
    if missing:
        print("File not found: " + ", ".join(missing), file=sys.stderr)
        return EXIT_BAD_INPUT
    t0 = time.perf_counter()
    try:
        # the bounded child reads while this process imports the planner (issue 20)
        reading = start_read_roster_bounded(args.roster,
                                            overrides=overrides_from_args(args.set))
        from matcher.check import assert_plan_ok
        from matcher.planner import plan_roster, preload

        preload(workbook=bool(args.out))
        roster = reading.result()
    except RosterError as exc:
        print(format_report(exc.issues, lang="en"))
        return EXIT_BAD_INPUT
    read_s = time.perf_counter() - t0
    previous = None
    if args.previous:
        try:
            from matcher.io.plan_reader import load_previous

            previous = load_previous(Path(args.previous), roster)
        except ImportError:
            print("Reruns (--previous) are not available in this version.", file=sys.stderr)
            return EXIT_FAILED
        except RosterError as exc:
            print(format_report(exc.issues, lang="en"))
            return EXIT_BAD_INPUT
    try:
        plan = plan_roster(roster, progress=_progress(args.quiet), time_limit=args.time_limit,
                           previous=previous, scheduler=args.scheduler)
    except (ImportError, OSError) as exc:  # no 'dask' extra, or the cluster cannot be reached
        print(f"Could not plan on the Dask cluster {args.scheduler}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    try:
        assert_plan_ok(roster, plan, previous)  # hard rules, require rows, rerun, schedule, tiers
    except PlanCheckError as exc:
        print("BUG: the computed plan breaks a hard rule, so nothing was written. Please "
              "report this with the roster:", file=sys.stderr)
        for v in exc.violations[:50]:
            print(f"  - {v}", file=sys.stderr)
        return EXIT_FAILED
    written = _write_outputs(plan, roster, args)
    print(f"Read {len(roster.returnees)} returnees, {len(roster.mentors)} mentors, "
          f"{len(roster.jobs)} openings, {len(roster.trainings)} courses in {read_s:.2f} s "
          f"({len(roster.warnings)} warnings).")
    for line in summary_lines(plan):
        print(line)
    for path in written:
        print(f"Wrote {path}")
    return EXIT_OK


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

        write_plan_workbook(plan, roster, args.out, lang=args.lang)
        written.append(args.out)
    if args.csv:
        from matcher.io.plan_writer import write_plan_csv

        Path(args.csv).mkdir(parents=True, exist_ok=True)
        written += [str(p) for p in write_plan_csv(plan, roster, args.csv, lang=args.lang)]
    if args.ics:
        from matcher.ics import write_ics

        Path(args.ics).mkdir(parents=True, exist_ok=True)
        written += [str(p) for p in write_ics(plan, roster, args.ics)]
    if args.documents:
        from matcher.io.documents import write_documents

        written += [str(p) for p in write_documents(plan, roster, args.documents,
                                                    template=args.doc_template)]
    return written


register("plan", "plan mentors, jobs, training and visits for a roster", _args, _run)
