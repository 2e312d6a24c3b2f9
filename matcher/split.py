"""Independent regions of a roster, solved in parallel and merged into one plan (SPEC §10).

Two returnees interact only through a mentor, an opening, a course or an employer they
could both get. The regions are therefore the connected components of the graph whose
edges are the feasible returnee–mentor, returnee–job and returnee–training pairs
(``matcher.rules``), plus:

* job – employer: rule 12 (co-offenders never with one employer) spans every opening of an
  employer, so an employer's openings stay in one region (keyed both by the checker's
  folded name and the solver's case-folded name, so neither can see a clash across
  regions);
* returnee – mentor / job of every Pairs row, so a row's note ("required pair cannot be
  made: …") and the forbid reasons are written by the region that holds its returnee.

Lexicographic tiers of independent regions add up: the plan that is best for the whole
roster is the union of the best plans of its regions, so M1/M2/J1/J2 of the merged plan
equal those of one solve of the whole roster, and a tier is proved optimal when it is in
every region.

Mentors, openings and courses with no feasible pair at all take part in no region (they
can never be assigned). Small regions are packed into a few balanced batches (largest
first onto the lightest batch), so there are never thousands of tiny solves; a big roster
gets more batches than workers (about 10,000 returnees each, unless one region is bigger),
because solve time grows faster than size and a worker holds only its current batch. A
batch also carries, without any feasible pair, the mentors, openings and courses of other batches
that its explanations name (within range but infeasible, or the nearest one), so "why no
mentor / job" reads exactly as after one solve of the whole roster.

Executors: ``serial`` (one process), ``local`` (``ProcessPoolExecutor`` on the local
cores; with the ``fork`` start method the batches reach the workers without pickling)
and ``dask`` (``dask.distributed``: an existing scheduler, or a ``LocalCluster`` of two
processes). Workers of a remote Dask cluster need this package installed.
"""

from __future__ import annotations

import dataclasses
import multiprocessing as mp
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from matcher import catalog, forked
from matcher.context import Context, build_context
from matcher.domain import Roster
from matcher.explain import capacity_gaps
from matcher.geo import chord_for_km, unit_xyz
from matcher.loans import allocate_loans
from matcher.plan import Plan, PreviousPlan, Tier, as_previous
from matcher.rules import people_arrays
from matcher.schedule import ScheduledPart, cancel_parts, collect_parts, start_parts
from matcher.solve import follow_up_finished, solve
from matcher.text import fold

EXECUTORS = ("local", "dask", "serial")
PART_RETURNEES = 10000  # aim for parts about this big when the roster is larger
TIER_ORDER = ("M1", "M2", "M3", "M4", "M5", "J1", "J2", "J3", "J4", "J5")
KM_TIERS = ("M5", "J5")


@dataclass
class Regions:
    """Component label per returnee / mentor / job / course (-1: in no region) and the
    work estimate of each component (returnees + feasible pairs)."""

    returnee: np.ndarray
    mentor: np.ndarray
    job: np.ndarray
    training: np.ndarray
    weight: np.ndarray
    pairs: int
    context: object = None  # the whole roster's candidate pairs (matcher.context.Context)
    # per part: its returnees, mentors, openings and courses as indices into the roster
    part_index: list[dict[str, np.ndarray]] | None = None

    @property
    def count(self) -> int:
        return len(self.weight)


