"""Seeded small rosters (15-40 returnees) in which the side rules really bind.

Mentors are scarce (capacity 1-3, some monthly hour budgets a high-risk mentee alone nearly
fills), co-offender groups live together and share skills (so they compete for one mentor
and one employer), employers have several openings (spelt with and without accents),
slots and seats are few, and the Pairs sheet has require / forbid / affinity rows for
mentors, jobs and courses, travel_minutes and visit_hours_per_month rows. Every third seed
is a rerun: the roster is planned once, some pairs are marked confirmed and some job
placements hired, the roster is perturbed (people leave and arrive, a mentor's capacity
drops, a mentor stops, an opening loses a slot, someone moves) and planned again with the
first plan as ``previous``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from dataclasses import dataclass

from builders import PLAN_DATE, at, job, mentor, pair, returnee, roster, training

from matcher.domain import Roster
from matcher.plan import Plan

SECTORS = ("may mac", "han", "xay dung", "nong nghiep")
WARDS = ("Hàm Rồng", "Đông Thọ", "Quảng Hưng", "Nam Ngạn")
EMPLOYERS = (("Công ty May Hà Trung", "CÔNG TY MAY HÀ TRUNG", "cong ty may ha trung"),
             ("Xí nghiệp Cơ khí Lam Sơn", "xi nghiep co khi lam son"),
             ("Công ty Xây dựng Thành Nam",),
             ("HTX Nông nghiệp Đông Sơn", "htx nong nghiep dong son"))


def ward_of(x: float, y: float) -> str:
    """Four wards, the quadrants of an 8 x 8 km town centred on (4, 4)."""
    return WARDS[(x >= 4) + 2 * (y >= 4)]


@dataclass
class Case:
    seed: int
    roster: Roster
    previous: Plan | None = None  # rerun seeds: the first plan, confirmed/hired marked


def _returnees(rnd: random.Random, n: int, prefix: str, release_from: dt.date):
    out = []
    n_groups = rnd.randint(2, 4)
    centres = [(rnd.uniform(0, 8), rnd.uniform(0, 8)) for _ in range(n_groups + 3)]
    group_skills = [frozenset(rnd.sample(SECTORS, rnd.randint(1, 2))) for _ in range(n_groups)]
    for i in range(n):
        g = rnd.randrange(n_groups) if rnd.random() < 0.45 else None
        cx, cy = centres[g] if g is not None else rnd.choice(centres)
        x = min(8.0, max(0.0, cx + rnd.gauss(0, 1.2)))
        y = min(8.0, max(0.0, cy + rnd.gauss(0, 1.2)))
        skills = (group_skills[g] if g is not None
                  else frozenset(rnd.sample(SECTORS, rnd.randint(0, 2))))
        out.append(returnee(
            f"{prefix}{i:02d}", x, y, ward=ward_of(x, y),
            gender="F" if rnd.random() < 0.2 else "M",
            risk=rnd.choices((1, 2, 3), (3, 4, 3))[0],
            offense=rnd.choice(("drugs", "drugs", "property", "violence", "fraud", "traffic",
                                "other")),
            birth_year=rnd.randint(1972, 2006),
            release=release_from + dt.timedelta(days=rnd.randint(0, 100)),
            skills=skills,
            wants_job=rnd.random() < 0.8,
            wants_training=rnd.random() < 0.35,
            max_commute_km=rnd.choice((None, None, None, 3.0, 5.0, 8.0)),
            work_away_from_home=rnd.random() < 0.25,
            group=None if g is None else f"{prefix}G{g}"))
    return out


def _mentors(rnd: random.Random, n: int):
    out = []
    for k in range(max(3, round(n * rnd.uniform(0.28, 0.45)))):
        x, y = rnd.uniform(0, 8), rnd.uniform(0, 8)
        out.append(mentor(
            f"M{k:02d}", x, y, ward=ward_of(x, y),
            gender="F" if rnd.random() < 0.3 else "M",
            capacity=rnd.choice((1, 2, 2, 3, 3)),
            hours_per_month=rnd.choice((None, None, 3.5, 5.0, 6.5, 9.0)),
            max_risk=rnd.choice((3, 3, 3, 2)),
            specialties=frozenset(rnd.sample(("drugs", "youth", "women", "jobs", "legal"),
                                             rnd.randint(0, 2))),
            max_km=rnd.choice((None, None, None, 2.5, 4.0)),
            active=rnd.random() < 0.9))
    return out


def _jobs(rnd: random.Random):
    out = []
    k = 0
    for names in rnd.sample(EMPLOYERS, rnd.randint(2, 4)):
        for _ in range(rnd.randint(1, 3)):
            x, y = rnd.uniform(-2, 12), rnd.uniform(-2, 10)
            out.append(job(
                f"J{k:02d}", x, y, ward=ward_of(x, y) if 0 <= x <= 8 and 0 <= y <= 8 else None,
                employer=rnd.choice(names), sector=rnd.choice(SECTORS),
                slots=rnd.choice((1, 1, 2, 2, 3)),
                entry_level=rnd.random() < 0.3,
                excluded_offenses=frozenset(rnd.sample(("drugs", "violence", "fraud"),
                                                       rnd.choice((0, 0, 1)))),
                min_age=rnd.choice((None, None, 18, 22)),
                max_age=rnd.choice((None, None, None, 40)),
                shift=rnd.choice(("day", "night", "any"))))
            k += 1
    return out


def _courses(rnd: random.Random):
    out = []
    for k in range(rnd.randint(1, 3)):
        x, y = rnd.uniform(-6, 20), rnd.uniform(-4, 12)
        out.append(training(
            f"T{k}", x, y, sector=rnd.choice(SECTORS), seats=rnd.choice((1, 1, 2, 3)),
            start_date=rnd.choice((None, PLAN_DATE + dt.timedelta(days=rnd.randint(-60, 40)))),
            schedule=rnd.choice(("day", "evening"))))
    return out


def _near(rnd: random.Random, r, options, km: float):
    """An option within ``km`` of returnee ``r`` (by the builders' flat coordinates), or any
    option."""
    def flat(o):
        return (o.location.lat, o.location.lon)

    close = [o for o in options
             if abs(flat(o)[0] - flat(r)[0]) * 111.2 < km
             and abs(flat(o)[1] - flat(r)[1]) * 104.6 < km]
    return rnd.choice(close or list(options))


def _pairs(rnd: random.Random, rs, ms, js, ts):
    rows = []
    seen = set()

    def add(kind: str, r, o, **kw) -> None:
        key = (kind, r.id, o.id)
        if key in seen:
            return
        seen.add(key)
        target = {"mentor": {"mid": o.id}, "job": {"jid": o.id},
                  "training": {"training_id": o.id}}[kind]
        rows.append(pair(r.id, row=len(rows) + 2, **target, **kw))

    for _ in range(rnd.randint(1, 3)):  # mentor require rows, mostly feasible
        r = rnd.choice(rs)
        add("mentor", r, _near(rnd, r, ms, 4.0 if rnd.random() < 0.8 else 99), rule="require",
            reason="gia đình đề nghị")
    if rnd.random() < 0.3:  # two require rows for one mentor beyond its capacity
        m = rnd.choice(ms)
        for r in rnd.sample(rs, 3):
            add("mentor", r, m, rule="require")
    for _ in range(rnd.randint(1, 3)):  # forbid the nearest mentors
        r = rnd.choice(rs)
        add("mentor", r, _near(rnd, r, ms, 2.5), rule="forbid", reason="mâu thuẫn cũ")
    for _ in range(rnd.randint(1, 4)):
        r = rnd.choice(rs)
        add("mentor", r, _near(rnd, r, ms, 4.0), affinity=rnd.randint(-2, 6))
    for _ in range(rnd.randint(0, 2)):
        r = rnd.choice(rs)
        add("mentor", r, _near(rnd, r, ms, 4.0), travel_minutes=rnd.choice((2.0, 15.0, 40.0)))
    for _ in range(rnd.randint(0, 2)):
        r = rnd.choice(rs)
        add("mentor", r, _near(rnd, r, ms, 4.0),
            visit_hours_per_month=rnd.choice((0.5, 1.0, 3.0, 6.0)))
    seekers = [r for r in rs if r.wants_job] or rs
    for _ in range(rnd.randint(1, 2)):  # job require rows: a skill match when there is one
        r = rnd.choice(seekers)
        fit = [j for j in js if j.entry_level or j.sector in r.skills]
        add("job", r, rnd.choice(fit if fit and rnd.random() < 0.8 else js), rule="require",
            reason="Doanh nghiệp đã nhận lời")
    for _ in range(rnd.randint(1, 2)):
        r = rnd.choice(seekers)
        fit = [j for j in js if j.entry_level or j.sector in r.skills]
        add("job", r, rnd.choice(fit or js), rule="forbid")
    for _ in range(rnd.randint(0, 3)):
        r = rnd.choice(seekers)
        fit = [j for j in js if j.entry_level or j.sector in r.skills]
        add("job", r, rnd.choice(fit or js), affinity=rnd.randint(-1, 5))
    learners = [r for r in rs if r.wants_training] or rs
    for rule in ("require", "forbid", None):
        for _ in range(rnd.randint(0, 2)):
            r = rnd.choice(learners)
            t = rnd.choice(ts)
            if rule:
                add("training", r, t, rule=rule)
            else:
                add("training", r, t, affinity=rnd.randint(1, 5))
    rnd.shuffle(rows)  # require rows in any order among the others
    return tuple(dataclasses.replace(row, row=i + 2) for i, row in enumerate(rows))


def binding_roster(seed: int) -> Roster:
    rnd = random.Random(seed)
    n = rnd.randint(15, 40)
    rs = _returnees(rnd, n, "R", dt.date(2026, 9, 1))
    ms = _mentors(rnd, n)
    js = _jobs(rnd)
    ts = _courses(rnd)
    prs = _pairs(rnd, rs, ms, js, ts)
    settings = {}
    if rnd.random() < 0.25:
        settings["weight_spread"] = rnd.choice((0, 2, 3))
    if rnd.random() < 0.15:
        settings["gender_rule"] = rnd.choice(("same_gender", "none"))
    return roster(rs, ms, js, ts, prs, **settings)


def is_rerun(seed: int) -> bool:
    return seed % 3 == 2


def rerun_case(seed: int, first: Plan, base: Roster) -> Case:
    """Mark some of ``first``'s pairs confirmed and placements hired, perturb ``base``."""
    rnd = random.Random(seed * 7919 + 1)
    prev = Plan.from_json(first.to_json())
    for a in prev.assignments:
        a.confirmed = bool(a.mentor_id) and rnd.random() < 0.4
        a.hired = bool(a.job_id) and rnd.random() < 0.5
    rs = list(base.returnees)
    for r in rnd.sample(rs, 2):  # two leave
        rs.remove(r)
    new = _returnees(rnd, rnd.randint(3, 7), "N", dt.date(2026, 11, 1))
    if rs and rnd.random() < 0.5:  # one moves across town
        i = rnd.randrange(len(rs))
        x, y = rnd.uniform(0, 8), rnd.uniform(0, 8)
        rs[i] = dataclasses.replace(rs[i], location=at(x, y, ward_of(x, y)))
    ms = list(base.mentors)
    confirmed_mentors = sorted({a.mentor_id for a in prev.assignments if a.confirmed})
    if confirmed_mentors:  # a mentor of a confirmed pair now takes fewer people
        mid = rnd.choice(confirmed_mentors)
        i = next(k for k, m in enumerate(ms) if m.id == mid)
        ms[i] = dataclasses.replace(ms[i], capacity=max(0, ms[i].capacity - 1))
    if rnd.random() < 0.5:
        i = rnd.randrange(len(ms))
        ms[i] = dataclasses.replace(ms[i], active=False)
    js = list(base.jobs)
    if js and rnd.random() < 0.5:
        i = rnd.randrange(len(js))
        js[i] = dataclasses.replace(js[i], slots=max(0, js[i].slots - 1))
    ids = {r.id for r in rs} | {r.id for r in new}
    prs = tuple(p for p in base.pairs if p.returnee_id in ids)
    ro = dataclasses.replace(base, returnees=tuple(rs + new), mentors=tuple(ms), jobs=tuple(js),
                             pairs=prs)
    return Case(seed, ro, prev)


def binding_case(seed: int, solve=None) -> Case:
    """The roster of ``seed``; on rerun seeds (``is_rerun``) the first plan comes from
    ``solve`` (``matcher.solve.solve`` by default)."""
    ro = binding_roster(seed)
    if not is_rerun(seed):
        return Case(seed, ro)
    if solve is None:
        from matcher.solve import solve
    first = solve(ro, schedule=False, parallel=False)
    return rerun_case(seed, first, ro)
