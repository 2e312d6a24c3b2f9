"""The planner's tier values against formulations written separately here: brute force over
every possible plan on tiny random rosters, and a lexicographic MIP (SciPy/HiGHS) at ward
scale. Both evaluate plans only through the independent checker."""

from __future__ import annotations

import itertools
import random

import numpy as np
import pytest
from builders import course, job, mentor, pair, returnee, roster

from matcher.check import assert_plan_ok, check_plan, objective
from matcher.plan import Assignment, Plan
from matcher.solve import solve


def random_roster(seed: int):
    rnd = random.Random(seed)
    n, m = rnd.randint(2, 5), rnd.randint(1, 3)
    rs = []
    for i in range(n):
        rs.append(returnee(
            f"R{i}", rnd.uniform(0, 6), rnd.uniform(0, 3), gender=rnd.choice("MMMF"),
            risk=rnd.randint(1, 3), offense=rnd.choice(["drugs", "property", "fraud"]),
            birth_year=rnd.choice([1980, 2004]), ward=rnd.choice(["A", "B"]),
            group=rnd.choice([None, None, "G1", "G2"]),
            skills=frozenset(rnd.sample(["han", "may mac"], rnd.randint(0, 2))),
            wants_training=rnd.random() < 0.4, wants_job=rnd.random() < 0.8,
            work_away_from_home=rnd.random() < 0.3))
    ms = []
    for k in range(m):
        ms.append(mentor(
            f"M{k}", rnd.uniform(0, 6), rnd.uniform(0, 3), gender=rnd.choice("MF"),
            capacity=rnd.randint(1, 3), ward=rnd.choice(["A", "B"]),
            max_risk=rnd.choice([2, 3, 3]),
            hours_per_month=rnd.choice([None, None, 5.0, 9.0]),
            specialties=frozenset(rnd.sample(["drugs", "youth", "women"], rnd.randint(0, 2)))))
    js = [job(f"J{k}", rnd.uniform(0, 20), rnd.uniform(0, 3), employer=rnd.choice("XY"),
              sector=rnd.choice(["han", "may mac"]), slots=rnd.randint(1, 2),
              entry_level=rnd.random() < 0.4, ward=rnd.choice(["A", "B"]),
              excluded_offenses=frozenset(rnd.sample(["fraud", "drugs"], rnd.randint(0, 1))))
          for k in range(rnd.randint(0, 2))]
    ts = [course("T0", rnd.uniform(0, 25), 0, seats=1)] if rnd.random() < 0.6 else []
    prs = []
    if rnd.random() < 0.5:
        prs.append(pair(rs[0].id, ms[0].id, affinity=rnd.randint(1, 4), row=2))
    if rnd.random() < 0.3 and n > 1:
        prs.append(pair(rs[1].id, ms[-1].id, rule="forbid", row=3))
    return roster(rs, ms, js, ts, prs, weight_spread=rnd.choice([0, 1, 2]))


def lex_key(values: dict, names: tuple[str, ...], minimise: tuple[str, ...]) -> tuple:
    return tuple(-values[n] if n in minimise else values[n] for n in names)


def brute_force(ro):
    """Best lexicographic values over every plan the checker accepts."""
    ids = [r.id for r in ro.returnees]
    best_m = best_j = None
    for combo in itertools.product([None] + [m.id for m in ro.mentors], repeat=len(ids)):
        plan = Plan(ro.settings.plan_date, {}, {},
                    [Assignment(r, mentor_id=c) for r, c in zip(ids, combo)])
        if check_plan(ro, plan):
            continue
        key = lex_key(objective(ro, plan), ("M1", "M2", "M4", "M5"), ("M5",))
        best_m = key if best_m is None or key > best_m else best_m
    options = [(None, None)] + [(j.id, None) for j in ro.jobs] + [(None, t.id)
                                                                  for t in ro.trainings]
    for combo in itertools.product(options, repeat=len(ids)):
        plan = Plan(ro.settings.plan_date, {}, {},
                    [Assignment(r, job_id=c[0], training_id=c[1]) for r, c in zip(ids, combo)])
        if check_plan(ro, plan):
            continue
        key = lex_key(objective(ro, plan), ("J1", "J2", "J4", "J5"), ("J5",))
        best_j = key if best_j is None or key > best_j else best_j
    return best_m, best_j


@pytest.mark.parametrize("seed", range(40))
def test_tiers_equal_brute_force(seed):
    """Every tier value (M1, M2, M4, M5, J1, J2, J4, J5) equals the brute-force optimum and
    is stated as proved."""
    ro = random_roster(seed)
    plan = solve(ro, schedule=False)
    assert_plan_ok(ro, plan)
    best_m, best_j = brute_force(ro)
    got = {k: t.value for k, t in plan.tiers.items()}
    assert lex_key(got, ("M1", "M2", "M4", "M5"), ("M5",)) == pytest.approx(best_m, abs=0.011)
    assert lex_key(got, ("J1", "J2", "J4", "J5"), ("J5",)) == pytest.approx(best_j, abs=0.011)
    for name in ("M1", "M2", "J1", "J2"):
        assert plan.tiers[name].optimal and plan.tiers[name].bound == plan.tiers[name].value


