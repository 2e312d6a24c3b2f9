"""Coordinators' Pairs ``require`` rows, settled before the solve (SPEC rule 7).

Pairs that are facts come first: on a rerun, confirmed mentor pairs and ``hired``
placements. Then the ``require`` rows are honoured in the order of the Pairs sheet, each
one only if

* the returnee has no honoured or fixed pair of that support yet (a mentor; a placement —
  a job or a training seat, never both),
* the pair obeys every pair-level hard rule (for a mentor: active, distance, gender, risk,
  not forbidden; for a job: commute, skill, offense and age, wants a job, not forbidden;
  for a course: distance, wants training, starts after the release, not forbidden), and
* with the pairs honoured before it, the mentor's capacity, monthly hours and co-offender
  rule, the job's slots and the employer-wide co-offender rule, the course's seats hold.

An honoured row is fixed in the plan; a row that is not becomes an
:class:`~matcher.plan.UnmetRequire` with the reason in plain words (never a refused plan).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from matcher import catalog
from matcher.blockers import because, pair_blockers, placement_blockers
from matcher.plan import UnmetRequire
from matcher.text import fold, join_bi, vi_of

if TYPE_CHECKING:
    from matcher.context import Context
    from matcher.domain import PairRule


def _unmet(ctx: Context, row: PairRule, problem: str) -> None:
    pair = f"{row.returnee_id}–{row.target}"
    note = (because(7, "reason.req.unmet_row", pair=pair, row=str(row.row), problem=problem)
            if row.row else because(7, "reason.req.unmet", pair=pair, problem=problem))
    ctx.notes.append(note)
    ctx.require_failures.setdefault((row.returnee_id, row.kind), []).append(note)
    ctx.unmet.append(UnmetRequire(row.returnee_id, row.kind, row.target, row.row,
                                  str(problem), vi_of(problem)))


def _positions(r: np.ndarray, o: np.ndarray, wanted: set[tuple[int, int]]
               ) -> dict[tuple[int, int], int]:
    """Arc index of each wanted (returnee, target) pair that is a candidate arc."""
    rows = [w[0] for w in wanted]
    pos = {}
    for k in np.flatnonzero(np.isin(r, rows)).tolist():
        key = (int(r[k]), int(o[k]))
        if key in wanted:
            pos[key] = k
    return pos


def settle_mentor_requires(ctx: Context, fixed: np.ndarray | None = None) -> np.ndarray:
    """Mentor arc per returnee (-1 if none): the ``fixed`` pairs (confirmed on a rerun)
    and the ``require`` rows for mentors that can be honoured."""
    roster, p, arcs = ctx.roster, ctx.people, ctx.marcs
    chosen = (np.full(p.n_returnees, -1, dtype=np.int64) if fixed is None
              else fixed.astype(np.int64).copy())
    rows = [row for row in roster.pairs if row.rule == "require" and row.kind == "mentor"]
    if not rows:
        return chosen
    ri = {rid: i for i, rid in enumerate(p.r_ids)}
    mi = {mid: i for i, mid in enumerate(p.m_ids)}
    wanted = {(ri[row.returnee_id], mi[row.mentor_id]) for row in rows
              if row.returnee_id in ri and row.mentor_id in mi}
    pos = _positions(arcs.r, arcs.m, wanted)
    held = chosen[chosen >= 0]
    load = np.bincount(arcs.m[held], minlength=p.n_mentors).astype(np.int64)
    hours = np.zeros(p.n_mentors)
    np.add.at(hours, arcs.m[held], arcs.hours[held])
    groups: dict[int, set[int]] = {}
    for k in held.tolist():
        if p.r_group[arcs.r[k]] >= 0:
            groups.setdefault(int(arcs.m[k]), set()).add(int(p.r_group[arcs.r[k]]))
    for row in rows:
        r, m = ri.get(row.returnee_id), mi.get(row.mentor_id)
        mid, rid = row.mentor_id, row.returnee_id
        k = pos.get((r, m))
        problem = None
        if r is not None and chosen[r] >= 0:
            other = p.m_ids[arcs.m[chosen[r]]]
            if other == mid:  # the same pair twice (or confirmed and required): honoured
                continue
            problem = catalog.bi("reason.req.has_mentor", rid=rid, other=other)
        elif k is None:
            problem = join_bi(pair_blockers(ctx, r, m))
        elif load[m] + 1 > p.m_capacity[m]:
            problem = because(1, "reason.req.mentor_full", n=int(p.m_capacity[m]), mid=mid)
        elif hours[m] + arcs.hours[k] > p.m_hours[m] + 1e-9:
            problem = because(2, "reason.req.mentor_hours", mid=mid,
                              have=float(p.m_hours[m]), need=float(hours[m] + arcs.hours[k]))
        elif p.r_group[r] >= 0 and p.r_group[r] in groups.get(m, set()):
            problem = because(6, "reason.req.mentor_group", mid=mid, rid=rid)
        if problem:
            _unmet(ctx, row, problem)
            continue
        chosen[r] = k
        load[m] += 1
        hours[m] += arcs.hours[k]
        if p.r_group[r] >= 0:
            groups.setdefault(m, set()).add(int(p.r_group[r]))
    return chosen


def settle_placement_requires(ctx: Context, fixed_jobs: np.ndarray | None = None
                              ) -> tuple[np.ndarray, np.ndarray]:
    """Job arc and training arc per returnee (-1 if none): the ``fixed_jobs`` (hired on a
    rerun) and the ``require`` rows for jobs and courses that can be honoured."""
    roster, p = ctx.roster, ctx.people
    n = p.n_returnees
    ja, ta = ctx.jarcs, ctx.tarcs
    job_of = np.full(n, -1, dtype=np.int64)
    training_of = np.full(n, -1, dtype=np.int64)
    employers = [fold(j.employer) for j in roster.jobs]
    used = {"job": np.zeros(len(roster.jobs), dtype=np.int64),
            "training": np.zeros(len(roster.trainings), dtype=np.int64)}
    taken: set[tuple[str, int]] = set()
    for r in ([] if fixed_jobs is None else np.flatnonzero(fixed_jobs >= 0).tolist()):
        # hired placements are facts while the opening's slots and rule 12 still allow
        k = int(fixed_jobs[r])
        o, g = int(ja.o[k]), int(p.r_group[r])
        job = roster.jobs[o]
        why = None
        if used["job"][o] + 1 > job.slots:
            why = because(8, "reason.req.hired_slots", n=int(job.slots), job=job.id)
        elif g >= 0 and (employers[o], g) in taken:
            why = because(12, "reason.req.hired_group", employer=job.employer)
        if why:
            ctx.notes.append(catalog.bi("reason.req.hired_note", rid=p.r_ids[r], job=job.id,
                                        why=why))
            continue
        job_of[r] = k
        used["job"][o] += 1
        if g >= 0:
            taken.add((employers[o], g))
    rows = [row for row in roster.pairs
            if row.rule == "require" and row.kind in ("job", "training")]
    if not rows:
        return job_of, training_of
    ri = {rid: i for i, rid in enumerate(p.r_ids)}
    index = {"job": {j.id: k for k, j in enumerate(roster.jobs)},
             "training": {t.id: k for k, t in enumerate(roster.trainings)}}
    arcs = {"job": ja, "training": ta}
    pos = {}
    for kind in ("job", "training"):
        wanted = {(ri[row.returnee_id], index[kind][row.target]) for row in rows
                  if row.kind == kind and row.returnee_id in ri and row.target in index[kind]}
        pos[kind] = _positions(arcs[kind].r, arcs[kind].o, wanted)
    for row in rows:
        kind, rid, target = row.kind, row.returnee_id, row.target
        r, o = ri.get(rid), index[kind].get(target)
        k = pos[kind].get((r, o))
        problem = None
        if r is not None and (job_of[r] >= 0 or training_of[r] >= 0):
            now = (roster.jobs[ja.o[job_of[r]]].id if job_of[r] >= 0
                   else roster.trainings[ta.o[training_of[r]]].id)
            if now == target:
                continue  # the same placement twice, or hired and required: honoured
            problem = catalog.bi("reason.req.has_place", rid=rid, now=now)
        elif k is None:
            problem = join_bi(placement_blockers(ctx, r, o, kind))
        elif kind == "job" and used["job"][o] + 1 > roster.jobs[o].slots:
            problem = because(8, "reason.req.job_full", n=int(roster.jobs[o].slots),
                              target=target)
        elif kind == "training" and used["training"][o] + 1 > roster.trainings[o].seats:
            problem = because(8, "reason.req.course_full", n=int(roster.trainings[o].seats),
                              target=target)
        elif (kind == "job" and p.r_group[r] >= 0
              and (employers[o], int(p.r_group[r])) in taken):
            problem = because(12, "reason.req.job_group", rid=rid,
                              employer=roster.jobs[o].employer)
        if problem:
            _unmet(ctx, row, problem)
            continue
        used[kind][o] += 1
        if kind == "job":
            job_of[r] = k
            if p.r_group[r] >= 0:
                taken.add((employers[o], int(p.r_group[r])))
        else:
            training_of[r] = k
    return job_of, training_of
