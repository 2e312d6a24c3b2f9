"""``python run.py bench``: the planner against a greedy baseline and a generic MIP on
generated instances (SPEC §10); writes ``results.json`` and ``results.md``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cli.base import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, add_lang, register, say


def _csv(text: str) -> list[str]:
    return [x.strip() for x in text.split(",") if x.strip()]


def _args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--scales", default="ward,city", metavar="LIST",
                   help="comma-separated: ward, city, province, national (default ward,city)")
    p.add_argument("--seeds", type=int, default=1, metavar="N",
                   help="instances per scale, seeds 1..N (default 1)")
    p.add_argument("--methods", metavar="LIST",
                   help="comma-separated: planner, greedy, mip (in-process) and process "
                        "(`plan` as a whole process), rerun (`plan --previous` after +10 %% "
                        "new releases), web (upload to result page in the real app). "
                        "Default: planner, greedy and mip at every scale, and process, "
                        "rerun and web at city and province scale")
    p.add_argument("--repeat", type=int, default=3, metavar="N",
                   help="runs of each whole-process method; the median is reported "
                        "(default 3)")
    p.add_argument("--mip-time-limit", type=float, default=60.0, metavar="S",
                   help="CP-SAT time limit per tier for the generic MIP (default 60)")
    p.add_argument("--mip-max-scale", default="city",
                   choices=("ward", "city", "province", "national"),
                   help="largest scale the MIP runs at (default city)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="run the planner's regions on this Dask scheduler "
                        "(e.g. tcp://10.0.0.5:8786) instead of the local cores")
    p.add_argument("--out", default="bench", metavar="DIR",
                   help="where results.json and results.md go (default bench/)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    add_lang(p, "error messages (the results tables are in English)")


def _run(args: argparse.Namespace) -> int:
    # Inside the function: the benchmark brings the solvers, psutil and pandas (see
    # cli.base).
    from matcher.bench import METHODS, SCALES, run_bench

    scales = _csv(args.scales)
    methods = None if args.methods is None else _csv(args.methods)
    bad = [s for s in scales if s not in SCALES] + [m for m in methods or () if m not in METHODS]
    if bad or not scales or methods == [] or args.seeds < 1 or args.repeat < 1:
        print(say("cli.bench.bad_values", args.lang,
                  values=", ".join(bad) or say("cli.bench.nothing", args.lang),
                  scales=", ".join(SCALES), methods=", ".join(METHODS)), file=sys.stderr)
        return EXIT_BAD_INPUT
    results = run_bench(scales, args.seeds, methods, mip_time_limit=args.mip_time_limit,
                        mip_max_scale=args.mip_max_scale, scheduler=args.scheduler,
                        repeat=args.repeat, out=args.out, progress=not args.quiet)
    print((Path(args.out) / "results.md").read_text(encoding="utf-8"))
    for name in ("results.json", "results.md"):
        print(say("cli.wrote", args.lang, path=Path(args.out) / name))
    failed = [r for r in results["runs"] + results["whole"] if r.get("error") or r.get("check")]
    for r in failed:
        print(say("cli.bench.failed", args.lang, scale=r["scale"], seed=r["seed"],
                  method=r["method"], error=(r.get("error") or "")[:500] or r["check"][:3]),
              file=sys.stderr)
    return EXIT_FAILED if failed else EXIT_OK


register("bench", "benchmark the planner against a greedy baseline and a generic MIP",
         _args, _run)
