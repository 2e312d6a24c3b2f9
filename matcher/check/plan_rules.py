"""The hard rules of SPEC section 2 over a whole plan, the require rows (rule 7) and the
rerun rules of section 5."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from typing import Any

from matcher.check.formulas import (
    EPS,
    _km,
    _Look,
    _where,
    job_pair_problems,
    mentor_pair_problems,
    monthly_hours,
    training_pair_problems,
)
from matcher.check.loans import check_loans
from matcher.check.visits import check_schedule
from matcher.domain import PairRule, Returnee, Roster
from matcher.plan import Plan
from matcher.text import fold


def check_plan(roster: Roster, plan: Plan, previous: Any = None) -> list[str]:
    """All violations of ``plan`` (an empty list means the plan is valid).

    ``previous`` (a rerun's previous plan: an object with ``rows`` — returnee id ->
    row with mentor_id, job_id, training_id, confirmed, hired —, ``plan_date`` and
    ``visits``, such as ``matcher.plan.PreviousPlan``, or a previous :class:`Plan`)
    switches on the rerun checks and gives kept pairs their last visit."""
    look = _Look(roster, plan)
    bad = _check_shape(look, plan)
    bad += _check_mentors(look, plan)
    bad += _check_placements(look, plan)
    fixed = _fixed_pairs(look, previous)
    bad += _check_requires(look, plan, fixed)
    if _is_rerun(previous):
        bad += _check_rerun(look, plan, previous)
    bad += _check_follow_up(look)
    if plan.visits or plan.unscheduled:
        bad += check_schedule(roster, plan, previous)
    return bad + check_loans(roster, plan, previous)


def _finished(r: Returnee, settings: Any) -> bool:
    return r.follow_up_end is not None and r.follow_up_end <= settings.plan_date


def _check_follow_up(look: _Look) -> list[str]:
    """SPEC section 12: someone whose follow-up has finished leaves the plan — no mentor,
    job or course, and the row says it ended."""
    bad = []
    for rid, a in look.row_of.items():
        if _finished(look.returnees[rid], look.roster.settings):
            if a.mentor_id or a.job_id or a.training_id:
                bad.append(f"follow-up: {rid}'s follow-up has finished but the plan still "
                           "pairs them")
            if a.change != "ended":
                bad.append(f"follow-up: {rid}'s follow-up has finished, the row says "
                           f"{a.change!r}")
    return bad


def _check_shape(look: _Look, plan: Plan) -> list[str]:
    bad = []
    seen = Counter(a.returnee_id for a in plan.assignments)
    for rid in look.returnees:
        if seen[rid] != 1:
            bad.append(f"plan: {rid} has {seen[rid]} assignment rows, expected exactly 1")
    for rid in seen:
        if rid not in look.returnees:
            bad.append(f"plan: {rid} has a row but is not in the roster")
    for a in plan.assignments:
        r = look.returnees.get(a.returnee_id)
        if r is None:
            continue
        for kind, oid, known, stated in (("mentor", a.mentor_id, look.mentors, a.mentor_km),
                                         ("job", a.job_id, look.jobs, a.job_km),
                                         ("course", a.training_id, look.courses,
                                          a.training_km)):
            if oid is None:
                continue
            if oid not in known:
                bad.append(f"plan: {r.id}: unknown {kind} {oid}")
            elif stated is not None and abs(stated - _km(r, known[oid])) > 0.01:
                bad.append(f"plan: {r.id}: {kind}_km {stated} but the distance to {oid} is "
                           f"{_km(r, known[oid]):.2f} km")
    return bad


def _check_mentors(look: _Look, plan: Plan) -> list[str]:
    """Rules 1-6 and the mentor forbid rows (rule 7)."""
    roster = look.roster
    bad = []
    mentees: dict[str, list[Returnee]] = defaultdict(list)
    for rid, a in look.row_of.items():
        m = look.mentors.get(a.mentor_id) if a.mentor_id else None
        if m is None:
            continue
        r = look.returnees[rid]
        mentees[m.id].append(r)
        bad += [f"{p} but they are paired" if p.startswith("rule 7") else p
                for p in mentor_pair_problems(roster, r, m)]
    for mid, rs in mentees.items():
        m = look.mentors[mid]
        if len(rs) > m.capacity:
            bad.append(f"rule 1: mentor {mid} has {len(rs)} mentees, capacity {m.capacity}")
        if m.hours_per_month is not None:
            total = sum(monthly_hours(roster, r, m) for r in rs)
            if total > m.hours_per_month + EPS:
                bad.append(f"rule 2: mentor {mid}'s mentees need {total:.2f} h/month, more "
                           f"than {m.hours_per_month:g}")
        for g, n in Counter(r.group for r in rs if r.group).items():
            if n > 1:
                bad.append(f"rule 6: mentor {mid} mentors {n} members of co-offender group "
                           f"{g}")
    return bad


def _check_placements(look: _Look, plan: Plan) -> list[str]:
    """Rules 8-13 and the job/training forbid rows (rule 7)."""
    roster = look.roster
    bad = []
    workers: dict[str, list[Returnee]] = defaultdict(list)
    students: dict[str, list[Returnee]] = defaultdict(list)
    for rid, a in look.row_of.items():
        r = look.returnees[rid]
        if a.job_id is not None and a.training_id is not None:
            bad.append(f"rule 13: {rid} has both a job ({a.job_id}) and a training seat "
                       f"({a.training_id})")
        j = look.jobs.get(a.job_id) if a.job_id else None
        if j is not None:
            workers[j.id].append(r)
            bad += [f"{p} but they are paired" if p.startswith("rule 7") else p
                    for p in job_pair_problems(roster, r, j)]
        t = look.courses.get(a.training_id) if a.training_id else None
        if t is not None:
            students[t.id].append(r)
            bad += [f"{p} but they are paired" if p.startswith("rule 7") else p
                    for p in training_pair_problems(roster, r, t)]
    for jid, rs in workers.items():
        if len(rs) > look.jobs[jid].slots:
            bad.append(f"rule 8: opening {jid} has {len(rs)} people, {look.jobs[jid].slots} "
                       "slots")
    for tid, rs in students.items():
        if len(rs) > look.courses[tid].seats:
            bad.append(f"rule 8: course {tid} has {len(rs)} people, "
                       f"{look.courses[tid].seats} seats")
    by_employer: dict[tuple[str, str], list[str]] = defaultdict(list)
    name: dict[str, str] = {}
    for jid, rs in workers.items():
        employer = fold(look.jobs[jid].employer)  # "Công ty A" and "cong ty a" are one
        name.setdefault(employer, look.jobs[jid].employer)
        for r in rs:
            if r.group:
                by_employer[(employer, r.group)].append(r.id)
    for (employer, g), rids in by_employer.items():
        if len(rids) > 1:
            bad.append(f"rule 12: co-offenders {', '.join(sorted(rids))} (group {g}) work for "
                       f"the same employer {name[employer]!r}")
    return bad


class _Fixed:
    """Pairs that stand in the plan and cannot be moved for a require row: honoured require
    rows, and on a rerun the kept confirmed mentor pairs and hired placements."""

    def __init__(self) -> None:
        self.at: dict[tuple[str, str], set[str]] = defaultdict(set)  # (kind, target) -> rids
        self.of: dict[tuple[str, str], set[str]] = defaultdict(set)  # (rid, support) -> targets

    def add(self, rid: str, kind: str, target: str) -> None:
        self.at[(kind, target)].add(rid)
        self.of[(rid, "mentor" if kind == "mentor" else "placement")].add(target)


def _fixed_pairs(look: _Look, previous: Any) -> _Fixed:
    fixed = _Fixed()
    for row in look.roster.pairs:
        if row.rule == "require" and look.holds(row.returnee_id, row.kind, row.target):
            fixed.add(row.returnee_id, row.kind, row.target)
    s = look.roster.settings
    for row in _previous_rows(previous):
        rid = row.returnee_id
        if row.mentor_id and _confirmed(row, previous, s) and look.holds(rid, "mentor",
                                                                           row.mentor_id):
            fixed.add(rid, "mentor", row.mentor_id)
        if row.job_id and getattr(row, "hired", False) and look.holds(rid, "job", row.job_id):
            fixed.add(rid, "job", row.job_id)
    return fixed


def _check_requires(look: _Look, plan: Plan, fixed: _Fixed) -> list[str]:
    """Rule 7 for require rows, from the roster itself: each row holds, or is listed in
    ``plan.unmet_requires`` (with a reason) and cannot be honoured."""
    bad = []
    listed: dict[tuple[str, str, str], list] = defaultdict(list)
    for u in plan.unmet_requires:
        listed[(u.returnee_id, u.kind, u.target_id)].append(u)
    rows = [row for row in look.roster.pairs if row.rule == "require"]
    asked = {(row.returnee_id, row.kind, row.target) for row in rows}
    for key, us in listed.items():
        if key not in asked:
            bad.append(f"rule 7: required pair {key[0]}-{key[2]} is listed in unmet_requires "
                       f"but no Pairs require row asks for it")
        elif not all(u.reason for u in us):
            bad.append(f"rule 7: required pair {key[0]}-{key[2]} is listed in unmet_requires "
                       "without a reason")
    for row in rows:
        key = (row.returnee_id, row.kind, row.target)
        pair = f"{row.returnee_id}-{row.target} ({_where(row)})"
        if look.holds(*key):
            if key in listed:
                bad.append(f"rule 7: required pair {pair} is in the plan but listed as unmet")
            continue
        if key not in listed:
            bad.append(f"rule 7: required pair {pair} is missing from the plan and not listed "
                       "in unmet_requires")
            continue
        if _why_unmet(look, row, fixed) is None:
            bad.append(f"rule 7: required pair {pair} listed as impossible but it breaks no "
                       "hard rule and no honoured required or fixed pair stands in its way")
    return bad


def _why_unmet(look: _Look, row: PairRule, fixed: _Fixed) -> str | None:
    """Why a require row cannot be honoured, computed here, or None when it could be: the
    pair breaks a pair-level hard rule, or it conflicts with the pairs that stand in the
    plan (honoured require rows, kept confirmed pairs and hired placements): another one of
    the same support for the returnee (a mentor; a placement — job or course), the
    mentor's capacity or hours, the opening's slots, the course's seats, or a co-offender
    with the same mentor or employer."""
    roster = look.roster
    r = look.returnees.get(row.returnee_id)
    kind, target = row.kind, row.target
    known = {"mentor": look.mentors, "job": look.jobs, "training": look.courses}[kind]
    o = known.get(target)
    if r is None or o is None:
        return "unknown id"
    check = {"mentor": mentor_pair_problems, "job": job_pair_problems,
             "training": training_pair_problems}[kind]
    problems = check(roster, r, o, -EPS)
    if problems:
        return problems[0]
    support = "mentor" if kind == "mentor" else "placement"
    if fixed.of.get((r.id, support), set()) - {target}:
        return f"{r.id} already has a {support} that stands in the plan"
    others = [look.returnees[x] for x in fixed.at.get((kind, target), set()) - {r.id}]
    if kind == "mentor":
        if len(others) >= o.capacity:
            return f"mentor {o.id} is full"
        if o.hours_per_month is not None:
            need = sum(monthly_hours(roster, x, o) for x in others) + monthly_hours(roster, r, o)
            if need > o.hours_per_month - EPS:
                return f"mentor {o.id}'s monthly hours"
        if r.group and any(x.group == r.group for x in others):
            return f"mentor {o.id} has a co-offender"
    elif kind == "job":
        if len(others) >= o.slots:
            return f"opening {o.id} is full"
        if r.group:
            employer = fold(o.employer)
            for (k, jid), rids in fixed.at.items():
                same = (k == "job" and jid in look.jobs
                        and fold(look.jobs[jid].employer) == employer)
                if same and any(look.returnees[x].group == r.group for x in rids - {r.id}):
                    return f"a co-offender works for {o.employer}"
    elif len(others) >= o.seats:
        return f"course {o.id} is full"
    return None


def _is_rerun(previous: Any) -> bool:
    """A previous plan was given (not only a mapping of last visits for the schedule)."""
    return previous is not None and not isinstance(previous, Mapping)


def _previous_rows(previous: Any) -> list[Any]:
    """The previous plan's rows (returnee_id, mentor_id, job_id, training_id, confirmed,
    hired): from ``previous.rows`` (matcher.plan.PreviousPlan) or ``previous.assignments``."""
    if previous is None:
        return []
    rows = getattr(previous, "rows", None)
    if rows is not None:
        return list(rows.values()) if isinstance(rows, Mapping) else list(rows)
    return list(getattr(previous, "assignments", []))


def _confirmed(row: Any, previous: Any, settings: Any) -> bool:
    """Marked confirmed, or older than ``confirm_after_days`` (SPEC section 5)."""
    if getattr(row, "confirmed", False):
        return True
    days = settings.confirm_after_days
    since = getattr(previous, "plan_date", None)
    return bool(days and since and (settings.plan_date - since).days >= days)


def _check_rerun(look: _Look, plan: Plan, previous: Any) -> list[str]:
    """Confirmed pairs and hired placements stay unless a hard rule now forbids them (and
    the plan says why); every row's change label follows from the previous plan."""
    roster, s = look.roster, look.roster.settings
    bad = []
    rows = [row for row in _previous_rows(previous) if row.returnee_id in look.returnees]
    kept_confirmed: dict[str, list[Returnee]] = defaultdict(list)
    kept_hired: dict[str, list[Returnee]] = defaultdict(list)
    for row in rows:
        rid = row.returnee_id
        if row.mentor_id and _confirmed(row, previous, s) and look.holds(rid, "mentor",
                                                                           row.mentor_id):
            kept_confirmed[row.mentor_id].append(look.returnees[rid])
        if row.job_id and getattr(row, "hired", False) and look.holds(rid, "job", row.job_id):
            kept_hired[row.job_id].append(look.returnees[rid])
    for row in rows:
        rid = row.returnee_id
        r, a = look.returnees[rid], look.row_of.get(rid)
        if a is None or _finished(r, s):  # follow-up over: every pair ends (checked above)
            continue
        if row.mentor_id and _confirmed(row, previous, s) and a.mentor_id != row.mentor_id:
            m = look.mentors.get(row.mentor_id)
            why = "mentor no longer on the roster" if m is None else None
            if m is not None:
                problems = mentor_pair_problems(roster, r, m, -EPS)
                others = [x for x in kept_confirmed[m.id] if x.id != rid]
                if problems:
                    why = problems[0]
                elif len(others) >= m.capacity:
                    why = "capacity"
                elif m.hours_per_month is not None and (
                        sum(monthly_hours(roster, x, m) for x in others)
                        + monthly_hours(roster, r, m) > m.hours_per_month - EPS):
                    why = "hours"
                elif r.group and any(x.group == r.group for x in others):
                    why = "co-offender"
            if why is None:
                bad.append(f"rerun confirmed: confirmed pair {rid}-{row.mentor_id} was dropped "
                           "though no hard rule forbids it")
            elif a.change not in ("changed", "ended") or not a.reason:
                bad.append(f"rerun confirmed: confirmed pair {rid}-{row.mentor_id} ended "
                           f"({why}) but the plan's row does not say so")
        if row.job_id and getattr(row, "hired", False) and a.job_id != row.job_id:
            j = look.jobs.get(row.job_id)
            why = "opening no longer on the roster" if j is None else None
            if j is not None:
                problems = job_pair_problems(roster, r, j, -EPS)
                others = [x for x in kept_hired[j.id] if x.id != rid]
                same_employer = [x for jid, xs in kept_hired.items()
                                 if jid in look.jobs
                                 and fold(look.jobs[jid].employer) == fold(j.employer)
                                 for x in xs if x.id != rid]
                if problems:
                    why = problems[0]
                elif len(others) >= j.slots:
                    why = "slots"
                elif r.group and any(x.group == r.group for x in same_employer):
                    why = "co-offender"
            if why is None:
                bad.append(f"rerun hired: hired placement {rid}-{row.job_id} was dropped "
                           "though no hard rule forbids it")
            elif j is not None and not any(rid in w for w in plan.warnings):
                bad.append(f"rerun hired: hired placement {rid}-{row.job_id} ended ({why}) "
                           "without a note in the plan")
    old_mentor = {row.returnee_id: row.mentor_id for row in rows}
    for rid, a in look.row_of.items():
        old = old_mentor.get(rid)
        want = ("new" if not old else "kept" if a.mentor_id == old
                else "changed" if a.mentor_id else "ended")
        if a.change != want:
            bad.append(f"rerun change: {rid} is marked {a.change!r} but its mentor went from "
                       f"{old or 'none'} to {a.mentor_id or 'none'} ({want})")
        elif want in ("changed", "ended") and not a.reason:
            bad.append(f"rerun change: {rid} is {want} without a reason")
    return bad
