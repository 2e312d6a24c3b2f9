"""Reruns after new releases (SPEC section 5; tiers M3 and J3).

A previous plan (its JSON, its workbook, or a :class:`Plan` in memory) is read into
:class:`PreviousPlan`. Then:

* confirmed pairs (marked ``confirmed``, or older than ``confirm_after_days``) are fixed,
  unless a hard rule now forbids them — then the pair ends and the reason names the rule;
* other previous pairs get the M3 tier: among plans best on M1/M2 the number of changed
  pairs is minimised (and proved minimal by the same flow/CP-SAT machinery);
* hired job placements are facts and stay; proposed ones follow J3 the same way;
* every row says new / kept / changed / ended with a plain reason, and a change report
  lists them, including returnees who are no longer on the roster.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from matcher.errors import ERROR, WARNING, Issue, RosterError
from matcher.explain import Bi, join_bi, vi_of
from matcher.plan import Plan, Tier


@dataclass
class PrevRow:
    returnee_id: str
    mentor_id: str | None = None
    job_id: str | None = None
    training_id: str | None = None
    confirmed: bool = False
    hired: bool = False
    row: int | None = None


@dataclass
class PreviousPlan:
    rows: dict[str, PrevRow]
    plan_date: dt.date | None = None
    source: str = ""
    issues: list[Issue] = field(default_factory=list)
    visits: list = field(default_factory=list)  # the previous plan's visits, when known


def previous_from_plan(plan: Plan, source: str = "previous plan") -> PreviousPlan:
    rows = {a.returnee_id: PrevRow(a.returnee_id, a.mentor_id, a.job_id, a.training_id,
                                   a.confirmed, a.hired) for a in plan.assignments}
    return PreviousPlan(rows, plan.plan_date, source, visits=list(plan.visits))


def load_previous(path: Path, roster=None) -> PreviousPlan:
    """Read a previous plan from JSON or from the plan workbook (Assignments sheet, with the
    hand-filled ``confirmed`` and ``hired`` columns). Problems raise RosterError with sheet,
    row and column; ids unknown to the new roster become warnings (those pairs end)."""
    path = Path(path)
    name = path.name
    if not path.is_file():
        raise RosterError([Issue("missing_file", name, params={"value": name})])
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            prev = previous_from_plan(Plan.from_json(data), name)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise RosterError([Issue("unreadable_file", name,
                                     params={"detail": f"not a plan JSON: {exc}"})]) from None
    else:
        from matcher.io.plan_reader import read_plan_back

        rows, plan_date = read_plan_back(path)  # raises RosterError with located issues
        prev = PreviousPlan({}, plan_date, name)
        for r in rows:
            rid = r.get("returnee_id")
            if not rid:
                continue
            prev.rows[rid] = PrevRow(rid, r.get("mentor_id"), r.get("job_id"),
                                     r.get("training_id"), bool(r.get("confirmed")),
                                     bool(r.get("hired")), r.get("row"))
    if roster is not None:
        prev.issues += _unknown_ids(prev, roster)
    return prev


def _unknown_ids(prev: PreviousPlan, roster) -> list[Issue]:
    mentors = {m.id for m in roster.mentors}
    jobs = {j.id for j in roster.jobs}
    courses = {t.id for t in roster.trainings}
    out = []
    for row in prev.rows.values():
        for col, value, known, kind, kind_vi in (
                ("mentor_id", row.mentor_id, mentors, "Mentor", "Cựu chiến binh"),
                ("job_id", row.job_id, jobs, "Job", "Việc làm"),
                ("training_id", row.training_id, courses, "Course", "Khóa học nghề")):
            if value and value not in known:
                out.append(Issue("unknown_reference", prev.source, row.row, col,
                                 {"kind": kind, "kind_vi": kind_vi, "value": value,
                                  "target": "new roster", "target_vi": "danh sách mới"},
                                 severity=WARNING))
    return out


def as_previous(previous) -> PreviousPlan:
    if isinstance(previous, PreviousPlan):
        return previous
    if isinstance(previous, Plan):
        return previous_from_plan(previous)
    raise TypeError("previous must be a Plan or a PreviousPlan")


def _is_confirmed(row: PrevRow, prev: PreviousPlan, settings) -> bool:
    if row.confirmed:
        return True
    days = settings.confirm_after_days
    return bool(days and prev.plan_date and
                (settings.plan_date - prev.plan_date).days >= days)


def solve_rerun(ctx, previous, *, progress, time_limit: float, t0: float,
                timings: dict[str, float], schedule: bool, parallel: bool = True) -> Plan:
    from matcher import explain
    from matcher.explain import pair_blockers
    from matcher.solve import finish_plan, solve_both

    prev = as_previous(previous)
    _roster, p, arcs, s = ctx.roster, ctx.people, ctx.marcs, ctx.roster.settings
    ri = {rid: i for i, rid in enumerate(p.r_ids)}
    mi = {mid: i for i, mid in enumerate(p.m_ids)}
    wanted = np.zeros(p.n_returnees, dtype=bool)
    wanted[[ri[x] for x in prev.rows if x in ri]] = True
    sel = np.flatnonzero(wanted[arcs.r])
    arc_of = {(int(arcs.r[k]), int(arcs.m[k])): int(k) for k in sel.tolist()}
    ended_reason: dict[str, str] = {}
    fixed = np.full(p.n_returnees, -1, dtype=np.int64)
    prev_mask = np.zeros(len(arcs), dtype=bool)
    load: dict[int, int] = defaultdict(int)
    hours: dict[int, float] = defaultdict(float)
    groups: dict[int, set] = defaultdict(set)
    confirmed_rows = []
    for rid, row in prev.rows.items():
        if rid not in ri or not row.mentor_id:
            continue
        r = ri[rid]
        m = mi.get(row.mentor_id)
        if m is None:
            ended_reason[rid] = Bi(f"mentor {row.mentor_id} is no longer on the roster",
                                   f"cựu chiến binh {row.mentor_id} không còn trong danh sách")
            continue
        k = arc_of.get((r, m))
        if k is None:
            why = join_bi(pair_blockers(ctx, r, m))
            ended_reason[rid] = Bi(f"pair with {row.mentor_id} ended: {why}",
                                   f"cặp với {row.mentor_id} kết thúc: {vi_of(why)}")
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
            why = (Bi(f"rule 1: {mid}'s capacity is now {p.m_capacity[m]}",
                      f"quy tắc 1: {mid} nay chỉ nhận {p.m_capacity[m]} người")
                   if p.m_active[m] else Bi(f"rule 1: {mid} is inactive",
                                            f"quy tắc 1: {mid} không còn hoạt động"))
        elif hours[m] + arcs.hours[k] > p.m_hours[m] + 1e-9:
            why = Bi(f"rule 2: {mid}'s monthly hours ({p.m_hours[m]:g}) are used up",
                     f"quy tắc 2: {mid} đã hết số giờ trong tháng ({p.m_hours[m]:g})")
        elif p.r_group[r] >= 0 and int(p.r_group[r]) in groups[m]:
            why = Bi(f"rule 6: {mid} already mentors a co-offender",
                     f"quy tắc 6: {mid} đã giúp đỡ một người cùng nhóm đồng phạm")
        if why:
            ended_reason[row.returnee_id] = Bi(
                f"confirmed pair with {mid} ended: {why}",
                f"cặp đã xác nhận với {mid} kết thúc: {vi_of(why)}")
            continue
        fixed[r] = k
        load[m] += 1
        hours[m] += arcs.hours[k]
        if p.r_group[r] >= 0:
            groups[m].add(int(p.r_group[r]))
    arcs.prev = prev_mask
    # placements: hired ones are facts, proposed ones are preferred (J3)
    fixed_jobs, job_notes = _placement_prev(ctx, prev)
    ms, ps = solve_both(ctx, time_limit=time_limit, say=progress, timings=timings,
                        parallel=parallel, fixed=fixed, fixed_jobs=fixed_jobs)
    rows, changes, extra = _changes(ctx, prev, ms, ps, fixed, prev_mask, ended_reason)
    ctx.notes.extend(job_notes)
    ctx.notes.extend(f"previous plan {i.where}: {i.message('en')}" for i in prev.issues)
    from matcher.schedule import previous_visits_from

    # kept pairs continue their visit rhythm from the previous plan's last visit
    last_visits = previous_visits_from(prev, ctx.roster.settings.plan_date)
    return finish_plan(ctx, ms, ps, t0=t0, timings=timings, say=progress, schedule=schedule,
                       explain_mod=explain, changes=changes, extra_tiers=extra, rows=rows,
                       previous_visits=last_visits)


def _placement_prev(ctx, prev: PreviousPlan) -> tuple[np.ndarray, list[str]]:
    roster, p, ja, ta = ctx.roster, ctx.people, ctx.jarcs, ctx.tarcs
    ri = {rid: i for i, rid in enumerate(p.r_ids)}
    ji = {j.id: k for k, j in enumerate(roster.jobs)}
    ti = {t.id: k for k, t in enumerate(roster.trainings)}
    jpos = {(int(a), int(b)): k for k, (a, b) in enumerate(zip(ja.r.tolist(), ja.o.tolist()))}
    tpos = {(int(a), int(b)): k for k, (a, b) in enumerate(zip(ta.r.tolist(), ta.o.tolist()))}
    fixed = np.full(p.n_returnees, -1, dtype=np.int64)
    jprev = np.zeros(len(ja), dtype=bool)
    tprev = np.zeros(len(ta), dtype=bool)
    notes = []
    for rid, row in prev.rows.items():
        if rid not in ri:
            continue
        r = ri[rid]
        if row.job_id and row.job_id in ji:
            k = jpos.get((r, ji[row.job_id]))
            if k is None:
                if row.hired:
                    notes.append(f"{rid} was hired for {row.job_id}, which no longer fits the "
                                 "rules (skills, offense, age or distance): please check")
            elif row.hired:
                fixed[r] = k
            else:
                jprev[k] = True
        if row.training_id and row.training_id in ti:
            k = tpos.get((r, ti[row.training_id]))
            if k is not None:
                tprev[k] = True
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
            reason = Bi("confirmed", "đã xác nhận") if rid in fixed_ids else Bi("", "")
        else:
            cause = ended_reason.get(rid)
            if cause is None:
                took = sorted(x for x, (mm, _) in now.items()
                              if mm == old and x not in old_of_mentor[old])
                if took:
                    risks = [(x, roster.returnee(x).risk) for x in took[:3]]
                    cause = Bi(f"{old} moved to cover "
                               + ", ".join(f"{x} (risk {rk})" for x, rk in risks),
                               f"{old} chuyển sang giúp đỡ "
                               + ", ".join(f"{x} (mức nguy cơ {rk})" for x, rk in risks))
                else:
                    cause = Bi(f"{old} is now needed for others so that more people are covered",
                               f"{old} cần cho người khác để nhiều người được giúp đỡ hơn")
            if mentor is None:
                status = "ended"
                reason = Bi(f"ended: {cause}", f"kết thúc: {vi_of(cause)}")
            else:
                status = "changed"
                km = f"{arcs.km[k]:.1f} km"
                reason = Bi(f"changed: {cause}; {rid} now with {mentor}, {km}",
                            f"thay đổi: {vi_of(cause)}; {rid} nay do {mentor} giúp đỡ, {km}")
        counts[status] += 1
        rows[rid] = (status, reason)
        if status != "new" or mentor:
            items.append({"returnee_id": rid, "change": status, "old_mentor": old,
                          "new_mentor": mentor, "reason": str(reason),
                          "reason_vi": vi_of(reason)})
    for rid, row in prev.rows.items():
        if rid not in rows and (row.mentor_id or row.job_id or row.training_id):
            counts["ended"] += 1
            items.append({"returnee_id": rid, "change": "ended", "old_mentor": row.mentor_id,
                          "new_mentor": None, "reason": "ended: no longer on the roster",
                          "reason_vi": "kết thúc: không còn trong danh sách"})
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
               "warnings": [i.message("en") for i in prev.issues if i.severity != ERROR]}
    return rows, changes, extra
