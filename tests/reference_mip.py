"""An independent reference for every tier M1-M5 and J1-J5 (M3/J3 on reruns).

Written from SPEC sections 2-3 (and the rerun and require-row conventions of section 5 and
rule 7) with plain Python and one MIP per tier (HiGHS through ``scipy.optimize.milp``). It
uses only the roster objects of ``matcher.domain`` and ``matcher.text.fold``: its distances,
rules, hours, scores, require rows and rerun handling are its own code, so that agreeing
with the planner means something.

Model (rosters are small, so every pair is enumerated and filtered here):

* mentors: x[r, m] binary for every pair allowed by the pair-level rules (1 active, 3
  distance, 4 gender, 5 risk, 7 forbid); per mentor y[m, k] (k = 0..cap-1) counts its k-th
  mentee for the spreading term, whose penalty k * weight_spread sums to n(n-1)/2;
  at most one mentor per returnee, capacity, monthly hours, one mentor per co-offender
  group, fixed pairs (confirmed on a rerun, honoured require rows) as x = 1;
* placements: y[r, j] and z[r, t] binary for every pair allowed by rules 9, 10, 11, 13 and
  forbid rows; one placement per returnee, slots, seats, one employer per co-offender
  group (employers compared folded), fixed pairs (hired, honoured require rows).

Tiers are solved one after another, each optimum fixed as a constraint for the next:
max M1, max M2, max M3' (kept previous pairs; reported as changed = previous - kept),
max M4, min M5 (10 m units per pair); max J1, J2, J3', J4, min J5.

``off`` switches rules off (for the test that each side rule binds): "capacity", "hours",
"mentor_groups", "employer_groups", "mentor_require", "mentor_forbid", "job_require",
"job_forbid", "training_require", "training_forbid", "mentor_affinity", "job_affinity",
"training_affinity", "slots", "seats", "confirmed", "hired".
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_matrix

from matcher.domain import Roster
from matcher.text import fold as _fold

fold = lru_cache(maxsize=None)(_fold)  # employer names, sectors and skills, accent-folded
EARTH_R_KM = 6371.0088  # mean Earth radius (IUGG), the one the product documents
UNITS_PER_KM = 100  # M5/J5: 10 m units, rounded per pair
RULES = ("capacity", "hours", "mentor_groups", "employer_groups", "mentor_require",
         "mentor_forbid", "job_require", "job_forbid", "training_require", "training_forbid",
         "mentor_affinity", "job_affinity", "training_affinity", "slots", "seats",
         "confirmed", "hired")


def km_between(a, b) -> float:
    """Great-circle distance (haversine) between two located objects, in km."""
    la1, lo1 = math.radians(a.location.lat), math.radians(a.location.lon)
    la2, lo2 = math.radians(b.location.lat), math.radians(b.location.lon)
    h = (math.sin((la2 - la1) / 2) ** 2
         + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2)
    return 2 * EARTH_R_KM * math.asin(math.sqrt(min(1.0, max(0.0, h))))


@dataclass
class Reference:
    tiers: dict[str, float]
    mentor_of: dict[str, str] = field(default_factory=dict)
    placement_of: dict[str, str] = field(default_factory=dict)  # returnee -> job/course id
    honoured: list = field(default_factory=list)  # require rows honoured (PairRule objects)
    unmet: list = field(default_factory=list)  # require rows not honoured
    fixed_mentor: dict[str, str] = field(default_factory=dict)  # confirmed pairs kept
    fixed_job: dict[str, str] = field(default_factory=dict)  # hired placements kept
    better: dict[str, bool] = field(default_factory=dict)  # see solve_reference(known=...)


# ------------------------------------------------------------------------------ MIP helper

class LexMIP:
    """Binary variables, linear constraints, tiers solved and fixed one at a time."""

    def __init__(self, n_vars: int):
        self.n = n_vars
        self.rows: list[tuple[dict[int, float], float, float]] = []
        self.lb = np.zeros(n_vars)
        self.ub = np.ones(n_vars)

    def add(self, coefs: dict[int, float], lo: float = -np.inf, hi: float = np.inf) -> None:
        if coefs:
            self.rows.append((coefs, lo, hi))

    def new_var(self) -> int:
        self.lb = np.append(self.lb, 0.0)
        self.ub = np.append(self.ub, 1.0)
        self.n += 1
        return self.n - 1

    def better_exists(self, tiers: list[tuple[str, dict[int, float], bool]],
                      base: list[float]) -> bool:
        """Is there a solution lexicographically better than the tier values ``base``? One
        feasibility MIP: d_k = 1 picks the first tier that improves (by at least 1, the
        values being integers); every tier before it is at least as good."""
        ds = [self.new_var() for _ in tiers]
        self.add(dict.fromkeys(ds, 1), lo=1, hi=1)
        for k, (_name, coefs, maximise) in enumerate(tiers):
            sign = 1 if maximise else -1
            row = {i: sign * c for i, c in coefs.items()}
            low = sum(min(0.0, c) for c in row.values())  # least value of sign * tier
            b = sign * base[k]
            row[ds[k]] = -(b + 1 - low)
            for d in ds[k + 1:]:
                row[d] = -(b - low)
            self.add(row, lo=low)
        return self._run(np.zeros(self.n)) is not None

    def _run(self, c: np.ndarray) -> np.ndarray | None:
        """Optimal solution of min c x, or None when infeasible."""
        cons = []
        if self.rows:
            ri, ci, vals = [], [], []
            lo, hi = [], []
            for k, (row, a, b) in enumerate(self.rows):
                for i, v in row.items():
                    ri.append(k)
                    ci.append(i)
                    vals.append(v)
                lo.append(a)
                hi.append(b)
            mat = coo_matrix((vals, (ri, ci)), shape=(len(self.rows), self.n)).tocsr()
            cons.append(LinearConstraint(mat, np.array(lo), np.array(hi)))
        res = milp(c, constraints=cons, integrality=np.ones(self.n),
                   bounds=Bounds(self.lb, self.ub),
                   options={"disp": False, "mip_rel_gap": 0.0, "time_limit": 120.0})
        if res.status == 2:
            return None
        if res.status != 0 or res.x is None:
            raise RuntimeError(f"reference MIP not solved to optimality: {res.message}")
        return np.round(res.x)

    def optimise(self, coefs: dict[int, float], maximise: bool) -> tuple[float, np.ndarray]:
        c = np.zeros(self.n)
        for i, v in coefs.items():
            c[i] += -v if maximise else v
        if self.n == 0:
            return 0.0, np.zeros(0)
        x = self._run(c)
        if x is None:
            raise RuntimeError("reference MIP infeasible (fixed pairs clash?)")
        value = float(sum(v * x[i] for i, v in coefs.items()))
        return round(value), x

    def lex(self, tiers: list[tuple[str, dict[int, float], bool]],
            stop=None, given=None) -> tuple[dict[str, float], np.ndarray]:
        """Optimum of each tier in turn; ``stop(name, value)`` true ends the loop early;
        ``given(name)``: a tier's optimum known beforehand (fixed without solving)."""
        out: dict[str, float] = {}
        x = np.zeros(self.n)
        for name, coefs, maximise in tiers:
            value = None if given is None else given(name)
            if value is None:
                value, x = self.optimise(coefs, maximise)
            out[name] = value
            if stop is not None and stop(name, value):
                break
            # integer coefficients: the tier's optimum, fixed with half a unit of slack
            if maximise:
                self.add(coefs, lo=value - 0.5)
            else:
                self.add(coefs, hi=value + 0.5)
        return out, x


