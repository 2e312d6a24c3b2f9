"""Benchmark (SPEC §10): the planner against a greedy baseline and a generic MIP, on the
same generated instances in one run.

For each scale and seed the roster is generated once (``matcher.generate``) and written to
a temporary pickle; each method then runs in a fresh process (``multiprocessing`` spawn)
that loads it, so one method's memory never counts against another:

* ``planner``: :func:`matcher.split.solve_split` (independent regions in parallel on the
  local cores, or on a Dask scheduler with ``scheduler=``);
* ``plain``: :func:`matcher.solve.solve` in one process (ward and city by default);
* ``full``: what ``run.py plan --out`` does after reading the roster (matching, visit
  schedule and the plan workbook), in one process (with ``plain``);
* ``greedy``: :func:`matcher.baselines.greedy_plan`;
* ``mip``: :func:`matcher.baselines.mip_plan` (city scale and below by default: one
  Boolean per feasible pair does not fit a time limit above that);
* ``process``, ``rerun``, ``web`` (:mod:`matcher.bench_process`, issue 20): what a user
  waits for — ``run.py plan`` as a whole process on the roster written as a workbook, its
  rerun after 10 % new releases, and the web app from upload to result page (city and
  province scale by default).

Measured per run: wall time of the method alone (not loading the roster or checking the
plan), peak memory of the method's processes (the larger of the kernel's peak resident
size of the process and the sum of proportional set sizes of the process and its workers,
sampled every 0.2 s), every tier with its proved bound, and the independent checker's
verdict. Results go to ``results.json`` and ``results.md`` in the output directory; the
ratios and the tables are built with pandas (runs pivoted per instance and method, the
per-scale medians grouped over seeds), imported on first use (see :func:`_pandas`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import multiprocessing as mp
import os
import pickle
import platform
import resource
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

SCALES = ("ward", "city", "province", "national")
IN_PROCESS = ("planner", "greedy", "mip")
# whole processes as a user starts them: ``plan``, its rerun, the web app (bench_process)
METHODS = (*IN_PROCESS, "process", "rerun", "web")
TIERS = ("M1", "M2", "M4", "M5", "J1", "J2", "J4", "J5")
MAXIMISE = {"M1", "M2", "M4", "J1", "J2", "J4"}
LABELS = {"planner": "planner (split, parallel)", "plain": "planner (one process)",
          "full": "full plan (+ visit schedule + workbook)",
          "greedy": "greedy", "mip": "generic MIP (CP-SAT)"}


# ------------------------------------------------------------------------- child process

def _run_method(method: str, roster, options: dict[str, Any]):
    if method == "planner":
        from matcher.split import solve_split

        executor = "dask" if options.get("scheduler") else options.get("executor", "local")
        return solve_split(roster, executor=executor, scheduler=options.get("scheduler"),
                           workers=options.get("workers"))
    if method == "plain":
        from matcher.solve import solve

        return solve(roster, schedule=False)
    if method == "full":
        return _full_plan(roster)
    if method == "greedy":
        from matcher.baselines import greedy_plan

        return greedy_plan(roster)
    if method == "mip":
        from matcher.baselines import mip_plan

        return mip_plan(roster, options["mip_time_limit"])
    raise ValueError(f"unknown method {method!r}")


def _full_plan(roster):
    """What ``run.py plan --out`` does after reading the roster: mentors, jobs, training
    and the visit schedule, then the plan workbook (to a temporary file)."""
    import tempfile

    from matcher.io.plan_writer import write_plan_workbook
    from matcher.solve import solve

    plan = solve(roster)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        write_plan_workbook(plan, roster, Path(folder) / "plan.xlsx")
    plan.timings["workbook"] = round(time.perf_counter() - t0, 4)
    return plan


def _preload() -> None:
    """Import what the methods use, so their wall time is not import time."""
    import ortools.graph.python.min_cost_flow  # noqa: F401
    import ortools.sat.python.cp_model  # noqa: F401
    import scipy.sparse.csgraph  # noqa: F401
    import scipy.spatial  # noqa: F401

    import matcher.baselines  # noqa: F401
    import matcher.check  # noqa: F401
    import matcher.explain  # noqa: F401
    import matcher.io.plan_writer  # noqa: F401
    import matcher.schedule  # noqa: F401
    import matcher.solve  # noqa: F401
    import matcher.split  # noqa: F401


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.levelname} {record.name}: {record.getMessage()}")


def _child(method: str, roster_path: str, options: dict[str, Any], conn) -> None:
    """Runs in a fresh process: load the roster, run one method, check its plan."""
    log = _Collect()
    logging.getLogger().addHandler(log)
    logging.getLogger().setLevel(logging.WARNING)
    try:
        with open(roster_path, "rb") as f:
            roster = pickle.load(f)
        _preload()
        conn.send({"phase": "start"})
        t0 = time.perf_counter()
        plan = _run_method(method, roster, options)
        wall = time.perf_counter() - t0
        from matcher.check import assert_plan_ok
        from matcher.errors import PlanCheckError

        try:
            assert_plan_ok(roster, plan)
            check: list[str] = []
        except PlanCheckError as exc:
            check = list(exc.violations)
        self_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        kids_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        stats = {k: v for k, v in plan.stats.items()
                 if isinstance(v, (int, float, str, list, dict))}
        conn.send({
            "phase": "done", "wall_s": wall, "status": plan.status,
            "tiers": {k: t.to_dict() for k, t in plan.tiers.items()},
            "timings": plan.timings, "stats": stats, "counts": plan.counts(),
            "check": check, "maxrss_mb": max(self_kb, kids_kb) / 1024, "log": log.lines,
        })
    except BaseException as exc:  # noqa: BLE001 - report any failure to the parent
        conn.send({"phase": "error", "error": f"{type(exc).__name__}: {exc}",
                   "log": log.lines})
    finally:
        conn.close()


def _tree_pss(proc) -> float:
    """Proportional set size (MB) of a process and all its descendants; shared pages of
    forked workers are counted once."""
    import psutil

    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            info = p.memory_full_info()
            total += getattr(info, "pss", info.rss)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            pass
    return total / 2**20


def measure(method: str, roster_path: str | Path, options: dict[str, Any],
            poll: float = 0.2) -> dict[str, Any]:
    """Run ``method`` on the pickled roster in a fresh spawned process; returns its result
    with ``wall_s`` and ``peak_mb``."""
    import psutil

    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(method, str(roster_path), options, child),
                       daemon=False)
    proc.start()
    child.close()
    ps = psutil.Process(proc.pid)
    peak = 0.0
    result: dict[str, Any] | None = None
    started = False
    try:
        while result is None:
            if parent.poll(poll):
                try:
                    msg = parent.recv()
                except EOFError:
                    break
                if msg["phase"] == "start":
                    started = True
                    continue
                result = msg
            elif not proc.is_alive():
                break
            if started:
                with contextlib.suppress(psutil.NoSuchProcess):
                    peak = max(peak, _tree_pss(ps))
    finally:
        proc.join()
        parent.close()
    if result is None:
        result = {"phase": "error", "error": f"worker exited with code {proc.exitcode}"}
    result["peak_mb"] = max(peak, result.get("maxrss_mb", 0.0))
    return result


# ------------------------------------------------------------------------------ the run

def machine() -> dict[str, Any]:
    import psutil

    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        from ortools import __version__ as ortools_version
    except ImportError:  # pragma: no cover
        ortools_version = "?"
    return {"cpu": cpu, "cores": os.cpu_count(),
            "ram_gb": round(psutil.virtual_memory().total / 2**30, 1),
            "os": f"{platform.system()} {platform.release()}",
            "python": platform.python_version(), "ortools": ortools_version}


def run_bench(scales: Sequence[str] = ("ward", "city"), seeds: int = 1,
              methods: Sequence[str] | None = None, *, mip_time_limit: float = 60.0,
              mip_max_scale: str = "city", plain_max_scale: str = "city",
              scheduler: str | None = None, repeat: int = 3, out: str | Path = "bench",
              progress: bool = True, say: Callable[[str], None] | None = None
              ) -> dict[str, Any]:
    """Run the benchmark; writes ``results.json`` and ``results.md`` in ``out`` and returns
    the results. ``methods`` None: the in-process methods at every scale and the
    whole-process ones (:mod:`matcher.bench_process`) at city and province scale; named
    methods run at every scale asked. ``repeat``: runs per whole-process method (median)."""
    import tempfile

    from tqdm import tqdm

    from matcher import bench_process as bp
    from matcher.generate import counts, generate_roster

    for s in scales:
        if s not in SCALES:
            raise ValueError(f"unknown scale {s!r} (one of {', '.join(SCALES)})")
    for m in methods or ():
        if m not in METHODS:
            raise ValueError(f"unknown method {m!r} (one of {', '.join(METHODS)})")
    say = say or (lambda msg: print(msg, file=sys.stderr))
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rank = {s: i for i, s in enumerate(SCALES)}
    options = {"mip_time_limit": mip_time_limit, "scheduler": scheduler}
    in_process = [m for m in (methods or IN_PROCESS) if m in IN_PROCESS]
    plan: dict[tuple[str, int], list[tuple[str, int, str]]] = {}
    whole_plan: dict[tuple[str, int], list[tuple[str, int, str]]] = {}
    notes: list[str] = []
    skipped: list[dict[str, Any]] = []
    for scale in scales:
        for seed in range(1, seeds + 1):
            tasks = plan.setdefault((scale, seed), [])
            for method in in_process:
                if method == "mip" and rank[scale] > rank[mip_max_scale]:
                    skipped.append({"scale": scale, "seed": seed, "method": "mip",
                                    "skipped": f"MIP not run above {mip_max_scale} scale"})
                    continue
                tasks.append((scale, seed, method))
                if method == "planner" and rank[scale] <= rank[plain_max_scale]:
                    tasks.append((scale, seed, "plain"))
                    tasks.append((scale, seed, "full"))
            whole_plan[(scale, seed)] = [(scale, seed, m)
                                         for m in bp.plan_methods(methods, scale)]
    if any(s["method"] == "mip" for s in skipped):
        above = sorted({s["scale"] for s in skipped}, key=rank.get)
        notes.append(f"The generic MIP is skipped above {mip_max_scale} scale "
                     f"({', '.join(above)}): one Boolean per feasible pair (millions) does "
                     f"not get through CP-SAT's presolve in any useful time.")
        say(notes[-1])
    runs: list[dict[str, Any]] = []
    whole: list[dict[str, Any]] = []
    instances: dict[tuple[str, int], dict[str, Any]] = {}
    total = sum(map(len, plan.values())) + sum(map(len, whole_plan.values()))
    bar = tqdm(total=total, desc="bench", unit="run", file=sys.stderr,
               disable=not progress, dynamic_ncols=True)
    path = out / "instance.tmp"
    try:
        with tempfile.TemporaryDirectory(prefix="bench-") as folder:
            for (scale, seed), tasks in plan.items():
                wanted = [m for _s, _n, m in whole_plan[(scale, seed)]]
                if not tasks and not wanted:
                    continue
                bar.set_description(f"{scale} seed {seed}: generating")
                t0 = time.perf_counter()
                roster = generate_roster(scale, seed)
                gen_s = time.perf_counter() - t0
                instances[(scale, seed)] = {"scale": scale, "seed": seed,
                                            "generate_s": round(gen_s, 2), **counts(roster)}
                with open(path, "wb") as f:
                    pickle.dump(roster, f, protocol=pickle.HIGHEST_PROTOCOL)
                files = None
                if wanted:  # the workbooks a user would plan, written while in memory
                    bar.set_description(f"{scale} seed {seed}: writing workbooks")
                    files = bp.Instance(roster, scale, seed,
                                        Path(folder) / f"{scale}-{seed}", wanted)
                del roster
                for _scale, _seed, method in tasks:
                    bar.set_description(f"{scale} seed {seed}: {method}")
                    runs.append(_measured(scale, seed, method, path, options, say))
                    bar.update(1)
                for _scale, _seed, method in whole_plan[(scale, seed)]:
                    bar.set_description(f"{scale} seed {seed}: {method} (whole process)")
                    whole += bp.run_all([(scale, seed, method)], {(scale, seed): files},
                                        repeat, say)
                    bar.update(1)
    finally:
        bar.close()
        path.unlink(missing_ok=True)
    runs += skipped
    bp.compare_with_planner(whole, runs)
    results = {
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "machine": machine(),
        "options": {"scales": list(scales), "seeds": seeds,
                    "methods": list(methods) if methods else "default",
                    "mip_time_limit_s_per_tier": mip_time_limit,
                    "mip_max_scale": mip_max_scale, "scheduler": scheduler,
                    "repeat": repeat},
        "instances": list(instances.values()),
        "runs": runs,
        "whole": whole,
        "ratios": ratios(runs),
        "notes": notes,
    }
    (out / "results.json").write_text(json.dumps(results, ensure_ascii=False, indent=1),
                                      encoding="utf-8")
    (out / "results.md").write_text(markdown(results), encoding="utf-8")
    return results


def _measured(scale: str, seed: int, method: str, path: Path, options: dict[str, Any],
              say: Callable[[str], None]) -> dict[str, Any]:
    res = measure(method, path, options)
    run = {"scale": scale, "seed": seed, "method": method, **res}
    run.pop("phase", None)
    if run.get("error"):
        say(f"{scale} seed {seed} {method} FAILED: {run['error']}")
    elif run.get("check"):
        say(f"{scale} seed {seed} {method}: the checker rejects the plan: {run['check'][:3]}")
    return run


# ----------------------------------------------------------------------------- reporting

def lex_key(tiers: dict[str, dict[str, Any]], names: Sequence[str]) -> tuple:
    """Tier values as a tuple that compares lexicographically (bigger is better)."""
    return tuple(tiers[n]["value"] if n in MAXIMISE else -tiers[n]["value"] for n in names)


def _pandas():
    """pandas, on first use. Not at the top of this module: every timed method runs in a
    spawned child that imports this module, and pandas there would add its import (0.43 s
    wall, about 60 MB: ``python -c "import pandas"`` peaks at 72 MB against 11.5 MB for an
    empty interpreter) to the very process whose time and peak memory are measured."""
    import pandas as pd

    return pd


def _tier_frame(runs: list[dict[str, Any]]):
    """One row per finished run: scale, seed, method, wall_s and one column per tier."""
    pd = _pandas()
    return pd.DataFrame([{"scale": r["scale"], "seed": r["seed"], "method": r["method"],
                          "wall_s": r["wall_s"],
                          **{n: t["value"] for n, t in r["tiers"].items()}}
                         for r in runs if r.get("tiers")])


def _py(x: Any) -> Any:
    """A plain Python value for JSON (NaN, a missing figure, becomes None)."""
    if x is None or x != x:
        return None
    return x.item() if hasattr(x, "item") else x


def ratios(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per instance: planner / greedy on M1, M5 (travel), J1, M4 and J4; MIP / planner
    wall time, and whether the MIP reached the planner's M1, M2, J1, J2. The planner is
    the split one, or the one-process one where the split one did not run. A ratio over
    zero is None."""
    pd = _pandas()
    frame = _tier_frame(runs)
    if frame.empty:
        return []
    frame = frame.drop_duplicates(["scale", "seed", "method"], keep="last")
    figures = ["wall_s", *TIERS]
    # one row per instance (in the order they ran), one column per (figure, method); a
    # method that did not run there is a column of NaN
    wide = frame.pivot(index=["scale", "seed"], columns="method",
                       values=[f for f in figures if f in frame.columns])
    wide = wide.reindex(index=pd.MultiIndex.from_frame(frame[["scale", "seed"]]
                                                       .drop_duplicates()),
                        columns=pd.MultiIndex.from_product([figures, list(LABELS)]))

    def by(method: str):
        return wide.xs(method, axis=1, level=1)

    pl = by("planner").combine_first(by("plain"))
    greedy, mip = by("greedy"), by("mip")
    over_greedy = pl / greedy.where(greedy != 0)
    mip_wall = mip["wall_s"] / pl["wall_s"].where(pl["wall_s"] != 0)
    same = ["M1", "M2", "J1", "J2"]
    mip_same = (mip[same] == pl[same]).all(axis=1)
    out = []
    for key in wide.index[pl["M1"].notna()]:
        row: dict[str, Any] = {"scale": key[0], "seed": _py(key[1])}
        if greedy.loc[key].notna().any():
            for n in ("M1", "M5", "J1", "M4", "J4"):
                q = _py(over_greedy.at[key, n])
                row[f"{n}_planner_over_greedy"] = None if q is None else round(q, 3)
        if mip.loc[key].notna().any():
            q = _py(mip_wall.at[key])
            row["mip_wall_over_planner"] = None if q is None else round(q, 3)
            row["mip_same_M1_M2_J1_J2"] = bool(mip_same.at[key])
        out.append(row)
    return out


