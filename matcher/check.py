"""Solver-independent plan checker: every hard rule of SPEC section 2, the rerun rules of
section 5 and the visit-schedule rules of section 6, recomputed from the roster alone with
plain Python, and the tier values of section 3.

A leaf on purpose: it imports only the data types (``matcher.domain``, ``matcher.plan``),
``PlanCheckError``, the availability-text parser (input parsing) and ``fold``. Distances,
monthly hours, pair rules, scores and the visit rules are its own plain formulas, never
the solver's (``solve``, ``context``, ``mentors``, ``placements``, ``rules``, ``geo``,
``flow``, ``cpsat``, ``rerun``, ``requires``, ``blockers``, ``explain``) or the
scheduler's (``schedule``): agreeing with them then means something.
Meant to be correct, clear and easy to read rather than fast. ``plan`` runs it before
writing anything: a plan that fails it is a bug, reported as such.

Each violation is one line that starts with what it breaks:

``rule 1`` .. ``rule 13``
    the hard rules of SPEC section 2. Rule 7 covers the Pairs rows of every kind (mentor,
    job, training): a ``forbid`` pair is never in the plan; a ``require`` row either holds
    in the plan or is listed in ``plan.unmet_requires`` with a reason, and the listing is
    justified by the checker's own computation (see :func:`_why_unmet`). Messages about
    require rows start with ``rule 7: required pair``.
``rerun confirmed`` / ``rerun hired`` / ``rerun change`` (only with ``previous``)
    a confirmed mentor pair or a ``hired`` placement of the previous plan dropped though
    no hard rule forbids it (or dropped without the plan saying why); a row whose
    ``change`` (new / kept / changed / ended) disagrees with the previous plan, or a
    changed/ended row without a reason.
``schedule <name>`` (only when the plan has visits or unscheduled visits)
    ``schedule pair``        a visit (or unscheduled visit) of a pair that is not in the plan
    ``schedule horizon``     a visit or due date outside plan_date .. plan_date + horizon
                             (such a visit is not checked further)
    ``schedule availability`` a visit in a slot the mentor or the returnee is not free
    ``schedule busy``        a visit during the returnee's job shift or course hours
    ``schedule mentor-slot`` two visits of one mentor in one slot
    ``schedule mentor-day``  more than 3 visits of one mentor on one day (with 3 slots a
                             day this always comes with ``schedule mentor-slot``)
    ``schedule returnee-slot`` two visits to one returnee in one slot (a returnee has one
                             mentor, so this too comes with ``schedule mentor-slot``)
    ``schedule first-visit`` a new pair's first visit outside max(plan_date, release) ..
                             + first_visit_days
    ``schedule cadence``     visits of a pair not cadence +- 2 days apart (a kept pair's
                             first one counted from its last previous visit)
    ``schedule kind``        a visit labelled "first"/"follow-up" wrongly
    ``schedule missing``     a visit due in the horizon neither placed nor listed
    ``schedule unscheduled`` an unscheduled visit without a reason or a valid due date, or
                             listed though it is not due in the horizon
``plan``
    the plan's own shape: one row per returnee, ids known to the roster, stated distances.
``tier <name>`` (:func:`assert_plan_ok` only)
    a tier value that disagrees with :func:`objective`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from matcher.availability import DEFAULT, SLOTS, AvailabilityError, parse_availability
from matcher.domain import Job, Mentor, PairRule, Returnee, Roster, Training
from matcher.errors import PlanCheckError
from matcher.plan import Assignment, Plan
from matcher.text import fold

EPS = 1e-6  # slack on distances and hours (km, h)
EARTH_KM = 6371.0088  # mean Earth radius (IUGG)
UNITS_PER_KM = 100  # M5/J5 sum distances rounded per pair to 10 m
MAX_VISITS_PER_DAY = 3
WORK_DAYS = range(0, 6)  # jobs: Mon-Sat
STUDY_DAYS = range(0, 5)  # courses: Mon-Fri


# ------------------------------------------------------------------------- plain formulas

def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance in km."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (math.sin((p2 - p1) / 2) ** 2
         + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2)
    return 2 * EARTH_KM * math.asin(math.sqrt(min(1.0, max(0.0, a))))


def _km(a: Any, b: Any) -> float:
    return distance_km(a.location.lat, a.location.lon, b.location.lat, b.location.lon)


def _pair_rows(roster: Roster) -> dict[tuple[str, str, str], list[PairRule]]:
    """Pairs rows by (kind, returnee id, target id), built once per roster."""
    cache = roster.__dict__.get("_check_pair_rows")
    if cache is None:
        cache = defaultdict(list)
        for row in roster.pairs:
            cache[(row.kind, row.returnee_id, row.target)].append(row)
        cache = dict(cache)
        roster.__dict__["_check_pair_rows"] = cache
    return cache


def _rows(roster: Roster, kind: str, rid: str, target: str) -> list[PairRule]:
    return _pair_rows(roster).get((kind, rid, target), [])


def monthly_hours(roster: Roster, returnee: Returnee, mentor: Mentor) -> float:
    """Rule 2: visits per month (30 / cadence days) x (visit minutes + 2 x travel minutes)
    / 60, with the Pairs row's ``travel_minutes`` or ``visit_hours_per_month`` if set."""
    s = roster.settings
    rows = _rows(roster, "mentor", returnee.id, mentor.id)
    fixed = [row.visit_hours_per_month for row in rows if row.visit_hours_per_month is not None]
    if fixed:
        return fixed[-1]
    travel = _km(returnee, mentor) / s.travel_speed_kmh * 60.0
    for row in rows:
        if row.travel_minutes is not None:
            travel = row.travel_minutes
    cadence = {3: s.cadence_high_days, 2: s.cadence_medium_days, 1: s.cadence_low_days}
    return 30.0 / cadence[returnee.risk] * (s.visit_minutes + 2 * travel) / 60.0


