"""``python run.py create-user NAME --role admin|coordinator``: an account for the web app,
for scripts and first installs. The password is read from standard input when it is not a
terminal (``echo "$PW" | python run.py create-user ...``), otherwise prompted twice."""

from __future__ import annotations

import argparse
import getpass
import sys

from cli.base import EXIT_BAD_INPUT, EXIT_OK, register


def _args(p: argparse.ArgumentParser) -> None:
    p.add_argument("name", help="login name")
    p.add_argument("--role", choices=("admin", "coordinator"), default="coordinator")


def _read_password() -> str | None:
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Repeat password: ") != first:
        print("The passwords differ.", file=sys.stderr)
        return None
    return first


def _run(args: argparse.Namespace) -> int:
    # Inside the function: the web app brings Flask and the database layer, which
    # `run.py --help` and the other commands do not need (see cli.base).
    from web.app import create_app
    from web.auth import create_user

    password = _read_password()
    if password is None:
        return EXIT_BAD_INPUT
    app = create_app()
    with app.app_context():
        try:
            create_user(args.name, args.role, password)
        except ValueError as exc:
            print(f"Cannot create the account: {exc}", file=sys.stderr)
            return EXIT_BAD_INPUT
    print(f"Created {args.role} '{args.name}'.")
    return EXIT_OK


register("create-user", "create a web account (password from stdin or a prompt)", _args, _run)
