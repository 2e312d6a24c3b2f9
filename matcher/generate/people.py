"""Returnees and veteran mentors."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np

from matcher.domain import OFFENSES, SPECIALTIES, Mentor, Returnee
from matcher.generate.places import (
    _availability,
    _choice,
    _full_names,
    _locations,
    _Points,
    _scatter,
    _top_k,
    _Units,
    _width,
)
from matcher.generate.tables import (
    _AVAIL_DRAWS_MENTOR,
    _AVAIL_DRAWS_RETURNEE,
    _OFFENSE_P,
    _RISK_OTHER,
    _RISK_P,
    _SECTOR_KEYS,
    AVAILABILITY_JOB_SEEKER,
    AVAILABILITY_MENTOR,
    AVAILABILITY_RETURNEE_OTHER,
    KM_PER_DEG,
    SECTORS,
)
from matcher.geo import haversine_km


def _returnees(rng: np.random.Generator, units: _Units, n: int,
               plan_date: dt.date) -> tuple[list[Returnee], _Points]:
    unit = _choice(rng, units.w_people, n)
    female = rng.random(n) < 0.10
    names = _full_names(rng, female)
    age = np.clip(np.round(rng.normal(35, 9, n)), 20, 66).astype(int)
    birth = np.clip(plan_date.year - age, 1960, 2006)
    offense = rng.choice(len(OFFENSES), size=n, p=_OFFENSE_P)
    lo_day, hi_day = -548, 61  # 18 months before plan_date .. 2 months after
    release = rng.integers(lo_day, hi_day + 1, size=n)
    amnesty = dt.date(plan_date.year, 9, 2)
    if amnesty > plan_date:
        amnesty = dt.date(plan_date.year - 1, 9, 2)
    amnesty_day = (amnesty - plan_date).days
    if amnesty_day >= lo_day:
        release = np.where(rng.random(n) < 0.10, amnesty_day, release)

    # co-offender groups: ~5 % of returnees in groups of 2-4
    group: list[str | None] = [None] * n
    sizes: list[int] = []
    while sum(sizes) < 0.05 * n:
        sizes.append(int(rng.choice([2, 3, 4], p=[.55, .30, .15])))
    if sum(sizes) > n:
        sizes = []
    perm = rng.permutation(n)
    neighbours = _unit_neighbours(units, 8.0)
    leaders: dict[int, int] = {}  # member -> leader (for the national point fix below)
    start = 0
    gw = _width(len(sizes), 3)
    for g, size in enumerate(sizes):
        members = perm[start:start + size].tolist()
        start += size
        lead = members[0]
        for m in members:
            group[m] = f"G{g + 1:0{gw}d}"
        for m in members[1:]:
            leaders[m] = lead
            offense[m] = offense[lead]
            release[m] = np.clip(release[lead] + rng.integers(-60, 61), lo_day, hi_day)
            near = neighbours[unit[lead]]
            if rng.random() < 0.7 or not near:
                unit[m] = unit[lead]
            else:
                unit[m] = near[int(rng.integers(len(near)))]

    off_names = [OFFENSES[o] for o in offense.tolist()]
    cum = np.array([np.cumsum(_RISK_P.get(o, _RISK_OTHER)) for o in OFFENSES])
    u = rng.random(n)
    risk = 1 + (u > cum[offense, 0]).astype(int) + (u > cum[offense, 1]).astype(int)

    n_skills = rng.choice(4, size=n, p=[.20, .45, .25, .10])
    men_w = np.array([s.men for s in SECTORS])
    women_w = np.array([s.women for s in SECTORS])
    skills = _top_k(rng, np.where(female[:, None], women_w, men_w), n_skills)
    wants_job = rng.random(n) < 0.80
    wants_training = rng.random(n) < 0.25
    away = rng.random(n) < 0.15
    loan = rng.random(n) < 0.20
    commute = np.where(rng.random(n) < 0.25,
                       rng.choice([3.0, 5.0, 7.0, 10.0, 15.0], size=n), np.nan)
    avail = _availability(rng, n, [AVAILABILITY_JOB_SEEKER if w else AVAILABILITY_RETURNEE_OTHER
                                   for w in wants_job.tolist()], _AVAIL_DRAWS_RETURNEE)
    pts = _scatter(units, unit, rng, 0.10)
    # outside Thanh Hóa a province is one wide cloud: keep co-offenders near their leader
    for m, lead in leaders.items():
        if units.ward[unit[m]] is None:
            dy, dx = rng.normal(size=2) * 2.0
            pts.lat[m] = round(pts.lat[lead] + dy / KM_PER_DEG, 5)
            pts.lon[m] = round(pts.lon[lead] + dx / (KM_PER_DEG * math.cos(
                math.radians(pts.lat[lead]))), 5)
    locs = _locations(units, pts)

    w = _width(n, 5)
    out = []
    for i in range(n):
        out.append(Returnee(
            id=f"R{i + 1:0{w}d}", full_name=names[i], gender="F" if female[i] else "M",
            birth_year=int(birth[i]), location=locs[i],
            release_date=plan_date + dt.timedelta(days=int(release[i])),
            offense=off_names[i], risk=int(risk[i]),
            skills=frozenset(_SECTOR_KEYS[j] for j in skills[i]),
            wants_job=bool(wants_job[i]), wants_training=bool(wants_training[i]),
            max_commute_km=None if np.isnan(commute[i]) else float(commute[i]),
            work_away_from_home=bool(away[i]), availability=avail[i], group=group[i],
            needs_loan=bool(loan[i])))
    return out, pts


def _unit_neighbours(units: _Units, km: float) -> list[list[int]]:
    """Units with a ward within ``km`` of each ward unit (excluding itself)."""
    has = np.array([w is not None for w in units.ward])
    idx = np.flatnonzero(has)
    d = haversine_km(units.lat[idx, None], units.lon[idx, None], units.lat[None, idx],
            units.lon[None, idx])
    out: list[list[int]] = [[] for _ in range(len(units))]
    for a, i in enumerate(idx.tolist()):
        out[i] = [int(idx[b]) for b in np.flatnonzero((d[a] <= km) & (idx != i))]
    return out


def _phones(rng: np.random.Generator, n: int) -> list[str | None]:
    has = rng.random(n) < 0.90
    prefix = rng.choice(["09", "03", "08"], size=n, p=[.75, .15, .10])
    number = rng.integers(0, 10**8, size=n)
    return [f"{p}{x:08d}" if h else None
            for h, p, x in zip(has.tolist(), prefix.tolist(), number.tolist())]


def _mentors(rng: np.random.Generator, units: _Units, n: int) -> tuple[list[Mentor], _Points]:
    # veterans' associations are stronger in some places than others
    unit = _choice(rng, units.w_people * rng.lognormal(0.0, 0.6, len(units)), n)
    female = rng.random(n) < 0.15
    names = _full_names(rng, female)
    birth = np.clip(np.round(rng.normal(1962, 6.5, n)), 1950, 1980).astype(int)
    phones = _phones(rng, n)
    capacity = rng.choice([1, 2, 3, 4, 5], size=n, p=[.12, .45, .33, .07, .03])
    hours = np.where(rng.random(n) < 0.25, rng.integers(4, 11, size=n) * 2.0, np.nan)
    max_risk = rng.choice([3, 2, 1], size=n, p=[.60, .30, .10])
    tag_p = np.array([.20, .15, .03, .20, .10])  # order of SPECIALTIES
    tags = rng.random((n, len(SPECIALTIES))) < tag_p
    women_col = SPECIALTIES.index("women")
    tags[:, women_col] = np.where(female, rng.random(n) < 0.70, tags[:, women_col])
    max_km = np.where(rng.random(n) < 0.08, rng.choice([2.0, 3.0, 4.0], size=n), np.nan)
    avail = _availability(rng, n, [AVAILABILITY_MENTOR] * n, _AVAIL_DRAWS_MENTOR)
    active = rng.random(n) >= 0.03
    pts = _scatter(units, unit, rng, 0.10)
    locs = _locations(units, pts)
    w = _width(n, 5)
    out = []
    for i in range(n):
        out.append(Mentor(
            id=f"M{i + 1:0{w}d}", full_name=names[i], gender="F" if female[i] else "M",
            birth_year=int(birth[i]), location=locs[i], phone=phones[i],
            capacity=int(capacity[i]),
            hours_per_month=None if np.isnan(hours[i]) else float(hours[i]),
            max_risk=int(max_risk[i]),
            specialties=frozenset(s for s, t in zip(SPECIALTIES, tags[i].tolist()) if t),
            max_km=None if np.isnan(max_km[i]) else float(max_km[i]),
            availability=avail[i], active=bool(active[i])))
    return out, pts
