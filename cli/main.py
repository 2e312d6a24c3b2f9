"""``python run.py [command] ...``: parse the arguments and run one sub-command (SPEC §8).

With no command the web app starts (:mod:`cli.web`). A coordinator never sees a
traceback: a failure of the tool is one plain line and exit code 1.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Sequence

# the command modules register themselves in COMMANDS on import
from cli import bench, generate, plan, template, users, validate  # noqa: F401
from cli.base import COMMANDS, EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, lang_of, say
from cli.web import start_web
from matcher.text import Bi

__all__ = ["COMMANDS", "EXIT_BAD_INPUT", "EXIT_FAILED", "EXIT_OK", "build_parser", "main"]

# the order of the commands in ``--help``
HELP_ORDER = ("validate", "generate", "bench", "plan", "create-user")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="run.py",
        description="Reintegration mentor & job matching planner. "
                    "Without a command, starts the web app on 127.0.0.1:5000.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    rank = {name: i for i, name in enumerate(HELP_ORDER)}
    for cmd in sorted(COMMANDS.values(), key=lambda c: rank.get(c.name, len(rank))):
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
        print(say("cli.interrupted", lang_of(args)), file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` and closed: not an error
        return EXIT_OK
    except Exception as exc:  # noqa: BLE001 - the tool failed: say so plainly, no traceback
        said = exc.args[0] if exc.args else None  # a Bi speaks the asked language
        print(say("cli.failed", lang_of(args), kind=type(exc).__name__,
                  error=said if isinstance(said, Bi) else exc), file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
