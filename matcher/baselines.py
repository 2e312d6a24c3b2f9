"""Two baselines the planner is measured against (SPEC §10), on the same feasible pairs
(``matcher.rules``) and judged by the same checker:

* :func:`greedy_plan` — how coordinators match by hand: highest risk first, each takes
  the nearest mentor who still has room; the same for jobs, then training seats.
* :func:`mip_plan` — a generic model of the same lexicographic tiers: one CP-SAT Boolean
  per feasible pair, every rule a linear constraint, one solve per tier with a time limit,
  each tier fixed before the next.

Both honour Pairs ``require`` rows first when every other rule allows (in row order, as
the planner does) and say so in the plan's warnings when they cannot.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass

import numpy as np

from matcher.check import objective
from matcher.context import HOURS_SCALE, TRAVEL_UNITS_PER_KM, Context  # the tiers' own units
from matcher.cpsat import lex_solve
from matcher.domain import Roster
from matcher.plan import Assignment, Plan, Tier
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

EPS = 1e-9
MENTOR_TIERS = ("M1", "M2", "M4", "M5")
PLACEMENT_TIERS = ("J1", "J2", "J4", "J5")
TIERS = MENTOR_TIERS + PLACEMENT_TIERS


@dataclass
class Pairs:
    """Feasible pairs of a roster and the lookups both baselines need."""

    roster: Roster
    p: People
    ma: MentorArcs
    ja: PlacementArcs
    ta: PlacementArcs
    employer: np.ndarray  # per job: code of the folded employer name (rule 12)

    @classmethod
    def of(cls, roster: Roster) -> Pairs:
        p = people_arrays(roster)
        codes: dict[str, int] = {}
        emp = np.array([codes.setdefault(fold(j.employer), len(codes)) for j in roster.jobs],
                       dtype=np.int64)
        return cls(roster, p, mentor_arcs(roster, p), job_arcs(roster, p),
                   training_arcs(roster, p), emp)


def _by_returnee(r: np.ndarray, km: np.ndarray, n: int) -> tuple[list[int], list[int],
                                                                   list[int]]:
    """Arc indices sorted by returnee then distance, and each returnee's slice."""
    order = np.lexsort((np.arange(len(r)), km, r))
    starts = np.searchsorted(r[order], np.arange(n))
    ends = np.searchsorted(r[order], np.arange(n), side="right")
    return order.tolist(), starts.tolist(), ends.tolist()


def _requires(d: Pairs) -> tuple[list[int], list[int], list[int], Context]:
    """Pairs ``require`` rows settled as the planner settles them (:mod:`matcher.requires`):
    the mentor, job and training arcs to fix, and the context holding the notes and the
    rows that cannot be honoured."""
    ctx = Context(d.roster, d.p, d.ma, d.ja, d.ta)
    mentor = settle_mentor_requires(ctx)
    job, training = settle_placement_requires(ctx)
    return (mentor[mentor >= 0].tolist(), job[job >= 0].tolist(),
            training[training >= 0].tolist(), ctx)


def _plan(d: Pairs, mentor_arc: np.ndarray, job_arc: np.ndarray, training_arc: np.ndarray,
          ctx: Context, notes: list[str], status: str, t0: float, timings: dict[str, float],
          bounds: dict[str, tuple[float, bool]] | None = None) -> Plan:
    """A :class:`Plan` from the chosen arc per returnee (-1: none); tier values are
    recomputed by the checker, ``bounds`` gives (bound, proved) per tier (default: the
    value, not proved)."""
    roster, p, ma, ja, ta, s = d.roster, d.p, d.ma, d.ja, d.ta, d.roster.settings
    assignments = []
    for i, rid in enumerate(p.r_ids):
        a = Assignment(returnee_id=rid)
        k = int(mentor_arc[i])
        if k >= 0:
            a.mentor_id = p.m_ids[ma.m[k]]
            a.mentor_km = float(ma.km[k])
            a.approximate = bool(ma.approx[k])
        k = int(job_arc[i])
        if k >= 0:
            a.job_id = roster.jobs[ja.o[k]].id
            a.job_km = float(ja.km[k])
        k = int(training_arc[i])
        if k >= 0:
            a.training_id = roster.trainings[ta.o[k]].id
            a.training_km = float(ta.km[k])
        assignments.append(a)
    plan = Plan(plan_date=s.plan_date, settings=s.to_dict(), tiers={},
                assignments=assignments, status=status,
                sources=[{"name": f.name, "sha256": f.sha256} for f in roster.sources],
                warnings=[str(x) for x in ctx.notes] + list(notes),
                unmet_requires=list(ctx.unmet))
    values = objective(roster, plan)
    bounds = bounds or {}
    plan.tiers = {name: Tier(name, float(values[name]),
                             float(bounds.get(name, (values[name], False))[0]),
                             bool(bounds.get(name, (values[name], False))[1]))
                  for name in TIERS}
    plan.stats = {"mentor_pairs": len(ma), "job_pairs": len(ja), "training_pairs": len(ta)}
    plan.solve_seconds = time.perf_counter() - t0
    plan.timings = {k: round(v, 4) for k, v in timings.items()}
    return plan