def _age(roster: Roster, r: Returnee) -> int:
    return roster.settings.plan_date.year - r.birth_year


def _has_skill(r: Returnee, sector: str) -> bool:
    return fold(sector) in {fold(k) for k in r.skills}


def _forbid_rows(roster: Roster, kind: str, rid: str, target: str) -> list[PairRule]:
    return [row for row in _rows(roster, kind, rid, target) if row.rule == "forbid"]


def _where(row: PairRule) -> str:
    return f"Pairs row {row.row}" if row.row else "a Pairs row"


# ------------------------------------------------------------------- pair-level rules
# ``tol`` is the slack on distances: +EPS when checking a plan (a pair on the limit is
# fine), -EPS when checking that a pair is impossible (a pair on the limit may be refused).

def mentor_pair_problems(roster: Roster, r: Returnee, m: Mentor, tol: float = EPS
                         ) -> list[str]:
    """Rules 1 (active), 3, 4, 5 and 7 (forbid rows) for one returnee-mentor pair."""
    s = roster.settings
    out = []
    pair = f"{r.id}-{m.id}"
    if not m.active:
        out.append(f"rule 1: {pair}: mentor {m.id} is inactive")
    km = _km(r, m)
    limit = s.mentor_max_km if m.max_km is None else min(s.mentor_max_km, m.max_km)
    if km > limit + tol:
        out.append(f"rule 3: {pair} are {km:.2f} km apart, more than {limit:g} km")
    if s.gender_rule == "women_to_women" and r.gender == "F" and m.gender != "F":
        out.append(f"rule 4: {pair}: female returnee with a male mentor (women_to_women)")
    if s.gender_rule == "same_gender" and r.gender != m.gender:
        out.append(f"rule 4: {pair}: genders differ (same_gender)")
    if r.risk > m.max_risk:
        out.append(f"rule 5: {pair}: risk {r.risk} above the mentor's max_risk {m.max_risk}")
    for row in _forbid_rows(roster, "mentor", r.id, m.id):
        out.append(f"rule 7: {pair} is forbidden by {_where(row)}")
    return out


def job_pair_problems(roster: Roster, r: Returnee, j: Job, tol: float = EPS) -> list[str]:
    """Rules 9 (commute), 10, 11, 13 (wants a job) and 7 (forbid rows) for one job pair."""
    s = roster.settings
    out = []
    pair = f"{r.id}-{j.id}"
    if not r.wants_job:
        out.append(f"rule 13: {pair}: {r.id} does not want a job")
    km = _km(r, j)
    limit = s.job_max_km if r.max_commute_km is None else min(s.job_max_km, r.max_commute_km)
    if km > limit + tol:
        out.append(f"rule 9: {pair}: commute {km:.2f} km, more than {limit:g} km")
    if not j.entry_level and not _has_skill(r, j.sector):
        out.append(f"rule 10: {pair}: sector {j.sector!r} is not among the returnee's skills "
                   "and the opening is not entry-level")
    if r.offense in j.excluded_offenses:
        out.append(f"rule 11: {pair}: the opening excludes the offense {r.offense}")
    age = _age(roster, r)
    if (j.min_age is not None and age < j.min_age) or (j.max_age is not None
                                                       and age > j.max_age):
        out.append(f"rule 11: {pair}: age {age} outside {j.min_age}..{j.max_age}")
    for row in _forbid_rows(roster, "job", r.id, j.id):
        out.append(f"rule 7: {pair} is forbidden by {_where(row)}")
    return out


