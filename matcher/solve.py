"""The planner: mentors (tiers M1-M5) and jobs/training (J1-J5), exact and explained.

Design (measured on a 2-core machine; see README "Performance"):

* Candidate pairs come from a KD-tree radius query; every pair-level hard rule is a
  vectorised mask (``matcher.rules``). No all-pairs matrix is ever built.
* Mentor matching without monthly-hour limits is a pure flow: source -> returnee ->
  (mentor, co-offender group) -> mentor -> sink, the spreading term as convex parallel
  arcs. One lexicographic min-cost max-flow solves M1 (the max flow), then M2, M4, M5
  (``matcher.flow``) exactly.
* Monthly hours make it a generalised assignment problem. A mentor's hour budget first
  caps its flow capacity (the most mentees whose cheapest hours fit), which keeps the flow
  a valid relaxation. If the relaxed optimum already respects every budget it is optimal;
  otherwise the connected components holding an over-budget mentor are re-solved with an
  exact lexicographic CP-SAT model, warm-started from the flow, whose bounds are further
  tightened by the flow relaxation's.
* Jobs and training are one flow with a bypass arc: J1 (jobs), then J2 (training), then
  fit (J4) and commute (J5); co-offender groups go through (employer, group) nodes.
* Coordinators' Pairs ``require`` rows are placed first (if every other rule allows
  them), ``forbid`` rows remove the pair.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from matcher.cpsat import lex_solve
from matcher.domain import Roster
from matcher.flow import lex_max_flow_min_cost
from matcher.plan import Assignment, Plan, Tier, UnmetRequire
from matcher.requires import settle_mentor_requires, settle_placement_requires
from matcher.rules import (
    MentorArcs,
    People,
    PlacementArcs,
    job_arcs,
    mentor_arcs,
    people_arrays,
    training_arcs,
)
from matcher.text import fold

log = logging.getLogger(__name__)

Progress = Callable[[float, str], None]
TRAVEL_UNITS_PER_KM = 100  # travel and commute are optimised in units of 10 m
MENTOR_TIERS = ("M1", "M2", "M3", "M4", "M5")
# CP-SAT repairs of a region short of whole components give these at most 2 s each (a
# whole-component mentor repair gives them all the time left)
LOWER_TIERS = ("M4", "M5", "J4", "J5")
PLACEMENT_TIERS = ("J1", "J2", "J3", "J4", "J5")
BNB_MAX_CLASHES = 3  # co-offender clashes at one employer that branch and bound takes on
BNB_WARM_PAIRS = 200_000  # placement pairs up to which open nodes keep their flow
J5_EXTRA_NODES = 8  # branch-and-bound nodes spent on closing a commute gap once J1-J4 hold
HOURS_SCALE = 10000  # CP-SAT works in 1/10000 of an hour
PARALLEL_MIN_RETURNEES = 300  # below this a second process costs more than it saves
FIRST_NEAR = 16  # candidate mentors per mentee of an over-budget mentor in the first repair
# share of the time limit a repair region short of the whole may take: when CP-SAT cannot
# settle whether it reaches the flow's bound in that time, a larger region would not either
REGION_SHARE = 0.25
WHOLE = 99  # region depth that stands for whole connected components
# largest whole component (candidate pairs) CP-SAT is given to settle the lower tiers M3-M5
# once M1 and M2 are proved: a GAP of 10 x 100 has 1,000 pairs and is proved in seconds;
# a city's hour-bound component (~300,000 pairs) does not even load within a minute
WHOLE_MAX_PAIRS = 20_000


@dataclass
class Context:
    """Everything derived from the roster that the solver, explanations and alternatives
    share, computed once."""

    roster: Roster
    people: People
    marcs: MentorArcs
    jarcs: PlacementArcs
    tarcs: PlacementArcs
    notes: list[str] = field(default_factory=list)  # require rows that could not be honoured
    stats: dict = field(default_factory=dict)
    # (returnee id, "mentor" | "job" | "training") -> why its require rows could not be met
    require_failures: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    unmet: list[UnmetRequire] = field(default_factory=list)


def build_context(roster: Roster, *, parallel: bool = False) -> Context:
    """Candidate pairs of ``roster``; with ``parallel`` (and a roster big enough to gain)
    the job and course pairs are built in a forked child while this process builds the
    mentor pairs."""
    from matcher import forked

    p = people_arrays(roster)
    placements = forked.start(lambda: (job_arcs(roster, p), training_arcs(roster, p)),
                              parallel=parallel and len(roster.returnees)
                              >= PARALLEL_MIN_RETURNEES)
    marcs = mentor_arcs(roster, p)
    jarcs, tarcs = placements.result()
    return Context(roster, p, marcs, jarcs, tarcs)


# --------------------------------------------------------------------------------- mentors

@dataclass
class MentorSolution:
    mentor_of: np.ndarray  # per returnee: mentor index or -1
    arc_of: np.ndarray  # per returnee: index into ctx.marcs or -1
    tiers: dict[str, Tier]
    status: str


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


def _group_nodes(grp: np.ndarray, target: np.ndarray, target_node: np.ndarray,
                 head: np.ndarray, extra_t: list, extra_h: list, next_node: int) -> int:
    """Co-offenders through one (target, group) node of capacity 1: pair arcs of group
    members that share a target are redirected (in ``head``) to that node, whose single
    arc to the target is appended to ``extra_t``/``extra_h``. Returns the next free node."""
    gi = np.flatnonzero(grp >= 0)
    if len(gi) == 0:
        return next_node
    gmax = int(grp.max()) + 1
    keys = target[gi].astype(np.int64) * gmax + grp[gi]
    _uniq, inv, counts = np.unique(keys, return_inverse=True, return_counts=True)
    shared = counts[inv] >= 2
    if not shared.any():
        return next_node
    sel = gi[shared]
    u_sel, u_inv = np.unique(keys[shared], return_inverse=True)
    g_nodes = next_node + np.arange(len(u_sel))
    head[sel] = g_nodes[u_inv]
    extra_t.append(g_nodes)
    extra_h.append(target_node[(u_sel // gmax).astype(np.int64)])
    return next_node + len(u_sel)


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
    from ortools.sat.python import cp_model

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
        if region_r.all():
            break
        if not res or not all(v[2] for t, v in res.items() if t in ("M1", "M2")):
            break  # CP-SAT could not settle this region: a larger one is harder still
    return best, best_vals, size, proofs, cp_bounds


def _components_of(p: People, arcs: MentorArcs, cand: np.ndarray, over: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Returnees and mentors of the connected components of the candidate graph ``cand``
    that hold the mentors ``over``."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n = p.n_returnees + p.n_mentors
    g = coo_matrix((np.ones(len(cand), dtype=np.int8),
                    (arcs.r[cand], p.n_returnees + arcs.m[cand])), shape=(n, n))
    _, label = connected_components(g, directed=False)
    hit = np.zeros(n, dtype=bool)
    hit[np.unique(label[p.n_returnees + over])] = True
    node_in = hit[label]
    return node_in[:p.n_returnees], node_in[p.n_returnees:]


def _against_relaxation(names: tuple[str, ...], values: dict[str, float],
                        relaxed: dict[str, float], proofs: dict[str, bool] | None = None
                        ) -> tuple[dict[str, float | None], dict[str, bool]]:
    """Bounds and proofs of a solution's tiers against a lexicographic relaxation: a tier
    is bounded by the relaxation's value while every higher tier equals the relaxation's,
    and proved when it meets that bound (or by ``proofs``, e.g. CP-SAT's own over whole
    components) while every higher tier is proved."""
    bounds: dict[str, float | None] = {}
    proved: dict[str, bool] = {}
    tight = valid = True
    for name in names:
        meets = abs(values[name] - relaxed[name]) < 1e-6
        proved[name] = bool(tight and ((valid and meets) or (proofs or {}).get(name, False)))
        bounds[name] = values[name] if proved[name] else (relaxed[name] if valid else None)
        tight, valid = tight and proved[name], valid and meets
    return bounds, proved


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


# ------------------------------------------------------------------------ jobs and training

@dataclass
class PlacementSolution:
    job_of: np.ndarray  # arc index into ctx.jarcs per returnee or -1
    training_of: np.ndarray  # arc index into ctx.tarcs per returnee or -1
    tiers: dict[str, Tier]


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
    import heapq

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
    from ortools.sat.python import cp_model

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


# ------------------------------------------------------------------------------- top level

def solve_both(ctx: Context, *, time_limit: float, say: Progress, timings: dict[str, float],
               parallel: bool = True, fixed: np.ndarray | None = None,
               fixed_jobs: np.ndarray | None = None
               ) -> tuple[MentorSolution, PlacementSolution]:
    """Mentors and placements are independent problems: with ``parallel`` (and a second
    core, and a roster big enough to gain) the placements are solved in a forked child
    while this process solves the mentors. ``fixed`` / ``fixed_jobs``: a rerun's confirmed
    pairs and hired placements; the Pairs require rows are settled here, after them."""
    from matcher import forked

    fixed = settle_mentor_requires(ctx, fixed)
    fixed_jobs, fixed_trainings = settle_placement_requires(ctx, fixed_jobs)

    def placements() -> tuple[PlacementSolution, float]:
        t = time.perf_counter()
        ps = solve_placements(ctx, time_limit=time_limit, fixed_jobs=fixed_jobs,
                              fixed_trainings=fixed_trainings)
        return ps, time.perf_counter() - t

    job = forked.start(placements, parallel=parallel and
                       ctx.people.n_returnees >= PARALLEL_MIN_RETURNEES)
    say(0.25, "mentors")
    t1 = time.perf_counter()
    try:
        ms = solve_mentors(ctx, time_limit=time_limit, fixed=fixed)
    except BaseException:
        job.cancel()
        raise
    timings["mentors"] = time.perf_counter() - t1
    say(0.55, "jobs and training")
    ps, timings["jobs"] = job.result()
    return ms, ps


def solve(roster: Roster, *, progress: Progress | None = None,
          time_limit: float | None = None, schedule: bool = True,
          previous=None, parallel: bool = True, context: Context | None = None) -> Plan:
    """Plan mentors, jobs and training for ``roster``; returns a :class:`Plan`.

    ``previous`` (a Plan) switches on rerun mode (tiers M3/J3). ``parallel``: solve the
    placements in a second process while the mentors are solved. ``context``: candidate
    pairs already built for this roster (:func:`build_context`)."""
    from matcher import explain

    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    say = progress or (lambda f, msg: None)
    s = roster.settings
    limit = s.time_limit_s if time_limit is None else time_limit
    say(0.05, "candidates")
    ctx = context if context is not None else build_context(roster, parallel=parallel)
    timings["candidates"] = time.perf_counter() - t0
    if previous is not None:
        from matcher.rerun import solve_rerun

        return solve_rerun(ctx, previous, progress=say, time_limit=limit, t0=t0,
                           timings=timings, schedule=schedule, parallel=parallel)
    ms, ps = solve_both(ctx, time_limit=limit, say=say, timings=timings, parallel=parallel)
    return finish_plan(ctx, ms, ps, t0=t0, timings=timings, say=say, schedule=schedule,
                       explain_mod=explain)


def finish_plan(ctx: Context, ms: MentorSolution, ps: PlacementSolution, *, t0: float,
                timings: dict[str, float], say: Progress, schedule: bool, explain_mod,
                changes: dict | None = None, extra_tiers: dict[str, Tier] | None = None,
                rows: dict[str, tuple[str, str]] | None = None,
                previous_visits: dict | None = None) -> Plan:
    roster, p, s = ctx.roster, ctx.people, ctx.roster.settings
    say(0.7, "explanations")
    t1 = time.perf_counter()
    assignments = []
    scores = explain_mod.score_breakdowns(ctx, ms, ps)
    for i, rid in enumerate(p.r_ids):
        a = Assignment(returnee_id=rid)
        k = ms.arc_of[i]
        if k >= 0:
            a.mentor_id = p.m_ids[ctx.marcs.m[k]]
            a.mentor_km = float(ctx.marcs.km[k])
            a.mentor_hours = float(ctx.marcs.hours[k])
            a.approximate = bool(ctx.marcs.approx[k])
        j = ps.job_of[i]
        if j >= 0:
            a.job_id = roster.jobs[ctx.jarcs.o[j]].id
            a.job_km = float(ctx.jarcs.km[j])
        t = ps.training_of[i]
        if t >= 0:
            a.training_id = roster.trainings[ctx.tarcs.o[t]].id
            a.training_km = float(ctx.tarcs.km[t])
        a.score = scores[i]
        if rows and rid in rows:
            a.change, reason = rows[rid]
            a.reason, a.reason_vi = str(reason), getattr(reason, "vi", str(reason))
        assignments.append(a)
    tiers = {**ms.tiers, **ps.tiers, **(extra_tiers or {})}
    if extra_tiers is None:  # M3/J3 only exist on reruns
        tiers.pop("M3", None)
        tiers.pop("J3", None)
    order = ["M1", "M2", "M3", "M4", "M5", "J1", "J2", "J3", "J4", "J5"]
    tiers = {k: tiers[k] for k in order if k in tiers}
    plan = Plan(plan_date=s.plan_date, settings=s.to_dict(), tiers=tiers,
                assignments=assignments, status=ms.status,
                sources=[{"name": f.name, "sha256": f.sha256} for f in roster.sources],
                warnings=[str(x) for x in ctx.notes], changes=changes or {})
    plan.warnings_vi = [getattr(x, "vi", str(x)) for x in ctx.notes]
    plan.unmet_requires = sorted(ctx.unmet, key=lambda u: (u.row or 0, u.returnee_id))
    plan.unassigned = explain_mod.explain_unassigned(ctx, plan)
    plan.capacity_gaps = explain_mod.capacity_gaps(ctx, plan)
    timings["explain"] = time.perf_counter() - t1
    if schedule:
        say(0.85, "visit schedule")
        t1 = time.perf_counter()
        from matcher.schedule import schedule_visits

        schedule_visits(roster, plan, previous_visits or None)
        timings["schedule"] = time.perf_counter() - t1
    plan.stats = {"mentor_pairs": len(ctx.marcs), "job_pairs": len(ctx.jarcs),
                  "training_pairs": len(ctx.tarcs), **ctx.stats}
    plan.solve_seconds = time.perf_counter() - t0
    plan.timings = {k: round(v, 4) for k, v in timings.items()}
    say(1.0, "done")
    return plan
