"""``python run.py template --out FILE``: a blank roster to fill in (SPEC §13)."""

from __future__ import annotations

import argparse
import sys

from cli.base import EXIT_FAILED, EXIT_OK, add_lang, register, say


def _args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", required=True, metavar="FILE", help="workbook to write (.xlsx)")
    add_lang(p, "messages, sheet names, headers and instructions")


def _run(args: argparse.Namespace) -> int:
    # Inside the function: the writer brings openpyxl and the gazetteer (see cli.base).
    from matcher.io.template import write_template

    try:
        write_template(args.out, lang=args.lang)
    except OSError as exc:
        print(say("cli.cannot_write", args.lang, error=exc), file=sys.stderr)
        return EXIT_FAILED
    print(say("cli.template.wrote", args.lang, path=args.out))
    return EXIT_OK


register("template", "Write a blank roster to fill in (instructions, drop-down lists).",
         _args, _run)
