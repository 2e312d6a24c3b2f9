"""The nested hour limits that tighten the mentor flow relaxation (``_hour_levels``): on
random small mentors, every set of mentees within a mentor's hour budget and capacity
respects every limit (so the flow stays a relaxation and its bound stays valid)."""

from __future__ import annotations

import itertools

import numpy as np

from matcher.mentors import _hour_levels


def test_every_plan_within_budget_respects_the_nested_limits():
    rng = np.random.default_rng(7)
    seen_levels = 0
    for _ in range(60):
        n_m = int(rng.integers(1, 4))
        m = rng.integers(0, n_m, size=int(rng.integers(1, 10)))
        hours = rng.choice([0.5, 1.0, 1.5, 2.0, 3.0, 4.0], size=len(m))
        budget = rng.choice([2.0, 3.0, 4.5, 6.0, np.inf], size=n_m)
        cap = rng.integers(1, 5, size=n_m)
        level, lm, ll, lcap = _hour_levels(m, hours, budget, cap)
        seen_levels += len(lm)
        assert (level >= 0).all() and (lcap >= 0).all()
        for mentor in range(n_m):
            pairs = np.flatnonzero(m == mentor)
            limits = [(int(lv), int(c)) for x, lv, c in zip(lm, ll, lcap) if x == mentor]
            if not np.isfinite(budget[mentor]) or cap[mentor] <= 1:
                assert not limits and (level[pairs] == 0).all()
                continue
            # levels are consecutive from 1 and deeper levels hold fewer
            assert [lv for lv, _ in limits] == list(range(1, len(limits) + 1))
            assert all(a >= b for (_, a), (_, b) in zip(limits, limits[1:]))
            for k in range(len(pairs) + 1):
                for chosen in itertools.combinations(pairs, k):
                    if k > cap[mentor] or hours[list(chosen)].sum() > budget[mentor] + 1e-9:
                        continue  # not a plan within budget and capacity
                    for lv, c in limits:
                        assert sum(level[i] >= lv for i in chosen) <= c, (chosen, lv, c)
    assert seen_levels > 20  # the limits do bite on these mentors