# ------------------------------------------------------------------------------ the rules

class Rules:
    """The hard rules and scores of SPEC sections 2-3 on one roster."""

    def __init__(self, roster: Roster, off: frozenset[str] = frozenset()):
        self.roster = roster
        self.s = roster.settings
        self.off = off
        self.pair_rows: dict[tuple[str, str, str], list] = defaultdict(list)
        for row in roster.pairs:
            self.pair_rows[(row.kind, row.returnee_id, row.target)].append(row)

    def on(self, rule: str) -> bool:
        return rule not in self.off

    def rows(self, kind: str, r, o) -> list:
        return self.pair_rows.get((kind, r.id, o.id), [])

    def forbidden(self, kind: str, r, o) -> bool:
        return self.on(f"{kind}_forbid") and any(x.rule == "forbid"
                                                 for x in self.rows(kind, r, o))

    def affinity(self, kind: str, r, o) -> int:
        if not self.on(f"{kind}_affinity"):
            return 0
        return sum(x.affinity for x in self.rows(kind, r, o))

    def age(self, r) -> int:
        return self.s.plan_date.year - r.birth_year

    # mentors
    def capacity(self, m) -> int:
        if not m.active:
            return 0
        return m.capacity if self.on("capacity") else len(self.roster.returnees)

    def budget(self, m) -> float:
        if m.hours_per_month is None or not self.on("hours"):
            return math.inf
        return m.hours_per_month

    def mentor_pair_ok(self, r, m) -> bool:
        """Rules 1 (active, some capacity), 3, 4, 5 and 7 (forbid) for one pair."""
        s = self.s
        if not m.active or self.capacity(m) <= 0:
            return False
        limit = s.mentor_max_km if m.max_km is None else min(s.mentor_max_km, m.max_km)
        if km_between(r, m) > limit + 1e-9:
            return False
        if s.gender_rule == "women_to_women" and r.gender == "F" and m.gender != "F":
            return False
        if s.gender_rule == "same_gender" and r.gender != m.gender:
            return False
        if r.risk > m.max_risk:
            return False
        return not self.forbidden("mentor", r, m)

    def hours(self, r, m) -> float:
        s = self.s
        cadence = {3: s.cadence_high_days, 2: s.cadence_medium_days, 1: s.cadence_low_days}
        visits = 30.0 / cadence[r.risk]
        travel = km_between(r, m) / s.travel_speed_kmh * 60.0
        override = None
        for row in self.rows("mentor", r, m):
            if row.travel_minutes is not None:
                travel = row.travel_minutes
            if row.visit_hours_per_month is not None:
                override = row.visit_hours_per_month
        if override is not None:
            return override
        return visits * (s.visit_minutes + 2.0 * travel) / 60.0

    def mentor_score(self, r, m) -> int:
        s = self.s
        fits = (int(r.offense == "drugs" and "drugs" in m.specialties)
                + int(r.gender == "F" and "women" in m.specialties)
                + int(self.age(r) < 25 and "youth" in m.specialties))
        same = int(r.location.ward is not None and r.location.ward == m.location.ward)
        return (s.weight_specialty * fits + s.weight_same_ward * same
                + s.weight_affinity * self.affinity("mentor", r, m))

    # jobs and training
    def slots(self, j) -> int:
        return j.slots if self.on("slots") else (len(self.roster.returnees) if j.slots > 0
                                                 else 0)

    def seats(self, t) -> int:
        return t.seats if self.on("seats") else (len(self.roster.returnees) if t.seats > 0
                                                 else 0)

    def job_pair_ok(self, r, j) -> bool:
        """Rules 9, 10, 11, 13 and 7 (forbid) for one job pair (and some slot)."""
        s = self.s
        if not r.wants_job or self.slots(j) <= 0:
            return False
        limit = s.job_max_km if r.max_commute_km is None else min(s.job_max_km,
                                                                   r.max_commute_km)
        if km_between(r, j) > limit + 1e-9:
            return False
        if not j.entry_level and fold(j.sector) not in {fold(k) for k in r.skills}:
            return False
        if r.offense in j.excluded_offenses:
            return False
        age = self.age(r)
        if (j.min_age is not None and age < j.min_age) or (j.max_age is not None
                                                            and age > j.max_age):
            return False
        return not self.forbidden("job", r, j)

    def training_pair_ok(self, r, t) -> bool:
        """Rules 9, 13 and 7 (forbid) for one course pair (and some seat)."""
        if not r.wants_training or self.seats(t) <= 0:
            return False
        if km_between(r, t) > self.s.training_max_km + 1e-9:
            return False
        if t.start_date is not None and t.start_date < r.release_date:
            return False
        return not self.forbidden("training", r, t)

    def placement_score(self, r, o, kind: str) -> int:
        s = self.s
        skill = int(fold(o.sector) in {fold(k) for k in r.skills})
        away = 0
        if kind == "job":
            away = int(r.work_away_from_home and (r.location.ward is None
                                                 or r.location.ward != o.location.ward))
        return (s.weight_job_skill * skill + s.weight_job_away * away
                + s.weight_affinity * self.affinity(kind, r, o))


