"""``python run.py create-user NAME --role admin|coordinator``: an account for the web app,
for scripts and first installs. The password is read from standard input when it is not a
terminal (``echo "$PW" | python run.py create-user ...``), otherwise prompted twice."""

from __future__ import annotations

import argparse
import getpass
import sys

from cli.base import EXIT_BAD_INPUT, EXIT_OK, add_lang, register, say


def _args(p: argparse.ArgumentParser) -> None:
    p.add_argument("name", help="login name")
    p.add_argument("--role", choices=("admin", "coordinator"), default="coordinator")
    add_lang(p)


def _read_password(lang: str) -> str | None:
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass(say("cli.users.password", lang))
    if getpass.getpass(say("cli.users.repeat", lang)) != first:
        print(say("cli.users.differ", lang), file=sys.stderr)
        return None
    return first


def _run(args: argparse.Namespace) -> int:
    # Inside the function: the web app brings Flask and the database layer, which
    # `run.py --help` and the other commands do not need (see cli.base).
    from web import db
    from web.app import create_app
    from web.auth import MIN_PASSWORD_LENGTH, create_user, new_user_problems

    lang = args.lang
    password = _read_password(lang)
    if password is None:
        return EXIT_BAD_INPUT
    app = create_app()
    with app.app_context():
        # the problems in the coordinator's language (create_user says them in English)
        problems = new_user_problems(args.name, args.role, password)
        if not problems and db.user_by_name(db.get_db(), args.name) is not None:
            problems.append("users.name_taken")
        try:
            if not problems:
                create_user(args.name, args.role, password)
        except ValueError as exc:
            problems = [str(exc)]
        if problems:
            error = " ".join(say(p, lang, n=MIN_PASSWORD_LENGTH) if p.startswith("users.")
                             else p for p in problems)
            print(say("cli.users.cannot_create", lang, error=error), file=sys.stderr)
            return EXIT_BAD_INPUT
    print(say("cli.users.created", lang, role=say("role." + args.role, lang), name=args.name))
    return EXIT_OK


register("create-user", "create a web account (password from stdin or a prompt)", _args, _run)
