"""Lexicographic CP-SAT: optimise tiers one after the other, each fixed at its value before
the next, with the previous solution as hint (the CP-SAT primer's recipe)."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence


def lex_solve(model, tiers: Sequence[tuple[str, object, bool, float]], variables: list, *,
              time_limit: float, shared_budget: bool = False,
              quick: Iterable[str] = (), quick_limit: float = 2.0,
              stop_when_unproved: bool = False, workers: int = 2,
              targets: dict[str, float] | None = None
              ) -> tuple[dict[str, tuple[float, float, bool]], list[bool] | None]:
    """Optimise ``tiers`` (name, expression, maximise, unit) in order on ``model``.

    ``time_limit`` is per tier, or for all tiers together with ``shared_budget``; tiers named
    in ``quick`` get at most ``quick_limit`` seconds. Returns per tier (value, bound, proved)
    in tier units — a tier is proved only when it and every tier before it were solved to
    optimality — and the last solution found (None if none). With ``targets`` (tier name ->
    value in tier units) it stops after the first tier that ends worse than its target."""
    from ortools.sat.python import cp_model  # lazy: it imports pandas (0.2 s)

    quick = set(quick)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = workers
    started = time.perf_counter()
    results: dict[str, tuple[float, float, bool]] = {}
    solution = None
    proved_so_far = True
    for name, expr, maximize, unit in tiers:
        limit = time_limit - (time.perf_counter() - started) if shared_budget else time_limit
        limit = max(0.1, limit)
        solver.parameters.max_time_in_seconds = min(limit, quick_limit) if name in quick \
            else limit
        model.maximize(expr) if maximize else model.minimize(expr)
        status = solver.solve(model)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            break
        value = solver.objective_value
        proved_so_far = proved_so_far and status == cp_model.OPTIMAL
        results[name] = (value / unit, solver.best_objective_bound / unit, proved_so_far)
        solution = [bool(solver.boolean_value(v)) for v in variables]
        model.clear_hints()
        for v, b in zip(variables, solution):
            model.add_hint(v, b)
        model.add(expr >= round(value) if maximize else expr <= round(value))
        if stop_when_unproved and not proved_so_far:
            break
        if targets and name in targets and \
                (value / unit < targets[name] if maximize else value / unit > targets[name]):
            break
    return results, solution