def _num(x: float, digits: int = 1) -> str:
    if x is None:
        return "–"
    if float(x).is_integer():
        return f"{int(x):,}"
    return f"{x:,.{digits}f}"


def gaps(tiers: dict[str, dict[str, Any]], status: str = "") -> str:
    """Tiers not proved optimal with their gap to the bound ("proved" when none). After an
    unproved tier, a lower tier's bound is conditional: shown as "n/p"."""
    if status == "HEURISTIC":
        return "no bound (heuristic)"
    parts = []
    for group in (("M1", "M2", "M4", "M5"), ("J1", "J2", "J4", "J5")):
        blocked = False
        for n in group:
            t = tiers.get(n)
            if t is None or t["optimal"]:
                continue
            if blocked or t["bound"] is None:
                parts.append(f"{n} n/p")
                continue
            gap = abs(t["bound"] - t["value"])
            rel = 100 * gap / max(abs(t["bound"]), 1e-9)
            parts.append(f"{n} {_num(gap, 2)} ({rel:.2g} %)")
            blocked = True
    return "proved" if not parts else "; ".join(parts)


RUNS_HEADER = ("scale", "seed", "method", "wall s", "peak MB", "status", "M1", "M2", "M4",
               "M5 km", "J1", "J2", "J4", "J5 km", "gap to proved bound", "M1 ÷greedy",
               "M5 ÷greedy", "J1 ÷greedy")
