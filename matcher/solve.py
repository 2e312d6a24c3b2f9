"""The planner: one call, :func:`solve`, from a roster to a checked-ready :class:`Plan`.

The stages, each in its own module (measured on a 2-core machine; see README
"Performance"):

1. :mod:`matcher.context` — candidate pairs from a KD-tree radius query, every pair-level
   hard rule a vectorised mask (:mod:`matcher.rules`); no all-pairs matrix.
2. :mod:`matcher.rerun` (reruns only) — confirmed pairs and hired placements fixed, the
   previous pairs marked for the tiers M3 and J3.
3. :mod:`matcher.requires` — the Pairs ``require`` rows honoured where they can be, listed
   with a reason where they cannot.
4. :mod:`matcher.mentors` (M1-M5) and :mod:`matcher.placements` (J1-J5) — independent, so
   the placements run in a second process while the mentors are solved.
5. :mod:`matcher.rerun` again (reruns) — every row labelled new / kept / changed / ended.
6. :mod:`matcher.explain` and :mod:`matcher.schedule` — reasons, score breakdowns,
   capacity gaps and the first weeks of visits.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import logging
import time

import numpy as np

from matcher import blockers, catalog, explain, forked, rerun
from matcher.context import (
    PARALLEL_MIN_RETURNEES,
    Context,
    MentorSolution,
    PlacementSolution,
    Progress,
    build_context,
)
from matcher.domain import Roster
from matcher.loans import allocate_loans
from matcher.mentors import solve_mentors
from matcher.placements import solve_placements
from matcher.plan import Assignment, Plan, PreviousPlan, Tier
from matcher.requires import settle_mentor_requires, settle_placement_requires
from matcher.review import review_visits
from matcher.schedule import (
    cancel_parts,
    collect_parts,
    previous_visits_from,
    schedule_part,
    start_parts,
)
from matcher.text import vi_of

log = logging.getLogger(__name__)


def solve_both(ctx: Context, *, time_limit: float, say: Progress, timings: dict[str, float],
               parallel: bool = True, fixed: np.ndarray | None = None,
               fixed_jobs: np.ndarray | None = None
               ) -> tuple[MentorSolution, PlacementSolution]:
    """Mentors and placements are independent problems: with ``parallel`` (and a second
    core, and a roster big enough to gain) the placements are solved in a forked child
    while this process solves the mentors. ``fixed`` / ``fixed_jobs``: a rerun's confirmed
    pairs and hired placements; the Pairs require rows are settled here, after them."""
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
          previous: Plan | PreviousPlan | None = None, parallel: bool = True,
          context: Context | None = None, loans: bool = True) -> Plan:
    """Plan mentors, jobs and training for ``roster``; returns a :class:`Plan`.

    ``previous`` (a :class:`Plan` or :class:`~matcher.plan.PreviousPlan`) switches on
    rerun mode (tiers M3/J3). ``parallel``: solve the
    placements in a second process while the mentors are solved. ``context``: candidate
    pairs already built for this roster (:func:`build_context`). ``loans``: allocate the
    loans (a part of a split roster leaves them to the merge, whose pools span parts)."""
    finished = follow_up_finished(roster)
    if finished:  # they leave the plan: solve the others, then add their rows
        active = dataclasses.replace(
            roster, returnees=tuple(r for r in roster.returnees if r.id not in finished),
            pairs=tuple(x for x in roster.pairs if x.returnee_id not in finished))
        plan = solve(active, progress=progress, time_limit=time_limit, schedule=schedule,
                     previous=previous, parallel=parallel, loans=loans)
        return add_finished(roster, plan, finished)
    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    say = progress or (lambda f, msg: None)
    s = roster.settings
    limit = s.time_limit_s if time_limit is None else time_limit
    say(0.05, "candidates")
    ctx = context if context is not None else build_context(roster, parallel=parallel)
    timings["candidates"] = time.perf_counter() - t0
    if previous is None:
        ms, ps = solve_both(ctx, time_limit=limit, say=say, timings=timings,
                            parallel=parallel)
        return finish_plan(ctx, ms, ps, t0=t0, timings=timings, say=say, schedule=schedule,
                           loans=loans)
    prepared = rerun.prepare(ctx, previous)
    ms, ps = solve_both(ctx, time_limit=limit, say=say, timings=timings, parallel=parallel,
                        fixed=prepared.fixed, fixed_jobs=prepared.fixed_jobs)
    rows, changes, extra = rerun.label(ctx, prepared, ms, ps)
    # kept pairs continue their visit rhythm from the previous plan's last visit
    last_visits = previous_visits_from(prepared.prev, s.plan_date)
    plan = finish_plan(ctx, ms, ps, t0=t0, timings=timings, say=say, schedule=schedule,
                       changes=changes, extra_tiers=extra, rows=rows,
                       previous_visits=last_visits, granted=prepared.prev.granted,
                       loans=loans)
    plan.visit_review = review_visits(prepared.prev, s.plan_date)
    return plan


def follow_up_finished(roster: Roster) -> dict[str, dt.date]:
    """Returnees whose follow-up ended on or before the plan date -> that date."""
    day = roster.settings.plan_date
    return {r.id: r.follow_up_end for r in roster.returnees
            if r.follow_up_end is not None and r.follow_up_end <= day}


def add_finished(roster: Roster, plan: Plan, finished: dict[str, dt.date]) -> Plan:
    """``plan`` of the others, with a row for each person whose follow-up has finished:
    no mentor, job or course, the change "ended" and its reason. On a rerun the solve of
    the others already ended their previous pairs (they are not on its roster) and counted
    them: only the reason changes."""
    reasons = {rid: catalog.bi("reason.follow_up_finished", day=blockers.day(end))
               for rid, end in finished.items()}
    by_id = {a.returnee_id: a for a in plan.assignments}
    for rid, reason in reasons.items():
        by_id[rid] = Assignment(returnee_id=rid, change="ended", reason=str(reason),
                                reason_vi=vi_of(reason))
    plan.assignments = [by_id[r.id] for r in roster.returnees]
    for item in plan.changes.get("list", []):
        if item["returnee_id"] in reasons:
            reason = reasons[item["returnee_id"]]
            item["reason"], item["reason_vi"] = str(reason), vi_of(reason)
    plan.stats["follow_up_finished"] = len(finished)
    return plan


def finish_plan(ctx: Context, ms: MentorSolution, ps: PlacementSolution, *, t0: float,
                timings: dict[str, float], say: Progress, schedule: bool,
                changes: dict | None = None, extra_tiers: dict[str, Tier] | None = None,
                rows: dict[str, tuple[str, str]] | None = None,
                previous_visits: dict | None = None,
                granted: dict[str, int] | None = None, loans: bool = True) -> Plan:
    roster, p, s = ctx.roster, ctx.people, ctx.roster.settings
    say(0.7, "explanations")
    t1 = time.perf_counter()
    assignments = []
    scores = explain.score_breakdowns(ctx, ms, ps)
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
    plan = Plan(plan_date=s.plan_date, settings=s.to_dict(), tiers={},
                assignments=assignments, status=ms.status,
                sources=[{"name": f.name, "sha256": f.sha256} for f in roster.sources],
                warnings=[str(x) for x in ctx.notes], changes=changes or {})
    plan.warnings_vi = [getattr(x, "vi", str(x)) for x in ctx.notes]
    # the visit schedule (it reads only the pairs) in forked children beside the loans
    # and the explanations (city: 0.25 s beside 0.1 s)
    jobs = start_parts(functools.partial(schedule_part, roster,
                                         previous_visits=previous_visits or None),
                       plan) if schedule else []
    try:
        _loans_and_reasons(ctx, plan, tiers, timings, t1, loans=loans, granted=granted)
    except BaseException:
        cancel_parts(jobs)
        raise
    if schedule:
        say(0.85, "visit schedule")
        t1 = time.perf_counter()
        collect_parts(plan, jobs)
        timings["schedule"] = time.perf_counter() - t1
    plan.stats = {"mentor_pairs": len(ctx.marcs), "job_pairs": len(ctx.jarcs),
                  "training_pairs": len(ctx.tarcs), **ctx.stats}
    plan.solve_seconds = time.perf_counter() - t0
    plan.timings = {k: round(v, 4) for k, v in timings.items()}
    say(1.0, "done")
    return plan


def _loans_and_reasons(ctx: Context, plan: Plan, tiers: dict[str, Tier],
                       timings: dict[str, float], t1: float, *, loans: bool,
                       granted: dict[str, int] | None) -> None:
    """The loans (``granted``: those granted before) and the tiers, the reasons of the
    unassigned and the capacity gaps, set on ``plan``."""
    roster = ctx.roster
    t_loans = time.perf_counter()
    loan_result = allocate_loans(roster, plan.assignments, granted) if loans else None
    if loan_result is not None:
        tiers.update(loan_result.tiers)
    timings["loans"] = time.perf_counter() - t_loans
    order = ["M1", "M2", "M3", "M4", "M5", "J1", "J2", "J3", "J4", "J5", "L1", "L2", "L3"]
    plan.tiers = {k: tiers[k] for k in order if k in tiers}
    if loan_result is not None:
        plan.loans, plan.employer_loans = loan_result.decisions, loan_result.employer_loans
    plan.unmet_requires = sorted(ctx.unmet, key=lambda u: (u.row or 0, u.returnee_id))
    plan.unassigned = explain.explain_unassigned(ctx, plan)
    plan.capacity_gaps = explain.capacity_gaps(ctx, plan)
    timings["explain"] = time.perf_counter() - t1 - timings["loans"]
