"""Jobs and training, tiers J1-J5 (SPEC sections 2-3): one lexicographic flow with a
bypass — J1 (jobs), then J2 (training), J3 (kept placements on a rerun), fit (J4) and
commute (J5); co-offenders go through (opening, group) nodes. The employer-wide
co-offender rule (12) spans several openings, which one flow cannot express: branch and
bound over flows (or a dive when clashes are many), and a CP-SAT repair when out of
nodes or time."""

from __future__ import annotations

import heapq
import time

import numpy as np

from matcher.context import (
    LOWER_TIERS,
    PLACEMENT_TIERS,
    TRAVEL_UNITS_PER_KM,
    Context,
    PlacementSolution,
    _against_relaxation,
    _group_nodes,
)
from matcher.cpsat import lex_solve
from matcher.flow import lex_max_flow_min_cost
from matcher.plan import Tier
from matcher.rules import People, PlacementArcs
from matcher.text import fold

BNB_MAX_CLASHES = 3  # co-offender clashes at one employer that branch and bound takes on
BNB_WARM_PAIRS = 200_000  # placement pairs up to which open nodes keep their flow
J5_EXTRA_NODES = 8  # branch-and-bound nodes spent on closing a commute gap once J1-J4 hold


def solve_placements(ctx: Context, *, time_limit: float = 60.0,
                     fixed_jobs: np.ndarray | None = None,
                     fixed_trainings: np.ndarray | None = None) -> PlacementSolution:
    """J1 jobs, J2 training, J3 kept placements (reruns), J4 fit, J5 commute: one
    lexicographic flow with a bypass. ``fixed_jobs`` / ``fixed_trainings`` (arc per
    returnee or -1) are placements that must stay — hired on a rerun, honoured require
    rows (:mod:`matcher.requires`): they keep their slot or seat."""
    roster, p, s = ctx.roster, ctx.people, ctx.roster.settings
    n, nj, nt = p.n_returnees, len(roster.jobs), len(roster.trainings)
    employers: dict[str, int] = {}
    # one employer however it is spelt (accents, case, spaces), as the checker reads it
    emp = np.array([employers.setdefault(fold(j.employer), len(employers))
                    for j in roster.jobs], dtype=np.int64)
    none = np.full(n, -1, dtype=np.int64)
    fixed_jobs = none if fixed_jobs is None else fixed_jobs
    fixed_trainings = none if fixed_trainings is None else fixed_trainings
    frozen = (fixed_jobs >= 0) | (fixed_trainings >= 0)
    used_slots = np.bincount(ctx.jarcs.o[fixed_jobs[fixed_jobs >= 0]], minlength=nj)
    used_seats = np.bincount(ctx.tarcs.o[fixed_trainings[fixed_trainings >= 0]],
                             minlength=nt)
    jkeep = ~frozen[ctx.jarcs.r]
    tkeep = ~frozen[ctx.tarcs.r]
    if (fixed_jobs >= 0).any():
        fa = ctx.jarcs
        fr = np.flatnonzero(fixed_jobs >= 0)
        gmax = int(p.r_group.max()) + 2
        taken = {int(emp[fa.o[k]]) * gmax + int(p.r_group[fa.r[k]])
                 for k in fixed_jobs[fr].tolist() if p.r_group[fa.r[k]] >= 0}
        if taken:
            keys = emp[fa.o] * gmax + p.r_group[fa.r]
            jkeep &= ~((p.r_group[fa.r] >= 0) & np.isin(keys, list(taken)))
    last_flow: list = [None]

    def run(forbid: np.ndarray, kept: tuple[np.ndarray, np.ndarray] | None = None,
            warm=None):
        """One lexicographic flow with the arcs in ``forbid`` closed (capacity 0); ``kept``
        (job and training pair masks) start the pruned network, e.g. where the parent
        node's ended; ``warm``: the flow result of a node with fewer arcs forbidden, which
        the first stage starts from (the same network arc for arc)."""
        jidx, tidx = np.flatnonzero(jkeep), np.flatnonzero(tkeep)
        ja, ta = ctx.jarcs.take(jkeep), ctx.tarcs.take(tkeep)
        S, T = 0, 1
        r_node = 2 + np.arange(n)
        j_node = 2 + n + np.arange(nj)
        t_node = 2 + n + nj + np.arange(nt)
        next_node = 2 + n + nj + nt
        job_head = j_node[ja.o].copy()
        extra_t, extra_h = [], []
        grp = p.r_group[ja.r]
        if (grp >= 0).any():
            # (job, group) nodes keep co-offenders out of the same opening exactly; the
            # employer-wide rule across several openings is checked after the flow
            next_node = _group_nodes(grp, ja.o, j_node, job_head, extra_t, extra_h,
                                     next_node)
        seekers = np.unique(np.concatenate([ja.r, ta.r]))
        slots = np.maximum(np.array([j.slots for j in roster.jobs], dtype=np.int64) - used_slots, 0)
        seats = np.maximum(np.array([t.seats for t in roster.trainings], dtype=np.int64)
                           - used_seats, 0)
        parts = [
            (np.full(len(seekers), S), r_node[seekers], np.ones(len(seekers))),  # 0 source
            (r_node[ja.r], job_head, ~forbid[jidx]),  # 1 job pairs (forbidden: closed)
            (r_node[ta.r], t_node[ta.o], np.ones(len(ta))),  # 2 training pairs
            (np.concatenate(extra_t) if extra_t else np.zeros(0),
             np.concatenate(extra_h) if extra_h else np.zeros(0),
             np.ones(sum(len(x) for x in extra_t))),  # 3 group -> job
            (j_node, np.full(nj, T), slots),  # 4 job -> sink
            (t_node, np.full(nt, T), seats),  # 5 training -> sink
            # 6 bypass: every seeker's unit flows, placed or not (a flow of fixed value)
            (np.array([S]), np.array([T]), np.array([len(seekers)])),
        ]
        tails = np.concatenate([x[0] for x in parts]).astype(np.int64)
        heads = np.concatenate([x[1] for x in parts]).astype(np.int64)
        caps = np.concatenate([x[2] for x in parts]).astype(np.int64)
        sizes = [len(x[0]) for x in parts]
        offsets = np.concatenate([[0], np.cumsum(sizes)])

        def layer(values: dict[int, np.ndarray]) -> np.ndarray:
            out = np.zeros(len(tails), dtype=np.int64)
            for i, v in values.items():
                out[offsets[i]:offsets[i + 1]] = v
            return out

        jscore, tscore = ja.score(s), ta.score(s)
        jtravel = np.rint(ja.km * TRAVEL_UNITS_PER_KM).astype(np.int64) * (s.weight_commute > 0)
        ttravel = np.rint(ta.km * TRAVEL_UNITS_PER_KM).astype(np.int64) * (s.weight_commute > 0)
        j1 = layer({1: -np.ones(len(ja), dtype=np.int64)})
        j2 = layer({2: -np.ones(len(ta), dtype=np.int64)})
        j3 = layer({1: -ja.prev.astype(np.int64), 2: -ta.prev.astype(np.int64)})
        j4 = layer({1: -jscore, 2: -tscore})
        j5 = layer({1: jtravel, 2: ttravel})

        def per_r(v: np.ndarray, r: np.ndarray) -> np.ndarray:
            best = np.zeros(n, dtype=np.int64)
            if len(v):
                np.maximum.at(best, r, np.abs(v))
            return best

        r1 = len(seekers)
        r2 = len(np.unique(ta.r))
        r4 = int(np.maximum(per_r(jscore, ja.r), per_r(tscore, ta.r)).sum())
        r5 = int(np.maximum(per_r(jtravel, ja.r), per_r(ttravel, ta.r)).sum())
        r3 = len(np.unique(np.concatenate([ja.r[ja.prev], ta.r[ta.prev]])))
        optional = layer({1: ~forbid[jidx], 2: np.ones(len(ta), dtype=np.int64)}).astype(bool)
        initial = None
        if kept is not None:
            initial = layer({1: kept[0][jidx], 2: kept[1][tidx]}).astype(bool)
        elif ja.prev.any() or ta.prev.any():
            # a rerun: the previous placements fill most slots and seats, and the new
            # people's cheapest pairs lead to full ones; their cheapest pairs to openings
            # and courses with room left start the network too (spares certificate
            # rounds; the certificate still decides what is optimal)
            initial = layer({1: _cheapest_with_room(ja, slots, -jscore, s.candidates_k),
                             2: _cheapest_with_room(ta, seats, -tscore, s.candidates_k)}
                            ).astype(bool)
        res = lex_max_flow_min_cost(next_node, S, T, tails, heads, caps, [j1, j2, j3, j4, j5],
                                    [r1, r2, r3, r4, r5], optional=optional,
                                    keep_per_tail=s.candidates_k, initial_keep=initial,
                                    warm=warm, flow_value=len(seekers))
        kj = np.zeros(len(ctx.jarcs), dtype=bool)
        kt = np.zeros(len(ctx.tarcs), dtype=bool)
        kj[jidx] = res.keep[offsets[1]:offsets[2]]
        kt[tidx] = res.keep[offsets[2]:offsets[3]]
        fj = res.flows[offsets[1]:offsets[2]] > 0
        ft = res.flows[offsets[2]:offsets[3]] > 0
        job_of = fixed_jobs.copy()
        job_of[ja.r[fj]] = jidx[np.flatnonzero(fj)]
        training_of = fixed_trainings.copy()
        training_of[ta.r[ft]] = tidx[np.flatnonzero(ft)]
        last_flow[0] = res  # the dive starts its next flow from this one
        return job_of, training_of, tuple(res.tier_values), (kj, kt)

    # Rule 12 spans all openings of an employer, which one flow cannot express exactly.
    # Branch and bound on flows: a node's flow is a lexicographic relaxation; a clash of
    # co-offenders at one employer branches into "only member c may work there" for each
    # member c (every feasible plan lies in one branch). Best-first, so the first node
    # without a clash is optimal. Many nodes can tie on J1-J4 and differ only in commute
    # (J5): once a clash-free node (the incumbent) ties with the best open node on J1-J4,
    # those tiers are proved; J5 is then proved when the search closes its gap within a
    # few more nodes, else reported with the best open node's commute as its bound.
    ja_all = ctx.jarcs
    root_forbid = np.zeros(len(ja_all), dtype=bool)
    job_of, training_of, key, kept = run(root_forbid)
    # open nodes keep their flow for their children to start from, unless the network is
    # so big that hundreds of them would not fit in memory (such ones dive instead)
    keep_flows = len(ja_all) + len(ctx.tarcs) <= BNB_WARM_PAIRS
    heap = [(key, 0, root_forbid, job_of, training_of, kept,
             last_flow[0] if keep_flows else None)]
    counter = 1
    deadline = time.perf_counter() + time_limit
    solution = incumbent = None
    settled = None  # nodes popped when J1-J4 were first settled
    popped = 0
    root_clashes = _employer_clash_groups(p, emp, ja_all, job_of)
    search = len(root_clashes) <= BNB_MAX_CLASHES
    if not search:
        # many clashes would make the search one level deep per clash: dive instead,
        # resolving every clash at once (the member with the better fit, then the shorter
        # commute, keeps the employer) until none is left; the root bounds the result
        incumbent = _dive(run, p, emp, ja_all, ja_all.score(s), root_forbid, root_clashes,
                          (key, job_of, training_of, kept), last_flow)
        ctx.stats["placement_dive"] = True
    while search and heap and counter < 400 and time.perf_counter() < deadline:
        if incumbent is not None and incumbent[0][:4] == heap[0][0][:4]:
            settled = popped if settled is None else settled
            if popped - settled >= J5_EXTRA_NODES:
                break
        key, _, forbid, job_of, training_of, kept, flow = heapq.heappop(heap)
        popped += 1
        clash = _employer_clash_groups(p, emp, ja_all, job_of)
        if not clash:
            solution = (job_of, training_of)
            break
        e, g, members = clash[0]
        at_e = (emp[ja_all.o] == e) & (p.r_group[ja_all.r] == g)
        for c in members:
            child = forbid | (at_e & (ja_all.r != c))
            cj, ct, ckey, ckept = run(child, kept, warm=flow)
            heapq.heappush(heap, (ckey, counter, child, cj, ct, ckept,
                                  last_flow[0] if keep_flows else None))
            counter += 1
            if (incumbent is None or ckey < incumbent[0]) and \
                    not _employer_clash_groups(p, emp, ja_all, cj):
                incumbent = (ckey, cj, ct)
    ctx.stats["placement_nodes"] = counter
    proved = dict.fromkeys(PLACEMENT_TIERS, True)
    if solution is not None:
        job_of, training_of = solution
        values = _placement_values(ctx, job_of, training_of)
        tiers = {name: Tier(name, values[name], values[name] if proved[name] else None,
                            proved[name]) for name in PLACEMENT_TIERS}
        return PlacementSolution(job_of, training_of, tiers)
    if incumbent is not None and heap and incumbent[0][:4] == heap[0][0][:4]:
        # J1-J4 proved; every plan with these J1-J4 lies under an open node that ties on
        # them, whose commute bounds its subtree's
        _, job_of, training_of = incumbent
        values = _placement_values(ctx, job_of, training_of)
        j5_bound = min(k[4] for k, *_ in heap if k[:4] == incumbent[0][:4])
        tiers = {name: Tier(name, values[name], values[name], True)
                 for name in PLACEMENT_TIERS if name != "J5"}
        if s.weight_commute:
            tiers["J5"] = Tier("J5", values["J5"], j5_bound / TRAVEL_UNITS_PER_KM,
                               j5_bound == incumbent[0][4])
        else:  # commute is not optimised: the tier only reports it
            tiers["J5"] = Tier("J5", values["J5"], values["J5"], True)
        return PlacementSolution(job_of, training_of, tiers)
    if incumbent is not None:  # J1-J4 not settled: the best open node bounds each tier
        _, job_of, training_of = incumbent
        values = _placement_values(ctx, job_of, training_of)
        bounds, proved = _against_relaxation(
            PLACEMENT_TIERS, values, _placement_values(ctx, heap[0][3], heap[0][4]))
        return PlacementSolution(job_of, training_of, {
            name: Tier(name, values[name], bounds[name], proved[name])
            for name in PLACEMENT_TIERS})
    # out of nodes or time: repair the best open node with CP-SAT, bounded by the open nodes
    key, _, _, job_of, training_of, _, _ = heap[0] if heap else (key, 0, None, job_of,
                                                                  training_of, None, None)
    relaxed = _placement_values(ctx, job_of, training_of)
    values, bounds = relaxed, dict(relaxed)
    clash = _employer_clashes(p, emp, ctx.jarcs, job_of)
    if clash:
        job_of, training_of, values, bounds, proved = _cpsat_placements(
            ctx, emp, job_of, training_of, clash, relaxed,
            max(1.0, deadline - time.perf_counter()), frozen)
    tiers = {name: Tier(name, values[name], bounds[name], proved[name])
             for name in PLACEMENT_TIERS}
    return PlacementSolution(job_of, training_of, tiers)