def training_pair_problems(roster: Roster, r: Returnee, t: Training, tol: float = EPS
                           ) -> list[str]:
    """Rules 9 (distance), 13 (wants training, course after release) and 7 (forbid rows)."""
    s = roster.settings
    out = []
    pair = f"{r.id}-{t.id}"
    if not r.wants_training:
        out.append(f"rule 13: {pair}: {r.id} does not want training")
    km = _km(r, t)
    if km > s.training_max_km + tol:
        out.append(f"rule 9: {pair}: {km:.2f} km to the course, more than "
                   f"{s.training_max_km:g} km")
    if t.start_date is not None and t.start_date < r.release_date:
        out.append(f"rule 13: {pair}: the course starts {t.start_date} before the release "
                   f"{r.release_date}")
    for row in _forbid_rows(roster, "training", r.id, t.id):
        out.append(f"rule 7: {pair} is forbidden by {_where(row)}")
    return out


# ---------------------------------------------------------------------------- the plan

class _Look:
    """The roster's objects by id and the plan's rows by returnee."""

    def __init__(self, roster: Roster, plan: Plan):
        self.roster = roster
        self.returnees = {r.id: r for r in roster.returnees}
        self.mentors = {m.id: m for m in roster.mentors}
        self.jobs = {j.id: j for j in roster.jobs}
        self.courses = {t.id: t for t in roster.trainings}
        self.row_of: dict[str, Assignment] = {}
        for a in plan.assignments:
            if a.returnee_id in self.returnees:
                self.row_of.setdefault(a.returnee_id, a)

    def holds(self, rid: str, kind: str, target: str) -> bool:
        a = self.row_of.get(rid)
        if a is None:
            return False
        return {"mentor": a.mentor_id, "job": a.job_id, "training": a.training_id}[kind] == target


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
    if plan.visits or plan.unscheduled:
        bad += check_schedule(roster, plan, previous)
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


# ------------------------------------------------------------------------ require rows

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


# ------------------------------------------------------------------------------ reruns

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
        if a is None:
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


# ---------------------------------------------------------------------------- tiers