def units(km: float) -> int:
    return round(km * UNITS_PER_KM)


# ----------------------------------------------------------------------------- previous

def previous_rows(previous) -> list:
    """The previous plan's rows (objects with returnee_id, mentor_id, job_id, training_id,
    confirmed, hired), in the plan's order."""
    if previous is None:
        return []
    if hasattr(previous, "assignments"):
        return list(previous.assignments)
    if hasattr(previous, "rows"):
        return list(previous.rows.values())
    return list(previous)


def _confirmed(row, previous, settings) -> bool:
    if getattr(row, "confirmed", False):
        return True
    days = settings.confirm_after_days
    prev_date = getattr(previous, "plan_date", None)
    return bool(days and prev_date and (settings.plan_date - prev_date).days >= days)


# ----------------------------------------------------------------------------- the solve

MENTOR_RULES = ("capacity", "hours", "mentor_groups", "mentor_require", "mentor_forbid",
                "mentor_affinity", "confirmed")


def solve_reference(roster: Roster, previous=None, off=frozenset(),
                    sides: tuple[str, ...] = ("mentors", "placements"),
                    against: dict[str, float] | None = None,
                    known: tuple[str, ...] = ()) -> Reference:
    """Lexicographic optimum of every tier (M3/J3 only when ``previous`` is given).
    ``against``: tier values to compare with; each side stops at its first tier that
    differs (enough to tell that a rule binds). ``known``: tiers whose optimum is known to
    be the one in ``against`` (e.g. the tiers above the one whose objective changed); or
    "relaxation": ``against`` are the optimum of a problem with the same objectives and
    fewer plans, and one MIP only tells (``better``) whether this one does better."""
    rules = Rules(roster, frozenset(off))
    ref = Reference({})
    stop = None
    if against is not None:
        def stop(name: str, value: float) -> bool:
            return name not in against or abs(value - against[name]) > 1e-6
    if "mentors" in sides:
        _mentors(rules, previous, ref, stop, against, known)
    if "placements" in sides:
        _placements(rules, previous, ref, stop, against, known)
    return ref