def _cheapest_with_room(arcs: PlacementArcs, room: np.ndarray, cost: np.ndarray,
                        k: int) -> np.ndarray:
    """Per returnee its ``k`` cheapest pairs (``cost``, then km) to openings or courses
    with room left once every previous placement keeps its place."""
    taken = np.bincount(arcs.o[arcs.prev], minlength=len(room))
    sel = np.flatnonzero((room - taken)[arcs.o] > 0)
    order = sel[np.lexsort((arcs.km[sel], cost[sel], arcs.r[sel]))]
    rs = arcs.r[order]
    rank = np.arange(len(order)) - np.searchsorted(rs, rs)
    out = np.zeros(len(arcs), dtype=bool)
    out[order[rank < k]] = True
    return out


def _dive(run, p: People, emp: np.ndarray, ja: PlacementArcs, score: np.ndarray,
          forbid: np.ndarray, clashes: list, node: tuple, last_flow: list, rounds: int = 12):
    """Resolve all co-offender clashes at once, re-solve, repeat: a clash-free plan
    (key, job_of, training_of) or None. ``last_flow[0]``: the flow result of ``run``'s
    last call, which the next one starts from."""
    forbid = forbid.copy()
    key, job_of, training_of, kept = node
    for _ in range(rounds):
        if not clashes:
            return key, job_of, training_of
        for e, g, members in clashes:
            stay = min(members, key=lambda r: (-score[job_of[r]], ja.km[job_of[r]], r))
            forbid |= (emp[ja.o] == e) & (p.r_group[ja.r] == g) & (ja.r != stay)
        job_of, training_of, key, kept = run(forbid, kept, warm=last_flow[0])
        clashes = _employer_clash_groups(p, emp, ja, job_of)
    return None


