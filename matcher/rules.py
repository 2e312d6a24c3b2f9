"""Hard rules (SPEC section 2) as vectorised filters over candidate pairs, and the
per-pair suitability terms of tiers M4 and J4.

Candidate pairs come from the spatial index (only pairs within the distance limit are
ever built); each rule is one function that returns a boolean mask over those pairs, so
the explanation code can ask "which rule removed this pair" with the same functions.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from matcher.domain import OFFENSES, Roster, Settings
from matcher.geo import PointIndex
from matcher.text import fold


@dataclass
class People:
    """Column arrays of the roster (one entry per returnee / mentor / opening)."""

    r_ids: list[str]
    r_lat: np.ndarray
    r_lon: np.ndarray
    r_female: np.ndarray
    r_risk: np.ndarray
    r_age: np.ndarray
    r_group: np.ndarray  # int code, -1 for none
    r_ward: np.ndarray  # int code, -1 for none
    r_wardpoint: np.ndarray  # location from ward point
    r_offense: list[str]
    r_skills: list[frozenset[str]]
    r_offense_code: np.ndarray  # index into domain.OFFENSES
    sectors: dict[str, int]  # folded sector/skill word -> code
    r_skill_keys: np.ndarray  # sorted returnee * len(sectors) + skill code
    r_wants_job: np.ndarray
    r_wants_training: np.ndarray
    r_max_commute: np.ndarray  # inf when not given
    r_away: np.ndarray
    r_release: np.ndarray  # days since epoch
    m_ids: list[str]
    m_lat: np.ndarray
    m_lon: np.ndarray
    m_female: np.ndarray
    m_capacity: np.ndarray
    m_hours: np.ndarray  # inf when not given
    m_max_risk: np.ndarray
    m_max_km: np.ndarray
    m_active: np.ndarray
    m_ward: np.ndarray
    m_wardpoint: np.ndarray
    m_spec_drugs: np.ndarray
    m_spec_women: np.ndarray
    m_spec_youth: np.ndarray
    ward_names: list[str] = field(default_factory=list)

    @property
    def n_returnees(self) -> int:
        return len(self.r_ids)

    @property
    def n_mentors(self) -> int:
        return len(self.m_ids)


def _codes(values: list, table: dict) -> np.ndarray:
    out = np.empty(len(values), dtype=np.int64)
    for i, v in enumerate(values):
        out[i] = -1 if v is None else table.setdefault(v, len(table))
    return out


def people_arrays(roster: Roster) -> People:
    s = roster.settings
    rs, ms = roster.returnees, roster.mentors
    wards: dict[str, int] = {}
    groups: dict[str, int] = {}
    epoch = np.datetime64("1970-01-01")
    sectors: dict[str, int] = {}
    for r in rs:
        for k in sorted(r.skills):
            sectors.setdefault(k, len(sectors))
    for o in (*roster.jobs, *roster.trainings):
        sectors.setdefault(fold(o.sector), len(sectors))
    width = max(1, len(sectors))
    skill_keys = np.array(sorted(i * width + sectors[k] for i, r in enumerate(rs)
                                 for k in r.skills), dtype=np.int64)
    return People(
        r_ids=[r.id for r in rs],
        r_lat=np.array([r.location.lat for r in rs], dtype=float),
        r_lon=np.array([r.location.lon for r in rs], dtype=float),
        r_female=np.array([r.gender == "F" for r in rs], dtype=bool),
        r_risk=np.array([r.risk for r in rs], dtype=np.int64),
        r_age=np.array([r.age(s.plan_date) for r in rs], dtype=np.int64),
        r_group=_codes([r.group for r in rs], groups),
        r_ward=_codes([r.location.ward for r in rs], wards),
        r_wardpoint=np.array([r.location.from_ward_point for r in rs], dtype=bool),
        r_offense=[r.offense for r in rs],
        r_skills=[r.skills for r in rs],
        r_offense_code=np.array([OFFENSES.index(r.offense) for r in rs], dtype=np.int64),
        sectors=sectors,
        r_skill_keys=skill_keys,
        r_wants_job=np.array([r.wants_job for r in rs], dtype=bool),
        r_wants_training=np.array([r.wants_training for r in rs], dtype=bool),
        r_max_commute=np.array([np.inf if r.max_commute_km is None else r.max_commute_km
                                for r in rs], dtype=float),
        r_away=np.array([r.work_away_from_home for r in rs], dtype=bool),
        r_release=np.array([(np.datetime64(r.release_date) - epoch).astype(int) for r in rs],
                           dtype=np.int64),
        m_ids=[m.id for m in ms],
        m_lat=np.array([m.location.lat for m in ms], dtype=float),
        m_lon=np.array([m.location.lon for m in ms], dtype=float),
        m_female=np.array([m.gender == "F" for m in ms], dtype=bool),
        m_capacity=np.array([m.capacity if m.active else 0 for m in ms], dtype=np.int64),
        m_hours=np.array([np.inf if m.hours_per_month is None else m.hours_per_month
                          for m in ms], dtype=float),
        m_max_risk=np.array([m.max_risk for m in ms], dtype=np.int64),
        m_max_km=np.array([s.mentor_max_km if m.max_km is None else min(m.max_km,
                                                                          s.mentor_max_km)
                           for m in ms], dtype=float),
        m_active=np.array([m.active for m in ms], dtype=bool),
        m_ward=_codes([m.location.ward for m in ms], wards),
        m_wardpoint=np.array([m.location.from_ward_point for m in ms], dtype=bool),
        m_spec_drugs=np.array(["drugs" in m.specialties for m in ms], dtype=bool),
        m_spec_women=np.array(["women" in m.specialties for m in ms], dtype=bool),
        m_spec_youth=np.array(["youth" in m.specialties for m in ms], dtype=bool),
        ward_names=list(wards),
    )


# --- mentor rules: each returns a mask over candidate pairs (True = allowed) -------------

def rule_distance(p: People, r: np.ndarray, m: np.ndarray, km: np.ndarray) -> np.ndarray:
    """Rule 3: distance <= min(mentor_max_km, the mentor's own max_km)."""
    return km <= p.m_max_km[m] + 1e-9


def rule_gender(p: People, r: np.ndarray, m: np.ndarray, gender_rule: str) -> np.ndarray:
    """Rule 4: women_to_women (default), same_gender or none."""
    if gender_rule == "none":
        return np.ones(len(r), dtype=bool)
    if gender_rule == "same_gender":
        return p.r_female[r] == p.m_female[m]
    return ~p.r_female[r] | p.m_female[m]


def rule_risk(p: People, r: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Rule 5: returnee risk <= mentor max_risk."""
    return p.r_risk[r] <= p.m_max_risk[m]


def rule_active(p: People, r: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Rule 1: inactive mentors and mentors with capacity 0 take nobody."""
    return p.m_active[m] & (p.m_capacity[m] > 0)


def pair_hours(settings: Settings, risk: np.ndarray, km: np.ndarray,
               travel_min: np.ndarray | None = None) -> np.ndarray:
    """Rule 2: monthly hours of a pair = visits/month x (visit + 2 x travel minutes) / 60."""
    if travel_min is None:
        travel_min = km / settings.travel_speed_kmh * 60.0
    visits = np.choose(risk - 1, [settings.visits_per_month(1), settings.visits_per_month(2),
                                  settings.visits_per_month(3)])
    return visits * (settings.visit_minutes + 2.0 * travel_min) / 60.0


@dataclass
class MentorArcs:
    """Feasible returnee-mentor pairs (after every pair-level hard rule)."""

    r: np.ndarray
    m: np.ndarray
    km: np.ndarray
    hours: np.ndarray
    specialty: np.ndarray  # number of specialty fits (0..3)
    same_ward: np.ndarray  # bool
    affinity: np.ndarray  # Pairs affinity points
    approx: np.ndarray  # distance rests on a ward point
    prev: np.ndarray | None = None  # rerun: the pair was in the previous plan (tier M3)

    def __post_init__(self) -> None:
        if self.prev is None:
            self.prev = np.zeros(len(self.r), dtype=bool)

    def __len__(self) -> int:
        return len(self.r)

    def take(self, mask: np.ndarray) -> MentorArcs:
        return MentorArcs(*(getattr(self, f)[mask] for f in self.__dataclass_fields__))

    def score(self, s: Settings) -> np.ndarray:
        """M4 points of each pair (spreading is a mentor-level term, added by the solver)."""
        return (s.weight_specialty * self.specialty + s.weight_same_ward * self.same_ward
                + s.weight_affinity * self.affinity).astype(np.int64)


def specialty_fits(p: People, r: np.ndarray, m: np.ndarray) -> np.ndarray:
    drugs = p.r_offense_code[r] == OFFENSES.index("drugs")
    return ((drugs & p.m_spec_drugs[m]).astype(np.int64)
            + (p.r_female[r] & p.m_spec_women[m])
            + ((p.r_age[r] < 25) & p.m_spec_youth[m]))


def pair_overrides(roster: Roster, p: People) -> dict[tuple[int, int], object]:
    """Pairs-sheet rows for mentors keyed by (returnee index, mentor index)."""
    ri = {rid: i for i, rid in enumerate(p.r_ids)}
    mi = {mid: i for i, mid in enumerate(p.m_ids)}
    out = {}
    for row in roster.pairs:
        if row.mentor_id is not None and row.returnee_id in ri and row.mentor_id in mi:
            key = (ri[row.returnee_id], mi[row.mentor_id])
            out.setdefault(key, []).append(row)
    return out


def mentor_arcs(roster: Roster, p: People, *, index: PointIndex | None = None) -> MentorArcs:
    """Every feasible pair: within range (spatial index) and allowed by rules 1, 3, 4, 5
    and Pairs forbid rows. Capacity, hours, groups and require rows are solver-level."""
    s = roster.settings
    index = index or PointIndex(p.m_lat, p.m_lon)
    r, m, km = index.pairs_within(p.r_lat, p.r_lon, s.mentor_max_km)
    keep = (rule_distance(p, r, m, km) & rule_gender(p, r, m, s.gender_rule)
            & rule_risk(p, r, m) & rule_active(p, r, m))
    r, m, km = r[keep], m[keep], km[keep]
    overrides = pair_overrides(roster, p)
    travel_min = km / s.travel_speed_kmh * 60.0
    hours = pair_hours(s, p.r_risk[r], km, travel_min)
    affinity = np.zeros(len(r), dtype=np.int64)
    forbidden = np.zeros(len(r), dtype=bool)
    if overrides:
        width = np.int64(max(1, p.n_mentors))
        keys = r.astype(np.int64) * width + m
        wanted = np.array(sorted(a * int(width) + b for a, b in overrides), dtype=np.int64)
        hit = np.flatnonzero(np.isin(keys, wanted))
        pos = {(int(r[k]), int(m[k])): int(k) for k in hit}
        for key, rows in overrides.items():
            k = pos.get(key)
            if k is None:
                continue
            for row in rows:
                if row.rule == "forbid":
                    forbidden[k] = True
                affinity[k] += row.affinity
                if row.travel_minutes is not None:
                    hours[k] = pair_hours(s, p.r_risk[r[k:k + 1]], km[k:k + 1],
                                          np.array([row.travel_minutes]))[0]
                if row.visit_hours_per_month is not None:
                    hours[k] = row.visit_hours_per_month
    same_ward = (p.r_ward[r] >= 0) & (p.r_ward[r] == p.m_ward[m])
    approx = same_ward & (p.r_wardpoint[r] | p.m_wardpoint[m])
    arcs = MentorArcs(r=r, m=m, km=km, hours=hours, specialty=specialty_fits(p, r, m),
                      same_ward=same_ward, affinity=affinity, approx=approx)
    return arcs.take(~forbidden)


# --- jobs and training ---------------------------------------------------------------------

@dataclass
class PlacementArcs:
    """Feasible returnee-opening pairs; ``o`` indexes jobs, or trainings."""

    r: np.ndarray
    o: np.ndarray
    km: np.ndarray
    skill: np.ndarray  # sector among the returnee's skills
    away: np.ndarray  # returnee wants work away from home and the opening is in another ward
    affinity: np.ndarray
    prev: np.ndarray | None = None  # rerun: the placement was in the previous plan (tier J3)

    def __post_init__(self) -> None:
        if self.prev is None:
            self.prev = np.zeros(len(self.r), dtype=bool)

    def __len__(self) -> int:
        return len(self.r)

    def take(self, mask: np.ndarray) -> PlacementArcs:
        return PlacementArcs(*(getattr(self, f)[mask] for f in self.__dataclass_fields__))

    def score(self, s: Settings) -> np.ndarray:
        return (s.weight_job_skill * self.skill + s.weight_job_away * self.away
                + s.weight_affinity * self.affinity).astype(np.int64)


def has_skill(p: People, r: np.ndarray, sector_code: np.ndarray) -> np.ndarray:
    """Is the opening's sector among each returnee's skills (vectorised set lookup)?"""
    if len(p.r_skill_keys) == 0 or len(r) == 0:
        return np.zeros(len(r), dtype=bool)
    keys = r.astype(np.int64) * max(1, len(p.sectors)) + sector_code
    idx = np.clip(np.searchsorted(p.r_skill_keys, keys), 0, len(p.r_skill_keys) - 1)
    return p.r_skill_keys[idx] == keys


def job_arcs(roster: Roster, p: People) -> PlacementArcs:
    """Rules 9-11 and 13 for jobs (commute, skills or entry level, excluded offenses, ages,
    wants_job) and Pairs forbid rows; slots and employer groups are solver-level."""
    s = roster.settings
    jobs = roster.jobs
    if not jobs:
        e = np.zeros(0, dtype=np.int64)
        return PlacementArcs(e, e, np.zeros(0), e.astype(bool), e.astype(bool), e)
    jlat = np.array([j.location.lat for j in jobs])
    jlon = np.array([j.location.lon for j in jobs])
    seekers = np.flatnonzero(p.r_wants_job)
    index = PointIndex(jlat, jlon)
    qi, o, km = index.pairs_within(p.r_lat[seekers], p.r_lon[seekers], s.job_max_km)
    r = seekers[qi]
    keep = km <= np.minimum(s.job_max_km, p.r_max_commute[r]) + 1e-9
    sector = np.array([p.sectors[fold(j.sector)] for j in jobs], dtype=np.int64)
    entry = np.array([j.entry_level for j in jobs], dtype=bool)
    skill = has_skill(p, r, sector[o])
    keep &= skill | entry[o]
    excluded = np.array([sum(1 << OFFENSES.index(x) for x in j.excluded_offenses)
                         for j in jobs], dtype=np.int64)
    keep &= ((excluded[o] >> p.r_offense_code[r]) & 1) == 0
    min_age = np.array([-1 if j.min_age is None else j.min_age for j in jobs])
    max_age = np.array([999 if j.max_age is None else j.max_age for j in jobs])
    keep &= (p.r_age[r] >= min_age[o]) & (p.r_age[r] <= max_age[o])
    keep &= np.array([j.slots > 0 for j in jobs], dtype=bool)[o]
    r, o, km, skill = r[keep], o[keep], km[keep], skill[keep]
    ward_code = {name: i for i, name in enumerate(p.ward_names)}
    j_ward = np.array([ward_code.get(j.location.ward, -2) for j in jobs], dtype=np.int64)
    other_ward = (p.r_ward[r] < 0) | (p.r_ward[r] != j_ward[o])
    away = p.r_away[r] & other_ward
    forbidden, affinity = _placement_pair_rows(roster, p, r, o, "job", jobs)
    return PlacementArcs(r, o, km, skill, away, affinity).take(~forbidden)


def _placement_pair_rows(roster: Roster, p: People, r: np.ndarray, o: np.ndarray, kind: str,
                         items) -> tuple[np.ndarray, np.ndarray]:
    """Pairs rows of ``kind`` ("job" or "training") over placement pairs: which pairs are
    forbidden, and each pair's affinity points."""
    affinity = np.zeros(len(r), dtype=np.int64)
    forbidden = np.zeros(len(r), dtype=bool)
    rules: dict[tuple[int, int], list] = {}
    ri = {rid: i for i, rid in enumerate(p.r_ids)}
    oi = {x.id: k for k, x in enumerate(items)}
    for row in roster.pairs:
        if row.kind == kind and row.returnee_id in ri and row.target in oi:
            rules.setdefault((ri[row.returnee_id], oi[row.target]), []).append(row)
    if rules:
        width = max(1, len(items))
        keys = r.astype(np.int64) * width + o
        wanted = np.array(sorted(a * width + b for a, b in rules), dtype=np.int64)
        for k in np.flatnonzero(np.isin(keys, wanted)).tolist():
            for row in rules[(int(r[k]), int(o[k]))]:
                forbidden[k] |= row.rule == "forbid"
                affinity[k] += row.affinity
    return forbidden, affinity


def training_arcs(roster: Roster, p: People) -> PlacementArcs:
    """Rules 9 and 13 for training: distance, wants_training, and no course that starts
    before the release date; Pairs forbid rows."""
    s = roster.settings
    courses = roster.trainings
    if not courses:
        e = np.zeros(0, dtype=np.int64)
        return PlacementArcs(e, e, np.zeros(0), e.astype(bool), e.astype(bool), e)
    tlat = np.array([t.location.lat for t in courses])
    tlon = np.array([t.location.lon for t in courses])
    seekers = np.flatnonzero(p.r_wants_training)
    qi, o, km = PointIndex(tlat, tlon).pairs_within(p.r_lat[seekers], p.r_lon[seekers],
                                                    s.training_max_km)
    r = seekers[qi]
    epoch = np.datetime64("1970-01-01")
    start = np.array([10**9 if t.start_date is None else
                      (np.datetime64(t.start_date) - epoch).astype(int) for t in courses])
    keep = start[o] >= p.r_release[r]
    keep &= np.array([t.seats > 0 for t in courses], dtype=bool)[o]
    r, o, km = r[keep], o[keep], km[keep]
    sector = np.array([p.sectors[fold(t.sector)] for t in courses], dtype=np.int64)
    skill = has_skill(p, r, sector[o])
    forbidden, affinity = _placement_pair_rows(roster, p, r, o, "training", courses)
    return PlacementArcs(r, o, km, skill, np.zeros(len(r), dtype=bool),
                         affinity).take(~forbidden)
