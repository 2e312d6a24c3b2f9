"""Job openings, training courses and coordinators' Pairs rows."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
from scipy.spatial import cKDTree

from matcher.domain import Job, Mentor, PairRule, Returnee, Training
from matcher.generate.places import _choice, _locations, _Points, _scatter, _Units, _width
from matcher.generate.tables import (
    _FACTORY,
    _SUPPORT_SECTORS,
    BANKS,
    BRANDS,
    PROVIDERS,
    REASONS_AFFINITY,
    REASONS_FORBID,
    REASONS_JOB_AFFINITY,
    REASONS_JOB_FORBID,
    REASONS_REQUIRE,
    SECTORS,
)
from matcher.geo import EARTH_KM, haversine_km, unit_xyz


def _excluded(rng: np.random.Generator, sector: str, bank: bool) -> frozenset[str]:
    r = rng.random()
    if bank:
        return frozenset({"fraud", "property"})
    if sector == "bảo vệ":
        return frozenset({"property", "violence"}) if r < .40 else frozenset()
    if sector == "lái xe":
        if r < .30:
            return frozenset({"traffic", "drugs"})
        return frozenset({"traffic"}) if r < .60 else frozenset()
    if sector == "bán hàng":
        return frozenset({"fraud", "property"}) if r < .30 else frozenset()
    if sector == "kho vận":
        return frozenset({"property"}) if r < .30 else frozenset()
    if sector == "du lịch khách sạn":
        return frozenset({"property"}) if r < .20 else frozenset()
    return frozenset({"drugs"}) if r < .04 else frozenset()


def _jobs(rng: np.random.Generator, units: _Units, n: int, plan_date: dt.date) -> list[Job]:
    per_employer = rng.choice([1, 2, 3, 4, 5], size=n, p=[.45, .25, .15, .10, .05])
    ends = np.cumsum(per_employer)
    n_emp = int(np.searchsorted(ends, n)) + 1
    counts = per_employer[:n_emp].copy()
    counts[-1] -= int(ends[n_emp - 1]) - n
    emp_sector = _choice(rng, np.array([s.jobs for s in SECTORS]), n_emp)
    pts = _scatter(units, _choice(rng, units.w_jobs, n_emp), rng, 0.15)
    locs = _locations(units, pts)
    template_r = rng.random(n_emp)
    brand_i = rng.integers(len(BRANDS), size=n_emp)
    bank_i = rng.integers(len(BANKS), size=n_emp)
    seen: set[str] = set()
    w = _width(n, 4)
    out: list[Job] = []
    for e in range(n_emp):
        sec = SECTORS[int(emp_sector[e])]
        template = sec.employers[int(template_r[e] * len(sec.employers))]
        bank = "{bank}" in template
        place = units.place[int(pts.unit[e])]
        name = template.format(b=BRANDS[int(brand_i[e])], p=place,
                               bank=BANKS[int(bank_i[e])])
        if name in seen:
            name = f"{name} {place}" if place not in name else name
            k = 2
            base = name
            while name in seen:
                name, k = f"{base} {k}", k + 1
        seen.add(name)
        factory = sec.name in _FACTORY
        for _ in range(int(counts[e])):
            if bank or rng.random() < 0.85:
                s = sec
            else:
                s = SECTORS[int(_SUPPORT_SECTORS[int(rng.integers(len(_SUPPORT_SECTORS)))])]
            slots = int(rng.choice([1, 2, 3, 4, 5, 6], p=[.32, .26, .17, .11, .08, .06]))
            r = rng.random()
            shift = "night" if r < s.night else ("any" if r < s.night + s.any_shift else "day")
            entry = bool(rng.random() < s.entry)
            excluded = _excluded(rng, s.name, bank and s is sec)
            min_age = 18 if rng.random() < 0.30 else None
            if factory and s is sec:
                max_age = int(rng.choice([35, 40, 45])) if rng.random() < 0.60 else None
            else:
                max_age = int(rng.choice([45, 50, 55])) if rng.random() < 0.15 else None
            start = (plan_date + dt.timedelta(days=int(rng.integers(-30, 61)))
                     if rng.random() < 0.5 else None)
            out.append(Job(id=f"J{len(out) + 1:0{w}d}", employer=name, sector=s.name,
                           location=locs[e], slots=slots, min_age=min_age, max_age=max_age,
                           shift=shift, excluded_offenses=excluded, entry_level=entry,
                           start_date=start))
    return out


def _trainings(rng: np.random.Generator, units: _Units, n: int,
               plan_date: dt.date) -> list[Training]:
    train_w = np.array([s.training for s in SECTORS])
    sector = _choice(rng, train_w, n)
    pts = _scatter(units, _choice(rng, units.w_training, n), rng, 0.15)
    locs = _locations(units, pts)
    provider_i = rng.integers(len(PROVIDERS), size=n)
    seats = rng.integers(15, 26, size=n)
    start = rng.integers(-21, 121, size=n)
    evening = rng.random(n) < 0.30
    w = _width(n, 3)
    out = []
    for i in range(n):
        u = int(pts.unit[i])
        provider = PROVIDERS[int(provider_i[i])].format(p=units.place[u],
                                                        prov=units.province[u])
        out.append(Training(id=f"T{i + 1:0{w}d}", provider=provider,
                            sector=SECTORS[int(sector[i])].name, location=locs[i],
                            seats=int(seats[i]),
                            start_date=plan_date + dt.timedelta(days=int(start[i])),
                            schedule="evening" if evening[i] else "day"))
    return out



def _pairs(rng: np.random.Generator, n_rows: int, returnees: list[Returnee], r_pts: _Points,
           mentors: list[Mentor], m_pts: _Points, jobs: list[Job]) -> list[PairRule]:
    """Coordinators' Pairs rows: mostly forbid/affinity, a few feasible requires, never
    two rows for the same pair (so never a require and a forbid together)."""
    if not returnees or not mentors:
        return []
    n_req = max(1, round(0.12 * n_rows))
    n_aff = max(1, round(0.33 * n_rows))
    n_job = round(0.15 * n_rows) if jobs else 0
    kinds = (["require"] * n_req + ["affinity"] * n_aff + ["job"] * n_job
             + ["forbid"] * max(0, n_rows - n_req - n_aff - n_job))
    m_tree = cKDTree(EARTH_KM * unit_xyz(m_pts.lat, m_pts.lon))
    j_lat = np.array([j.location.lat for j in jobs])
    j_lon = np.array([j.location.lon for j in jobs])
    j_tree = cKDTree(EARTH_KM * unit_xyz(j_lat, j_lon)) if jobs else None
    r_xyz = EARTH_KM * unit_xyz(r_pts.lat, r_pts.lon)
    order = rng.permutation(len(returnees)).tolist()
    used: set[tuple[int, str]] = set()
    required_mentors: set[int] = set()
    rows: list[tuple[int, PairRule]] = []
    pos = 0
    for kind in kinds:
        while pos < len(order):
            r = order[pos]
            pos += 1
            row = _pair_row(rng, kind, r, returnees[r], r_pts, r_xyz[r], mentors, m_pts,
                            m_tree, jobs, j_lat, j_lon, j_tree, used, required_mentors)
            if row is not None:
                rows.append((r, row))
                break
    rows.sort(key=lambda t: t[0])
    return [row for _, row in rows]


def _pair_row(rng: np.random.Generator, kind: str, r: int, ret: Returnee, r_pts: _Points,
              xyz: np.ndarray, mentors: list[Mentor], m_pts: _Points, m_tree: Any,
              jobs: list[Job], j_lat: np.ndarray, j_lon: np.ndarray, j_tree: Any,
              used: set[tuple[int, str]], required_mentors: set[int]) -> PairRule | None:
    lat, lon = r_pts.lat[r], r_pts.lon[r]
    if kind == "job":
        near = sorted(j_tree.query_ball_point(xyz, 12.0))
        near = [j for j in near if haversine_km(lat, lon, j_lat[j], j_lon[j]) <= 12.0
                and (r, jobs[j].id) not in used]
        if not near:
            return None
        j = near[int(rng.integers(len(near)))]
        used.add((r, jobs[j].id))
        if rng.random() < 0.5:
            return PairRule(ret.id, job_id=jobs[j].id, rule="forbid",
                            reason=REASONS_JOB_FORBID[int(rng.integers(2))])
        return PairRule(ret.id, job_id=jobs[j].id, affinity=int(rng.integers(1, 4)),
                        reason=REASONS_JOB_AFFINITY[int(rng.integers(2))])
    near = sorted(m_tree.query_ball_point(xyz, 4.8))
    d = haversine_km(lat, lon, m_pts.lat[near], m_pts.lon[near]) if near else np.array([])
    cands = []
    for m, dist in zip(near, np.atleast_1d(d).tolist()):
        if dist > 4.8 or (r, mentors[m].id) in used:
            continue
        if kind == "require":
            mt = mentors[m]
            if (m in required_mentors or not mt.active or mt.capacity < 1
                    or mt.hours_per_month is not None or ret.risk > mt.max_risk
                    or (mt.max_km is not None and dist > mt.max_km - 0.2)
                    or (ret.gender == "F" and mt.gender != "F")):
                continue
        cands.append(m)
    if not cands:
        return None
    m = cands[int(rng.integers(len(cands)))]
    mid = mentors[m].id
    used.add((r, mid))
    if kind == "require":
        required_mentors.add(m)
        return PairRule(ret.id, mentor_id=mid, rule="require",
                        reason=REASONS_REQUIRE[int(rng.integers(len(REASONS_REQUIRE)))])
    if kind == "forbid":
        return PairRule(ret.id, mentor_id=mid, rule="forbid",
                        reason=REASONS_FORBID[int(rng.integers(len(REASONS_FORBID)))])
    extra = rng.random()
    travel = float(rng.choice([15, 20, 30, 40])) if extra < 0.15 else None
    hours = float(rng.choice([2, 3, 4])) if 0.15 <= extra < 0.25 else None
    return PairRule(ret.id, mentor_id=mid, affinity=int(rng.integers(1, 4)),
                    travel_minutes=travel, visit_hours_per_month=hours,
                    reason=REASONS_AFFINITY[int(rng.integers(len(REASONS_AFFINITY)))])