def _employer_clash_groups(p: People, emp: np.ndarray, ja: PlacementArcs,
                           job_of: np.ndarray) -> list[tuple[int, int, list[int]]]:
    """(employer, group, members placed there) wherever co-offenders share an employer."""
    seen: dict[tuple[int, int], list[int]] = {}
    for r in np.flatnonzero((job_of >= 0) & (p.r_group >= 0)).tolist():
        key = (int(emp[ja.o[job_of[r]]]), int(p.r_group[r]))
        seen.setdefault(key, []).append(r)
    return [(e, g, rs) for (e, g), rs in sorted(seen.items()) if len(rs) > 1]


def _placement_values(ctx: Context, job_of: np.ndarray, training_of: np.ndarray
                      ) -> dict[str, float]:
    s, ja, ta = ctx.roster.settings, ctx.jarcs, ctx.tarcs
    j = job_of[job_of >= 0]
    t = training_of[training_of >= 0]
    commute = (np.rint(ja.km[j] * TRAVEL_UNITS_PER_KM).sum()
               + np.rint(ta.km[t] * TRAVEL_UNITS_PER_KM).sum())
    return {"J1": float(len(j)), "J2": float(len(t)),
            "J3": -float(ja.prev[j].sum() + ta.prev[t].sum()),  # minus kept (rerun)
            "J4": float(ja.score(s)[j].sum() + ta.score(s)[t].sum()),
            "J5": float(commute / TRAVEL_UNITS_PER_KM)}