def _reported(name: str, value: float, n_previous: int) -> float:
    """A tier value as the plan reports it: M3/J3 as changed pairs (previous - kept),
    M5/J5 in km."""
    if name in ("M3", "J3"):
        return n_previous - value
    if name in ("M5", "J5"):
        return value / UNITS_PER_KM
    return value


def _given(against, known, n_previous: int):
    """``lex``'s callback for the tiers known beforehand, in the MIP's own units."""
    if not known:
        return None

    def given(name: str) -> float | None:
        if name not in known:
            return None
        v = against[name]
        if name in ("M3", "J3"):
            return n_previous - v
        return round(v * UNITS_PER_KM) if name in ("M5", "J5") else v
    return given


def _solve_tiers(mip: LexMIP, tiers: list, n_prev: int, ref: Reference, side: str, stop,
                 against, known) -> np.ndarray | None:
    """Solve the tiers (filling ``ref.tiers``) and return the solution; with
    ``known == "relaxation"`` only tell (in ``ref.better[side]``) whether some plan beats
    ``against`` lexicographically."""
    if known == "relaxation":
        base = _given(against, tuple(name for name, _c, _m in tiers), n_prev)
        ref.better[side] = mip.better_exists(tiers, [base(name) for name, _c, _m in tiers])
        return None
    values, x = mip.lex(tiers, None if stop is None else
                        lambda name, v: stop(name, _reported(name, v, n_prev)),
                        _given(against, known, n_prev))
    ref.tiers.update({name: _reported(name, v, n_prev) for name, v in values.items()})
    return x


