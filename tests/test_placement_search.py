"""Rule 12 (co-offenders never with one employer) with many clashes: the placement search
dives (resolving every clash at once) instead of branching once per clash; the result obeys
every rule, J1-J4 equal the exhaustive search's and are proved, and the commute tier
reports an honest bound."""

from __future__ import annotations

import pytest
from builders import job, returnee, roster

import matcher.placements as placements_mod
import matcher.solve as solve_mod
from matcher.check import assert_plan_ok


def _clusters(n: int):
    """n far-apart clusters: two co-offenders at the centre, employer X with two openings
    next to them (both would take it) and employer Y with one opening a little further."""
    rs, js = [], []
    for i in range(n):
        x = 60.0 * i
        rs += [returnee(f"R{i}a", x, group=f"G{i}"), returnee(f"R{i}b", x + 0.2, group=f"G{i}")]
        js += [job(f"X{i}-1", x + 0.5, employer=f"Xưởng X{i}", entry_level=True),
               job(f"X{i}-2", x + 0.6, employer=f"Xưởng X{i}", entry_level=True),
               job(f"Y{i}", x + 3.0 + 0.1 * i, employer=f"Công ty Y{i}", entry_level=True)]
    return roster(rs, [], jobs=js)


def _tiers(plan):
    return {k: (t.value, t.bound, t.optimal) for k, t in plan.tiers.items()}


def test_dive_matches_exhaustive_search(monkeypatch):
    ro = _clusters(6)  # six clashes at the root, more than branch and bound takes on
    assert placements_mod.BNB_MAX_CLASHES < 6
    calls = []
    real_dive = placements_mod._dive
    monkeypatch.setattr(placements_mod, "_dive", lambda *a, **k: calls.append(1) or real_dive(*a, **k))
    dive = solve_mod.solve(ro, schedule=False)
    assert calls  # the dive ran
    assert_plan_ok(ro, dive)
    monkeypatch.setattr(placements_mod, "BNB_MAX_CLASHES", 100)
    monkeypatch.setattr(placements_mod, "J5_EXTRA_NODES", 10**6)
    exact = solve_mod.solve(ro, schedule=False)
    assert_plan_ok(ro, exact)
    assert exact.tiers["J5"].optimal
    for name in ("J1", "J2", "J4"):
        assert dive.tiers[name].value == exact.tiers[name].value
        assert dive.tiers[name].optimal and dive.tiers[name].bound == dive.tiers[name].value
    assert dive.tiers["J1"].value == 12  # everyone placed: one of each pair at Y
    # commute: the dive's value is feasible, so at least the optimum; its bound at most
    j5 = dive.tiers["J5"]
    assert j5.bound is not None
    assert j5.bound - 1e-9 <= exact.tiers["J5"].value <= j5.value + 1e-9
    assert j5.optimal == (j5.value == pytest.approx(j5.bound))


@pytest.mark.parametrize("clusters", [6, 2])
def test_each_flow_starts_from_the_last(monkeypatch, clusters):
    """Each re-solve of the dive (six clashes), or each child of a branch-and-bound node
    (two), starts from the previous flow — the co-offenders' pairs it forbids closed,
    their units routed back — instead of solving the first stage afresh, and the plan's
    tiers are exactly those of fresh solves. Stages are forced: a network this small is
    solved whole in one stage, which leaves no potentials to start from (a national one
    has two stages)."""
    import matcher.flow as flow_mod

    ro = _clusters(clusters)
    monkeypatch.setattr(flow_mod, "_fits", lambda nodes, costs, rng_: len(costs) == 1)
    real = flow_mod._Stage.warm_start
    warm = []

    def spy(self, *a):
        out = real(self, *a)
        warm.append(out is not None)
        return out

    monkeypatch.setattr(flow_mod._Stage, "warm_start", spy)
    started = solve_mod.solve(ro, schedule=False)
    assert warm and all(warm)
    assert_plan_ok(ro, started)
    monkeypatch.setattr(flow_mod._Stage, "warm_start", lambda self, *a: None)
    fresh = solve_mod.solve(ro, schedule=False)
    assert _tiers(started) == _tiers(fresh)
