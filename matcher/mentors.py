"""Mentor matching, tiers M1-M5 (SPEC sections 2-3).

Without monthly-hour limits the matching is a pure flow: source -> returnee -> (mentor,
co-offender group) -> mentor -> sink, the spreading term as convex parallel arcs; one
lexicographic min-cost max-flow solves M1, then M2, M3, M4, M5 exactly
(:mod:`matcher.flow`). Monthly hours make it a generalised assignment problem: a mentor's
hour budget first caps its flow capacity (nested hour limits keep the flow a valid
relaxation); if the relaxed optimum respects every budget it is optimal, otherwise the
region around each over-budget mentor is re-solved exactly with CP-SAT, warm-started from
the flow and bounded by it, growing to whole connected components while a tier is open."""

from __future__ import annotations

import sys
import time

import numpy as np

from matcher.context import (
    HOURS_SCALE,
    LOWER_TIERS,
    MENTOR_TIERS,
    TRAVEL_UNITS_PER_KM,
    Context,
    MentorSolution,
    _against_relaxation,
    _group_nodes,
)
from matcher.cpsat import lex_solve
from matcher.flow import lex_max_flow_min_cost
from matcher.plan import Tier
from matcher.rules import MentorArcs, People

FIRST_NEAR = 16  # candidate mentors per mentee of an over-budget mentor in the first repair
# share of the time limit a repair region short of the whole may take: when CP-SAT cannot
# settle whether it reaches the flow's bound in that time, a larger region would not either
REGION_SHARE = 0.25
WHOLE = 99  # region depth that stands for whole connected components
# largest whole component (candidate pairs) CP-SAT is given to settle the lower tiers M3-M5
# once M1 and M2 are proved: a GAP of 10 x 100 has 1,000 pairs and is proved in seconds;
# a city's hour-bound component (~300,000 pairs) does not even load within a minute
WHOLE_MAX_PAIRS = 20_000


def _effective_capacity(p: People, arcs: MentorArcs, cap: np.ndarray,
                        budget: np.ndarray) -> np.ndarray:
    """Most mentees each mentor can take within its hour budget (cheapest pairs first):
    a relaxation of the hour rule that keeps the flow valid."""
    eff = cap.copy()
    limited = np.isfinite(budget) & (cap > 0)
    if not limited.any() or len(arcs) == 0:
        return eff
    sel = np.flatnonzero(limited[arcs.m])
    order = sel[np.lexsort((arcs.hours[sel], arcs.m[sel]))]
    m_sorted, h_sorted = arcs.m[order], arcs.hours[order]
    total = np.cumsum(h_sorted)
    first = np.searchsorted(m_sorted, m_sorted)  # start of each mentor's run
    before = np.where(first > 0, total[first - 1], 0.0)
    within = (total - before) <= budget[m_sorted] + 1e-9  # prefix of cheapest pairs fits
    fits = np.bincount(m_sorted[within], minlength=p.n_mentors)
    eff[limited] = np.minimum(cap[limited], fits[limited])
    return eff


