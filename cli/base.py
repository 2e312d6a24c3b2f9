"""The exit codes and the table of sub-commands, imported by every command module.

Each sub-command is a :class:`Command` in ``COMMANDS``: a name, a one-line help, a
function adding its arguments and a function running it that returns the exit code. To
add one, write a module with the two functions, call :func:`register` (or use the
:func:`command` decorator) at its bottom and import it in :mod:`cli.main`. Exit codes: 0
success, 1 failure of the tool itself, 2 bad input (the full input report is printed).

Language: every command speaks Vietnamese unless ``--lang en`` is given (:func:`add_lang`);
what it prints comes from the message catalogue (:func:`say`, :mod:`matcher.catalog`).

Start-up: ``python run.py --help`` imports every command module, so a command module
imports only the standard library at its top; the library and the heavy packages it
pulls in (numpy, scipy, ortools, pandas, flask) are imported inside the command's run
function, where only the command that runs pays for them. Measured (whole process,
median of 5): ``python run.py --help`` 0.07 s and 14 MB; with the commands' stacks
imported at the top (solver, checker, reader, writers, generator, web app, pandas) 1.7 s
and 156 MB, and ``validate`` would pay for the solver and Flask it never uses.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
DEFAULT_LANG = "vi"  # matcher.catalog.DEFAULT_LANG, without importing the library here
# True when a command is the whole process (run.py), not called inside another program
# (the tests, a script): a command may then tune the process for its own run
WHOLE_PROCESS = False


def add_lang(p: argparse.ArgumentParser, what: str = "messages") -> None:
    """The ``--lang`` option every command has: Vietnamese unless ``--lang en``."""
    p.add_argument("--lang", choices=("vi", "en"), default=DEFAULT_LANG,
                   help=f"language of the {what}: vi (default, tiếng Việt) or en")


def say(key: str, lang: str | None, /, **params: Any) -> str:
    """The catalogue's message ``key`` in ``lang`` (the catalogue is imported on first use:
    ``run.py --help`` does not pay for it)."""
    from matcher import catalog

    return catalog.text(key, lang, **params)


def nsay(key: str, n: int, lang: str | None, /, **params: Any) -> str:
    """A message whose words follow the count ``n`` ("1 mentor", "19 mentors")."""
    from matcher import catalog

    return catalog.ntext(key, n, lang, **params)


def lang_of(args: argparse.Namespace) -> str:
    return getattr(args, "lang", None) or DEFAULT_LANG


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