# ----------------------------------------------------------------------------- greedy

def greedy_plan(roster: Roster) -> Plan:
    """Coordinators' greedy: returnees by risk (high first, ties by id) each take the
    nearest feasible mentor with room (capacity, monthly hours, no co-offender with that
    mentor); then, in the same order, the nearest opening with a free slot and no
    co-offender at its employer; then, for those who want training and got no job, the
    nearest course with a free seat. Tiers are the checker's values (bound = value, not
    proved)."""
    t0 = time.perf_counter()
    d = Pairs.of(roster)
    timings = {"candidates": time.perf_counter() - t0}
    p, ma, ja, ta = d.p, d.ma, d.ja, d.ta
    n = p.n_returnees
    order = sorted(range(n), key=lambda i: (-int(p.r_risk[i]), p.r_ids[i]))
    group = p.r_group.tolist()
    m_req, j_req, t_req, ctx = _requires(d)

    t1 = time.perf_counter()
    mentor_of = [-1] * n
    cap = p.m_capacity.tolist()
    budget = p.m_hours.tolist()
    am, ahours = ma.m.tolist(), ma.hours.tolist()
    load = [0] * p.n_mentors
    used = [0.0] * p.n_mentors
    taken: set[tuple[int, int]] = set()

    def take_mentor(r: int, k: int) -> None:
        m = am[k]
        mentor_of[r] = k
        load[m] += 1
        used[m] += ahours[k]
        if group[r] >= 0:
            taken.add((m, group[r]))

    for k in m_req:
        take_mentor(int(ma.r[k]), k)
    arcs, starts, ends = _by_returnee(ma.r, ma.km, n)
    for r in order:
        if mentor_of[r] >= 0:
            continue
        g = group[r]
        for k in arcs[starts[r]:ends[r]]:
            m = am[k]
            if (load[m] < cap[m] and used[m] + ahours[k] <= budget[m] + EPS
                    and (g < 0 or (m, g) not in taken)):
                take_mentor(r, k)
                break
    timings["mentors"] = time.perf_counter() - t1

    t1 = time.perf_counter()
    job_of, training_of = [-1] * n, [-1] * n
    slots = [j.slots for j in roster.jobs]
    seats = [t.seats for t in roster.trainings]
    jo, to = ja.o.tolist(), ta.o.tolist()
    emp = d.employer.tolist()
    emp_taken: set[tuple[int, int]] = set()

    def take_job(r: int, k: int) -> None:
        o = jo[k]
        job_of[r] = k
        slots[o] -= 1
        if group[r] >= 0:
            emp_taken.add((emp[o], group[r]))

    for k in j_req:
        take_job(int(ja.r[k]), k)
    for k in t_req:
        training_of[int(ta.r[k])] = k
        seats[to[k]] -= 1
    arcs, starts, ends = _by_returnee(ja.r, ja.km, n)
    for r in order:
        if job_of[r] >= 0 or training_of[r] >= 0:
            continue
        g = group[r]
        for k in arcs[starts[r]:ends[r]]:
            o = jo[k]
            if slots[o] > 0 and (g < 0 or (emp[o], g) not in emp_taken):
                take_job(r, k)
                break
    arcs, starts, ends = _by_returnee(ta.r, ta.km, n)
    for r in order:
        if job_of[r] >= 0 or training_of[r] >= 0:
            continue
        for k in arcs[starts[r]:ends[r]]:
            if seats[to[k]] > 0:
                training_of[r] = k
                seats[to[k]] -= 1
                break
    timings["jobs"] = time.perf_counter() - t1
    return _plan(d, np.array(mentor_of), np.array(job_of), np.array(training_of), ctx, [],
                 "HEURISTIC", t0, timings)


# ----------------------------------------------------------------------------- MIP

def _groups(keys: np.ndarray) -> list[np.ndarray]:
    """Indices sharing each key (keys >= 0 only)."""
    idx = np.flatnonzero(keys >= 0)
    if len(idx) == 0:
        return []
    order = idx[np.argsort(keys[idx], kind="stable")]
    cuts = np.flatnonzero(np.diff(keys[order])) + 1
    return np.split(order, cuts)