def _hour_levels(m: np.ndarray, hours: np.ndarray, budget: np.ndarray, cap: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Nested hour limits of a flow relaxation of the hour budgets. Per mentor, with its
    pairs sorted by hours, the pairs from position j on can hold at most N_j mentees (the
    most of them whose cheapest hours fit the budget): every plan within budget obeys
    this, for every j, and the sets are nested, so a chain of nodes (level l -> level
    l-1 -> mentor, capacity N) carries them in a flow. Returns per pair its level (0: the
    mentor node itself) and per level node (mentor, level, capacity)."""
    level = np.zeros(len(m), dtype=np.int64)
    sel = np.flatnonzero(np.isfinite(budget[m]) & (cap[m] > 1))
    if len(sel) == 0:
        e = np.zeros(0, dtype=np.int64)
        return level, e, e, e
    order = sel[np.lexsort((hours[sel], m[sel]))]
    ms, hs = m[order], hours[order]
    pos = np.arange(len(order))
    first = np.searchsorted(ms, ms)
    end = np.searchsorted(ms, ms, side="right")
    cs = np.cumsum(hs)
    before = np.where(pos > 0, cs[pos - 1], 0.0)
    # most pairs from position j on whose hours fit: the cheapest of them, consecutively
    k = np.searchsorted(cs, before + budget[ms] + 1e-9, side="right") - pos
    k = np.minimum(k, end - pos)
    n_j = np.minimum(k, cap[ms])
    nontrivial = n_j < end - pos  # not every pair from j on fits together
    prev = np.where(pos > first, np.r_[0, n_j[:-1]], cap[ms])
    brk = nontrivial & (n_j < prev)
    lv = np.cumsum(brk)
    lv = lv - np.where(first > 0, lv[first - 1], 0)  # breakpoints so far in this mentor
    level[order] = lv
    b = np.flatnonzero(brk)
    return level, ms[b], lv[b], n_j[b]


def _flow_mentors(p: People, arcs: MentorArcs, cand: np.ndarray, cap: np.ndarray,
                  pre_load: np.ndarray, s, budget: np.ndarray
                  ) -> tuple[np.ndarray, list[int], int]:
    """Lexicographic flow over candidate arcs ``cand``; returns chosen arc per returnee."""
    n, m = p.n_returnees, p.n_mentors
    S, T = 0, 1
    r_node = 2 + np.arange(n)
    m_node = 2 + n + np.arange(m)
    ar, am = arcs.r[cand], arcs.m[cand]
    # (mentor, group) nodes where two or more members of a group could share a mentor
    grp = p.r_group[ar]
    head = m_node[am].copy()
    extra_t, extra_h = [], []
    next_node = _group_nodes(grp, am, m_node, head, extra_t, extra_h, 2 + n + m)
    # nested hour limits (pairs through a co-offender node keep their own path: the
    # limits on the other pairs alone are still implied by the budgets)
    level, lm, ll, level_caps = _hour_levels(am, arcs.hours[cand], budget, cap)
    if len(lm):
        nodes = next_node + np.arange(len(lm))
        next_node += len(lm)
        # node of (mentor, level): levels of a mentor are consecutive, from 1
        start = np.full(m, -1, dtype=np.int64)
        start[lm[::-1]] = nodes[::-1] - (ll[::-1] - 1)  # node of level 1 per mentor
        to_level = (head == m_node[am]) & (level > 0)
        head[to_level] = start[am[to_level]] + level[to_level] - 1
        extra_t.append(nodes)
        extra_h.append(np.where(ll > 1, nodes - 1, m_node[lm]))
    # spreading arcs: the k-th mentee of a mentor (k counted after required ones)
    slot_m = np.repeat(np.arange(m), np.maximum(cap, 0))
    slot_k = (np.arange(len(slot_m)) - np.repeat(np.cumsum(np.maximum(cap, 0)) -
                                                 np.maximum(cap, 0), np.maximum(cap, 0)))
    slot_k = slot_k + pre_load[slot_m]
    travel = np.rint(arcs.km[cand] * TRAVEL_UNITS_PER_KM).astype(np.int64)
    score = arcs.score(s)[cand]
    spread = (s.weight_spread * slot_k).astype(np.int64)
    src_r = np.unique(ar)
    parts_t = [np.full(len(src_r), S), r_node[ar], *extra_t, m_node[slot_m]]
    parts_h = [r_node[src_r], head, *extra_h, np.full(len(slot_m), T)]
    sizes = [len(src_r), len(ar), sum(len(x) for x in extra_t), len(slot_m)]
    tails = np.concatenate(parts_t).astype(np.int64)
    heads = np.concatenate(parts_h).astype(np.int64)
    caps = np.ones(len(tails), dtype=np.int64)
    end = sizes[0] + sizes[1] + sizes[2]  # the level arcs close the third part
    caps[end - len(level_caps):end] = level_caps

    def layer(values: dict[int, np.ndarray]) -> np.ndarray:
        out = np.zeros(len(tails), dtype=np.int64)
        offset = 0
        for i, size in enumerate(sizes):
            if i in values:
                out[offset:offset + size] = values[i]
            offset += size
        return out

    m2 = layer({0: -p.r_risk[src_r]})
    prev = arcs.prev[cand].astype(np.int64)
    m3 = layer({1: -prev})
    m4 = layer({1: -score, 3: spread})
    m5 = layer({1: travel * (s.weight_travel > 0)})
    # bounds on |tier total|: one unit per returnee on the pair layer
    def per_returnee_max(v: np.ndarray) -> int:
        if len(v) == 0:
            return 0
        best = np.zeros(n, dtype=np.int64)
        np.maximum.at(best, ar, np.abs(v))
        return int(best.sum())

    r2 = int(p.r_risk[src_r].sum())
    r4 = per_returnee_max(score) + int(spread.sum())
    r5 = per_returnee_max(travel)
    r3 = int(prev.sum())
    optional = layer({1: np.ones(sizes[1], dtype=np.int64)}).astype(bool)
    res = lex_max_flow_min_cost(next_node, S, T, tails, heads, caps, [m2, m3, m4, m5],
                                [r2, r3, r4, r5], optional=optional,
                                keep_per_tail=s.candidates_k, keep_ties=True)
    used = res.flows[sizes[0]:sizes[0] + sizes[1]] > 0
    chosen = np.full(n, -1, dtype=np.int64)
    chosen[ar[used]] = cand[used]
    return chosen, res.tier_values


def _tier_values(p: People, arcs: MentorArcs, chosen: np.ndarray, s) -> dict[str, float]:
    """Recompute M1, M2, M4, M5 of a solution from its arcs (the same definitions the
    checker uses)."""
    k = chosen[chosen >= 0]
    load = np.bincount(arcs.m[k], minlength=p.n_mentors)
    spread = s.weight_spread * (load * (load - 1) // 2)
    return {
        "M1": float(len(k)),
        "M2": float(p.r_risk[arcs.r[k]].sum()),
        "M3": -float(arcs.prev[k].sum()),  # minus kept previous pairs (rerun)
        "M4": float(arcs.score(s)[k].sum() - spread.sum()),
        "M5": float(np.rint(arcs.km[k] * TRAVEL_UNITS_PER_KM).sum() / TRAVEL_UNITS_PER_KM),
    }


def _cpsat_mentors(p: People, arcs: MentorArcs, cand: np.ndarray, cap: np.ndarray,
                   budget: np.ndarray, pre_load: np.ndarray, hint: np.ndarray, s,
                   time_limit: float, upper: tuple[int, int] | None = None,
                   must_reach: bool = False, reach: bool = False, lower_full: bool = False
                   ) -> tuple[np.ndarray, dict[str, tuple[float, float, bool]]]:
    """Exact lexicographic CP-SAT on a sub-problem with hour budgets. Returns chosen arc per
    returnee and per tier (value, bound, proved). ``must_reach``: the lower tiers only
    matter if M1 and M2 reach ``upper``; stop as soon as one does not. ``reach``: the hint
    is known to reach ``upper`` (M1 and M2 are then fixed there, proved by the bound).
    ``lower_full``: the lower tiers may use all of ``time_limit`` (else 2 s each)."""
    from ortools.sat.python import cp_model  # lazy: it imports pandas (0.2 s)

    ar, am = arcs.r[cand], arcs.m[cand]
    hours = np.ceil(arcs.hours[cand] * HOURS_SCALE - 1e-6).astype(np.int64)
    score = arcs.score(s)[cand]
    travel = np.rint(arcs.km[cand] * TRAVEL_UNITS_PER_KM).astype(np.int64)
    model = cp_model.CpModel()
    xs = [model.new_bool_var(f"x{i}") for i in range(len(cand))]
    by_r: dict[int, list[int]] = {}
    by_m: dict[int, list[int]] = {}
    for i, (a, b) in enumerate(zip(ar.tolist(), am.tolist())):
        by_r.setdefault(a, []).append(i)
        by_m.setdefault(b, []).append(i)
    # M1 known to cover every returnee of the region: each has exactly one mentor (an
    # LP-tighter model than at-most-one plus a count)
    everyone = reach and upper is not None and upper[0] == len(by_r)
    for idx in by_r.values():
        (model.add_exactly_one if everyone else model.add_at_most_one)(xs[i] for i in idx)
    spread_terms = []
    for mentor, idx in by_m.items():
        c = int(cap[mentor])
        model.add(sum(xs[i] for i in idx) <= c)
        if np.isfinite(budget[mentor]):
            model.add(sum(int(hours[i]) * xs[i] for i in idx)
                      <= int(np.floor(budget[mentor] * HOURS_SCALE + 1e-6)))
        groups: dict[int, list[int]] = {}
        for i in idx:
            g = int(p.r_group[ar[i]])
            if g >= 0:
                groups.setdefault(g, []).append(i)
        for members in groups.values():
            if len(members) > 1:
                model.add_at_most_one(xs[i] for i in members)
        if s.weight_spread and c > 1:
            ys = [model.new_bool_var(f"y{mentor}_{k}") for k in range(c)]
            model.add(sum(ys) == sum(xs[i] for i in idx))
            for k in range(c - 1):
                model.add_implication(ys[k + 1], ys[k])
            spread_terms += [(s.weight_spread * (k + int(pre_load[mentor]))) * ys[k]
                             for k in range(c)]
        elif s.weight_spread and c == 1 and pre_load[mentor] > 0:
            spread_terms += [s.weight_spread * int(pre_load[mentor]) * xs[i] for i in idx]
    tiers = [
        ("M1", sum(xs), True),
        ("M2", sum(int(p.r_risk[a]) * xs[i] for i, a in enumerate(ar.tolist())), True),
        ("M3", -sum(xs[i] for i in np.flatnonzero(arcs.prev[cand]).tolist()), False),
        ("M4", sum(int(v) * xs[i] for i, v in enumerate(score.tolist()) if v)
         - sum(spread_terms), True),
        ("M5", sum(int(v) * xs[i] for i, v in enumerate(travel.tolist()) if v), False),
    ]
    if upper is not None:
        # the flow relaxation's lexicographic bound: M1 <= u1, and M2 <= u2 when M1 = u1
        u1, u2 = upper
        model.add(tiers[0][1] <= u1)
        at_bound = model.new_bool_var("m1_at_bound")
        model.add(tiers[0][1] <= u1 - 1).only_enforce_if(at_bound.Not())
        model.add(tiers[1][1] <= u2).only_enforce_if(at_bound)
        if reach:
            model.add(tiers[0][1] >= u1)
            model.add(tiers[1][1] >= u2)
    hint_set = set(hint[hint >= 0].tolist())
    for i, c in enumerate(cand.tolist()):
        model.add_hint(xs[i], c in hint_set)
    m4_on = bool(s.weight_specialty or s.weight_same_ward or s.weight_affinity
                 or s.weight_spread)
    has_prev = bool(arcs.prev[cand].any())
    tiers = [(name, expr, maximize, 1) for name, expr, maximize in tiers
             if (name != "M3" or has_prev) and (name != "M4" or m4_on)
             and (name != "M5" or s.weight_travel)]
    targets = {"M1": upper[0], "M2": upper[1]} if must_reach and upper is not None else None
    results, solution = lex_solve(model, tiers, xs, time_limit=time_limit,
                                  shared_budget=True, quick=() if lower_full else LOWER_TIERS,
                                  stop_when_unproved=True, targets=targets)
    if not has_prev and "M2" in results:  # no previous pair in reach: M3 = 0 whatever
        results["M3"] = (0.0, 0.0, results["M2"][2])  # is chosen, proved with M2
    for name, above, on in (("M4", "M3", m4_on), ("M5", "M4", bool(s.weight_travel))):
        if not on and above in results:  # a tier switched off: any value is optimal
            results[name] = (0.0, 0.0, results[above][2])
    chosen_idx = None if solution is None else [i for i, b in enumerate(solution) if b]
    chosen = np.full(p.n_returnees, -1, dtype=np.int64)
    if chosen_idx is not None:
        chosen[ar[chosen_idx]] = cand[chosen_idx]
    else:
        chosen = hint.copy()
    return chosen, results


def solve_mentors(ctx: Context, *, time_limit: float,
                  fixed: np.ndarray | None = None) -> MentorSolution:
    """Tiers M1 to M5. ``fixed`` (arc per returnee or -1) are pairs that must stay: honoured
    require rows and confirmed pairs on a rerun (:mod:`matcher.requires`); M3 counts the
    previous pairs marked in ``ctx.marcs.prev``."""
    p, arcs, s = ctx.people, ctx.marcs, ctx.roster.settings
    pre = (np.full(p.n_returnees, -1, dtype=np.int64) if fixed is None
           else fixed.astype(np.int64).copy())
    pre_k = pre[pre >= 0]
    pre_load = np.bincount(arcs.m[pre_k], minlength=p.n_mentors).astype(np.int64)
    pre_hours = np.zeros(p.n_mentors)
    np.add.at(pre_hours, arcs.m[pre_k], arcs.hours[pre_k])
    cap = np.maximum(p.m_capacity - pre_load, 0)
    budget = p.m_hours - pre_hours
    # candidate arcs: free returnees, mentors with room, no co-offender of a fixed mentee
    free_r = pre < 0
    cand_mask = free_r[arcs.r] & (cap[arcs.m] > 0) & (arcs.hours <= budget[arcs.m] + 1e-9)
    if len(pre_k) and (p.r_group >= 0).any():
        taken = {(int(arcs.m[k]), int(p.r_group[arcs.r[k]])) for k in pre_k
                 if p.r_group[arcs.r[k]] >= 0}
        if taken:
            clash = np.array([(int(b), int(g)) in taken for b, g in
                              zip(arcs.m, p.r_group[arcs.r])], dtype=bool)
            cand_mask &= ~clash
    cand = np.flatnonzero(cand_mask)
    eff = _effective_capacity(p, arcs.take(cand_mask), cap, budget)
    chosen, _ = _flow_mentors(p, arcs, cand, eff, pre_load, s, budget)
    relaxed = _tier_values(p, arcs, np.where(pre >= 0, pre, chosen), s)
    # hour budgets: the flow is a relaxation; repair exactly where it is violated
    k = chosen[chosen >= 0]
    used_hours = np.zeros(p.n_mentors)
    np.add.at(used_hours, arcs.m[k], arcs.hours[k])
    over = np.flatnonzero(used_hours > budget + 1e-9)
    proved = {name: True for name in MENTOR_TIERS}
    bounds = dict(relaxed)
    status = "OPTIMAL"
    if len(over):
        chosen, final, region_size, proofs, cp_bounds = _repair_mentor_hours(
            p, arcs, cand, chosen, cap, budget, pre, pre_load, over, relaxed, s, time_limit)
        bounds, proved = _against_relaxation(MENTOR_TIERS, final, relaxed, proofs)
        for name in MENTOR_TIERS:  # the first open tier: CP-SAT's bound when tighter
            if not proved[name]:
                b, bound = cp_bounds.get(name), bounds[name]
                if b is not None:
                    tighter = min if name in ("M1", "M2", "M4") else max
                    bounds[name] = b if bound is None else tighter(bound, b)
                break
        if not all(proved.values()):
            status = "FEASIBLE"
        ctx.stats["hours_region_pairs"] = region_size
        relaxed = final
    tiers = {name: Tier(name, relaxed[name], relaxed[name] if proved[name] else bounds[name],
                        proved[name]) for name in MENTOR_TIERS}
    final_chosen = np.where(pre >= 0, pre, chosen)
    mentor_of = np.full(p.n_returnees, -1, dtype=np.int64)
    mentor_of[final_chosen >= 0] = arcs.m[final_chosen[final_chosen >= 0]]
    return MentorSolution(mentor_of=mentor_of, arc_of=final_chosen, tiers=tiers, status=status)


def _repair_mentor_hours(p: People, arcs: MentorArcs, cand: np.ndarray, chosen: np.ndarray,
                         cap: np.ndarray, budget: np.ndarray, pre: np.ndarray,
                         pre_load: np.ndarray, over: np.ndarray, relaxed: dict[str, float], s,
                         time_limit: float
                         ) -> tuple[np.ndarray, dict[str, float], int, dict[str, bool],
                                    dict[str, float]]:
    """Make the flow relaxation respect hour budgets by re-solving, exactly with CP-SAT, a
    growing region of the candidate graph around the over-budget mentors while the rest of
    the plan stays fixed, until M1 and M2 meet the relaxation's bound (which proves them
    optimal); the largest region is the whole components. When a lower tier is then still
    open, the whole components are solved with the rest of ``time_limit`` (up to
    WHOLE_MAX_PAIRS pairs), stopping as soon as every tier is proved. Returns the plan,
    its tier values, the last region's size, CP-SAT's proofs and its global bounds
    (both only when the region was whole components)."""
    best = _repair_hours(p, arcs, chosen, budget)
    best_vals = _tier_values(p, arcs, np.where(pre >= 0, pre, best), s)
    proofs: dict[str, bool] = {}
    cp_bounds: dict[str, float] = {}
    # per returnee the nearest candidate arcs (plus its flow arc) form the region's graph
    # by returnee, then distance: one float key (km < 10^6 fits below the integer part)
    order = np.argsort(arcs.r[cand] + arcs.km[cand] / 1e6, kind="stable")
    c_sorted = cand[order]
    r_sorted = arcs.r[c_sorted]
    rank = np.arange(len(c_sorted)) - np.searchsorted(r_sorted, r_sorted)
    size = 0
    deadline = time.perf_counter() + time_limit
    ck = chosen[chosen >= 0]
    stages = ((0, 0), (0, 8), (1, 4), (2, 8), (3, 16), (5, 40), (WHOLE, 10**9))
    stage = 0
    while stage < len(stages):
        depth, k_near = stages[stage]
        stage += 1
        if depth == WHOLE:
            # the connected components of the candidate graph that hold the over-budget
            # mentors: CP-SAT's proofs there are global
            region_r, region_m = _components_of(p, arcs, cand, over)
            sub = cand[region_r[arcs.r[cand]]]
            if len(sub) > WHOLE_MAX_PAIRS and all(
                    abs(best_vals[t] - relaxed[t]) < 1e-6 for t in ("M1", "M2")):
                break  # only lower tiers open, on a component too big for CP-SAT to load
        elif depth == 0:
            # first the mentees of the over-budget mentors with their nearest FIRST_NEAR
            # mentors (all candidates make CP-SAT's model big for a few people: a city's
            # 5 mentees had 1,350 pairs and took 1.6 s), then also the mentees of those
            # mentors (their nearest ``k_near`` mentors); the rest of the plan fixed
            region_r = np.zeros(p.n_returnees, dtype=bool)
            region_r[arcs.r[ck[np.isin(arcs.m[ck], over)]]] = True
            sub = np.union1d(c_sorted[(rank < FIRST_NEAR) & region_r[r_sorted]],
                             ck[region_r[arcs.r[ck]]])
            if k_near:
                touched = np.zeros(p.n_mentors, dtype=bool)
                touched[arcs.m[sub]] = True
                moved = np.zeros(p.n_returnees, dtype=bool)
                moved[arcs.r[ck[touched[arcs.m[ck]]]]] = True
                moved &= ~region_r
                extra = c_sorted[(rank < k_near) & moved[r_sorted]]
                extra = np.union1d(extra, ck[moved[arcs.r[ck]]])
                sub = np.union1d(sub, extra)
                region_r |= moved
            region_m = np.zeros(p.n_mentors, dtype=bool)
            region_m[arcs.m[sub]] = True
        else:
            near = c_sorted[rank < k_near]
            near = np.union1d(near, ck)
            region_m = np.zeros(p.n_mentors, dtype=bool)
            region_m[over] = True
            region_r = np.zeros(p.n_returnees, dtype=bool)
            for _ in range(depth):
                region_r |= np.bincount(arcs.r[near][region_m[arcs.m[near]]],
                                        minlength=p.n_returnees).astype(bool)
                region_m |= np.bincount(arcs.m[near][region_r[arcs.r[near]]],
                                        minlength=p.n_mentors).astype(bool)
            sub = near[region_r[arcs.r[near]] & region_m[arcs.m[near]]]
        # capacity, hours and spread already used by the fixed part of the plan
        fixed = np.where(region_r, -1, best)
        fk = fixed[fixed >= 0]
        f_load = np.bincount(arcs.m[fk], minlength=p.n_mentors)
        f_hours = np.zeros(p.n_mentors)
        np.add.at(f_hours, arcs.m[fk], arcs.hours[fk])
        fixed_groups = {(int(arcs.m[k]), int(p.r_group[arcs.r[k]])) for k in fk
                        if p.r_group[arcs.r[k]] >= 0}
        if fixed_groups:
            ok = np.array([(int(arcs.m[k]), int(p.r_group[arcs.r[k]])) not in fixed_groups
                           for k in sub], dtype=bool)
            sub = sub[ok]
        # the current plan's pairs in the region stay available (a valid hint)
        kept = best[region_r & (best >= 0)]
        sub = np.union1d(sub, kept[region_m[arcs.m[kept]]])
        hint = np.where(region_r, best, -1)
        left = max(0.5, deadline - time.perf_counter())
        if depth < WHOLE:
            left = min(left, REGION_SHARE * time_limit)
        out_vals = _tier_values(p, arcs, np.where(pre >= 0, pre, np.where(region_r, -1, best)), s)
        upper = (int(round(relaxed["M1"] - out_vals["M1"])),
                 int(round(relaxed["M2"] - out_vals["M2"])))
        # once M1 and M2 meet the relaxation's bound they are known: the whole-component
        # solve only has to improve and prove the lower tiers
        at_bound = all(abs(best_vals[t] - relaxed[t]) < 1e-6 for t in ("M1", "M2"))
        sub_chosen, res = _cpsat_mentors(p, arcs, sub, np.maximum(cap - f_load, 0),
                                         budget - f_hours, pre_load + f_load, hint, s, left,
                                         upper, must_reach=depth < WHOLE,
                                         reach=at_bound and depth == WHOLE,
                                         lower_full=depth == WHOLE)
        trial = np.where(region_r, sub_chosen, best)
        vals = _tier_values(p, arcs, np.where(pre >= 0, pre, trial), s)
        size = len(sub)
        if _lex_better(vals, best_vals) or not _lex_better(best_vals, vals):
            best, best_vals = trial, vals
            # the region is whole components of the candidate graph: CP-SAT's proofs are
            # then global (other components are solved exactly by the flow)
            in_region = region_r[arcs.r[cand]]
            whole = (not (in_region != region_m[arcs.m[cand]]).any()
                     and len(sub) == int(in_region.sum()))
            proofs = {name: r[2] for name, r in res.items()} if whole else {}
            # CP-SAT's bound on whole components plus the rest (exact by the flow)
            cp_bounds = {name: r[1] / (TRAVEL_UNITS_PER_KM if name == "M5" else 1)
                         + out_vals[name] for name, r in res.items()} if whole else {}
        if depth == WHOLE or time.perf_counter() > deadline:
            break
        # M1/M2 must meet their bound; M3 (reruns) is proved when it also does, or when
        # the region has grown to whole components
        must = ("M1", "M2", "M3") if arcs.prev.any() and depth < 5 else ("M1", "M2")
        if all(abs(best_vals[t] - relaxed[t]) < 1e-6 for t in must):
            if all(_against_relaxation(MENTOR_TIERS, best_vals, relaxed, proofs)[1].values()):
                break  # every tier proved
            stage = len(stages) - 1  # lower tiers open: the whole components, all the time
            continue
        settled = bool(res) and all(v[2] for t, v in res.items() if t in ("M1", "M2"))
        if region_r.all() or not settled:
            # the region holds everyone, or CP-SAT could not settle it (a larger region
            # short of the whole is harder still): M1/M2 fall short of the flow's bound
            # here, and only the whole components can say what is optimal — solved with
            # all the time left when CP-SAT can load them
            region_r, _ = _components_of(p, arcs, cand, over)
            if int(region_r[arcs.r[cand]].sum()) <= WHOLE_MAX_PAIRS:
                stage = len(stages) - 1
                continue
            break
    return best, best_vals, size, proofs, cp_bounds


def _components_of(p: People, arcs: MentorArcs, cand: np.ndarray, over: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Returnees and mentors of the connected components of the candidate graph ``cand``
    that hold the mentors ``over``: what a breadth-first search from them reaches."""
    node_in = reachable(p.n_returnees + p.n_mentors, arcs.r[cand],
                        p.n_returnees + arcs.m[cand], p.n_returnees + np.asarray(over))
    return node_in[:p.n_returnees], node_in[p.n_returnees:]