def _employer_clashes(p: People, emp: np.ndarray, ja: PlacementArcs,
                      job_of: np.ndarray) -> list[int]:
    """Returnees whose co-offender works for the same employer (rule 12)."""
    return [r for _e, _g, members in _employer_clash_groups(p, emp, ja, job_of)
            for r in members]


def _cpsat_placements(ctx: Context, emp: np.ndarray, job_of: np.ndarray,
                      training_of: np.ndarray, clash: list[int], relaxed: dict[str, float],
                      time_limit: float, frozen: np.ndarray):
    """Repair the employer-wide co-offender rule (12), which the flow only relaxes: re-solve
    exactly with CP-SAT a growing region of the placement graph around the clashes while the
    rest stays fixed, until J1 and J2 meet the relaxation's bound (a proof) or the region is
    whole components (where CP-SAT's own proof is global)."""
    roster, p, ja, ta = ctx.roster, ctx.people, ctx.jarcs, ctx.tarcs
    n = p.n_returnees
    clash = [r for r in clash if not frozen[r]]
    base_j, base_t = job_of.copy(), training_of.copy()
    base_j[clash] = -1
    best = (base_j, base_t)
    best_vals = _placement_values(ctx, *best)
    proofs: dict[str, bool] = {}
    deadline = time.perf_counter() + time_limit

    def nearest(arcs: PlacementArcs, k: int) -> np.ndarray:
        order = np.lexsort((arcs.km, arcs.r))
        rs = arcs.r[order]
        rank = np.arange(len(order)) - np.searchsorted(rs, rs)
        return order[rank < k]

    for depth, k_near in ((1, 3), (2, 6), (3, 12), (5, 30), (99, 10**9)):
        jn = np.union1d(nearest(ja, k_near), job_of[job_of >= 0])
        tn = np.union1d(nearest(ta, k_near), training_of[training_of >= 0])
        in_r = np.zeros(n, dtype=bool)
        in_r[clash] = True
        for _ in range(depth):
            jobs_hit = np.zeros(len(roster.jobs), dtype=bool)
            jobs_hit[ja.o[jn][in_r[ja.r[jn]]]] = True
            emp_hit = np.isin(emp, emp[jobs_hit])
            t_hit = np.zeros(len(roster.trainings), dtype=bool)
            t_hit[ta.o[tn][in_r[ta.r[tn]]]] = True
            in_r[ja.r[jn][emp_hit[ja.o[jn]]]] = True
            in_r[ta.r[tn][t_hit[ta.o[tn]]]] = True
            in_r &= ~frozen  # started placements are facts
        fixed_j = np.where(in_r, -1, best[0])
        fixed_t = np.where(in_r, -1, best[1])
        jsel = jn[in_r[ja.r[jn]]]
        tsel = tn[in_r[ta.r[tn]]]
        whole = (len(jsel) == int(in_r[ja.r].sum()) and len(tsel) == int(in_r[ta.r].sum())
                 and not _crosses(ctx, emp, in_r))
        left = max(0.5, deadline - time.perf_counter())
        nj_, nt_, res = _cpsat_placement_region(ctx, emp, jsel, tsel, fixed_j, fixed_t,
                                                best, left)
        vals = _placement_values(ctx, nj_, nt_)
        if _placement_key(vals) >= _placement_key(best_vals):
            best, best_vals = (nj_, nt_), vals
            proofs = {name: r[2] for name, r in res.items()} if whole else {}
        must = ("J1", "J2", "J3") if (ja.prev.any() or ta.prev.any()) and depth < 5 \
            else ("J1", "J2")
        if all(abs(best_vals[t] - relaxed[t]) < 1e-6 for t in must):
            break
        if time.perf_counter() > deadline or whole:
            break
    bounds, proved = _against_relaxation(PLACEMENT_TIERS, best_vals, relaxed, proofs)
    return best[0], best[1], best_vals, bounds, proved


