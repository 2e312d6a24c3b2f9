"""Reruns after new releases (SPEC section 5; tiers M3 and J3).

A previous plan (its JSON or workbook, read by :mod:`matcher.io.plan_reader`, or a
:class:`Plan` in memory) becomes a :class:`~matcher.plan.PreviousPlan`. The rerun is the
same solve as a first plan with two steps around it: :func:`prepare` before it and
:func:`label` after it.

* confirmed pairs (marked ``confirmed``, or older than ``confirm_after_days``) are fixed,
  unless a hard rule now forbids them — then the pair ends and the reason names the rule;
* other previous pairs get the M3 tier: among plans best on M1/M2 the number of changed
  pairs is minimised (and proved minimal by the same flow/CP-SAT machinery);
* hired job placements are facts and stay; proposed ones follow J3 the same way;
* every row says new / kept / changed / ended with a plain reason, and a change report
  lists them, including returnees who are no longer on the roster.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from matcher import catalog
from matcher.blockers import because, pair_blockers
from matcher.context import Context, MentorSolution, PlacementSolution
from matcher.errors import ERROR
from matcher.plan import Plan, PreviousPlan, PrevRow, Tier, as_previous
from matcher.text import Bi, join_bi, vi_of


def _is_confirmed(row: PrevRow, prev: PreviousPlan, settings) -> bool:
    if row.confirmed:
        return True
    days = settings.confirm_after_days
    return bool(days and prev.plan_date and
                (settings.plan_date - prev.plan_date).days >= days)


@dataclass
class Rerun:
    """A rerun prepared for the solve: the previous plan, the pairs that must stay
    (confirmed mentor arcs and hired job arcs per returnee, -1 for none) and why the
    previous pairs that had to end ended."""

    prev: PreviousPlan
    fixed: np.ndarray
    fixed_jobs: np.ndarray
    prev_mask: np.ndarray
    ended_reason: dict[str, str]
    job_notes: list[str]


def prepare(ctx: Context, previous: Plan | PreviousPlan) -> Rerun:
    """Before the solve: fix the confirmed pairs while every hard rule still allows them,
    mark the other previous pairs for the tiers M3 and J3 (``ctx.marcs.prev``,
    ``ctx.jarcs.prev``, ``ctx.tarcs.prev``) and keep the hired placements."""
    prev = as_previous(previous)
    _roster, p, arcs, s = ctx.roster, ctx.people, ctx.marcs, ctx.roster.settings
    ri = {rid: i for i, rid in enumerate(p.r_ids)}
    mi = {mid: i for i, mid in enumerate(p.m_ids)}
    rows = [(ri[rid], mi.get(row.mentor_id, -1), rid, row) for rid, row in prev.rows.items()
            if rid in ri and row.mentor_id]
    arc_at = _arc_lookup(arcs.r, arcs.m, p.n_mentors, [x[0] for x in rows],
                         [x[1] for x in rows])
    ended_reason: dict[str, str] = {}
    fixed = np.full(p.n_returnees, -1, dtype=np.int64)
    prev_mask = np.zeros(len(arcs), dtype=bool)
    load: dict[int, int] = defaultdict(int)
    hours: dict[int, float] = defaultdict(float)
    groups: dict[int, set] = defaultdict(set)
    confirmed_rows = []
    for (r, m, rid, row), k in zip(rows, arc_at.tolist()):
        if m < 0:
            ended_reason[rid] = catalog.bi("reason.rerun.mentor_gone", mid=row.mentor_id)
            continue
        if k < 0:
            why = join_bi(pair_blockers(ctx, r, m))
            ended_reason[rid] = catalog.bi("reason.rerun.pair_ended", mid=row.mentor_id,
                                           why=why)
            continue
        if _is_confirmed(row, prev, s):
            confirmed_rows.append((r, m, k, row))
        else:
            prev_mask[k] = True
    # confirmed pairs are fixed while capacity, hours and co-offender rules still allow
    for r, m, k, row in confirmed_rows:
        why = None
        mid = row.mentor_id
        if load[m] + 1 > p.m_capacity[m]:
            why = (because(1, "reason.rerun.capacity", n=int(p.m_capacity[m]), mid=mid)
                   if p.m_active[m] else because(1, "reason.blk.inactive", mid=mid))
        elif hours[m] + arcs.hours[k] > p.m_hours[m] + 1e-9:
            why = because(2, "reason.rerun.hours", mid=mid, h=float(p.m_hours[m]))
        elif p.r_group[r] >= 0 and int(p.r_group[r]) in groups[m]:
            why = because(6, "reason.rerun.group", mid=mid)
        if why:
            ended_reason[row.returnee_id] = catalog.bi("reason.rerun.confirmed_ended",
                                                       mid=mid, why=why)
            continue
        fixed[r] = k
        load[m] += 1
        hours[m] += arcs.hours[k]
        if p.r_group[r] >= 0:
            groups[m].add(int(p.r_group[r]))
    arcs.prev = prev_mask
    # placements: hired ones are facts, proposed ones are preferred (J3)
    fixed_jobs, job_notes = _placement_prev(ctx, prev)
    return Rerun(prev, fixed, fixed_jobs, prev_mask, ended_reason, job_notes)


def label(ctx: Context, rerun: Rerun, ms: MentorSolution, ps: PlacementSolution
          ) -> tuple[dict[str, tuple[str, str]], dict, dict[str, Tier]]:
    """After the solve: every row new / kept / changed / ended with its reason, the change
    report, and the rerun tiers M3 and J3 as counts of changed pairs."""
    rows, changes, extra = _changes(ctx, rerun.prev, ms, ps, rerun.fixed, rerun.prev_mask,
                                    rerun.ended_reason)
    ctx.notes.extend(rerun.job_notes)
    ctx.notes.extend(catalog.bi("reason.rerun.prev_issue",
                                where=Bi(i.where_in("en"), i.where_in("vi")),
                                message=Bi(i.message("en"), i.message("vi")))
                     for i in rerun.prev.issues)
    return rows, changes, extra


def _arc_lookup(arc_r: np.ndarray, arc_o: np.ndarray, n_o: int, rs: list[int],
                os_: list[int]) -> np.ndarray:
    """Index of the candidate arc (rs[i], os_[i]) for each i, or -1 when there is none
    (a target of -1 has none): one sorted key and a binary search instead of a dict of
    every arc (a province has millions of job arcs)."""
    out = np.full(len(rs), -1, dtype=np.int64)
    if not len(rs) or not len(arc_r):
        return out
    width = np.int64(max(1, n_o))
    keys = arc_r.astype(np.int64) * width + arc_o
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    want_o = np.asarray(os_, dtype=np.int64)
    want = np.asarray(rs, dtype=np.int64) * width + want_o
    pos = np.clip(np.searchsorted(sorted_keys, want), 0, len(sorted_keys) - 1)
    hit = (sorted_keys[pos] == want) & (want_o >= 0)
    out[hit] = order[pos[hit]]
    return out


def _placement_prev(ctx, prev: PreviousPlan) -> tuple[np.ndarray, list[str]]:
    roster, p, ja, ta = ctx.roster, ctx.people, ctx.jarcs, ctx.tarcs
    ri = {rid: i for i, rid in enumerate(p.r_ids)}
    ji = {j.id: k for k, j in enumerate(roster.jobs)}
    ti = {t.id: k for k, t in enumerate(roster.trainings)}
    rows = [(ri[rid], rid, row) for rid, row in prev.rows.items() if rid in ri]
    jk = _arc_lookup(ja.r, ja.o, len(roster.jobs), [x[0] for x in rows],
                     [ji.get(row.job_id, -1) for _, _, row in rows]).tolist()
    tk = _arc_lookup(ta.r, ta.o, len(roster.trainings), [x[0] for x in rows],
                     [ti.get(row.training_id, -1) for _, _, row in rows]).tolist()
    fixed = np.full(p.n_returnees, -1, dtype=np.int64)
    jprev = np.zeros(len(ja), dtype=bool)
    tprev = np.zeros(len(ta), dtype=bool)
    notes = []
    for (r, rid, row), kj, kt in zip(rows, jk, tk):
        if row.job_id and row.job_id in ji:
            k = kj if kj >= 0 else None
            if k is None:
                if row.hired:
                    notes.append(catalog.bi("reason.rerun.hired_unfit", rid=rid,
                                            job=row.job_id))
            elif row.hired:
                fixed[r] = k
            else:
                jprev[k] = True
        if row.training_id and row.training_id in ti and kt >= 0:
            tprev[kt] = True
    ja.prev = jprev
    ta.prev = tprev
    return fixed, notes


def _changes(ctx, prev: PreviousPlan, ms, ps, fixed: np.ndarray, prev_mask: np.ndarray,
             ended_reason: dict[str, str]):
    roster, p, arcs = ctx.roster, ctx.people, ctx.marcs
    now = {p.r_ids[i]: (p.m_ids[arcs.m[k]] if k >= 0 else None, k)
           for i, k in enumerate(ms.arc_of.tolist())}
    old_of_mentor: dict[str, set[str]] = defaultdict(set)
    for rid, row in prev.rows.items():
        if row.mentor_id:
            old_of_mentor[row.mentor_id].add(rid)
    rows: dict[str, tuple[str, str]] = {}
    items = []
    counts = {"new": 0, "kept": 0, "changed": 0, "ended": 0}
    fixed_ids = {p.r_ids[i] for i in np.flatnonzero(fixed >= 0)}
    for rid in p.r_ids:
        row = prev.rows.get(rid)
        mentor, k = now[rid]
        old = row.mentor_id if row else None
        if not old:
            status, reason = "new", Bi("", "")
        elif mentor == old:
            status = "kept"
            reason = catalog.bi("reason.rerun.confirmed") if rid in fixed_ids else Bi("", "")
        else:
            cause = ended_reason.get(rid)
            if cause is None:
                took = sorted(x for x, (mm, _) in now.items()
                              if mm == old and x not in old_of_mentor[old])
                if took:
                    who = join_bi([catalog.bi("reason.rerun.moved_one", rid=x,
                                              risk=roster.returnee(x).risk) for x in took[:3]],
                                  sep=", ")
                    cause = catalog.bi("reason.rerun.moved", old=old, who=who)
                else:
                    cause = catalog.bi("reason.rerun.needed", old=old)
            if mentor is None:
                status = "ended"
                reason = catalog.bi("reason.rerun.ended", cause=cause)
            else:
                status = "changed"
                reason = catalog.bi("reason.rerun.changed", cause=cause, rid=rid,
                                    mentor=mentor, km=float(arcs.km[k]))
        counts[status] += 1
        rows[rid] = (status, reason)
        if status != "new" or mentor:
            items.append({"returnee_id": rid, "change": status, "old_mentor": old,
                          "new_mentor": mentor, "reason": str(reason),
                          "reason_vi": vi_of(reason)})
    for rid, row in prev.rows.items():
        if rid not in rows and (row.mentor_id or row.job_id or row.training_id):
            counts["ended"] += 1
            gone = catalog.bi("reason.rerun.left_roster")
            items.append({"returnee_id": rid, "change": "ended", "old_mentor": row.mentor_id,
                          "new_mentor": None, "reason": str(gone), "reason_vi": gone.vi})
    prev_pairs = int(prev_mask.sum())
    m3 = ms.tiers["M3"]
    j3 = ps.tiers["J3"]
    jprev = int(ctx.jarcs.prev.sum() + ctx.tarcs.prev.sum())
    extra = {
        "M3": Tier("M3", prev_pairs + m3.value,
                   None if m3.bound is None else prev_pairs + m3.bound, m3.optimal),
        "J3": Tier("J3", jprev + j3.value,
                   None if j3.bound is None else jprev + j3.bound, j3.optimal),
    }
    changes = {"counts": counts, "list": items, "previous": prev.source,
               "warnings": [i.message("en") for i in prev.issues if i.severity != ERROR],
               "warnings_vi": [i.message("vi") for i in prev.issues if i.severity != ERROR]}
    return rows, changes, extra