RUNS_ALIGN = ("---", "---", "---", "--:", "--:", "---", *["--:"] * 8, "---", "--:", "--:", "--:")


def _pipe_table(header: Sequence[str], align: Sequence[str],
                rows: Any) -> list[str]:
    """A Markdown pipe table. ``DataFrame.to_markdown`` would need tabulate, which the
    project does not install; an empty cell is written ``| |``."""
    def line(cells: Sequence[Any]) -> str:
        return "|" + "".join(f" {c} |" if c != "" else " |" for c in cells)

    return [line(header), "|" + "|".join(align) + "|", *(line(r) for r in rows)]


def _runs_frame(runs: list[dict[str, Any]]):
    """The runs as a DataFrame in table order: scale (ward first), seed, method (as in
    ``LABELS``)."""
    pd = _pandas()
    df = pd.DataFrame(runs)
    for col in ("scale", "seed", "method", "tiers", "skipped", "error", "check", "status",
                "wall_s", "peak_mb"):  # all of them, even when only whole-process runs ran
        if col not in df.columns:
            df[col] = None
    df["scale"] = pd.Categorical(df["scale"], categories=SCALES, ordered=True)
    df["method"] = pd.Categorical(df["method"], categories=list(LABELS), ordered=True)
    return df.sort_values(["scale", "seed", "method"], kind="stable").reset_index(drop=True)


