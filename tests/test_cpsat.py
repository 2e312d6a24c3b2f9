"""Lexicographic CP-SAT (``matcher.cpsat.lex_solve``): tiers in order, each fixed before the
next, and an early stop once a tier misses its target (the hour repair's small regions
only matter when they reach the flow's bound)."""

from __future__ import annotations

from ortools.sat.python import cp_model

from matcher.cpsat import lex_solve


def _model():
    m = cp_model.CpModel()
    x = [m.new_bool_var(f"x{i}") for i in range(4)]
    m.add(x[0] + x[1] <= 1)
    m.add(x[2] + x[3] <= 1)
    tiers = [("A", sum(x), True, 1),  # at most 2
             ("B", 3 * x[0] + x[1] + x[2] + 2 * x[3], True, 1),  # 5 with A = 2
             ("C", x[1] + x[2], False, 1)]  # 0 once A and B are fixed
    return m, tiers, x


def test_tiers_in_order_each_fixed_before_the_next():
    m, tiers, x = _model()
    results, solution = lex_solve(m, tiers, x, time_limit=5)
    assert {k: v[0] for k, v in results.items()} == {"A": 2, "B": 5, "C": 0}
    assert all(v[2] for v in results.values())
    assert solution == [True, False, False, True]


def test_stops_after_the_first_tier_that_misses_its_target():
    m, tiers, x = _model()
    results, solution = lex_solve(m, tiers, x, time_limit=5, targets={"A": 3, "B": 5})
    assert list(results) == ["A"]  # A = 2 < 3: B and C are not solved
    assert results["A"][0] == 2 and sum(solution) == 2
    m, tiers, x = _model()
    results, _ = lex_solve(m, tiers, x, time_limit=5, targets={"A": 2, "B": 5})
    assert list(results) == ["A", "B", "C"]  # both met: every tier solved
