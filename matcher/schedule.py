"""Mentor visit schedule (SPEC section 6): dated visits in (day, slot) slots for every pair.

Rules, with ``c`` the risk cadence in days (Settings.cadence_days), ``g = max(1, c - 2)``,
``G = c + 2``, the horizon ``plan_date .. plan_date + 7 * horizon_weeks - 1`` and
``F = first_visit_days``:

* The visits of a pair form a chain of *events*: a placed visit, or a *missed* visit
  listed in ``plan.unscheduled`` at its due date. Consecutive events are ``g..G`` days
  apart (the cadence ± 2 days); the chain runs until the next visit would be due after
  the horizon (last event + G > horizon end), so no due visit is left out silently.
* New pair (assignment.change != "kept"): the first event is kind "first", within
  ``start .. start + F`` with ``start = max(plan_date, release_date)``; a missed first
  visit is due at ``start + F``. When ``start + F`` lies after the horizon, the first
  visit is not due yet: it is still placed when a slot fits (pre-release planning),
  otherwise the next plan schedules it.
* Kept pair: continues from its last visit ``p`` in the previous plan
  (``previous_visits``): next event within ``max(plan_date, p + g) .. p + G``; with no
  record, or when overdue, it is due now: ``plan_date .. plan_date + F``.
* A visit goes in a slot free for both people (matcher.availability, blank = any daytime
  slot), minus the returnee's job and course hours from their start date: a day-shift job
  blocks Mon–Sat mornings and afternoons, a night shift Mon–Sat mornings and evenings; a
  day course Mon–Fri mornings and afternoons, an evening course Mon–Fri evenings.
* A mentor has at most one visit per slot and 3 per day; a returnee one per slot.

Objective per mentor, lexicographic: (A) fewest missed first visits, (B) fewest missed
follow-up visits, (B') most first visits placed that are not due yet (their window
ends after the horizon), (C) earliest first visits, (D) in points: 2 per day off cadence,
minus 1 per follow-up placed that is not due yet but whose nominal date (last + cadence)
lies in the horizon, minus the travel saved by seeing mentees on the same day (chaining
i and j saves 1 + d(m,i) + d(m,j) - d(i,j) km, rounded). The bonus for not-yet-due
follow-ups is below one day off cadence, so visits are never squeezed together to fit an
extra one.

Each mentee has one mentor, so the problem splits per mentor. A mentor with one mentee
is solved exactly by dynamic programming over dates. With several mentees, each chain is
first solved alone by the same DP (a lower bound), then greedily one after another
around the slots already taken; when every chain still reaches its own optimum on
(A, B, B', C), the mentor's schedule is optimal on those tiers and kept (D is then a
greedy preference). Otherwise CP-SAT solves the mentor exactly on all tiers; many such
mentors are solved in parallel processes.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
from collections.abc import Iterable, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from ortools.sat.python import cp_model

from matcher.availability import (
    DAYTIME,
    DEFAULT,
    SLOTS,
    AvailabilityError,
    describe,
    parse_availability,
)
from matcher.domain import Roster
from matcher.geo import haversine_km
from matcher.plan import Assignment, Plan, Visit
from matcher.text import Bi, vi_of

MAX_PER_DAY = 3
WORK_DAYS = (0, 1, 2, 3, 4, 5)  # jobs: Mon–Sat
STUDY_DAYS = (0, 1, 2, 3, 4)  # courses: Mon–Fri
PARALLEL_MIN = 24  # CP-SAT mentors before worker processes pay for their start-up
DEV_POINTS = 2  # tier D points per day off cadence
D_TIME_LIMIT = 1.0  # seconds for tier D once tiers A–C are proven
OPT_POINTS = 1  # tier D points for a follow-up placed before it is due (< DEV_POINTS)

PreviousVisits = Mapping[tuple[str, str], dt.date]


# ---------------------------------------------------------------------- rules (shared)

def busy_hours(job, training) -> list[tuple[str, frozenset[tuple[int, str]], dt.date | None]]:
    """The returnee's fixed hours: (plain description, weekly slots, from date); the
    description is a :class:`~matcher.explain.Bi` carrying its Vietnamese in ``.vi``."""
    out = []
    if job is not None and job.shift == "day":
        out.append((Bi("works day shift (busy Mon–Sat mornings and afternoons)",
                       "làm ca ngày (bận sáng và chiều T2–T7)"),
                    frozenset((d, s) for d in WORK_DAYS for s in DAYTIME), job.start_date))
    elif job is not None and job.shift == "night":
        out.append((Bi("works night shift (busy Mon–Sat mornings and evenings)",
                       "làm ca đêm (bận sáng và tối T2–T7)"),
                    frozenset((d, s) for d in WORK_DAYS for s in ("morning", "evening")),
                    job.start_date))
    if training is not None and training.schedule == "day":
        out.append((Bi("attends a day course (busy Mon–Fri mornings and afternoons)",
                       "học lớp ban ngày (bận sáng và chiều T2–T6)"),
                    frozenset((d, s) for d in STUDY_DAYS for s in DAYTIME),
                    training.start_date))
    elif training is not None and training.schedule == "evening":
        out.append((Bi("attends an evening course (busy Mon–Fri evenings)",
                       "học lớp buổi tối (bận tối T2–T6)"),
                    frozenset((d, "evening") for d in STUDY_DAYS), training.start_date))
    return out


def _parse(text: str | None, who: str, warnings: list[str]) -> frozenset[tuple[int, str]]:
    try:
        return parse_availability(text)
    except AvailabilityError as exc:
        warnings.append(f"{who}: availability '{text}' cannot be read ({exc}); "
                        "using any daytime slot")
        return DEFAULT


# ------------------------------------------------------------------------- the problem

@dataclass
class Task:
    """One mentor–mentee chain; dates are day offsets from plan_date."""

    rid: str
    first: bool  # new pair: the first event is a "first" visit
    asap: bool  # the first event should be early (tier C)
    lo0: int
    hi0: int
    due0: int  # date of the first event when it is missed
    target0: int | None  # kept pair: nominal date of the next visit
    c: int
    g: int
    G: int
    free: dict[int, tuple[int, ...]]  # day -> free slot indices (0 morning .. 2 evening)

    def n_free(self) -> int:
        return sum(len(v) for v in self.free.values())


@dataclass
class MentorProblem:
    mid: str
    last: int  # last day of the horizon (offset)
    tasks: list[Task]
    saving: list[list[int]] = field(default_factory=list)  # co-visit saving between tasks
    time_limit: float = 10.0


# an event: (day, slot index) for a placed visit, (day, None) for a missed one
Events = list[tuple[int, int | None]]
# A chain's cost as one integer: the lexicographic tiers A (missed first visits), B
# (missed follow-ups), -B' (optional visits placed), C (earliness), D (cadence and
# co-visits), each far inside its own power-of-ten band.
W_C = 10**7
W_B2 = 10**11
W_B = 10**15
W_A = 10**19


def _prefix(cost: int) -> int:
    """The cost without tier D (tiers A, B, B', C)."""
    return (cost + W_C // 2) // W_C


def _chain(t: Task, last: int, taken: set[tuple[int, int]] | None = None,
           full: set[int] | None = None, bonus: Mapping[int, int] | None = None
           ) -> tuple[int, Events]:
    """The best chain of ``t`` alone (dynamic programme over event dates), avoiding
    ``taken`` slots and ``full`` days; ``bonus`` rewards days (tier D)."""
    slot: list[int | None] = [None] * (last + 1)
    for b, free in t.free.items():
        if b > last or (full and b in full):
            continue
        for sl in free:
            if not taken or (b, sl) not in taken:
                slot[b] = sl
                break
    gain = [0] * (last + 1)
    if bonus:
        for b, v in bonus.items():
            if b <= last:
                gain[b] = v
    c, g, G = t.c, t.g, t.G
    best = [0] * (last + 1)
    nxt: list[tuple[int, int | None] | None] = [None] * (last + 1)
    for a in range(last, t.lo0 - 1, -1):
        if a + G > last:
            cost, step = 0, None
            opt = -OPT_POINTS if a + c <= last else 0
        else:
            cost, step = W_B + best[a + c], (a + c, None)
            opt = 0
        for b in range(a + g, min(a + G, last) + 1):
            sl = slot[b]
            if sl is not None:
                v = opt + DEV_POINTS * abs(b - a - c) - gain[b] + best[b]
                if v < cost:
                    cost, step = v, (b, sl)
        best[a], nxt[a] = cost, step
    # the first event
    step: tuple[int, int | None] | None
    if t.hi0 > last:
        total, step = 0, None
        opt = -W_B2 if t.asap else (-OPT_POINTS if t.target0 <= last else 0)
    else:
        total = ((W_A if t.first else W_B) + (W_C * (t.due0 - t.lo0) if t.asap else 0)
                 + best[t.due0])
        step, opt = (t.due0, None), 0
    for b in range(t.lo0, min(t.hi0, last) + 1):
        sl = slot[b]
        if sl is not None:
            dev = 0 if t.target0 is None else DEV_POINTS * abs(b - t.target0)
            v = opt + (W_C * (b - t.lo0) if t.asap else 0) + dev - gain[b] + best[b]
            if v < total:
                total, step = v, (b, sl)
    events: Events = []
    while step is not None:
        events.append(step)
        step = nxt[step[0]]
    return total, events


def solve_mentor(p: MentorProblem) -> tuple[str, list[Events], str]:
    """Events per task and how they were found: 'dp', 'greedy' or the CP-SAT status."""
    fast = _fast(p)
    return fast if fast is not None else _cpsat(p)


def _fast(p: MentorProblem) -> tuple[str, list[Events], str] | None:
    """The DP (one mentee) or the greedy that provably reaches tiers A–C; None when the
    mentor needs the exact model."""
    if len(p.tasks) == 1:
        return p.mid, [_chain(p.tasks[0], p.last)[1]], "dp"
    alone = [_prefix(_chain(t, p.last)[0]) for t in p.tasks]
    order = sorted(range(len(p.tasks)), key=lambda i: (p.tasks[i].n_free(), i))
    taken: set[tuple[int, int]] = set()
    per_day: dict[int, list[int]] = {}
    result: list[Events] = [[] for _ in p.tasks]
    for i in order:
        full = {d for d, v in per_day.items() if len(v) >= MAX_PER_DAY}
        bonus = {d: sum(p.saving[i][j] for j in v) for d, v in per_day.items()}
        cost, events = _chain(p.tasks[i], p.last, taken, full, bonus)
        if _prefix(cost) != alone[i]:
            return None
        result[i] = events
        for d, s in events:
            if s is not None:
                taken.add((d, s))
                per_day.setdefault(d, []).append(i)
    return p.mid, result, "greedy"


def _cpsat(p: MentorProblem) -> tuple[str, list[Events], str]:
    last, m = p.last, cp_model.CpModel()
    by_slot: dict[tuple[int, int], list] = {}
    by_day: dict[int, list] = {}
    day_of: list[dict[int, list]] = []  # task -> day -> its slot literals
    tiers: dict[str, list] = {"A": [], "B": [], "B'": [], "C": [], "D": []}
    events_vars = []
    k_total = 0
    for ti, t in enumerate(p.tasks):
        days: dict[int, list] = {}
        day_of.append(days)
        ev = []
        if t.lo0 > last:
            events_vars.append(ev)
            continue
        n_events = (last - t.lo0) // t.g + 1
        k_total += n_events
        for k in range(n_events):
            lo = t.lo0 + k * t.g
            hi = min(last, t.hi0 + k * t.G)
            if lo > hi:
                break
            placed, missed = m.new_bool_var(f"p{ti}_{k}"), m.new_bool_var(f"u{ti}_{k}")
            q = m.new_bool_var(f"q{ti}_{k}")
            m.add(q == placed + missed)
            e = m.new_int_var(lo, hi, f"e{ti}_{k}")
            xs = {}
            top = min(t.hi0, last) if k == 0 else hi
            for d in range(lo, top + 1):
                for s in t.free.get(d, ()):
                    x = m.new_bool_var(f"x{ti}_{k}_{d}_{s}")
                    xs[(d, s)] = x
                    by_slot.setdefault((d, s), []).append(x)
                    by_day.setdefault(d, []).append(x)
                    days.setdefault(d, []).append(x)
            m.add(sum(xs.values()) == placed)
            if xs:
                m.add(e == sum(d * x for (d, _), x in xs.items())).only_enforce_if(placed)
            else:
                m.add(placed == 0)
            if k == 0:
                if t.hi0 <= last:
                    m.add(q == 1)
                    m.add(e == t.due0).only_enforce_if(missed)
                    tiers["A" if t.first else "B"].append(missed)
                else:
                    m.add(missed == 0)
                    if t.asap:
                        tiers["B'"].append(placed)
                    elif t.target0 <= last:
                        tiers["D"].append(-OPT_POINTS * placed)
                if t.asap:
                    ear = m.new_int_var(0, t.hi0 - t.lo0, f"ear{ti}")
                    m.add(ear >= e - t.lo0).only_enforce_if(q)
                    tiers["C"].append(ear)
                if t.target0 is not None:
                    dev = m.new_int_var(0, t.G + t.c, f"dev{ti}_0")
                    m.add(dev >= e - t.target0).only_enforce_if(placed)
                    m.add(dev >= t.target0 - e).only_enforce_if(placed)
                    tiers["D"].append(DEV_POINTS * dev)
            else:
                pe, pq = ev[-1][0], ev[-1][3]
                m.add_implication(q, pq)
                m.add(e - pe >= t.g).only_enforce_if(placed)
                m.add(e - pe <= t.G).only_enforce_if(placed)
                m.add(e == pe + t.c).only_enforce_if(missed)
                m.add(pe <= last - t.G).only_enforce_if(missed)
                tiers["B"].append(missed)
                m.add(pe >= last - t.G + 1).only_enforce_if([pq, q.Not()])
                opt = m.new_bool_var(f"o{ti}_{k}")
                m.add_implication(opt, placed)
                m.add(pe >= last - t.G + 1).only_enforce_if(opt)
                m.add(pe <= last - t.c).only_enforce_if(opt)
                tiers["D"].append(-OPT_POINTS * opt)
                dev = m.new_int_var(0, 2, f"dev{ti}_{k}")
                m.add(dev >= e - pe - t.c).only_enforce_if(placed)
                m.add(dev >= pe + t.c - e).only_enforce_if(placed)
                tiers["D"].append(DEV_POINTS * dev)
            ev.append((e, placed, xs, q))
        if ev:
            m.add(ev[-1][0] >= last - t.G + 1).only_enforce_if(ev[-1][3])
        events_vars.append(ev)
    for xs in by_slot.values():
        if len(xs) > 1:
            m.add_at_most_one(xs)
    for xs in by_day.values():
        if len(xs) > MAX_PER_DAY:
            m.add(sum(xs) <= MAX_PER_DAY)
    save_max = 0
    for i in range(len(p.tasks)):
        for j in range(i + 1, len(p.tasks)):
            for d in set(day_of[i]) & set(day_of[j]):
                z = m.new_bool_var(f"z{i}_{j}_{d}")
                m.add(z <= sum(day_of[i][d]))
                m.add(z <= sum(day_of[j][d]))
                tiers["D"].append(-p.saving[i][j] * z)
                save_max += p.saving[i][j]
    # phase 1: tiers A, B, B', C with weights that make them strictly lexicographic;
    # the per-chain DP optima summed are a lower bound that lets CP-SAT stop early
    span_c = sum(t.hi0 - t.lo0 for t in p.tasks if t.asap) + 1
    w_b2 = span_c
    w_b = w_b2 * (k_total + 1)
    w_a = w_b * (k_total + 1)
    first = (w_a * sum(tiers["A"]) + w_b * sum(tiers["B"]) - w_b2 * sum(tiers["B'"])
             + sum(tiers["C"]))
    bound = [0, 0, 0, 0]
    for t in p.tasks:
        for i, v in enumerate(_split(_prefix(_chain(t, last)[0]))):
            bound[i] += v
    m.add(first >= w_a * bound[0] + w_b * bound[1] + w_b2 * bound[2] + bound[3])
    m.minimize(first)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = p.time_limit
    status = solver.solve(m)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):  # no time for any solution
        return p.mid, [_all_missed(t, last) for t in p.tasks], solver.status_name(status)
    out = _read(solver, events_vars)
    if status != cp_model.OPTIMAL:
        return p.mid, out, solver.status_name(status)
    # phase 2: tier D with tiers A–C held at their optimum
    m.add(first <= round(solver.objective_value))
    m.clear_hints()
    for ev in events_vars:
        for _, placed, xs, q in ev:
            m.add_hint(q, solver.boolean_value(q))
            m.add_hint(placed, solver.boolean_value(placed))
            for x in xs.values():
                m.add_hint(x, solver.boolean_value(x))
    m.minimize(sum(tiers["D"]))
    solver2 = cp_model.CpSolver()
    solver2.parameters.num_workers = 1
    solver2.parameters.max_time_in_seconds = min(p.time_limit, D_TIME_LIMIT)
    status2 = solver2.solve(m)
    if status2 == cp_model.OPTIMAL:
        return p.mid, _read(solver2, events_vars), "OPTIMAL"
    if status2 == cp_model.FEASIBLE:
        return p.mid, _read(solver2, events_vars), "OPTIMAL_AC"
    return p.mid, out, "OPTIMAL_AC"


def _read(solver, events_vars) -> list[Events]:
    out: list[Events] = []
    for ev in events_vars:
        events: Events = []
        for e, placed, xs, q in ev:
            if not solver.boolean_value(q):
                break
            day = solver.value(e)
            slot = None
            if solver.boolean_value(placed):
                slot = next(s for (d, s), x in xs.items() if solver.boolean_value(x))
            events.append((day, slot))
        out.append(events)
    return out


def _split(prefix: int) -> list[int]:
    """Tiers [A, B, -B', C] of a cost prefix (each tier well inside +-5000)."""
    out = []
    x = prefix
    for _ in range(3):
        r = (x + 5000) % 10_000 - 5000
        out.append(r)
        x = (x - r) // 10_000
    out.append(x)
    return out[::-1]


def _all_missed(t: Task, last: int) -> Events:
    if t.hi0 > last:
        return []
    events: Events = [(t.due0, None)]
    while events[-1][0] + t.G <= last:
        events.append((events[-1][0] + t.c, None))
    return events


# ------------------------------------------------------------------------------- driver

@dataclass
class _Pair:
    mentor: Any
    returnee: Any
    assignment: Assignment
    task: Task
    mentor_slots: frozenset
    returnee_slots: frozenset
    busy: list


def _build(roster: Roster, plan: Plan, previous: PreviousVisits,
           warnings: list[str]) -> dict[str, list[_Pair]]:
    s = roster.settings
    day0 = plan.plan_date
    last = 7 * s.horizon_weeks - 1
    parsed: dict[str, frozenset] = {}
    by_mentor: dict[str, list[_Pair]] = {}
    dates = [day0 + dt.timedelta(days=d) for d in range(last + 1)]
    free_cache: dict[tuple, dict[int, tuple[int, ...]]] = {}
    for a in plan.assignments:
        if a.mentor_id is None:
            continue
        try:
            mentor, r = roster.mentor(a.mentor_id), roster.returnee(a.returnee_id)
        except KeyError:
            continue
        if mentor.id not in parsed:
            parsed[mentor.id] = _parse(mentor.availability, f"mentor {mentor.id}", warnings)
        ms = parsed[mentor.id]
        rs = _parse(r.availability, f"returnee {r.id}", warnings)
        job = roster.job(a.job_id) if a.job_id else None
        course = roster.training(a.training_id) if a.training_id else None
        busy = busy_hours(job, course)
        key = (ms, rs, tuple((b, since) for _, b, since in busy))
        free = free_cache.get(key)
        if free is None:
            free = free_cache[key] = _free_days(ms & rs, busy, dates)
        c = s.cadence_days(r.risk)
        g, G = max(1, c - 2), c + 2
        F = s.first_visit_days
        target0 = None
        if a.change == "kept":
            first, prev = False, previous.get((mentor.id, r.id))
            p = None if prev is None else (prev - day0).days
            if p is not None and p + G >= 0:
                lo0, hi0 = max(0, p + g), p + G
                target0 = p + c
                due0 = min(max(lo0, target0), hi0)
                asap = False
            else:  # no record, or overdue: due from now (or from a future release)
                start = max(0, (r.release_date - day0).days)
                lo0, hi0, due0, asap = start, start + F, start + F, True
        else:
            first, asap = True, True
            start = max(0, (r.release_date - day0).days)
            lo0, hi0, due0 = start, start + F, start + F
        task = Task(r.id, first, asap, lo0, hi0, due0, target0, c, g, G, free)
        by_mentor.setdefault(mentor.id, []).append(
            _Pair(mentor, r, a, task, ms, rs, busy))
    return by_mentor


def _free_days(both: frozenset, busy: list, dates: list[dt.date]
               ) -> dict[int, tuple[int, ...]]:
    """Day offset -> slot indices free for both people and outside the busy hours."""
    cache: dict[tuple[int, tuple[bool, ...]], tuple[int, ...]] = {}
    free: dict[int, tuple[int, ...]] = {}
    for d, date in enumerate(dates):
        wd = date.weekday()
        active = tuple(since is None or date >= since for _, _, since in busy)
        slots = cache.get((wd, active))
        if slots is None:
            blocked = set().union(*(b for (_, b, _), on in zip(busy, active) if on))
            slots = cache[wd, active] = tuple(
                i for i, name in enumerate(SLOTS)
                if (wd, name) in both and (wd, name) not in blocked)
        if slots:
            free[d] = slots
    return free


def _saving(m, pairs: list[_Pair]) -> list[list[int]]:
    def km(x, y) -> float:
        return float(haversine_km(x.location.lat, x.location.lon, y.location.lat,
                                  y.location.lon))

    n = len(pairs)
    out = [[0] * n for _ in range(n)]
    for i in range(n):
        for j in range(i + 1, n):
            ri, rj = pairs[i].returnee, pairs[j].returnee
            v = 1 + round(max(0.0, km(m, ri) + km(m, rj) - km(ri, rj)))
            out[i][j] = out[j][i] = v
    return out


def previous_visits_from(previous: Plan, plan_date: dt.date) -> dict[tuple[str, str], dt.date]:
    """Last visit before ``plan_date`` of every pair in a previous plan (visits dated on or
    after ``plan_date`` have not happened yet), for :func:`schedule_visits`."""
    out: dict[tuple[str, str], dt.date] = {}
    for v in previous.visits:
        key = (v.mentor_id, v.returnee_id)
        if v.date < plan_date and (key not in out or v.date > out[key]):
            out[key] = v.date
    return out


def schedule_visits(roster: Roster, plan: Plan,
                    previous_visits: PreviousVisits | None = None) -> None:
    """Fill ``plan.visits`` and ``plan.unscheduled`` for every mentor–mentee pair.

    ``previous_visits`` maps (mentor_id, returnee_id) to the last visit date of a kept
    pair in the previous plan."""
    s = roster.settings
    last = 7 * s.horizon_weeks - 1
    warnings: list[str] = []
    by_mentor = _build(roster, plan, previous_visits or {}, warnings)
    problems = []
    for mid, pairs in by_mentor.items():
        pairs.sort(key=lambda x: x.returnee.id)
        saving = _saving(pairs[0].mentor, pairs) if len(pairs) > 1 else [[0]]
        problems.append(MentorProblem(mid, last, [x.task for x in pairs], saving,
                                      s.time_limit_s))
    results: dict[str, list[Events]] = {}
    hard = []
    for p in problems:
        fast = _fast(p)
        if fast is None:
            hard.append(p)
        else:
            results[p.mid] = fast[1]
    for mid, events, how in _run_cpsat(hard):
        results[mid] = events
        if how not in ("OPTIMAL", "OPTIMAL_AC"):
            warnings.append(f"visit schedule of mentor {mid} not proven best within the "
                            f"time limit ({how})")
    visits, unscheduled = [], []
    for mid, pairs in by_mentor.items():
        events = results[mid]
        mine = {(d, sl): x.returnee.id for x, ev in zip(pairs, events) for d, sl in ev
                if sl is not None}
        per_day: dict[int, int] = {}
        for d, _ in mine:
            per_day[d] = per_day.get(d, 0) + 1
        for x, ev in zip(pairs, events):
            prev = None
            for k, (d, sl) in enumerate(ev):
                kind = "first" if k == 0 and x.task.first else "follow-up"
                date = plan.plan_date + dt.timedelta(days=d)
                if sl is not None:
                    visits.append(Visit(date, SLOTS[sl], mid, x.returnee.id, kind))
                else:
                    lo, hi = (x.task.lo0, x.task.hi0) if k == 0 else (prev + x.task.g,
                                                                     prev + x.task.G)
                    reason = _reason(plan.plan_date, x, lo, min(hi, last), mine, per_day)
                    unscheduled.append({
                        "mentor_id": mid, "returnee_id": x.returnee.id,
                        "due": date.isoformat(), "kind": kind,
                        "reason": str(reason), "reason_vi": vi_of(reason)})
                prev = d
    order = {name: i for i, name in enumerate(SLOTS)}
    plan.visits = sorted(visits, key=lambda v: (v.date, order[v.slot], v.mentor_id,
                                                v.returnee_id))
    plan.unscheduled = sorted(unscheduled, key=lambda u: (u["due"], u["mentor_id"],
                                                          u["returnee_id"]))
    for w in dict.fromkeys(warnings):
        if w not in plan.warnings:
            plan.warnings.append(w)


def _run_cpsat(problems: list[MentorProblem]) -> Iterable[tuple[str, list[Events], str]]:
    if len(problems) >= PARALLEL_MIN and (os.cpu_count() or 1) > 1:
        workers = min(len(problems), os.cpu_count() or 1)
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            yield from pool.map(_cpsat, problems, chunksize=max(1, len(problems) // (4 * workers)))
    else:
        for p in problems:
            yield _cpsat(p)


def _default(text: str | None, lang: str = "en") -> str:
    if text is not None and str(text).strip():
        return ""
    return " (không ghi: coi như rảnh sáng và chiều)" if lang == "vi" else (
        " (none given: any daytime)")


def _reason(day0: dt.date, x: _Pair, lo: int, hi: int, mine: dict[tuple[int, int], str],
            per_day: dict[int, int]) -> Bi:
    """Plain words for a missed visit: which rule leaves no slot (English, with the
    Vietnamese in ``.vi``: dates dd/mm/yyyy, days T2..CN, sáng/chiều/tối)."""
    def iso(d: int) -> str:
        return (day0 + dt.timedelta(days=d)).isoformat()

    def vn(d: int) -> str:
        return f"{day0 + dt.timedelta(days=d):%d/%m/%Y}"

    t, mid, rid = x.task, x.mentor.id, x.returnee.id
    when = f"between {iso(lo)} and {iso(hi)}" if hi > lo else f"on {iso(lo)}"
    when_vi = f"từ {vn(lo)} đến {vn(hi)}" if hi > lo else f"ngày {vn(lo)}"
    common = [(d, sl) for d in range(lo, hi + 1) for sl in t.free.get(d, ())]
    if not common:
        m_free = describe(x.mentor_slots, " + ") + _default(x.mentor.availability)
        r_free = describe(x.returnee_slots, " + ") + _default(x.returnee.availability)
        m_vi = describe(x.mentor_slots, " + ", lang="vi") + _default(x.mentor.availability,
                                                                     "vi")
        r_vi = describe(x.returnee_slots, " + ", lang="vi") + _default(
            x.returnee.availability, "vi")
        parts = [f"no common free slot {when}: mentor {mid} free {m_free}",
                 f"{rid} free {r_free}"]
        parts_vi = [f"không có buổi rảnh chung {when_vi}: CCB {mid} rảnh {m_vi}",
                    f"{rid} rảnh {r_vi}"]
        start = day0 + dt.timedelta(days=lo)
        end = day0 + dt.timedelta(days=hi)
        for text, _, since in x.busy:
            if since is None or since <= end:
                late = bool(since and since > start)
                parts.append(f"{rid} {text}" + (f" from {since.isoformat()}" if late else ""))
                parts_vi.append(f"{rid} {vi_of(text)}" + (f" từ {since:%d/%m/%Y}" if late
                                                          else ""))
        return Bi("; ".join(parts), "; ".join(parts_vi))
    others = sorted({mine[k] for k in common if k in mine} | {
        r for (d, _), r in mine.items() if per_day.get(d, 0) >= MAX_PER_DAY
        and any(c[0] == d for c in common)} - {rid})
    blocked = all(k in mine or per_day.get(k[0], 0) >= MAX_PER_DAY for k in common)
    names = ", ".join(others) if others else "other mentees"
    names_vi = ", ".join(others) if others else "những người khác CCB giúp đỡ"
    if blocked:
        return Bi(f"mentor {mid}'s free slots shared with {rid} {when} are all taken by "
                  f"visits to {names} (one visit per slot, at most {MAX_PER_DAY} a day)",
                  f"các buổi rảnh chung của CCB {mid} và {rid} {when_vi} đều đã dành cho "
                  f"lượt thăm {names_vi} (mỗi buổi một lượt, tối đa {MAX_PER_DAY} lượt "
                  "một ngày)")
    return Bi(f"the free slots shared by mentor {mid} and {rid} {when} are needed to keep "
              f"the visits to {names} on time",
              f"các buổi rảnh chung của CCB {mid} và {rid} {when_vi} cần dành cho lượt thăm "
              f"{names_vi} để kịp hạn")