def find_regions(roster: Roster) -> Regions:
    """Connected components of the candidate graph (see the module docstring)."""
    ctx = build_context(roster, parallel=True)
    ma, ja, ta = ctx.marcs, ctx.jarcs, ctx.tarcs
    n, m, nj, nt = len(roster.returnees), len(roster.mentors), len(roster.jobs), \
        len(roster.trainings)
    o_m, o_j, o_t = n, n + m, n + m + nj
    o_e = n + m + nj + nt
    keys: dict[tuple[int, str], int] = {}
    emp_fold = [keys.setdefault((0, fold(j.employer)), len(keys)) for j in roster.jobs]
    ri = {r.id: i for i, r in enumerate(roster.returnees)}
    mi = {x.id: i for i, x in enumerate(roster.mentors)}
    ji = {x.id: i for i, x in enumerate(roster.jobs)}
    ti = {x.id: i for i, x in enumerate(roster.trainings)}
    row_a, row_b = [], []
    for row in roster.pairs:
        r = ri.get(row.returnee_id)
        if r is None:
            continue
        if row.mentor_id in mi:
            row_a.append(r)
            row_b.append(o_m + mi[row.mentor_id])
        elif row.job_id in ji:
            row_a.append(r)
            row_b.append(o_j + ji[row.job_id])
        elif row.training_id in ti:
            row_a.append(r)
            row_b.append(o_t + ti[row.training_id])
    job_nodes = o_j + np.arange(nj, dtype=np.int64)
    a = np.concatenate([ma.r, ja.r, ta.r, job_nodes,
                        np.asarray(row_a, dtype=np.int64)]).astype(np.int64)
    b = np.concatenate([o_m + ma.m, o_j + ja.o, o_t + ta.o,
                        o_e + np.asarray(emp_fold, dtype=np.int64),
                        np.asarray(row_b, dtype=np.int64)]).astype(np.int64)
    size = o_e + len(keys)
    graph = coo_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(size, size)).tocsr()
    _, labels = connected_components(graph, directed=False)
    # keep only components that hold a returnee; renumber them 0..k-1
    has_r = np.unique(labels[:n])
    code = np.full(labels.max() + 1 if size else 0, -1, dtype=np.int64)
    code[has_r] = np.arange(len(has_r))
    lab = code[labels] if size else labels
    # work estimate per component: returnees + feasible pairs
    weight = np.bincount(lab[:n], minlength=len(has_r)).astype(np.int64)
    for arcs in (ma.r, ja.r, ta.r):
        weight += np.bincount(lab[arcs], minlength=len(has_r))
    return Regions(returnee=lab[:n], mentor=lab[o_m:o_j], job=lab[o_j:o_t],
                   training=lab[o_t:o_e], weight=weight, pairs=len(ma) + len(ja) + len(ta),
                   context=ctx)


def pack(weights: np.ndarray, batches: int) -> np.ndarray:
    """Batch of each component: largest first onto the currently lightest batch (LPT)."""
    batches = max(1, min(batches, len(weights)))
    load = np.zeros(batches, dtype=np.int64)
    out = np.empty(len(weights), dtype=np.int64)
    for c in np.argsort(-weights, kind="stable").tolist():
        b = int(np.argmin(load))
        out[c] = b
        load[b] += weights[c]
    return out


def _take(items: Sequence, mask: np.ndarray) -> tuple:
    return tuple(items[i] for i in np.flatnonzero(mask).tolist())


def split_roster(roster: Roster, batches: int | None = None) -> list[Roster]:
    """Independent parts of ``roster`` (at most ``batches``, default the number of CPU
    cores), each a :class:`Roster` with the same settings; returnees keep their order.
    Every returnee is in exactly one part; Pairs rows go with their returnee."""
    return _split(roster, batches, batches)[0]