def mip_tiers(ro) -> dict[str, float]:
    """M1, M2 and J1, J2 by a lexicographic 0-1 MIP (HiGHS through SciPy) over every pair
    the checker accepts on its own, with capacity, hours and group rows written here."""
    from scipy.optimize import Bounds, LinearConstraint, milp

    from matcher.check import monthly_hours

    def feasible(assign: Assignment) -> bool:
        plan = Plan(ro.settings.plan_date, {}, {}, [assign] + [
            Assignment(r.id) for r in ro.returnees if r.id != assign.returnee_id])
        return not [b for b in check_plan(ro, plan) if not b.startswith("rule 7: required")]

    out = {}
    # mentors
    pairs = [(i, k) for i, r in enumerate(ro.returnees) for k, m in enumerate(ro.mentors)
             if feasible(Assignment(r.id, mentor_id=m.id))]
    rows, ub = [], []
    for i in range(len(ro.returnees)):
        rows.append([1 if p[0] == i else 0 for p in pairs])
        ub.append(1)
    for k, m in enumerate(ro.mentors):
        rows.append([1 if p[1] == k else 0 for p in pairs])
        ub.append(m.capacity)
        if m.hours_per_month is not None:
            rows.append([monthly_hours(ro, ro.returnees[p[0]], m) if p[1] == k else 0
                         for p in pairs])
            ub.append(m.hours_per_month)
        for g in {r.group for r in ro.returnees if r.group}:
            rows.append([1 if p[1] == k and ro.returnees[p[0]].group == g else 0 for p in pairs])
            ub.append(1)
    A = np.array(rows, dtype=float)
    cons = [LinearConstraint(A, -np.inf, np.array(ub, dtype=float))]
    ids = [(ro.returnees[i].id, ro.mentors[k].id) for i, k in pairs]
    for row in ro.pairs:  # required pairs are hard constraints too
        if row.rule == "require" and row.mentor_id and (row.returnee_id, row.mentor_id) in ids:
            e = np.zeros(len(pairs))
            e[ids.index((row.returnee_id, row.mentor_id))] = 1
            cons.append(LinearConstraint(e.reshape(1, -1), 1, 1))
    c1 = -np.ones(len(pairs))
    c2 = -np.array([ro.returnees[i].risk for i, _ in pairs], dtype=float)
    r1 = milp(c1, constraints=cons, integrality=np.ones(len(pairs)), bounds=Bounds(0, 1))
    out["M1"] = -r1.fun
    cons.append(LinearConstraint(c1.reshape(1, -1), -np.inf, r1.fun + 1e-6))
    r2 = milp(c2, constraints=cons, integrality=np.ones(len(pairs)), bounds=Bounds(0, 1))
    out["M2"] = -r2.fun
    # jobs and training
    opts = [(i, "job", j.id) for i, r in enumerate(ro.returnees) for j in ro.jobs
            if feasible(Assignment(r.id, job_id=j.id))]
    opts += [(i, "training", t.id) for i, r in enumerate(ro.returnees) for t in ro.trainings
             if feasible(Assignment(r.id, training_id=t.id))]
    rows, ub = [], []
    for i in range(len(ro.returnees)):
        rows.append([1 if o[0] == i else 0 for o in opts])
        ub.append(1)
    for j in ro.jobs:
        rows.append([1 if o[2] == j.id and o[1] == "job" else 0 for o in opts])
        ub.append(j.slots)
    for t in ro.trainings:
        rows.append([1 if o[2] == t.id and o[1] == "training" else 0 for o in opts])
        ub.append(t.seats)
    jobs = {j.id: j for j in ro.jobs}
    for emp in {j.employer for j in ro.jobs}:
        for g in {r.group for r in ro.returnees if r.group}:
            rows.append([1 if o[1] == "job" and jobs[o[2]].employer == emp
                         and ro.returnees[o[0]].group == g else 0 for o in opts])
            ub.append(1)
    A = np.array(rows, dtype=float)
    cons = [LinearConstraint(A, -np.inf, np.array(ub, dtype=float))]
    c1 = -np.array([o[1] == "job" for o in opts], dtype=float)
    c2 = -np.array([o[1] == "training" for o in opts], dtype=float)
    r1 = milp(c1, constraints=cons, integrality=np.ones(len(opts)), bounds=Bounds(0, 1))
    out["J1"] = -r1.fun
    cons.append(LinearConstraint(c1.reshape(1, -1), -np.inf, r1.fun + 1e-6))
    r2 = milp(c2, constraints=cons, integrality=np.ones(len(opts)), bounds=Bounds(0, 1))
    out["J2"] = -r2.fun
    return out


@pytest.mark.parametrize("seed,mentors", [(1, None), (2, None), (3, 14), (4, 10)])
def test_ward_scale_against_mip(seed, mentors):
    """On generated ward rosters (some with most mentors removed, so that not everyone can
    be covered) the M1, M2, J1, J2 values equal an independent MIP's."""
    import dataclasses

    from matcher.generate import generate_roster

    ro = generate_roster("ward", seed)
    if mentors:
        ro = dataclasses.replace(ro, mentors=ro.mentors[:mentors])
    plan = solve(ro, schedule=False)
    assert_plan_ok(ro, plan)
    expected = mip_tiers(ro)
    for name in ("M1", "M2", "J1", "J2"):
        assert plan.tiers[name].value == pytest.approx(expected[name]), name
        assert plan.tiers[name].optimal