def _mentors(rules: Rules, previous, ref: Reference, stop=None, against=None,
             known=()) -> None:
    roster, s = rules.roster, rules.s
    rs, ms = roster.returnees, roster.mentors
    r_by_id = {r.id: r for r in rs}
    m_by_id = {m.id: m for m in ms}
    pairs = [(r, m) for r in rs for m in ms if rules.mentor_pair_ok(r, m)]
    ok = {(r.id, m.id) for r, m in pairs}
    load: dict[str, int] = defaultdict(int)
    used_hours: dict[str, float] = defaultdict(float)
    groups: dict[str, set] = defaultdict(set)
    fixed: dict[str, str] = {}

    def fits(r, m) -> bool:
        return (load[m.id] + 1 <= rules.capacity(m)
                and used_hours[m.id] + rules.hours(r, m) <= rules.budget(m) + 1e-9
                and not (rules.on("mentor_groups") and r.group and r.group in groups[m.id]))

    def take(r, m) -> None:
        fixed[r.id] = m.id
        load[m.id] += 1
        used_hours[m.id] += rules.hours(r, m)
        if r.group:
            groups[m.id].add(r.group)

    # rerun: confirmed pairs first (kept while every hard rule allows), the others count in M3
    prev_pairs: set[tuple[str, str]] = set()
    rerun = previous is not None
    for row in previous_rows(previous):
        if not row.mentor_id or row.returnee_id not in r_by_id or row.mentor_id not in m_by_id:
            continue
        key = (row.returnee_id, row.mentor_id)
        if key not in ok:
            continue  # a hard rule now forbids the pair: it ends and is not counted
        r, m = r_by_id[key[0]], m_by_id[key[1]]
        if rules.on("confirmed") and _confirmed(row, previous, s):
            if fits(r, m):
                take(r, m)
                ref.fixed_mentor[r.id] = m.id
        else:
            prev_pairs.add(key)
    # require rows in Pairs order
    if rules.on("mentor_require"):
        for row in roster.pairs:
            if row.rule != "require" or row.kind != "mentor":
                continue
            r, m = r_by_id.get(row.returnee_id), m_by_id.get(row.mentor_id)
            if (r is None or m is None or r.id in fixed or (r.id, m.id) not in ok
                    or not fits(r, m)):
                ref.unmet.append(row)
                continue
            take(r, m)
            ref.honoured.append(row)
    # the MIP
    index = {(r.id, m.id): i for i, (r, m) in enumerate(pairs)}
    n_x = len(pairs)
    spread_vars: dict[str, list[int]] = {}
    nxt = n_x
    for m in ms:
        cands = sum(1 for r, mm in pairs if mm is m)
        cap = min(rules.capacity(m), cands)
        spread_vars[m.id] = list(range(nxt, nxt + cap))
        nxt += cap
    mip = LexMIP(nxt)
    by_r: dict[str, dict[int, float]] = defaultdict(dict)
    by_m: dict[str, dict[int, float]] = defaultdict(dict)
    hours_m: dict[str, dict[int, float]] = defaultdict(dict)
    grp: dict[tuple[str, str], dict[int, float]] = defaultdict(dict)
    for (r, m), i in zip(pairs, range(n_x)):
        by_r[r.id][i] = 1
        by_m[m.id][i] = 1
        hours_m[m.id][i] = rules.hours(r, m)
        if r.group and rules.on("mentor_groups"):
            grp[(m.id, r.group)][i] = 1
    for coefs in by_r.values():
        mip.add(coefs, hi=1)
    for m in ms:
        # number of mentees = number of spreading counters switched on (<= capacity)
        row = dict(by_m.get(m.id, {}))
        for v in spread_vars[m.id]:
            row[v] = -1
        mip.add(row, lo=0, hi=0)
        for a, b in zip(spread_vars[m.id], spread_vars[m.id][1:]):
            mip.add({a: 1, b: -1}, lo=0)  # the k-th counter only after the (k-1)-th
        if math.isfinite(rules.budget(m)):
            # in 1/1000 h so that HiGHS's feasibility tolerance stays far below the rule's
            # own float slack (1e-9 h)
            mip.add({i: 1000 * h for i, h in hours_m.get(m.id, {}).items()},
                    hi=1000 * (rules.budget(m) + 1e-9))
    for coefs in grp.values():
        if len(coefs) > 1:
            mip.add(coefs, hi=1)
    for rid, mid in fixed.items():
        mip.lb[index[(rid, mid)]] = 1
    risk = {i: r.risk for (r, m), i in zip(pairs, range(n_x))}
    tiers = [("M1", {i: 1 for i in range(n_x)}, True), ("M2", risk, True)]
    if rerun:
        tiers.append(("M3", {index[k]: 1 for k in prev_pairs}, True))
    m4 = {i: rules.mentor_score(r, m) for (r, m), i in zip(pairs, range(n_x))}
    for m in ms:
        for k, v in enumerate(spread_vars[m.id]):
            m4[v] = -s.weight_spread * k
    tiers.append(("M4", {i: c for i, c in m4.items() if c}, True))
    tiers.append(("M5", {i: units(km_between(r, m)) for (r, m), i in zip(pairs, range(n_x))},
                  False))
    x = _solve_tiers(mip, tiers, len(prev_pairs), ref, "mentors", stop, against, known)
    if x is None:
        return
    ref.mentor_of = {r.id: m.id for (r, m), i in zip(pairs, range(n_x)) if x[i] > 0.5}