# a larger graph (a province's candidate pairs: 0.4 s searched, 0.1 s in scipy), or scipy
# already imported (the regions' path imports it): scipy's connected components
REACH_SEARCH_MAX_EDGES = 150_000


def reachable(n: int, a: np.ndarray, b: np.ndarray, seeds: np.ndarray) -> np.ndarray:
    """Which of the nodes ``0..n-1`` of the undirected graph with edges ``a[i]-b[i]`` a
    search from ``seeds`` reaches (their connected components). A small graph is searched
    level by level in numpy, so a city plan does without scipy's graph module (0.15 s of
    its start-up); a large one goes to scipy (:data:`REACH_SEARCH_MAX_EDGES`)."""
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    if len(a) > REACH_SEARCH_MAX_EDGES or "scipy.sparse.csgraph" in sys.modules:
        return _reachable_scipy(n, a, b, seeds)
    src = np.concatenate((a, b))
    dst = np.concatenate((b, a))
    order = np.argsort(src, kind="stable")
    dst = dst[order]
    start = np.searchsorted(src[order], np.arange(n + 1))
    seen = np.zeros(n, dtype=bool)
    frontier = np.unique(np.asarray(seeds, dtype=np.int64))
    seen[frontier] = True
    while len(frontier):
        lo, hi = start[frontier], start[frontier + 1]
        count = hi - lo
        total = int(count.sum())
        if not total:
            break
        # the edges of every frontier node: lo[k] .. hi[k]-1, laid end to end
        offset = np.repeat(lo - np.cumsum(count) + count, count)
        nxt = dst[offset + np.arange(total)]
        nxt = np.unique(nxt[~seen[nxt]])
        seen[nxt] = True
        frontier = nxt
    return seen


