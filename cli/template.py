"""``python run.py template --out FILE``: a blank roster to fill in (SPEC §13)."""

from __future__ import annotations

import argparse
import sys

from cli.base import EXIT_FAILED, EXIT_OK, register


def _args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", required=True, metavar="FILE", help="workbook to write (.xlsx)")
    p.add_argument("--lang", choices=("vi", "en"), default="vi",
                   help="language of sheet names, headers and instructions (default vi)")


def _run(args: argparse.Namespace) -> int:
    # Inside the function: the writer brings openpyxl and the gazetteer (see cli.base).
    from matcher.io.template import write_template

    try:
        write_template(args.out, lang=args.lang)
    except OSError as exc:
        print(("Không ghi được tệp: " if args.lang == "vi" else "Cannot write the file: ")
              + str(exc), file=sys.stderr)
        return EXIT_FAILED
    print(f"Đã ghi tệp mẫu {args.out}" if args.lang == "vi"
          else f"Wrote the blank roster {args.out}")
    return EXIT_OK


register("template", "Write a blank roster to fill in (instructions, drop-down lists).",
         _args, _run)
