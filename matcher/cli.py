"""Command line: ``python run.py [command] ...`` (SPEC §8).

With no command the web app starts. Each sub-command is a :class:`Command` in the
``COMMANDS`` table: a name, a one-line help, a function adding its arguments and a
function running it that returns the exit code. To add one, write the two functions and
call :func:`register` (or use the :func:`command` decorator) at the bottom of this
module. Exit codes: 0 success, 1 failure of the tool itself, 2 bad input (the full
input report is printed). A coordinator never sees a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    configure: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


COMMANDS: dict[str, Command] = {}


def register(name: str, help: str, configure: Callable[[argparse.ArgumentParser], None],
             run: Callable[[argparse.Namespace], int]) -> Command:
    """Add a sub-command (a later registration of the same name replaces it)."""
    cmd = Command(name, help, configure, run)
    COMMANDS[name] = cmd
    return cmd


def command(name: str, help: str, configure: Callable[[argparse.ArgumentParser], None]
            ) -> Callable[[Callable[[argparse.Namespace], int]],
                          Callable[[argparse.Namespace], int]]:
    """Decorator form of :func:`register`."""
    def deco(run: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
        register(name, help, configure, run)
        return run
    return deco


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="run.py",
        description="Reintegration mentor & job matching planner. "
                    "Without a command, starts the web app on 127.0.0.1:5000.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for cmd in COMMANDS.values():
        p = sub.add_parser(cmd.name, help=cmd.help, description=cmd.help)
        cmd.configure(p)
        p.set_defaults(_run=cmd.run)
    return parser


def _utf8_console() -> None:
    """Vietnamese text must never crash a console that cannot show it."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            with contextlib.suppress(ValueError, OSError):
                reconfigure(errors="replace")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    _utf8_console()
    args_list = list(sys.argv[1:] if argv is None else argv)
    if not args_list:
        return start_web()
    parser = build_parser()
    try:
        args = parser.parse_args(args_list)
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2)
        return int(exc.code) if isinstance(exc.code, int) else EXIT_BAD_INPUT
    if getattr(args, "_run", None) is None:
        parser.print_help()
        return EXIT_BAD_INPUT
    try:
        code = args._run(args)
        return EXIT_OK if code is None else int(code)
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` and closed: not an error
        return EXIT_OK
    except Exception as exc:  # noqa: BLE001 - the tool failed: say so plainly, no traceback
        print(f"Error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_FAILED


def start_web() -> int:
    """``python run.py`` with no arguments: the web app on 127.0.0.1:5000."""
    try:
        found = importlib.util.find_spec("web.app") is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        print("web app not installed yet", file=sys.stderr)
        return EXIT_FAILED
    import web.app as web_app

    serve = getattr(web_app, "serve", None)
    if serve is not None:
        serve(host="127.0.0.1", port=5000)
        return EXIT_OK
    create_app = getattr(web_app, "create_app", None)
    if create_app is None:
        print("web app not installed yet", file=sys.stderr)
        return EXIT_FAILED
    from waitress import serve as waitress_serve

    print("Serving on http://127.0.0.1:5000", file=sys.stderr)
    waitress_serve(create_app(), host="127.0.0.1", port=5000)
    return EXIT_OK


# --------------------------------------------------------------------------------------
# validate


def _validate_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("roster", nargs="+", metavar="ROSTER",
                   help="the roster workbook, or several files (CSV: one per table)")
    p.add_argument("--lang", choices=("en", "vi"), default="en", help="report language")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a setting of the Settings sheet (repeatable)")


def _validate(args: argparse.Namespace) -> int:
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
            print("The roster cannot be planned until the errors are fixed." if args.lang != "vi"
                  else "Chưa lập được kế hoạch cho tới khi sửa hết các lỗi.")
    return EXIT_OK if ok else EXIT_BAD_INPUT


def _counts(roster: object) -> dict[str, int]:
    return {name: len(getattr(roster, name))
            for name in ("returnees", "mentors", "jobs", "trainings", "pairs")}


def _ok_line(roster: object, lang: str) -> str:
    c = _counts(roster)
    if lang == "vi":
        return (f"Danh sách hợp lệ: {c['returnees']} người trở về, {c['mentors']} cựu chiến "
                f"binh, {c['jobs']} việc làm, {c['trainings']} khóa học nghề, "
                f"{c['pairs']} cặp chỉ định.")
    return (f"Roster OK: {c['returnees']} returnees, {c['mentors']} mentors, {c['jobs']} job "
            f"openings, {c['trainings']} training courses, {c['pairs']} pair rules.")


register("validate", "Check a roster and print every input problem (exit 2 if it "
         "cannot be planned).", _validate_args, _validate)


# --------------------------------------------------------------------------------------
# generate


def _generate_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--scale", choices=("ward", "city", "province", "national"), default="ward")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", required=True, metavar="FILE", help="workbook to write (.xlsx)")
    p.add_argument("--lang", choices=("en", "vi"), default="en",
                   help="language of sheet names and headers")


def _generate(args: argparse.Namespace) -> int:
    from matcher.generate import generate

    try:
        counts = generate(args.scale, args.seed, args.out, lang=args.lang)
    except (ValueError, OSError) as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    summary = ", ".join(f"{v} {k}" for k, v in (counts or {}).items())
    print(f"Wrote {args.out}" + (f": {summary}" if summary else ""))
    return EXIT_OK


register("generate", "Write a realistic synthetic roster (Vietnamese names, real wards).",
         _generate_args, _generate)


# sub-commands defined in their own modules register themselves on import
from matcher import cli_bench, cli_plan, cli_users  # noqa: E402,F401

if __name__ == "__main__":
    sys.exit(main())