def _runs_table(results: dict[str, Any]) -> list[str]:
    """One row per run: time, memory, every tier, the gap to the proved bound and, on
    the planner's rows, its ratios against the greedy baseline."""
    pd = _pandas()
    df = _runs_frame(results["runs"])
    ratio = {(q["scale"], q["seed"]): q for q in results["ratios"]}
    cells = pd.DataFrame("", index=df.index, columns=list(RUNS_HEADER))
    cells["scale"] = df["scale"].astype(str)
    cells["seed"] = df["seed"].astype(str)
    cells["method"] = df["method"].astype(str).map(LABELS)
    skipped, failed = df["skipped"].notna(), df["skipped"].isna() & df["error"].notna()
    ok = ~skipped & ~failed
    cells.loc[~ok, ["wall s", "peak MB"]] = "–"
    cells.loc[skipped, "status"] = df.loc[skipped, "skipped"]
    cells.loc[failed, "status"] = "FAILED: " + df.loc[failed, "error"].astype(str)
    done = df[ok]
    cells.loc[ok, "wall s"] = done["wall_s"].map("{:.2f}".format)
    cells.loc[ok, "peak MB"] = done["peak_mb"].map("{:,.0f}".format)
    cells.loc[ok, "status"] = [st + (" **CHECK FAILED**" if chk else "")
                               for st, chk in zip(done["status"], done["check"])]
    for n, head in zip(TIERS, RUNS_HEADER[6:14]):
        digits = 2 if n in ("M5", "J5") else 1
        cells.loc[ok, head] = done["tiers"].map(lambda t, n=n, d=digits: _num(t[n]["value"], d))
    cells.loc[ok, "gap to proved bound"] = [gaps(t, st)
                                            for t, st in zip(done["tiers"], done["status"])]
    for i, r in done.iterrows():
        q = ratio.get((r["scale"], r["seed"]), {})
        if r["method"] in ("planner", "plain") and "M1_planner_over_greedy" in q:
            cells.loc[i, list(RUNS_HEADER[15:])] = [
                "–" if q[k] is None else f"{q[k]:.{d}f}"
                for k, d in (("M1_planner_over_greedy", 3), ("M5_planner_over_greedy", 2),
                             ("J1_planner_over_greedy", 3))]
    return _pipe_table(RUNS_HEADER, RUNS_ALIGN, cells.itertuples(index=False))


