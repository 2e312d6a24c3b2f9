"""Mentors and placements solved at the same time in two processes give exactly the plan
of one process; a failing or dying child is reported, never a hang."""

from __future__ import annotations

import os

import pytest

from matcher import forked
from matcher.generate import generate_roster
from matcher.solve import solve


def test_parallel_solve_equals_sequential():
    roster = generate_roster("city", 2)
    assert forked.available()
    one = solve(roster, schedule=False, parallel=False)
    two = solve(roster, schedule=False, parallel=True)
    assert {k: (t.value, t.bound, t.optimal) for k, t in one.tiers.items()} == \
        {k: (t.value, t.bound, t.optimal) for k, t in two.tiers.items()}
    assert [(a.mentor_id, a.job_id, a.training_id) for a in one.assignments] == \
        [(a.mentor_id, a.job_id, a.training_id) for a in two.assignments]
    assert two.timings["jobs"] > 0  # measured in the child and sent back


def test_child_result_error_and_death():
    assert forked.start(lambda: os.getpid()).result() != os.getpid()
    assert forked.start(lambda: 42, parallel=False).result() == 42

    def boom():
        raise ValueError("bad roster part")

    with pytest.raises(RuntimeError, match="bad roster part") as failed:
        forked.start(boom).result()
    assert "Traceback" not in str(failed.value)  # a message for a person, not a stack
    with pytest.raises(RuntimeError, match="died"):
        forked.start(lambda: os._exit(3)).result()


def test_cancel_stops_the_child():
    import time

    job = forked.start(lambda: time.sleep(60))
    job.cancel()
    assert not job.proc.is_alive()


def test_candidates_built_in_two_processes_are_the_same():
    import numpy as np

    from matcher.solve import build_context

    roster = generate_roster("city", 2)
    one = build_context(roster, parallel=False)
    two = build_context(roster, parallel=True)
    for kind in ("marcs", "jarcs", "tarcs"):
        a, b = getattr(one, kind), getattr(two, kind)
        assert len(a) == len(b) > 0
        for name in a.__dataclass_fields__:
            assert np.array_equal(getattr(a, name), getattr(b, name)), (kind, name)