def _placements(rules: Rules, previous, ref: Reference, stop=None, against=None,
                known=()) -> None:
    roster = rules.roster
    rs, js, ts = roster.returnees, roster.jobs, roster.trainings
    r_by_id = {r.id: r for r in rs}
    j_by_id = {j.id: j for j in js}
    t_by_id = {t.id: t for t in ts}
    jpairs = [(r, j) for r in rs for j in js if rules.job_pair_ok(r, j)]
    tpairs = [(r, t) for r in rs for t in ts if rules.training_pair_ok(r, t)]
    jok = {(r.id, j.id) for r, j in jpairs}
    tok = {(r.id, t.id) for r, t in tpairs}
    used: dict[str, int] = defaultdict(int)
    emp_groups: dict[str, set] = defaultdict(set)
    placed: dict[str, tuple[str, str]] = {}

    def job_fits(r, j) -> bool:
        return (used[j.id] + 1 <= rules.slots(j)
                and not (rules.on("employer_groups") and r.group
                         and r.group in emp_groups[fold(j.employer)]))

    def take_job(r, j) -> None:
        placed[r.id] = ("job", j.id)
        used[j.id] += 1
        if r.group:
            emp_groups[fold(j.employer)].add(r.group)

    prev_j: set[tuple[str, str]] = set()
    prev_t: set[tuple[str, str]] = set()
    rerun = previous is not None
    for row in previous_rows(previous):
        r = r_by_id.get(row.returnee_id)
        if r is None:
            continue
        if row.job_id and row.job_id in j_by_id and (r.id, row.job_id) in jok:
            j = j_by_id[row.job_id]
            if getattr(row, "hired", False) and rules.on("hired"):
                # a hired placement is a fact: it stays while slots and rule 12 allow
                if r.id not in placed and job_fits(r, j):
                    take_job(r, j)
                    ref.fixed_job[r.id] = j.id
            else:
                prev_j.add((r.id, j.id))
        if row.training_id and row.training_id in t_by_id and (r.id, row.training_id) in tok:
            prev_t.add((r.id, row.training_id))
    for row in roster.pairs:
        if row.rule != "require" or row.kind == "mentor":
            continue
        if not rules.on(f"{row.kind}_require"):
            continue
        r = r_by_id.get(row.returnee_id)
        if r is None or r.id in placed:
            ref.unmet.append(row)
            continue
        if row.kind == "job":
            j = j_by_id.get(row.job_id)
            if j is None or (r.id, j.id) not in jok or not job_fits(r, j):
                ref.unmet.append(row)
                continue
            take_job(r, j)
        else:
            t = t_by_id.get(row.training_id)
            if t is None or (r.id, t.id) not in tok or used[t.id] + 1 > rules.seats(t):
                ref.unmet.append(row)
                continue
            placed[r.id] = ("training", t.id)
            used[t.id] += 1
        ref.honoured.append(row)
    nj = len(jpairs)
    n = nj + len(tpairs)
    mip = LexMIP(n)
    by_r: dict[str, dict[int, float]] = defaultdict(dict)
    by_j: dict[str, dict[int, float]] = defaultdict(dict)
    by_t: dict[str, dict[int, float]] = defaultdict(dict)
    by_eg: dict[tuple[str, str], dict[int, float]] = defaultdict(dict)
    jindex, tindex = {}, {}
    for i, (r, j) in enumerate(jpairs):
        jindex[(r.id, j.id)] = i
        by_r[r.id][i] = 1
        by_j[j.id][i] = 1
        if r.group and rules.on("employer_groups"):
            by_eg[(fold(j.employer), r.group)][i] = 1
    for i, (r, t) in enumerate(tpairs, start=nj):
        tindex[(r.id, t.id)] = i
        by_r[r.id][i] = 1
        by_t[t.id][i] = 1
    for coefs in by_r.values():
        mip.add(coefs, hi=1)
    for j in js:
        mip.add(by_j.get(j.id, {}), hi=rules.slots(j))
    for t in ts:
        mip.add(by_t.get(t.id, {}), hi=rules.seats(t))
    for coefs in by_eg.values():
        if len(coefs) > 1:
            mip.add(coefs, hi=1)
    for rid, (kind, oid) in placed.items():
        mip.lb[(jindex if kind == "job" else tindex)[(rid, oid)]] = 1
    tiers = [("J1", {i: 1 for i in range(nj)}, True),
             ("J2", {i: 1 for i in range(nj, n)}, True)]
    if rerun:
        kept = {jindex[k]: 1 for k in prev_j} | {tindex[k]: 1 for k in prev_t}
        tiers.append(("J3", kept, True))
    j4 = {i: rules.placement_score(r, j, "job") for i, (r, j) in enumerate(jpairs)}
    j4 |= {i: rules.placement_score(r, t, "training")
           for i, (r, t) in enumerate(tpairs, start=nj)}
    tiers.append(("J4", {i: c for i, c in j4.items() if c}, True))
    j5 = {i: units(km_between(r, j)) for i, (r, j) in enumerate(jpairs)}
    j5 |= {i: units(km_between(r, t)) for i, (r, t) in enumerate(tpairs, start=nj)}
    tiers.append(("J5", j5, False))
    x = _solve_tiers(mip, tiers, len(prev_j) + len(prev_t), ref, "placements", stop, against,
                     known)
    if x is None:
        return
    ref.placement_of = {r.id: o.id for i, (r, o) in enumerate(jpairs + tpairs) if x[i] > 0.5}
