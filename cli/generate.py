"""``python run.py generate --scale ... --out FILE``: a realistic synthetic roster."""

from __future__ import annotations

import argparse
import sys

from cli.base import EXIT_BAD_INPUT, EXIT_OK, register


def _args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--scale", choices=("ward", "city", "province", "national"), default="ward")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", required=True, metavar="FILE", help="workbook to write (.xlsx)")
    p.add_argument("--lang", choices=("en", "vi"), default="en",
                   help="language of sheet names and headers")


def _run(args: argparse.Namespace) -> int:
    # Inside the function: the generator brings numpy and the gazetteer (see cli.base).
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
         _args, _run)
