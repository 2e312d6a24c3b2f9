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
import functools
import multiprocessing
import os
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from matcher import catalog, forked
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
from matcher.text import Bi, join_bi, vi_of
from matcher.visit_model import (
    MAX_PER_DAY,
    Events,
    MentorProblem,
    Task,
    solve_exact,
    solve_fast,
)

WORK_DAYS = (0, 1, 2, 3, 4, 5)  # jobs: Mon–Sat
STUDY_DAYS = (0, 1, 2, 3, 4)  # courses: Mon–Fri
PARALLEL_MIN = 24  # CP-SAT mentors before worker processes pay for their start-up

PreviousVisits = Mapping[tuple[str, str], dt.date]


def busy_hours(job, training) -> list[tuple[str, frozenset[tuple[int, str]], dt.date | None]]:
    """The returnee's fixed hours: (plain description, weekly slots, from date); the
    description is a :class:`~matcher.explain.Bi` carrying its Vietnamese in ``.vi``."""
    out = []
    if job is not None and job.shift == "day":
        out.append((catalog.bi("reason.busy.day_shift"),
                    frozenset((d, s) for d in WORK_DAYS for s in DAYTIME), job.start_date))
    elif job is not None and job.shift == "night":
        out.append((catalog.bi("reason.busy.night_shift"),
                    frozenset((d, s) for d in WORK_DAYS for s in ("morning", "evening")),
                    job.start_date))
    if training is not None and training.schedule == "day":
        out.append((catalog.bi("reason.busy.day_course"),
                    frozenset((d, s) for d in STUDY_DAYS for s in DAYTIME),
                    training.start_date))
    elif training is not None and training.schedule == "evening":
        out.append((catalog.bi("reason.busy.evening_course"),
                    frozenset((d, "evening") for d in STUDY_DAYS), training.start_date))
    return out


def _parse(text: str | None, who: Bi, warnings: list[str]) -> frozenset[tuple[int, str]]:
    try:
        return parse_availability(text)
    except AvailabilityError as exc:
        why = exc.args[0] if exc.args and isinstance(exc.args[0], Bi) else str(exc)
        warnings.append(catalog.bi("reason.visit.bad_availability", who=who, text=str(text),
                                   why=why))
        return DEFAULT


@dataclass
class _Pair:
    mentor: Any
    returnee: Any
    assignment: Assignment
    task: Task
    mentor_slots: frozenset
    returnee_slots: frozenset
    busy: list
    index: int  # of the assignment in the plan