def objective(roster: Roster, plan: Plan, previous: Any = None) -> dict[str, float]:
    """Every tier value recomputed from the roster (SPEC section 3); M3 and J3 only with
    ``previous``. M3/J3 are the number of changed previous pairs / placements, counting
    the previous ones the plan was free to keep: a mentor pair (or a job or course
    placement) of the previous plan whose returnee, mentor (opening, course) are still on
    the roster and which every pair-level hard rule still allows (including a capacity,
    slots or seats above 0), minus the confirmed mentor pairs and hired placements (those
    are fixed facts, not choices) — and that the new plan does not keep."""
    s = roster.settings
    look = _Look(roster, plan)
    aff = _pair_rows(roster)

    def affinity(kind: str, rid: str, target: str) -> int:
        return sum(row.affinity for row in aff.get((kind, rid, target), []))

    m1 = m2 = m4 = m5 = j1 = j2 = j4 = j5 = 0
    load: Counter = Counter()
    for rid, a in look.row_of.items():
        r = look.returnees[rid]
        m = look.mentors.get(a.mentor_id) if a.mentor_id else None
        if m is not None:
            m1 += 1
            m2 += r.risk
            load[m.id] += 1
            fits = (int(r.offense == "drugs" and "drugs" in m.specialties)
                    + int(r.gender == "F" and "women" in m.specialties)
                    + int(_age(roster, r) < 25 and "youth" in m.specialties))
            same = int(r.location.ward is not None and r.location.ward == m.location.ward)
            m4 += (s.weight_specialty * fits + s.weight_same_ward * same
                   + s.weight_affinity * affinity("mentor", rid, m.id))
            m5 += round(_km(r, m) * UNITS_PER_KM)
        j = look.jobs.get(a.job_id) if a.job_id else None
        if j is not None:
            j1 += 1
            away = int(r.work_away_from_home and (r.location.ward is None
                                                  or r.location.ward != j.location.ward))
            j4 += (s.weight_job_skill * _has_skill(r, j.sector) + s.weight_job_away * away
                   + s.weight_affinity * affinity("job", rid, j.id))
            j5 += round(_km(r, j) * UNITS_PER_KM)
        t = look.courses.get(a.training_id) if a.training_id else None
        if t is not None:
            j2 += 1
            j4 += (s.weight_job_skill * _has_skill(r, t.sector)
                   + s.weight_affinity * affinity("training", rid, t.id))
            j5 += round(_km(r, t) * UNITS_PER_KM)
    m4 -= sum(s.weight_spread * n * (n - 1) // 2 for n in load.values())
    out: dict[str, float] = {"M1": m1, "M2": m2}
    if _is_rerun(previous):
        out["M3"] = sum(1 for kind, row in _free_previous(look, previous)
                        if kind == "mentor" and not look.holds(row.returnee_id, "mentor",
                                                               row.mentor_id))
    out |= {"M4": m4, "M5": m5 / UNITS_PER_KM, "J1": j1, "J2": j2}
    if _is_rerun(previous):
        out["J3"] = sum(1 for kind, row in _free_previous(look, previous)
                        if kind != "mentor" and not look.holds(
                            row.returnee_id, kind,
                            row.job_id if kind == "job" else row.training_id))
    out |= {"J4": j4, "J5": j5 / UNITS_PER_KM}
    return out


def _free_previous(look: _Look, previous: Any) -> Iterable[tuple[str, Any]]:
    """(kind, row) for each previous pair or placement the new plan may keep or change:
    still allowed pair by pair, not confirmed (mentors) nor hired (jobs)."""
    roster, s = look.roster, look.roster.settings
    for row in _previous_rows(previous):
        r = look.returnees.get(row.returnee_id)
        if r is None:
            continue
        m = look.mentors.get(row.mentor_id) if row.mentor_id else None
        if (m is not None and m.capacity > 0 and not _confirmed(row, previous, s)
                and not mentor_pair_problems(roster, r, m, 0.0)):
            yield "mentor", row
        j = look.jobs.get(row.job_id) if row.job_id else None
        if (j is not None and j.slots > 0 and not getattr(row, "hired", False)
                and not job_pair_problems(roster, r, j, 0.0)):
            yield "job", row
        t = look.courses.get(row.training_id) if row.training_id else None
        if t is not None and t.seats > 0 and not training_pair_problems(roster, r, t, 0.0):
            yield "training", row


def assert_plan_ok(roster: Roster, plan: Plan, previous: Any = None) -> None:
    """Raise :class:`PlanCheckError` listing every violation of :func:`check_plan` and every
    tier value that disagrees with :func:`objective` (M3/J3 only with ``previous``)."""
    bad = check_plan(roster, plan, previous)
    for name, value in objective(roster, plan, previous).items():
        tier = plan.tiers.get(name)
        if tier is None:
            if name in ("M3", "J3"):
                bad.append(f"tier {name}: missing from a rerun plan (recomputed {value:g})")
            continue
        tol = 0.022 if name in ("M5", "J5") else 0.011
        if abs(tier.value - value) > tol:
            bad.append(f"tier {name}: plan says {tier.value:g}, recomputed {value:g}")
    if bad:
        raise PlanCheckError(bad)


# ------------------------------------------------------------------ the visit schedule

def _weekly(text: str | None) -> frozenset[tuple[int, str]]:
    """Weekly (weekday, slot) pairs; unreadable text counts as the default (any daytime
    slot), as the reader warns and the schedule does."""
    try:
        return parse_availability(text)
    except AvailabilityError:
        return DEFAULT


def _busy(look: _Look, a: Assignment, date: dt.date, slot: str) -> str | None:
    """The returnee's job or course hours at ``slot`` on ``date``, from their start date:
    day shift Mon-Sat mornings and afternoons, night shift Mon-Sat mornings and evenings,
    day course Mon-Fri mornings and afternoons, evening course Mon-Fri evenings."""
    wd = date.weekday()
    j = look.jobs.get(a.job_id) if a.job_id else None
    if j is not None and (j.start_date is None or date >= j.start_date) and wd in WORK_DAYS:
        if j.shift == "day" and slot in ("morning", "afternoon"):
            return f"day shift at {j.id}"
        if j.shift == "night" and slot in ("morning", "evening"):
            return f"night shift at {j.id}"
    t = look.courses.get(a.training_id) if a.training_id else None
    if t is not None and (t.start_date is None or date >= t.start_date) and wd in STUDY_DAYS:
        if t.schedule == "day" and slot in ("morning", "afternoon"):
            return f"day course {t.id}"
        if t.schedule == "evening" and slot == "evening":
            return f"evening course {t.id}"
    return None


def _last_visits(previous: Any, day0: dt.date) -> dict[tuple[str, str], dt.date] | None:
    """Last visit before ``day0`` per (mentor, returnee): ``previous`` is a mapping of those
    already, or a previous plan with ``visits``; None when there is no previous plan."""
    if previous is None:
        return None
    if isinstance(previous, Mapping):
        return dict(previous)
    out: dict[tuple[str, str], dt.date] = {}
    for v in getattr(previous, "visits", None) or []:
        get = v.get if isinstance(v, Mapping) else lambda k, v=v: getattr(v, k, None)
        date = get("date")
        if isinstance(date, str):
            date = dt.date.fromisoformat(date)
        key = (get("mentor_id"), get("returnee_id"))
        if date is not None and date < day0 and (key not in out or date > out[key]):
            out[key] = date
    return out


def check_schedule(roster: Roster, plan: Plan, previous: Any = None) -> list[str]:
    """The visit-schedule rules of SPEC section 6 (``schedule <name>`` violations).

    Rules, with ``c`` the risk cadence in days, ``g = max(1, c - 2)``, ``G = c + 2``,
    ``F = first_visit_days`` and the horizon ``plan_date .. plan_date + 7 * horizon_weeks
    - 1``: the events of a pair (its visits, and its unscheduled visits at their due date)
    start with a new pair's "first" visit within ``max(plan_date, release) .. + F`` (a
    kept pair's first event is a follow-up within ``p + g .. p + G`` of its last previous
    visit ``p``, or due now within ``max(plan_date, release) .. + F`` when there is no
    record or it is overdue); consecutive events are ``g .. G`` days apart; the chain goes
    on until the next one would be due after the horizon. A first event due after the
    horizon may be placed early but is not listed as unscheduled.

    ``previous``: the previous plan (its ``visits`` give the kept pairs' last visits) or a
    mapping (mentor_id, returnee_id) -> last visit date. Without it a kept pair's first
    event is only checked to fall within ``max(plan_date, release) .. + max(F, G)``."""
    s = roster.settings
    look = _Look(roster, plan)
    day0 = plan.plan_date
    end = day0 + dt.timedelta(days=7 * s.horizon_weeks - 1)
    last = _last_visits(previous, day0)
    pairs = {rid: a for rid, a in look.row_of.items()
             if a.mentor_id is not None and a.mentor_id in look.mentors}
    bad: list[str] = []
    events: dict[str, list[tuple[dt.date, str, str]]] = defaultdict(list)
    mentor_slot: Counter = Counter()
    mentor_day: Counter = Counter()
    returnee_slot: Counter = Counter()
    for v in plan.visits:
        where = f"visit {v.mentor_id}->{v.returnee_id} {v.date} {v.slot}"
        a = pairs.get(v.returnee_id)
        if a is None or a.mentor_id != v.mentor_id:
            bad.append(f"schedule pair: {where}: not a mentor–mentee pair of the plan")
            continue
        if v.slot not in SLOTS:
            bad.append(f"schedule availability: {where}: not a slot ({', '.join(SLOTS)})")
            continue
        if not day0 <= v.date <= end:
            bad.append(f"schedule horizon: {where}: outside the horizon {day0}..{end}")
            continue
        m, r = look.mentors[v.mentor_id], look.returnees[v.returnee_id]
        wd = v.date.weekday()
        if (wd, v.slot) not in _weekly(m.availability):
            bad.append(f"schedule availability: {where}: mentor not free then "
                       f"({m.availability!r})")
        if (wd, v.slot) not in _weekly(r.availability):
            bad.append(f"schedule availability: {where}: returnee not free then "
                       f"({r.availability!r})")
        why = _busy(look, a, v.date, v.slot)
        if why:
            bad.append(f"schedule busy: {where}: returnee busy ({why})")
        mentor_slot[(v.mentor_id, v.date, v.slot)] += 1
        mentor_day[(v.mentor_id, v.date)] += 1
        returnee_slot[(v.returnee_id, v.date, v.slot)] += 1
        if returnee_slot[(v.returnee_id, v.date, v.slot)] == 1:  # a repeat is counted above
            events[v.returnee_id].append((v.date, "visit", v.kind))
    for (mid, date, slot), n in mentor_slot.items():
        if n > 1:
            bad.append(f"schedule mentor-slot: mentor {mid}: {n} visits in one slot {date} "
                       f"{slot}")
    for (mid, date), n in mentor_day.items():
        if n > MAX_VISITS_PER_DAY:
            bad.append(f"schedule mentor-day: mentor {mid}: {n} visits on {date} (at most "
                       f"{MAX_VISITS_PER_DAY})")
    for (rid, date, slot), n in returnee_slot.items():
        if n > 1:
            bad.append(f"schedule returnee-slot: returnee {rid}: {n} visits in one slot "
                       f"{date} {slot}")
    for u in plan.unscheduled:
        mid, rid = u.get("mentor_id"), u.get("returnee_id")
        where = f"unscheduled {mid}->{rid} {u.get('due')}"
        a = pairs.get(rid)
        if a is None or a.mentor_id != mid:
            bad.append(f"schedule pair: {where}: not a mentor–mentee pair of the plan")
            continue
        if not u.get("reason"):
            bad.append(f"schedule unscheduled: {where}: no reason given")
        try:
            due = dt.date.fromisoformat(str(u["due"]))
        except (KeyError, ValueError):
            bad.append(f"schedule unscheduled: {where}: no valid due date")
            continue
        if not day0 <= due <= end:
            bad.append(f"schedule horizon: {where}: due date outside the horizon {day0}..{end}")
            continue
        events[rid].append((due, "missed", u.get("kind", "")))
    for rid, a in pairs.items():
        bad += _check_chain(roster, day0, end, a, look.returnees[rid], sorted(events[rid]),
                            last)
    return bad


def _check_chain(roster: Roster, day0: dt.date, end: dt.date, a: Assignment, r: Returnee,
                 evs: list[tuple[dt.date, str, str]],
                 last: dict[tuple[str, str], dt.date] | None) -> list[str]:
    """First-visit window, cadence spacing, labels and completeness of one pair's events."""
    s = roster.settings
    pair = f"pair {a.mentor_id}->{r.id}"
    c = {3: s.cadence_high_days, 2: s.cadence_medium_days, 1: s.cadence_low_days}[r.risk]
    g, G, F = max(1, c - 2), c + 2, s.first_visit_days
    days = dt.timedelta(days=1)
    new = a.change != "kept"
    start = max(day0, r.release_date)
    rule = "schedule first-visit" if new else "schedule cadence"
    if new:
        lo, hi = start, start + F * days
    elif last is None:  # kept, previous visits unknown: a loose window
        lo, hi = start, start + max(F, G) * days
    else:
        p = last.get((a.mentor_id, r.id))
        if p is not None and p + G * days >= day0:
            lo, hi = max(day0, p + g * days), p + G * days
        else:  # no record, or overdue: due now
            lo, hi = start, start + F * days
            rule = "schedule first-visit"
    bad: list[str] = []
    if not evs:
        if hi <= end:
            bad.append(f"schedule missing: {pair}: the first visit due by {hi} is neither "
                       "scheduled nor listed as unscheduled")
        return bad
    d0, what0, kind0 = evs[0]
    if not lo <= d0 <= hi:
        bad.append(f"{rule}: {pair}: first {what0} on {d0} outside the window {lo}..{hi}")
    want0 = "first" if new else "follow-up"
    if kind0 != want0:
        bad.append(f"schedule kind: {pair}: {what0} on {d0} has kind {kind0!r}, expected "
                   f"{want0!r}")
    if what0 == "missed" and hi > end and (new or last is not None):
        bad.append(f"schedule unscheduled: {pair}: the first visit is listed as unscheduled "
                   f"though it is due by {hi}, after the horizon")
    for (d1, _, _), (d2, what2, kind2) in zip(evs, evs[1:]):
        gap = (d2 - d1).days
        if not g <= gap <= G:
            bad.append(f"schedule cadence: {pair}: {gap} days between {d1} and {d2}, cadence "
                       f"is {c} ± 2 ({g}..{G})")
        if kind2 != "follow-up":
            bad.append(f"schedule kind: {pair}: {what2} on {d2} has kind {kind2!r}, expected "
                       "'follow-up'")
        if what2 == "missed" and d1 + G * days > end:
            bad.append(f"schedule unscheduled: {pair}: the visit after {d1} is listed as "
                       "unscheduled though it is not due in the horizon")
    if evs[-1][0] + G * days <= end:
        bad.append(f"schedule missing: {pair}: the visit due by {evs[-1][0] + G * days} after "
                   f"{evs[-1][0]} is neither scheduled nor listed as unscheduled")
    return bad
