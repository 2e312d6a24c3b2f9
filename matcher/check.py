"""Solver-independent plan checker: every hard rule of SPEC section 2, recomputed from the
roster alone with plain Python (no numpy, no solver code), and the tier values.

Meant to be correct, clear and easy to read rather than fast. ``plan`` runs it before
writing anything: a plan that fails it is a bug, reported as such.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict

from matcher.domain import Roster
from matcher.errors import PlanCheckError
from matcher.plan import Plan
from matcher.text import fold

EPS = 1e-6


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    r = 6371.0088
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (math.sin((p2 - p1) / 2) ** 2
         + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2)
    return 2 * r * math.asin(math.sqrt(min(1.0, max(0.0, a))))


def _km(a, b) -> float:
    return distance_km(a.location.lat, a.location.lon, b.location.lat, b.location.lon)


def monthly_hours(roster: Roster, returnee, mentor) -> float:
    s = roster.settings
    cadence = {3: s.cadence_high_days, 2: s.cadence_medium_days, 1: s.cadence_low_days}
    visits = 30.0 / cadence[returnee.risk]
    travel = _km(returnee, mentor) / s.travel_speed_kmh * 60.0
    for row in roster.pairs:
        if row.returnee_id == returnee.id and row.mentor_id == mentor.id:
            if row.visit_hours_per_month is not None:
                return row.visit_hours_per_month
            if row.travel_minutes is not None:
                travel = row.travel_minutes
    return visits * (s.visit_minutes + 2 * travel) / 60.0


def check_plan(roster: Roster, plan: Plan) -> list[str]:
    """All hard-rule violations of ``plan`` (an empty list means the plan is valid)."""
    s = roster.settings
    bad: list[str] = []
    returnees = {r.id: r for r in roster.returnees}
    mentors = {m.id: m for m in roster.mentors}
    jobs = {j.id: j for j in roster.jobs}
    courses = {t.id: t for t in roster.trainings}
    seen = Counter(a.returnee_id for a in plan.assignments)
    for rid in returnees:
        if seen[rid] != 1:
            bad.append(f"{rid}: {seen[rid]} assignment rows, expected exactly 1")
    for rid in seen:
        if rid not in returnees:
            bad.append(f"{rid}: assigned but not in the roster")
    mentees: dict[str, list] = defaultdict(list)
    workers: dict[str, list] = defaultdict(list)
    students: dict[str, list] = defaultdict(list)
    for a in plan.assignments:
        r = returnees.get(a.returnee_id)
        if r is None:
            continue
        if a.mentor_id is not None:
            m = mentors.get(a.mentor_id)
            if m is None:
                bad.append(f"{r.id}: unknown mentor {a.mentor_id}")
            else:
                mentees[m.id].append(r)
                km = _km(r, m)
                limit = s.mentor_max_km if m.max_km is None else min(s.mentor_max_km, m.max_km)
                if km > limit + EPS:
                    bad.append(f"rule 3: {r.id}-{m.id} {km:.2f} km > {limit} km")
                if s.gender_rule == "women_to_women" and r.gender == "F" and m.gender != "F":
                    bad.append(f"rule 4: female {r.id} with male {m.id}")
                if s.gender_rule == "same_gender" and r.gender != m.gender:
                    bad.append(f"rule 4: {r.id} and {m.id} differ in gender")
                if r.risk > m.max_risk:
                    bad.append(f"rule 5: {r.id} risk {r.risk} > {m.id} max_risk {m.max_risk}")
                if a.mentor_km is not None and abs(a.mentor_km - km) > 0.01:
                    bad.append(f"{r.id}: mentor_km {a.mentor_km} but the distance is {km:.2f}")
        if a.job_id is not None and a.training_id is not None:
            bad.append(f"rule 13: {r.id} has both a job and a training seat")
        if a.job_id is not None:
            j = jobs.get(a.job_id)
            if j is None:
                bad.append(f"{r.id}: unknown job {a.job_id}")
            else:
                workers[j.id].append(r)
                km = _km(r, j)
                limit = s.job_max_km if r.max_commute_km is None else min(s.job_max_km,
                                                                             r.max_commute_km)
                if km > limit + EPS:
                    bad.append(f"rule 9: {r.id}-{j.id} commute {km:.2f} km > {limit} km")
                if not j.entry_level and fold(j.sector) not in r.skills:
                    bad.append(f"rule 10: {r.id} lacks skill {j.sector} for {j.id}")
                if r.offense in j.excluded_offenses:
                    bad.append(f"rule 11: {j.id} excludes {r.offense} ({r.id})")
                age = s.plan_date.year - r.birth_year
                if (j.min_age is not None and age < j.min_age) or (
                        j.max_age is not None and age > j.max_age):
                    bad.append(f"rule 11: {r.id} age {age} outside {j.id}'s limits")
                if not r.wants_job:
                    bad.append(f"rule 13: {r.id} got a job but does not want one")
        if a.training_id is not None:
            t = courses.get(a.training_id)
            if t is None:
                bad.append(f"{r.id}: unknown course {a.training_id}")
            else:
                students[t.id].append(r)
                km = _km(r, t)
                if km > s.training_max_km + EPS:
                    bad.append(f"rule 9: {r.id}-{t.id} {km:.2f} km > {s.training_max_km} km")
                if not r.wants_training:
                    bad.append(f"rule 13: {r.id} got training but does not want it")
                if t.start_date is not None and t.start_date < r.release_date:
                    bad.append(f"rule 13: {t.id} starts before {r.id}'s release")
    for mid, rs in mentees.items():
        m = mentors[mid]
        if not m.active:
            bad.append(f"rule 1: inactive mentor {mid} has mentees")
        if len(rs) > m.capacity:
            bad.append(f"rule 1: {mid} has {len(rs)} mentees > capacity {m.capacity}")
        if m.hours_per_month is not None:
            total = sum(monthly_hours(roster, r, m) for r in rs)
            if total > m.hours_per_month + 1e-6:
                bad.append(f"rule 2: {mid} needs {total:.2f} h/month > {m.hours_per_month}")
        groups = Counter(r.group for r in rs if r.group)
        for g, c in groups.items():
            if c > 1:
                bad.append(f"rule 6: {mid} mentors {c} members of group {g}")
    for jid, rs in workers.items():
        if len(rs) > jobs[jid].slots:
            bad.append(f"rule 8: {jid} has {len(rs)} people > {jobs[jid].slots} slots")
    for tid, rs in students.items():
        if len(rs) > courses[tid].seats:
            bad.append(f"rule 8: {tid} has {len(rs)} people > {courses[tid].seats} seats")
    by_employer: dict[str, Counter] = defaultdict(Counter)
    for jid, rs in workers.items():
        for r in rs:
            if r.group:
                by_employer[fold(jobs[jid].employer)][r.group] += 1
    for emp, groups in by_employer.items():
        for g, c in groups.items():
            if c > 1:
                bad.append(f"rule 12: {c} members of group {g} work for {emp}")
    by_r = {a.returnee_id: a for a in plan.assignments}
    notes = " ".join(plan.warnings)
    for row in roster.pairs:
        a = by_r.get(row.returnee_id)
        if a is None:
            continue
        target = row.mentor_id or row.job_id
        got = a.mentor_id if row.mentor_id else a.job_id
        if row.rule == "forbid" and got == target:
            bad.append(f"rule 7: forbidden pair {row.returnee_id}-{target} is in the plan")
        if (row.rule == "require" and got != target
                and f"{row.returnee_id}–{target}" not in notes):
            bad.append(f"rule 7: required pair {row.returnee_id}-{target} missing and not "
                       "reported")
    if plan.visits or plan.unscheduled:
        from matcher.schedule import check_schedule  # the schedule rules of SPEC section 6

        bad.extend(f"schedule: {b}" for b in check_schedule(roster, plan))
    return bad


def objective(roster: Roster, plan: Plan) -> dict[str, float]:
    """Tier values recomputed from the roster (same definitions as SPEC section 3)."""
    s = roster.settings
    returnees = {r.id: r for r in roster.returnees}
    mentors = {m.id: m for m in roster.mentors}
    jobs = {j.id: j for j in roster.jobs}
    courses = {t.id: t for t in roster.trainings}
    affinity: Counter = Counter()
    for row in roster.pairs:
        affinity[(row.returnee_id, row.mentor_id or row.job_id)] += row.affinity
    m1 = m2 = m4 = 0
    m5 = 0
    load: Counter = Counter()
    j1 = j2 = j4 = 0
    j5 = 0
    for a in plan.assignments:
        r = returnees[a.returnee_id]
        if a.mentor_id:
            m = mentors[a.mentor_id]
            m1 += 1
            m2 += r.risk
            load[m.id] += 1
            fits = ((r.offense == "drugs" and "drugs" in m.specialties)
                    + (r.gender == "F" and "women" in m.specialties)
                    + (s.plan_date.year - r.birth_year < 25 and "youth" in m.specialties))
            same = r.location.ward is not None and r.location.ward == m.location.ward
            m4 += (s.weight_specialty * fits + s.weight_same_ward * same
                   + s.weight_affinity * affinity[(r.id, m.id)])
            m5 += round(_km(r, m) * 100)
        target = jobs.get(a.job_id) if a.job_id else courses.get(a.training_id or "")
        if target is not None:
            if a.job_id:
                j1 += 1
            else:
                j2 += 1
            away = (a.job_id is not None and r.work_away_from_home
                    and (r.location.ward is None or r.location.ward != target.location.ward))
            j4 += (s.weight_job_skill * (fold(target.sector) in r.skills)
                   + s.weight_job_away * away
                   + s.weight_affinity * (affinity[(r.id, a.job_id)] if a.job_id else 0))
            j5 += round(_km(r, target) * 100)
    m4 -= sum(s.weight_spread * n * (n - 1) // 2 for n in load.values())
    return {"M1": m1, "M2": m2, "M4": m4, "M5": m5 / 100, "J1": j1, "J2": j2, "J4": j4,
            "J5": j5 / 100}


def assert_plan_ok(roster: Roster, plan: Plan) -> None:
    """Raise :class:`PlanCheckError` if a hard rule is broken or a tier value disagrees."""
    bad = check_plan(roster, plan)
    values = objective(roster, plan)
    for name, value in values.items():
        tier = plan.tiers.get(name)
        if tier is not None and abs(tier.value - value) > 0.011 * (1 + (name in ("M5", "J5"))):
            bad.append(f"tier {name}: plan says {tier.value}, recomputed {value}")
    if bad:
        raise PlanCheckError(bad)