def _reachable_scipy(n: int, a: np.ndarray, b: np.ndarray, seeds: np.ndarray) -> np.ndarray:
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    g = coo_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(n, n))
    _, label = connected_components(g, directed=False)
    hit = np.zeros(n, dtype=bool)
    hit[np.unique(label[np.asarray(seeds, dtype=np.int64)])] = True
    return hit[label]


def _lex_better(a: dict[str, float], b: dict[str, float]) -> bool:
    ka = (a["M1"], a["M2"], -a["M3"], a["M4"], -a["M5"])
    kb = (b["M1"], b["M2"], -b["M3"], b["M4"], -b["M5"])
    return ka > kb


def _repair_hours(p: People, arcs: MentorArcs, chosen: np.ndarray,
                  budget: np.ndarray) -> np.ndarray:
    """Drop the lowest-risk, longest pairs of over-budget mentors until budgets hold."""
    out = chosen.copy()
    ks = out[out >= 0]
    used = np.zeros(p.n_mentors)
    np.add.at(used, arcs.m[ks], arcs.hours[ks])
    for mentor in np.flatnonzero(used > budget + 1e-9):
        mine = ks[arcs.m[ks] == mentor]
        total = arcs.hours[mine].sum()
        order = sorted(mine.tolist(), key=lambda k: (p.r_risk[arcs.r[k]], -arcs.hours[k]))
        for k in order:
            if total <= budget[mentor] + 1e-9:
                break
            out[arcs.r[k]] = -1
            total -= arcs.hours[k]
    return out