def _per_scale_table(runs: list[dict[str, Any]]) -> list[str]:
    """Median wall seconds of each method per scale over the seeds (only when some scale
    has more than one seed: otherwise it repeats the runs table)."""
    df = _runs_frame(runs)
    df = df[df["tiers"].notna()]
    if df.empty or df.groupby(["scale", "method"], observed=True).size().max() < 2:
        return []
    wall = df.pivot_table(index="scale", columns="method", values="wall_s",
                          aggfunc="median", observed=True)
    seeds = df.groupby("scale", observed=True)["seed"].nunique()
    header = ["scale", "seeds", *(LABELS[m] for m in wall.columns)]
    rows = [[scale, seeds[scale], *("–" if v != v else f"{v:.2f}" for v in vals)]
            for scale, vals in zip(wall.index.astype(str), wall.to_numpy())]
    return ["", "Median wall seconds per scale over the seeds:", "",
            *_pipe_table(header, ["---", "--:", *["--:"] * len(wall.columns)], rows)]


def markdown(results: dict[str, Any]) -> str:
    m = results["machine"]
    lines = [
        "# Benchmark results",
        "",
        f"{results['date']} on {m['cpu']} ({m['cores']} cores), {m['ram_gb']} GB RAM, "
        f"{m['os']}, Python {m['python']}, OR-Tools {m['ortools']}. MIP time limit "
        f"{results['options']['mip_time_limit_s_per_tier']:g} s per tier.",
        "",
        *_runs_table(results),
        *_per_scale_table(results["runs"]),
    ]
    lines += ["", "Ratios per instance:", ""]
    for q in results["ratios"]:
        bits = [f"{k} {v}" for k, v in q.items() if k not in ("scale", "seed")]
        lines.append(f"- {q['scale']} seed {q['seed']}: " + ", ".join(bits))
    inst = results.get("instances", [])
    if inst:
        lines += ["", "Instances (generated in the same run):", ""]
        for i in inst:
            lines.append(f"- {i['scale']} seed {i['seed']}: {i['returnees']:,} returnees, "
                         f"{i['mentors']:,} mentors, {i['jobs']:,} openings "
                         f"({i['job_slots']:,} slots), {i['trainings']:,} courses, "
                         f"{i['pairs']:,} Pairs rows; generated in {i['generate_s']} s")
    where = [r for r in results["runs"] if r.get("timings") and r["method"] in
             ("planner", "plain", "full")]
    if where:
        lines += ["", "Where the planner's time goes (seconds; for the split planner the "
                  "stage times are summed over its parts, i.e. process time):", ""]
        for r in where:
            tm = ", ".join(f"{k} {v:.2f}" for k, v in r["timings"].items())
            lines.append(f"- {r['scale']} seed {r['seed']} {LABELS[r['method']]}: {tm}")
    lines += ["", "Method notes: wall time is the method alone, in a fresh process (not "
              "generating or loading the roster, not checking the plan); peak memory is "
              "the larger of the kernel's peak resident size of that process and the "
              "sampled (0.2 s) sum of proportional set sizes of the process and its "
              "workers. Every plan is verified by the independent checker "
              "(`matcher.check`). Gap: distance from the tier's value to its proved bound; "
              "'n/p' where a higher tier is not proved (the bound is then conditional)."]
    for n in results.get("notes", []):
        lines += ["", n]
    if results.get("whole"):
        from matcher.bench_process import markdown_lines

        lines += markdown_lines(results["whole"])
    return "\n".join(lines) + "\n"
