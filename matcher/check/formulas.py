"""The checker's own plain formulas: distance, monthly hours, age, skills, the Pairs rows
of a pair, and the pair-level hard rules for a mentor, a job or a course."""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

from matcher.domain import Job, Mentor, PairRule, Returnee, Roster, Training
from matcher.plan import Assignment, Plan
from matcher.text import fold

EPS = 1e-6  # slack on distances and hours (km, h)
EARTH_KM = 6371.0088  # mean Earth radius (IUGG)
UNITS_PER_KM = 100  # M5/J5 sum distances rounded per pair to 10 m
MAX_VISITS_PER_DAY = 3
WORK_DAYS = range(0, 6)  # jobs: Mon-Sat
STUDY_DAYS = range(0, 5)  # courses: Mon-Fri


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
