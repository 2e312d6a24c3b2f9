"""``python run.py generate --scale ... --out FILE``: a realistic synthetic roster."""

from __future__ import annotations

import argparse
import sys

from cli.base import EXIT_BAD_INPUT, EXIT_OK, add_lang, nsay, register, say


def _args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--scale", choices=("ward", "city", "province", "national"), default="ward")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", required=True, metavar="FILE", help="workbook to write (.xlsx)")
    add_lang(p, "messages, sheet names and headers")


def _run(args: argparse.Namespace) -> int:
    # Inside the function: the generator brings numpy and the gazetteer (see cli.base).
    from matcher.generate import generate

    try:
        counts = generate(args.scale, args.seed, args.out, lang=args.lang)
    except (ValueError, OSError) as exc:
        print(say("cli.error", args.lang, error=exc), file=sys.stderr)
        return EXIT_BAD_INPUT
    summary = ", ".join(nsay("cli.count." + k, v, args.lang) for k, v in (counts or {}).items())
    print(say("cli.generate.wrote", args.lang, path=args.out, counts=summary) if summary
          else say("cli.wrote", args.lang, path=args.out))
    return EXIT_OK


register("generate", "Write a realistic synthetic roster (Vietnamese names, real wards).",
         _args, _run)
