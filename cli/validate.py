"""``python run.py validate ROSTER ...``: check a roster and print every input problem
(exit 2 if it cannot be planned)."""

from __future__ import annotations

import argparse
import json

from cli.base import EXIT_BAD_INPUT, EXIT_OK, add_lang, nsay, register, say


def _args(p: argparse.ArgumentParser) -> None:
    p.add_argument("roster", nargs="+", metavar="ROSTER",
                   help="the roster workbook, or several files (CSV: one per table)")
    add_lang(p, "report")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a setting of the Settings sheet (repeatable)")


def _run(args: argparse.Namespace) -> int:
    # Inside the function: the reader brings numpy and the workbook engines, which
    # `run.py --help` and the other commands do not need (see cli.base).
    from matcher.errors import RosterError
    from matcher.io.reader import overrides_from_args
    from matcher.io.report import count_line, format_report
    from matcher.io.sandbox import read_roster_bounded

    roster = None
    try:
        overrides = overrides_from_args(args.set)
        # in a child process with memory and time limits: a hostile file costs that child
        roster = read_roster_bounded(args.roster, overrides=overrides)
        issues = list(roster.warnings)
    except RosterError as exc:
        issues = exc.issues
    ok = roster is not None
    if args.json:
        out = {"ok": ok, "summary": count_line(issues, args.lang),
               "issues": [i.to_dict(args.lang) for i in issues]}
        if roster is not None:
            out["counts"] = _counts(roster)
        print(json.dumps(out, ensure_ascii=False, indent=2))
    else:
        if roster is not None:
            print(_ok_line(roster, args.lang))
            print()
        print(format_report(issues, args.lang))
        if roster is None:
            print(say("cli.validate.blocked", args.lang))
    return EXIT_OK if ok else EXIT_BAD_INPUT


def _counts(roster: object) -> dict[str, int]:
    return {name: len(getattr(roster, name))
            for name in ("returnees", "mentors", "jobs", "trainings", "pairs")}


def _ok_line(roster: object, lang: str) -> str:
    c = _counts(roster)
    return say("cli.validate.ok", lang, **{k: nsay("cli.count." + k, v, lang)
                                           for k, v in c.items()})


register("validate", "Check a roster and print every input problem (exit 2 if it "
         "cannot be planned).", _args, _run)