def _placement_key(v: dict[str, float]) -> tuple:
    return (v["J1"], v["J2"], -v["J3"], v["J4"], -v["J5"])


def _crosses(ctx: Context, emp: np.ndarray, in_r: np.ndarray) -> bool:
    """Does a returnee outside the region compete for an employer or course inside it?"""
    ja, ta = ctx.jarcs, ctx.tarcs
    emp_in = np.unique(emp[ja.o[in_r[ja.r]]])
    t_in = np.unique(ta.o[in_r[ta.r]])
    out_j = ~in_r[ja.r]
    out_t = ~in_r[ta.r]
    return bool(np.isin(emp[ja.o[out_j]], emp_in).any() or np.isin(ta.o[out_t], t_in).any())


def _cpsat_placement_region(ctx: Context, emp: np.ndarray, jsel: np.ndarray, tsel: np.ndarray,
                            fixed_j: np.ndarray, fixed_t: np.ndarray, hint: tuple,
                            time_limit: float):
    from ortools.sat.python import cp_model  # lazy: it imports pandas (0.2 s)

    roster, p, ja, ta, s = ctx.roster, ctx.people, ctx.jarcs, ctx.tarcs, ctx.roster.settings
    used_j = np.bincount(ja.o[fixed_j[fixed_j >= 0]], minlength=len(roster.jobs))
    used_t = np.bincount(ta.o[fixed_t[fixed_t >= 0]], minlength=len(roster.trainings))
    taken = {(int(emp[ja.o[k]]), int(p.r_group[ja.r[k]])) for k in fixed_j[fixed_j >= 0]
             if p.r_group[ja.r[k]] >= 0}
    if taken:
        jsel = np.array([k for k in jsel.tolist() if p.r_group[ja.r[k]] < 0 or
                         (int(emp[ja.o[k]]), int(p.r_group[ja.r[k]])) not in taken],
                        dtype=np.int64)
    in_r = np.zeros(p.n_returnees, dtype=bool)
    in_r[ja.r[jsel]] = True
    in_r[ta.r[tsel]] = True
    job_of, training_of = hint
    model = cp_model.CpModel()
    xj = [model.new_bool_var(f"j{i}") for i in range(len(jsel))]
    xt = [model.new_bool_var(f"t{i}") for i in range(len(tsel))]
    by_r: dict[int, list] = {}
    by_job: dict[int, list] = {}
    by_course: dict[int, list] = {}
    by_emp_group: dict[tuple[int, int], list] = {}
    for v, k in zip(xj, jsel.tolist()):
        r, o = int(ja.r[k]), int(ja.o[k])
        by_r.setdefault(r, []).append(v)
        by_job.setdefault(o, []).append(v)
        if p.r_group[r] >= 0:
            by_emp_group.setdefault((int(emp[o]), int(p.r_group[r])), []).append(v)
    for v, k in zip(xt, tsel.tolist()):
        by_r.setdefault(int(ta.r[k]), []).append(v)
        by_course.setdefault(int(ta.o[k]), []).append(v)
    for vs in by_r.values():
        model.add_at_most_one(vs)
    for o, vs in by_job.items():
        model.add(sum(vs) <= max(0, roster.jobs[o].slots - int(used_j[o])))
    for o, vs in by_course.items():
        model.add(sum(vs) <= max(0, roster.trainings[o].seats - int(used_t[o])))
    for vs in by_emp_group.values():
        model.add_at_most_one(vs)
    jscore, tscore = ja.score(s)[jsel], ta.score(s)[tsel]
    jkm = np.rint(ja.km[jsel] * TRAVEL_UNITS_PER_KM).astype(np.int64)
    tkm = np.rint(ta.km[tsel] * TRAVEL_UNITS_PER_KM).astype(np.int64)
    tiers = [
        ("J1", sum(xj), True),
        ("J2", sum(xt), True),
        ("J3", -sum(v for v, k in zip(xj, jsel.tolist()) if ja.prev[k])
         - sum(v for v, k in zip(xt, tsel.tolist()) if ta.prev[k]), False),
        ("J4", sum(int(c) * v for c, v in zip(jscore.tolist(), xj))
         + sum(int(c) * v for c, v in zip(tscore.tolist(), xt)), True),
        ("J5", sum(int(c) * v for c, v in zip(jkm.tolist(), xj))
         + sum(int(c) * v for c, v in zip(tkm.tolist(), xt)), False),
    ]
    for v, k in zip(xj, jsel.tolist()):
        model.add_hint(v, job_of[int(ja.r[k])] == k)
    for v, k in zip(xt, tsel.tolist()):
        model.add_hint(v, training_of[int(ta.r[k])] == k)
    tiers = [(name, expr, maximize, 1) for name, expr, maximize in tiers
             if name != "J5" or s.weight_commute]
    res, solution = lex_solve(model, tiers, xj + xt, time_limit=time_limit,
                              shared_budget=True, quick=LOWER_TIERS, stop_when_unproved=True)
    if solution is None:  # nothing in time: keep the hint
        return job_of.copy(), training_of.copy(), {}
    new_j, new_t = fixed_j.copy(), fixed_t.copy()
    picked = (solution[:len(xj)], solution[len(xj):])
    for b, k in zip(picked[0], jsel.tolist()):
        if b:
            new_j[ja.r[k]] = k
    for b, k in zip(picked[1], tsel.tolist()):
        if b:
            new_t[ta.r[k]] = k
    return new_j, new_t, res