def _build(roster: Roster, plan: Plan, previous: PreviousVisits,
           warnings: list[tuple[tuple[int, ...], Bi]],
           mentors: frozenset[str] | None = None) -> dict[str, list[_Pair]]:
    """Each mentor's pairs (of ``mentors`` only, when given), in the order the mentors
    first appear in the plan. ``warnings`` gets each availability problem with its place
    in the whole plan's order (see :class:`ScheduledPart`)."""
    s = roster.settings
    day0 = plan.plan_date
    last = 7 * s.horizon_weeks - 1
    parsed: dict[str, frozenset] = {}
    by_mentor: dict[str, list[_Pair]] = {}
    dates = [day0 + dt.timedelta(days=d) for d in range(last + 1)]
    free_cache: dict[tuple, dict[int, tuple[int, ...]]] = {}
    for ai, a in enumerate(plan.assignments):
        if a.mentor_id is None or (mentors is not None and a.mentor_id not in mentors):
            continue
        try:
            mentor, r = roster.mentor(a.mentor_id), roster.returnee(a.returnee_id)
        except KeyError:
            continue
        found: list = []
        if mentor.id not in parsed:
            parsed[mentor.id] = _parse(mentor.availability, catalog.bi(
                "reason.visit.who_mentor", id=mentor.id), found)
        ms = parsed[mentor.id]
        rs = _parse(r.availability, catalog.bi("reason.visit.who_returnee", id=r.id), found)
        warnings += [((0, ai, j), w) for j, w in enumerate(found)]
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
            _Pair(mentor, r, a, task, ms, rs, busy, ai))
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
    after ``plan_date`` have not happened yet), for :func:`schedule_visits`. When the
    coordinator marked visits done, only those count: a pair whose planned visit was not
    made is overdue and is scheduled first."""
    out: dict[tuple[str, str], dt.date] = {}
    marked = any(v.done is not None for v in previous.visits)
    for v in previous.visits:
        if marked and not v.done:
            continue
        key = (v.mentor_id, v.returnee_id)
        if v.date < plan_date and (key not in out or v.date > out[key]):
            out[key] = v.date
    return out


@dataclass
class ScheduledPart:
    """The visit schedule of some of a plan's mentors (:func:`schedule_part`); the parts
    of disjoint mentor sets together make the whole schedule (:func:`apply_parts`), the
    same as one part of every mentor. Each warning carries its place in the whole plan's
    order: ``(0, assignment index, n)`` for an availability problem, ``(1, index of the
    mentor's first pair)`` for a mentor whose schedule was not proven."""

    visits: list[Visit]
    unscheduled: list[dict[str, Any]]
    not_yet_due: list[dict[str, Any]]
    warnings: list[tuple[tuple[int, ...], Bi]]


def mentor_groups(plan: Plan, n: int) -> list[frozenset[str]]:
    """The plan's mentors in ``n`` groups of about equal work (the mentees' count squared:
    a mentor's schedule grows faster than its mentees), for :func:`schedule_part`."""
    mentees: dict[str, int] = {}
    for a in plan.assignments:
        if a.mentor_id is not None:
            mentees[a.mentor_id] = mentees.get(a.mentor_id, 0) + 1
    groups: list[set[str]] = [set() for _ in range(max(1, n))]
    load = [0] * len(groups)
    for mid, k in sorted(mentees.items(), key=lambda x: (-x[1], x[0])):
        i = load.index(min(load))
        groups[i].add(mid)
        load[i] += k * k
    return [frozenset(g) for g in groups if g]


PART_CHILDREN = 2  # forked children that make a plan's visit schedule, half the mentors each


def start_parts(make: Callable[[Plan, frozenset[str] | None], ScheduledPart],
                plan: Plan) -> list:
    """The visit schedule of ``plan`` started in forked children, half of the mentors each
    (``make(plan, mentors)``: :func:`schedule_part` given the roster), while the caller
    goes on (the loans, the explanations); where no child can run, the whole schedule is
    made when :func:`collect_parts` asks for it. Only ``plan.plan_date`` and the pairs in
    ``plan.assignments`` are read."""
    groups = mentor_groups(plan, PART_CHILDREN) if forked.available() else [None]
    return [forked.start(functools.partial(make, plan, group)) for group in groups]


def collect_parts(plan: Plan, jobs: list) -> None:
    """Wait for the parts :func:`start_parts` started and set them on ``plan``
    (:func:`apply_parts`); a failure stops the other children."""
    try:
        parts = [job.result() for job in jobs]
    except BaseException:
        cancel_parts(jobs)
        raise
    apply_parts(plan, parts)


def cancel_parts(jobs: list) -> None:
    for job in jobs:
        job.cancel()


def schedule_visits(roster: Roster, plan: Plan,
                    previous_visits: PreviousVisits | None = None) -> None:
    """Fill ``plan.visits`` and ``plan.unscheduled`` for every mentor–mentee pair.

    ``previous_visits`` maps (mentor_id, returnee_id) to the last visit date of a kept
    pair in the previous plan."""
    apply_parts(plan, [schedule_part(roster, plan, previous_visits=previous_visits)])


def schedule_part(roster: Roster, plan: Plan, mentors: frozenset[str] | None = None, *,
                  previous_visits: PreviousVisits | None = None) -> ScheduledPart:
    """The visit schedule of the pairs of ``mentors`` (every mentor when None); ``plan`` is
    not changed. Parts of disjoint mentor sets may be made in parallel processes
    (:func:`start_parts`). It reports no progress: a front end's callback may hold locks
    of other threads (the web worker's ticking bar), which a forked child must never
    wait for."""
    s = roster.settings
    last = 7 * s.horizon_weeks - 1
    warnings: list[tuple[tuple[int, ...], Bi]] = []
    by_mentor = _build(roster, plan, previous_visits or {}, warnings, mentors)
    first_pair = {mid: min(x.index for x in pairs) for mid, pairs in by_mentor.items()}
    problems = []
    for mid, pairs in by_mentor.items():
        pairs.sort(key=lambda x: x.returnee.id)
        saving = _saving(pairs[0].mentor, pairs) if len(pairs) > 1 else [[0]]
        problems.append(MentorProblem(mid, last, [x.task for x in pairs], saving,
                                      s.time_limit_s))
    results: dict[str, list[Events]] = {}
    hard = []
    for p in problems:
        fast = solve_fast(p)
        if fast is None:
            hard.append(p)
        else:
            results[p.mid] = fast[1]
    for mid, events, how in _run_cpsat(hard):
        results[mid] = events
        if how not in ("OPTIMAL", "OPTIMAL_AC"):
            warnings.append(((1, first_pair[mid]),
                             catalog.bi("reason.visit.not_proven", mid=mid, how=how)))
    visits, unscheduled, later = [], [], []
    for mid, pairs in by_mentor.items():
        events = results[mid]
        for x, ev in zip(pairs, events):
            if not ev and x.task.hi0 > last:  # nothing due in the horizon: say when it is
                later.append({"mentor_id": mid, "returnee_id": x.returnee.id,
                              "due": (plan.plan_date + dt.timedelta(days=x.task.hi0))
                              .isoformat(), "kind": "first" if x.task.first else "follow-up"})
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
    return ScheduledPart(visits, unscheduled, later, warnings)


def apply_parts(plan: Plan, parts: Iterable[ScheduledPart]) -> None:
    """Set ``plan.visits``, ``plan.unscheduled``, ``plan.not_yet_due`` and the schedule's
    warnings from the parts of disjoint mentor sets, in the order of one whole schedule
    (each list sorted on a key no two of its items share)."""
    parts = list(parts)
    order = {name: i for i, name in enumerate(SLOTS)}
    plan.visits = sorted((v for p in parts for v in p.visits),
                         key=lambda v: (v.date, order[v.slot], v.mentor_id, v.returnee_id))
    plan.unscheduled = sorted((u for p in parts for u in p.unscheduled),
                              key=lambda u: (u["due"], u["mentor_id"], u["returnee_id"]))
    plan.not_yet_due = sorted((u for p in parts for u in p.not_yet_due),
                              key=lambda u: (u["due"], u["mentor_id"], u["returnee_id"]))
    warnings = [w for _, w in sorted((w for p in parts for w in p.warnings),
                                     key=lambda kw: kw[0])]
    if len(plan.warnings_vi) != len(plan.warnings):  # a plan made before the Vietnamese
        plan.warnings_vi = list(plan.warnings)
    for w in dict.fromkeys(warnings):
        if w not in plan.warnings:
            plan.warnings.append(str(w))
            plan.warnings_vi.append(vi_of(w))


def _run_cpsat(problems: list[MentorProblem]) -> Iterable[tuple[str, list[Events], str]]:
    """Each hard mentor solved by CP-SAT: in a pool of spawned processes (CP-SAT's threads
    make fork unsafe; spawn is also all Windows has) when there are enough of them, the
    machine has cores to spare and :func:`matcher.forked.spawn_safe` says children may
    start here (not from a script without a ``__main__`` guard); otherwise one after the
    other in this process, with the same results."""
    workers = min(len(problems), os.cpu_count() or 1)
    if len(problems) >= PARALLEL_MIN and workers > 1 and forked.spawn_safe():
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            yield from pool.map(solve_exact, problems,
                                chunksize=max(1, len(problems) // (4 * workers)))
    else:
        for p in problems:
            yield solve_exact(p)


def _default(text: str | None) -> Bi:
    if text is not None and str(text).strip():
        return Bi("", "")
    return catalog.bi("reason.visit.none_given")


def _free(slots: frozenset, text: str | None) -> Bi:
    """Free slots in words of both languages, saying when none were given."""
    none = _default(text)
    return Bi(describe(slots, " + ") + none, describe(slots, " + ", lang="vi") + none.vi)


def _reason(day0: dt.date, x: _Pair, lo: int, hi: int, mine: dict[tuple[int, int], str],
            per_day: dict[int, int]) -> Bi:
    """Plain words for a missed visit: which rule leaves no slot (English, with the
    Vietnamese in ``.vi``: dates dd/mm/yyyy, days T2..CN, sáng/chiều/tối)."""
    def on(d: int) -> Bi:
        date = day0 + dt.timedelta(days=d)
        return Bi(catalog.date(date, "en"), catalog.date(date, "vi"))

    t, mid, rid = x.task, x.mentor.id, x.returnee.id
    when = (catalog.bi("reason.visit.between", a=on(lo), b=on(hi)) if hi > lo
            else catalog.bi("reason.visit.on", a=on(lo)))
    common = [(d, sl) for d in range(lo, hi + 1) for sl in t.free.get(d, ())]
    if not common:
        parts = [catalog.bi("reason.visit.no_common", when=when, mid=mid,
                            free=_free(x.mentor_slots, x.mentor.availability)),
                 catalog.bi("reason.visit.free", rid=rid,
                            free=_free(x.returnee_slots, x.returnee.availability))]
        start = day0 + dt.timedelta(days=lo)
        end = day0 + dt.timedelta(days=hi)
        for text, _, since in x.busy:
            if since is None or since <= end:
                if since and since > start:
                    parts.append(catalog.bi("reason.visit.busy_from", rid=rid, busy=text,
                                            day=on((since - day0).days)))
                else:
                    parts.append(catalog.bi("reason.visit.busy", rid=rid, busy=text))
        return join_bi(parts)
    others = sorted({mine[k] for k in common if k in mine} | {
        r for (d, _), r in mine.items() if per_day.get(d, 0) >= MAX_PER_DAY
        and any(c[0] == d for c in common)} - {rid})
    blocked = all(k in mine or per_day.get(k[0], 0) >= MAX_PER_DAY for k in common)
    names = (Bi(", ".join(others), ", ".join(others)) if others
             else catalog.bi("reason.visit.others"))
    key = "reason.visit.all_taken" if blocked else "reason.visit.needed"
    return catalog.bi(key, mid=mid, rid=rid, when=when, names=names, max=MAX_PER_DAY)