def mip_plan(roster: Roster, time_limit: float = 60.0, *, workers: int | None = None) -> Plan:
    """The generic model: one Boolean per feasible mentor pair and per feasible job or
    training pair; rules 1, 2, 6 (capacity, hours, co-offenders per mentor), 8, 12, 13
    (slots, seats, co-offenders per employer, one placement) and Pairs require as
    constraints; tiers M1, M2, M4 (with the spreading penalty ``weight_spread × k`` for a
    mentor's (k+1)-th mentee), M5, then J1, J2, J4, J5, each solved with CP-SAT for at
    most ``time_limit`` seconds and then fixed. Each tier reports the value, CP-SAT's
    best bound and whether it is proved (a tier after an unproved one is never proved:
    its bound holds only given the higher tiers' values). With no solution in time the
    plan has no assignments and status ``NO_SOLUTION``."""
    from ortools.sat.python import cp_model  # lazy: it imports pandas (0.2 s)

    t0 = time.perf_counter()
    d = Pairs.of(roster)
    timings = {"candidates": time.perf_counter() - t0}
    roster_s = roster.settings
    p, ma, ja, ta = d.p, d.ma, d.ja, d.ta
    n = p.n_returnees
    workers = workers or max(2, os.cpu_count() or 1)
    m_req, j_req, t_req, ctx = _requires(d)
    notes: list[str] = []
    results: dict[str, tuple[float, float, bool]] = {}

    # mentors ----------------------------------------------------------------------------
    t1 = time.perf_counter()
    model = cp_model.CpModel()
    x = [model.new_bool_var("") for _ in range(len(ma))]
    for idx in _groups(ma.r):
        if len(idx) > 1:
            model.add_at_most_one([x[i] for i in idx.tolist()])
    hours = np.ceil(ma.hours * HOURS_SCALE - 1e-6).astype(np.int64)
    penalties_v, penalties_c = [], []
    for idx in _groups(ma.m):
        m = int(ma.m[idx[0]])
        vs = [x[i] for i in idx.tolist()]
        cap = int(p.m_capacity[m])
        if len(vs) > cap:
            model.add(cp_model.LinearExpr.sum(vs) <= cap)
        if math.isfinite(p.m_hours[m]):
            budget = int(math.floor(p.m_hours[m] * HOURS_SCALE + 1e-6))
            if int(hours[idx].sum()) > budget:
                model.add(cp_model.LinearExpr.weighted_sum(vs, hours[idx].tolist()) <= budget)
        grp = p.r_group[ma.r[idx]]
        for members in _groups(grp):
            if len(members) > 1:
                model.add_at_most_one([vs[i] for i in members.tolist()])
        c = min(cap, len(vs))
        if roster_s.weight_spread and c > 1:
            ys = [model.new_bool_var("") for _ in range(c)]
            model.add(cp_model.LinearExpr.sum(ys) == cp_model.LinearExpr.sum(vs))
            for k in range(c - 1):
                model.add_implication(ys[k + 1], ys[k])
            penalties_v += ys[1:]
            penalties_c += [roster_s.weight_spread * k for k in range(1, c)]
    for k in m_req:
        model.add(x[k] == 1)
    score = ma.score(roster_s)
    travel = np.rint(ma.km * TRAVEL_UNITS_PER_KM).astype(np.int64)
    tiers = [("M1", cp_model.LinearExpr.sum(x), True, 1),
             ("M2", cp_model.LinearExpr.weighted_sum(x, p.r_risk[ma.r].tolist()), True, 1)]
    if (roster_s.weight_specialty or roster_s.weight_same_ward or roster_s.weight_affinity
            or roster_s.weight_spread):
        tiers.append(("M4", cp_model.LinearExpr.weighted_sum(x + penalties_v,
                                                             score.tolist() +
                                                             [-c for c in penalties_c]),
                      True, 1))
    if roster_s.weight_travel:
        tiers.append(("M5", cp_model.LinearExpr.weighted_sum(x, travel.tolist()), False,
                      TRAVEL_UNITS_PER_KM))
    attempted = [name for name, *_ in tiers]
    timings["mentor_model"] = time.perf_counter() - t1
    t1 = time.perf_counter()
    res, sol = lex_solve(model, tiers, x, time_limit=time_limit, workers=workers)
    results.update(res)
    mentor_of = np.full(n, -1, dtype=np.int64)
    if sol is not None:
        chosen = np.flatnonzero(np.array(sol, dtype=bool))
        mentor_of[ma.r[chosen]] = chosen
    timings["mentors"] = time.perf_counter() - t1
    del model, x

    # jobs and training --------------------------------------------------------------------
    t1 = time.perf_counter()
    model = cp_model.CpModel()
    xj = [model.new_bool_var("") for _ in range(len(ja))]
    xt = [model.new_bool_var("") for _ in range(len(ta))]
    xs = xj + xt
    owner = np.concatenate([ja.r, ta.r])
    for idx in _groups(owner):
        if len(idx) > 1:
            model.add_at_most_one([xs[i] for i in idx.tolist()])
    for idx in _groups(ja.o):
        slots = roster.jobs[int(ja.o[idx[0]])].slots
        if len(idx) > slots:
            model.add(cp_model.LinearExpr.sum([xj[i] for i in idx.tolist()]) <= slots)
    for idx in _groups(ta.o):
        seats = roster.trainings[int(ta.o[idx[0]])].seats
        if len(idx) > seats:
            model.add(cp_model.LinearExpr.sum([xt[i] for i in idx.tolist()]) <= seats)
    grp = p.r_group[ja.r]
    gmax = int(p.r_group.max()) + 1 if n else 1
    key = np.where(grp >= 0, d.employer[ja.o] * gmax + grp, -1) if len(ja) else grp
    for idx in _groups(key):
        if len(idx) > 1:
            model.add_at_most_one([xj[i] for i in idx.tolist()])
    for k in j_req:
        model.add(xj[k] == 1)
    for k in t_req:
        model.add(xt[k] == 1)
    pscore = np.concatenate([ja.score(roster_s), ta.score(roster_s)]).tolist()
    ptravel = np.rint(np.concatenate([ja.km, ta.km]) * TRAVEL_UNITS_PER_KM).astype(np.int64)
    tiers = [("J1", cp_model.LinearExpr.sum(xj), True, 1),
             ("J2", cp_model.LinearExpr.sum(xt), True, 1),
             ("J4", cp_model.LinearExpr.weighted_sum(xs, pscore), True, 1)]
    if roster_s.weight_commute:
        tiers.append(("J5", cp_model.LinearExpr.weighted_sum(xs, ptravel.tolist()), False,
                      TRAVEL_UNITS_PER_KM))
    timings["placement_model"] = time.perf_counter() - t1
    t1 = time.perf_counter()
    res, sol = lex_solve(model, tiers, xs, time_limit=time_limit, workers=workers)
    results.update(res)
    job_of = np.full(n, -1, dtype=np.int64)
    training_of = np.full(n, -1, dtype=np.int64)
    if sol is not None:
        chosen = np.flatnonzero(np.array(sol, dtype=bool))
        cj, ct = chosen[chosen < len(ja)], chosen[chosen >= len(ja)] - len(ja)
        job_of[ja.r[cj]] = cj
        training_of[ta.r[ct]] = ct
    timings["jobs"] = time.perf_counter() - t1
    del model, xj, xt, xs

    attempted.extend(name for name, *_ in tiers)
    if "M1" not in results or "J1" not in results:
        status = "NO_SOLUTION"
    elif all(name in results and results[name][2] for name in attempted):
        status = "OPTIMAL"
    else:
        status = "FEASIBLE"
    # required pairs the model did not place (no solution in time) are reported too
    placed = {(p.r_ids[ma.r[k]], p.m_ids[ma.m[k]]) for k in mentor_of[mentor_of >= 0]}
    placed |= {(p.r_ids[ja.r[k]], roster.jobs[ja.o[k]].id) for k in job_of[job_of >= 0]}
    placed |= {(p.r_ids[ta.r[k]], roster.trainings[ta.o[k]].id)
               for k in training_of[training_of >= 0]}
    for k in m_req:
        key_ = (p.r_ids[ma.r[k]], p.m_ids[ma.m[k]])
        if key_ not in placed:
            notes.append(f"Pairs: required pair {key_[0]}–{key_[1]} not placed: the MIP "
                         f"found no solution in {time_limit:g} s")
    for k in j_req + [-1 - t for t in t_req]:
        key_ = ((p.r_ids[ja.r[k]], roster.jobs[ja.o[k]].id) if k >= 0 else
                (p.r_ids[ta.r[-1 - k]], roster.trainings[ta.o[-1 - k]].id))
        if key_ not in placed:
            notes.append(f"Pairs: required pair {key_[0]}–{key_[1]} not placed: the MIP "
                         f"found no solution in {time_limit:g} s")
    bounds = {name: (b, proved) for name, (_v, b, proved) in results.items()}
    return _plan(d, mentor_of, job_of, training_of, ctx, notes, status, t0, timings, bounds)
