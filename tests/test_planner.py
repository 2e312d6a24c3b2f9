"""The one planning path (issue 20): `run.py plan` on a Dask cluster gives the plan and
proofs of the local run; the split path reruns and schedules like one process."""

from __future__ import annotations

import dataclasses
import json

import pytest

from matcher.check import assert_plan_ok
from matcher.generate import generate_roster
from matcher.io.roster_writer import write_roster
from matcher.plan import Plan
from matcher.planner import plan_roster
from matcher.solve import solve
from matcher.split import find_regions


@pytest.fixture(scope="module")
def city():
    """A city with a short reach, so it falls apart into regions (as in test_split)."""
    ro = generate_roster("city", 3).with_settings(mentor_max_km=1.5, job_max_km=2.0,
                                                  training_max_km=2.0)
    ro = dataclasses.replace(ro, returnees=tuple(dataclasses.replace(r, group=None)
                                                 for r in ro.returnees))
    assert find_regions(ro).count > 3
    return ro


def _tiers(plan: Plan) -> dict:
    return {k: (t.value, t.bound, t.optimal) for k, t in plan.tiers.items()}


def test_plan_command_on_a_dask_cluster_matches_the_local_run(city, tmp_path, monkeypatch):
    """`plan --scheduler ADDRESS` against a local cluster of two worker processes writes
    the same plan, tiers and proofs as `plan` on the local cores (split there too)."""
    from dask.distributed import LocalCluster

    import matcher.planner as planner
    from cli.main import main

    monkeypatch.setattr(planner, "SPLIT_MIN_RETURNEES", 10)
    path = tmp_path / "city.xlsx"
    write_roster(city, path)
    local, remote = tmp_path / "local.json", tmp_path / "dask.json"
    assert main(["plan", str(path), "--json", str(local), "--quiet"]) == 0
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=":0") as cluster:
        code = main(["plan", str(path), "--json", str(remote), "--quiet",
                     "--scheduler", cluster.scheduler_address])
    assert code == 0
    a, b = (json.loads(p.read_text(encoding="utf-8")) for p in (local, remote))
    assert a["tiers"] == b["tiers"]
    assert [x["mentor_id"] for x in a["assignments"]] == \
        [x["mentor_id"] for x in b["assignments"]]
    assert len(a["visits"]) == len(b["visits"]) > 0


def test_split_path_equals_one_process_and_reruns(city, monkeypatch):
    """Above the split threshold the planner cuts the roster into regions: the tiers,
    proofs and visits are those of one process; a rerun on that path keeps its pairs,
    labels changes and passes the checker with the previous plan."""
    import matcher.planner as planner

    one = solve(city)
    monkeypatch.setattr(planner, "SPLIT_MIN_RETURNEES", 10)
    split = plan_roster(city)
    assert split.stats.get("regions", 0) > 3
    assert_plan_ok(city, split)
    for name, tier in one.tiers.items():
        if tier.optimal:
            assert split.tiers[name].value == tier.value, name
    assert split.visits
    prev = Plan.from_json(split.to_json())
    for a in prev.assignments[:50]:
        a.confirmed = a.mentor_id is not None
    wave = dataclasses.replace(city, returnees=city.returnees[:-20])
    again = plan_roster(wave, previous=prev)
    assert_plan_ok(wave, again, prev)
    assert again.changes["counts"]["ended"] >= sum(
        1 for a in prev.assignments[-20:] if a.mentor_id or a.job_id or a.training_id)
    kept = {a.returnee_id for a in again.assignments if a.change == "kept"}
    assert {a.returnee_id for a in prev.assignments[:50] if a.confirmed} <= kept
    assert "M3" in again.tiers and "J3" in again.tiers


def test_progress_is_reported_by_the_planning_process_only(tmp_path, monkeypatch):
    """Forked children (the placements, the visit schedule beside the loans) never call
    the progress callback: a front end's callback may take a lock that another of its
    threads holds (the web worker's ticking bar), which a forked child would wait for
    forever."""
    import os

    import matcher.planner

    monkeypatch.setattr(matcher.planner, "SPLIT_MIN_RETURNEES", 0)  # the regions' path
    calls = tmp_path / "calls"

    def progress(fraction: float, stage: str) -> None:
        with open(calls, "a", encoding="utf-8") as fh:
            fh.write(f"{os.getpid()} {stage}\n")

    plan = plan_roster(generate_roster("ward", 1), progress=progress)
    lines = calls.read_text(encoding="utf-8").splitlines()
    assert {line.split()[0] for line in lines} == {str(os.getpid())}
    assert any(line.endswith("visit schedule") for line in lines) and plan.visits