def _split(roster: Roster, batches: int | None, workers: int | None = None
           ) -> tuple[list[Roster], Regions]:
    regions = find_regions(roster)
    if regions.count == 0:
        return [], regions
    if not batches:
        # at least one part per worker, and parts of about PART_RETURNEES returnees: solve
        # time grows faster than size, and a worker then holds one part at a time
        in_regions = int((regions.returnee >= 0).sum())
        batches = max(workers or os.cpu_count() or 1, -(-in_regions // PART_RETURNEES))
    batch_of = pack(regions.weight, batches)
    n_batches = int(batch_of.max()) + 1
    if n_batches == 1:  # one batch is the whole roster
        return [roster], regions
    where = {k: np.where(v >= 0, batch_of[np.maximum(v, 0)], -1)
             for k, v in (("returnee", regions.returnee), ("mentor", regions.mentor),
                          ("job", regions.job), ("training", regions.training))}
    extra = _context(roster, where, n_batches)
    parts = []
    regions.part_index = []
    for b in range(n_batches):
        index = {"returnee": np.flatnonzero(where["returnee"] == b)}
        for kind in ("mentor", "job", "training"):
            index[kind] = np.flatnonzero((where[kind] == b) | extra[kind][b])
        if not len(index["returnee"]):
            continue
        returnees = _take(roster.returnees, where["returnee"] == b)
        ids = {r.id for r in returnees}
        parts.append(Roster(
            returnees=returnees,
            mentors=tuple(roster.mentors[i] for i in index["mentor"]),
            jobs=tuple(roster.jobs[i] for i in index["job"]),
            trainings=tuple(roster.trainings[i] for i in index["training"]),
            pairs=tuple(row for row in roster.pairs if row.returnee_id in ids),
            settings=roster.settings, spellings=roster.spellings))
        regions.part_index.append(index)
    return parts, regions


def part_context(context, part: Roster, index: dict[str, np.ndarray]):
    """The candidate pairs of ``part`` cut from those of the whole roster (``context``, a
    :class:`matcher.context.Context`; ``index``: the part's people as indices into the
    roster, in order). Every feasible pair of a part's returnee lies in its region, and
    pairs depend only on their two ends and the returnee's Pairs rows, which go with it:
    the same pairs, in the same order, as building them for the part, without the spatial
    join again."""
    whole = context.roster
    sizes = {"returnee": len(whole.returnees), "mentor": len(whole.mentors),
             "job": len(whole.jobs), "training": len(whole.trainings)}
    new_index = {}
    for kind, size in sizes.items():
        new_index[kind] = np.full(size, -1, dtype=np.int64)
        new_index[kind][index[kind]] = np.arange(len(index[kind]))

    def cut(arcs, ends: str, kind: str):
        out = arcs.take(new_index["returnee"][arcs.r] >= 0)
        out.r = new_index["returnee"][out.r]
        setattr(out, ends, new_index[kind][getattr(out, ends)])
        if (getattr(out, ends) < 0).any():
            raise RuntimeError("a feasible pair leaves its region")  # cannot happen
        return out

    return Context(part, people_arrays(part), cut(context.marcs, "m", "mentor"),
                   cut(context.jarcs, "o", "job"), cut(context.tarcs, "o", "training"))


def _context(roster: Roster, where: dict[str, np.ndarray], n_batches: int
             ) -> dict[str, list[np.ndarray]]:
    """Per batch, the mentors / openings / courses of other batches (or of none) that an
    explanation of one of its returnees names: those within range (all infeasible for
    that returnee, or they would share its region) and the nearest one. They have no
    feasible pair in the batch, so the batch's solve never assigns them; they only keep
    "why no mentor / job" identical to a solve of the whole roster."""
    s = roster.settings
    r_xyz = unit_xyz(np.array([r.location.lat for r in roster.returnees]),
                     np.array([r.location.lon for r in roster.returnees]))
    seekers = {
        "mentor": np.ones(len(roster.returnees), dtype=bool),
        "job": np.array([r.wants_job for r in roster.returnees], dtype=bool),
        "training": np.array([r.wants_training for r in roster.returnees], dtype=bool),
    }
    radius = {"mentor": s.mentor_max_km, "job": s.job_max_km, "training": s.training_max_km}
    out: dict[str, list[np.ndarray]] = {}
    for kind, items in (("mentor", roster.mentors), ("job", roster.jobs),
                        ("training", roster.trainings)):
        masks = [np.zeros(len(items), dtype=bool) for _ in range(n_batches)]
        out[kind] = masks
        if not items:
            continue
        xyz = unit_xyz(np.array([o.location.lat for o in items]),
                       np.array([o.location.lon for o in items]))
        home = where[kind]
        tree = cKDTree(xyz)
        for b in range(n_batches):
            rs = np.flatnonzero((where["returnee"] == b) & seekers[kind])
            if len(rs) == 0:
                continue
            # the nearest one (named when nothing is within range), with any at the same
            # distance (places on one ward point), so the same one is named
            k = min(16, len(items))
            dist, nearest = tree.query(r_xyz[rs], k=k)
            dist, nearest = dist.reshape(len(rs), k), nearest.reshape(len(rs), k)
            tied = dist <= dist[:, :1] + 1e-12
            masks[b][nearest[tied]] = True
            others = np.flatnonzero(home != b)
            if len(others) == 0:
                continue
            near = cKDTree(xyz[others]).sparse_distance_matrix(
                cKDTree(r_xyz[rs]), chord_for_km(radius[kind]), output_type="ndarray")
            masks[b][others[near["i"]]] = True
        for b in range(n_batches):
            masks[b] &= home != b
    return out


# ----------------------------------------------------------------------------- solving

# batches handed to forked workers without pickling, with the whole roster's candidate
# pairs and each batch's indices into the roster (the workers cut their pairs from them)
_PARTS: list[Roster] | None = None
_PREVIOUS: list[PreviousPlan | None] | None = None
_WHOLE: tuple[object, list[dict[str, np.ndarray]]] | None = None


def solve_part(part: Roster, time_limit: float | None = None, *, parallel: bool = False,
               context=None, previous: PreviousPlan | None = None) -> Plan:
    """Solve one part (no visit schedule); runs in a worker process, or in this one when
    there is a single part (then ``parallel`` lets it use a second core). ``context``:
    the part's candidate pairs, already built; ``previous``: the part of the previous
    plan that concerns its returnees (a rerun)."""
    t0 = time.perf_counter()
    plan = solve(part, schedule=False, time_limit=time_limit, parallel=parallel,
                 context=context, previous=previous, loans=False)  # the merge allocates
    plan.stats["part_seconds"] = time.perf_counter() - t0
    return plan


def _solve_inherited(i: int, time_limit: float | None, parallel: bool = False) -> Plan:
    assert _PARTS is not None, "worker did not inherit the parts"
    previous = _PREVIOUS[i] if _PREVIOUS is not None else None
    context = None
    if _WHOLE is not None and _WHOLE[0] is not None:
        t0 = time.perf_counter()
        context = part_context(_WHOLE[0], _PARTS[i], _WHOLE[1][i])
        context.stats["cut_seconds"] = time.perf_counter() - t0
    return solve_part(_PARTS[i], time_limit, parallel=parallel, context=context,
                      previous=previous)


def _run_local(parts: list[Roster], workers: int, time_limit: float | None,
               whole=None, previous: list[PreviousPlan | None] | None = None) -> list[Plan]:
    """``whole``: (the roster's candidate pairs, per part its indices into the roster),
    which forked workers cut their parts' pairs from; ``previous``: per part, its share
    of the previous plan (a rerun)."""
    global _PARTS, _WHOLE, _PREVIOUS
    prevs = previous or [None] * len(parts)
    if workers <= 1 or len(parts) == 1:
        return [solve_part(x, time_limit, previous=p) for x, p in zip(parts, prevs)]
    # biggest first so the slowest part starts at once
    order = sorted(range(len(parts)), key=lambda i: -len(parts[i].returnees))
    # a part with half the returnees or more sets the wall time: it may use a second
    # process for its placements while the other workers finish the small parts
    total = sum(len(x.returnees) for x in parts)
    big = {i: 2 * len(parts[i].returnees) >= total for i in order}
    # fork where there is one (the parts reach the workers without pickling); spawn
    # elsewhere (Windows), unless children may not start here (a script without a
    # ``__main__`` guard, a daemonic process): then the parts are solved in this process
    fork = forked.can_fork()
    if not fork and not forked.spawn_safe():
        return [solve_part(x, time_limit, previous=p) for x, p in zip(parts, prevs)]
    ctx = mp.get_context("fork" if fork else "spawn")
    with ProcessPoolExecutor(max_workers=min(workers, len(parts)), mp_context=ctx) as pool:
        if fork:
            _PARTS, _WHOLE, _PREVIOUS = parts, whole, prevs
            try:
                with forked.frozen_for_fork():  # the workers are forked as they are
                    futures = {i: pool.submit(_solve_inherited, i, time_limit, big[i])
                               for i in order}
                return [futures[i].result() for i in range(len(parts))]
            finally:
                _PARTS = _WHOLE = _PREVIOUS = None
        futures = {i: pool.submit(solve_part, parts[i], time_limit, parallel=big[i],
                                  previous=prevs[i]) for i in order}
        return [futures[i].result() for i in range(len(parts))]


def _run_dask(parts: list[Roster], scheduler: str | None, workers: int | None,
              time_limit: float | None,
              previous: list[PreviousPlan | None] | None = None) -> list[Plan]:
    try:  # the optional extra 'dask': only this path needs it
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise ImportError(
            "The Dask executor needs the optional 'dask' extra: "
            "pip install -e '.[dask]' (or use the local executor). / "
            "Chạy trên Dask cần gói tùy chọn 'dask': pip install -e '.[dask]' "
            "(hoặc dùng bộ chạy cục bộ).") from None

    cluster = None
    if scheduler:
        client = Client(scheduler)
    else:
        # Dask spawns its worker processes: threads instead where children may not start
        # (a script without a ``__main__`` guard)
        cluster = LocalCluster(processes=forked.spawn_safe(), n_workers=workers or 2,
                               threads_per_worker=1, dashboard_address=":0")
        client = Client(cluster)
    try:
        order = sorted(range(len(parts)), key=lambda i: -len(parts[i].returnees))
        prevs = previous or [None] * len(parts)
        data = client.scatter([parts[i] for i in order])
        futures = [client.submit(solve_part, d, time_limit, previous=prevs[i], pure=False)
                   for d, i in zip(data, order)]
        done = client.gather(futures)
        plans: list[Plan | None] = [None] * len(parts)
        for i, plan in zip(order, done):
            plans[i] = plan
        return plans  # type: ignore[return-value]
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def solve_split(roster: Roster, *, executor: str = "local", scheduler: str | None = None,
                workers: int | None = None, batches: int | None = None,
                time_limit: float | None = None,
                previous: Plan | PreviousPlan | None = None,
                schedule: Callable[[Plan, frozenset[str] | None], ScheduledPart]
                | None = None,
                progress: Callable[[float, str], None] | None = None) -> Plan:
    """Solve the independent parts of ``roster`` (mentors, jobs, training; no visit
    schedule) in parallel and merge them into one plan in the roster's returnee order.

    ``executor``: ``local`` (processes on this machine, ``workers`` default the number of
    cores), ``dask`` (``scheduler`` address, or a local cluster of ``workers`` (2)
    processes), ``serial``. ``batches``: how many parts at most (default: the number of
    workers, or more so that parts hold about :data:`PART_RETURNEES` returnees).
    ``previous``: a rerun; each part gets the previous pairs of its own returnees.
    ``schedule``: the visit schedule of the merged plan (see :func:`merge_plans`);
    ``progress(fraction, stage)``: told when it starts."""
    if executor not in EXECUTORS:
        raise ValueError(f"executor must be one of {', '.join(EXECUTORS)}, not {executor!r}")
    t0 = time.perf_counter()
    n_workers = workers or (2 if executor == "dask" and not scheduler else os.cpu_count() or 1)
    parts, regions = _split(roster, batches, n_workers)
    context, regions.context = regions.context, None
    prev = as_previous(previous) if previous is not None else None
    t_split = time.perf_counter() - t0
    t1 = time.perf_counter()
    if len(parts) == 1:  # one region: the whole roster is the part (nothing to merge),
        # solved here with the candidate pairs already built and both cores
        parts = [roster]
        plans = [solve_part(roster, time_limit, parallel=executor != "serial",
                            context=context, previous=prev)]
    else:
        prevs = [_previous_of(prev, x, i == 0) for i, x in enumerate(parts)] \
            if prev is not None else None
        if executor == "serial":
            plans = [solve_part(x, time_limit, previous=p)
                     for x, p in zip(parts, prevs or [None] * len(parts))]
        elif executor == "local":
            plans = _run_local(parts, n_workers, time_limit, (context, regions.part_index),
                               prevs)
        else:
            plans = _run_dask(parts, scheduler, workers, time_limit, prevs)
    t_parts = time.perf_counter() - t1
    t2 = time.perf_counter()
    if schedule is not None and progress is not None:
        progress(0.85, "visit schedule")
    plan = merge_plans(roster, plans, prev, schedule=schedule)
    t_merge = time.perf_counter() - t2
    timings = {"split": t_split, "parts_wall": t_parts, "merge": t_merge}
    for part in plans:  # summed over parts: process seconds, more than wall when parallel
        for k, v in part.timings.items():
            timings[k] = timings.get(k, 0.0) + v
    plan.timings = {k: round(v, 4) for k, v in timings.items()}
    plan.stats.update({
        "executor": executor, "workers": n_workers, "regions": regions.count,
        "largest_region_returnees": int(np.bincount(regions.returnee).max())
        if regions.count else 0,
        "parts": [{"returnees": len(x.returnees), "mentors": len(x.mentors),
                   "jobs": len(x.jobs), "trainings": len(x.trainings),
                   "seconds": round(p.stats.get("part_seconds", p.solve_seconds), 3),
                   "timings": p.timings,
                   "stats": {k: v for k, v in p.stats.items() if k.endswith("_seconds")}}
                  for x, p in zip(parts, plans)],
    })
    plan.solve_seconds = time.perf_counter() - t0
    return plan


# ----------------------------------------------------------------------------- merging

def _previous_of(prev: PreviousPlan, part: Roster, first: bool) -> PreviousPlan:
    """The share of the previous plan a part needs: its returnees' rows and visits (the
    previous plan's own issues go with the first part only, so they are noted once)."""
    ids = {r.id for r in part.returnees}
    return dataclasses.replace(
        prev, rows={k: v for k, v in prev.rows.items() if k in ids},
        visits=[v for v in prev.visits if v.returnee_id in ids],
        issues=list(prev.issues) if first else [], granted={})


def merge_plans(roster: Roster, plans: Sequence[Plan],
                previous: PreviousPlan | None = None,
                schedule: Callable[[Plan, frozenset[str] | None], ScheduledPart]
                | None = None) -> Plan:
    """One plan for ``roster`` from plans of its independent parts (``previous``: the
    whole previous plan of a rerun, for the changes no part sees and loans granted).
    ``schedule(plan, mentors)``: the visit schedule of those mentors' pairs in the merged
    plan (:func:`matcher.schedule.schedule_part`). Two halves of the mentors are scheduled
    in two forked children while the loans are allocated here (they read only the
    pairs; province: a 1.2-1.6 s schedule beside 0.5 s of loans)."""
    s = roster.settings
    order = {r.id: i for i, r in enumerate(roster.returnees)}
    by_id = {a.returnee_id: a for p in plans for a in p.assignments}
    missing = [rid for rid in order if rid not in by_id]
    if missing:
        raise ValueError(f"{len(missing)} returnees are in no part, e.g. {missing[:3]}")
    names = [k for k in TIER_ORDER if any(k in p.tiers for p in plans)]
    tiers = {}
    for name in names:
        got = [p.tiers[name] for p in plans if name in p.tiers]
        known = all(t.bound is not None for t in got)
        if name in KM_TIERS:  # km with 10 m resolution: add exactly
            value = sum(round(t.value * 100) for t in got) / 100
            bound = sum(round(t.bound * 100) for t in got) / 100 if known else None
        else:
            value = sum(t.value for t in got)
            bound = sum(t.bound for t in got) if known else None
        tiers[name] = Tier(name, float(value), None if bound is None else float(bound),
                           all(t.optimal for t in got))
    statuses = {p.status for p in plans}
    status = "OPTIMAL" if statuses <= {"OPTIMAL"} else (
        "FEASIBLE" if "FEASIBLE" in statuses else sorted(statuses - {"OPTIMAL"})[0])
    unassigned = sorted((u for p in plans for u in p.unassigned),
                        key=lambda u: order[u.returnee_id])
    stats: dict = {}
    for p in plans:
        for k, v in p.stats.items():
            if isinstance(v, (int, float)) and not isinstance(v, bool) and k != "part_seconds":
                stats[k] = stats.get(k, 0) + v
    merged = Plan(
        plan_date=s.plan_date, settings=s.to_dict(), tiers=tiers,
        assignments=[by_id[rid] for rid in order], unassigned=unassigned,
        status=status, stats=stats,
        sources=[{"name": f.name, "sha256": f.sha256} for f in roster.sources],
        warnings=[w for p in plans for w in p.warnings],
        warnings_vi=[w for p in plans for w in (p.warnings_vi or p.warnings)],
        unmet_requires=sorted((u for p in plans for u in p.unmet_requires),
                              key=lambda u: (u.row or 0, u.returnee_id)),
        visits=[v for p in plans for v in p.visits],
        unscheduled=[u for p in plans for u in p.unscheduled])
    # gaps per ward use the whole roster (median mentor capacity, wards across parts)
    merged.capacity_gaps = capacity_gaps(SimpleNamespace(roster=roster), merged)
    if any(p.changes for p in plans):
        merged.changes = _merge_changes(roster, plans, previous)
    # a capital pool may span regions: loans are allocated on the whole roster (its people
    # under follow-up)
    jobs = start_parts(schedule, merged) if schedule is not None else []
    finished = follow_up_finished(roster)
    active = dataclasses.replace(roster, returnees=tuple(
        r for r in roster.returnees if r.id not in finished)) if finished else roster
    try:
        loans = allocate_loans(active, merged.assignments,
                               previous.granted if previous is not None else None)
    except BaseException:
        cancel_parts(jobs)
        raise
    merged.tiers.update(loans.tiers)
    merged.loans, merged.employer_loans = loans.decisions, loans.employer_loans
    if jobs:
        collect_parts(merged, jobs)
    return merged


def _merge_changes(roster: Roster, plans: Sequence[Plan],
                   previous: PreviousPlan | None) -> dict:
    """The parts' change reports as one, in roster order, with the previous pairs of
    returnees no longer on the roster (which no part sees)."""
    order = {r.id: i for i, r in enumerate(roster.returnees)}
    items = sorted((x for p in plans for x in p.changes.get("list", [])),
                   key=lambda x: order.get(x["returnee_id"], len(order)))
    counts: dict[str, int] = {}
    for p in plans:
        for k, v in p.changes.get("counts", {}).items():
            counts[k] = counts.get(k, 0) + v
    if previous is not None:
        listed = {x["returnee_id"] for x in items}
        for rid, row in previous.rows.items():
            if rid not in order and rid not in listed and (
                    row.mentor_id or row.job_id or row.training_id):
                counts["ended"] = counts.get("ended", 0) + 1
                gone = catalog.bi("reason.rerun.left_roster")
                items.append({"returnee_id": rid, "change": "ended",
                              "old_mentor": row.mentor_id, "new_mentor": None,
                              "reason": str(gone), "reason_vi": gone.vi})
    first = next((p.changes for p in plans if p.changes), {})
    return {"counts": counts, "list": items, "previous": first.get("previous", ""),
            "warnings": [w for p in plans for w in p.changes.get("warnings", [])],
            "warnings_vi": [w for p in plans for w in p.changes.get(
                "warnings_vi", p.changes.get("warnings", []))]}
