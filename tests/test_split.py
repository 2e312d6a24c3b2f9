"""Independent regions: the split solve merges into the plan one solve of the whole roster
would give (same proved tiers, same explanations), locally and through Dask."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from builders import job, mentor, returnee, roster

from matcher.check import assert_plan_ok
from matcher.explain import explain_unassigned
from matcher.generate import generate_roster
from matcher.solve import build_context, solve
from matcher.split import find_regions, solve_split, split_roster

PROVED = ("M1", "M2", "J1", "J2")


@pytest.fixture(scope="module")
def city():
    """A generated city with shorter reach (mentors 1.5 km, jobs and courses 2 km), so
    that it falls apart into several regions. Co-offender groups are dropped: with them
    the employer-wide rule makes the plain solve spend its whole time limit on J1 at this
    reach, and this test is about the split, not that repair."""
    ro = generate_roster("city", 1).with_settings(mentor_max_km=1.5, job_max_km=2.0,
                                                  training_max_km=2.0)
    return dataclasses.replace(ro, returnees=tuple(dataclasses.replace(r, group=None)
                                                   for r in ro.returnees))


@pytest.fixture(scope="module")
def local_plan(city):
    return solve_split(city, executor="local", workers=2)


def test_split_city_same_tiers_as_plain_solve(city, local_plan):
    regions = find_regions(city)
    assert regions.count > 3
    parts = split_roster(city, batches=2)
    assert len(parts) == 2
    assert sorted(r.id for p in parts for r in p.returnees) == sorted(r.id
                                                                     for r in city.returnees)
    plain = solve(city, schedule=False)
    assert_plan_ok(city, local_plan)
    assert [a.returnee_id for a in local_plan.assignments] == [r.id for r in city.returnees]
    for name in PROVED:
        assert plain.tiers[name].optimal and local_plan.tiers[name].optimal, name
        assert local_plan.tiers[name].value == plain.tiers[name].value, name
    assert len(local_plan.stats["parts"]) == 2
    assert local_plan.timings["split"] > 0


def test_split_explanations_read_as_for_the_whole_roster(city, local_plan):
    """Every reason in the merged plan is what the explainer says with the whole roster
    (mentors and openings of other parts that are in range but infeasible are named)."""
    whole = explain_unassigned(build_context(city), local_plan)
    assert whole, "the reduced-reach city must leave someone without a job or mentor"
    got = {u.returnee_id: (u.missing, u.reasons) for u in local_plan.unassigned}
    assert got == {u.returnee_id: (u.missing, u.reasons) for u in whole}


def test_split_through_local_dask_cluster_same_tiers(city, local_plan):
    """The same split on dask.distributed (LocalCluster, 2 worker processes)."""
    plan = solve_split(city, executor="dask", workers=2)
    assert_plan_ok(city, plan)
    assert plan.stats["executor"] == "dask"
    for name, tier in local_plan.tiers.items():
        if tier.optimal:
            assert plan.tiers[name].value == tier.value, name
    assert {n: plan.tiers[n].value for n in PROVED} == {n: local_plan.tiers[n].value
                                                         for n in PROVED}


def _two_offices(second_name: str):
    """Two co-offenders 60 km apart who can each reach only one office of the same
    employer, and a third returnee far from both."""
    rs = [returnee("R1", 0, 0, group="G"), returnee("R2", 60, 0, group="G"),
          returnee("R3", 120, 0)]
    ms = [mentor("M1", 0.5, 0), mentor("M2", 60.5, 0), mentor("M3", 120.5, 0)]
    js = [job("J1", 1, 0, employer="Công ty Hưng Phát", entry_level=True, slots=2),
          job("J2", 61, 0, employer=second_name, entry_level=True),
          job("J3", 121, 0, employer="Công ty Khác", entry_level=True)]
    return roster(rs, ms, js)


def test_employer_keeps_regions_together_and_rule_12_holds():
    """One employer's offices stay in one region, so the merged plan gives the employer
    only one of the two co-offenders (rule 12)."""
    ro = _two_offices("CÔNG TY HƯNG PHÁT")
    regions = find_regions(ro)
    assert regions.returnee[0] == regions.returnee[1] != regions.returnee[2]
    assert regions.count == 2
    plan = solve_split(ro, executor="serial", batches=2)
    assert_plan_ok(ro, plan)
    assert plan.tiers["J1"].value == 2 and plan.tiers["M1"].value == 3
    assert len(plan.stats["parts"]) == 2


def test_employer_spelt_without_accents_is_the_same_employer():
    """Regression: 'Công ty Hưng Phát' and 'cong ty hung phat' are one employer for rule 12
    in the planner as in the checker."""
    ro = _two_offices("cong ty hung phat")
    assert find_regions(ro).count == 2  # the split keeps them together either way
    assert_plan_ok(ro, solve_split(ro, executor="serial", batches=2))


def test_regions_cover_everyone_and_pack_balanced():
    from matcher.split import pack

    batch = pack(np.array([50, 1, 1, 30, 25, 1, 1]), 2)
    loads = np.bincount(batch, weights=[50, 1, 1, 30, 25, 1, 1])
    assert sorted(loads.tolist()) == [54.0, 55.0]
    with pytest.raises(ValueError):
        solve_split(roster([returnee("R1")], [mentor("M1")]), executor="spark")


def test_big_rosters_get_more_parts_than_workers(city, local_plan, monkeypatch):
    """Parts of about PART_RETURNEES returnees: with a small target the city becomes more
    parts than the two workers, which solve them in turn; the merged tiers are the same."""
    import matcher.split as split_mod

    monkeypatch.setattr(split_mod, "PART_RETURNEES", 300)
    plan = solve_split(city, executor="local", workers=2)
    assert len(plan.stats["parts"]) >= 3  # 1,000 returnees, parts of about 300
    assert_plan_ok(city, plan)
    for name in local_plan.tiers:
        assert plan.tiers[name].value == pytest.approx(local_plan.tiers[name].value), name
        assert plan.tiers[name].optimal == local_plan.tiers[name].optimal, name


def test_parts_cut_their_pairs_from_the_whole_rosters(city, local_plan):
    """A forked worker cuts its part's candidate pairs from the whole roster's instead of
    building them again: the same pairs, in the same order, with the same attributes, as
    building them for the part — Pairs rows included (they go with their returnee)."""
    from matcher.split import _split, part_context

    ro = dataclasses.replace(city, pairs=generate_roster("city", 1).pairs)
    parts, regions = _split(ro, 3, 2)
    assert len(parts) == 3 and regions.context is not None
    for part, index in zip(parts, regions.part_index):
        cut = part_context(regions.context, part, index)
        built = build_context(part)
        for name in ("marcs", "jarcs", "tarcs"):
            a, b = getattr(cut, name), getattr(built, name)
            assert len(a) == len(b), name
            for field in a.__dataclass_fields__:
                assert np.array_equal(getattr(a, field), getattr(b, field)), (name, field)
    assert sum(len(part_context(regions.context, p, i).marcs)
               for p, i in zip(parts, regions.part_index)) == len(regions.context.marcs)
    assert any(r.rule == "forbid" for r in ro.pairs) and any(p.pairs for p in parts)


def test_forked_workers_cut_their_pairs(city):
    """With forked workers each part's pairs are cut from the whole roster's (the plan's
    per-part statistics say how long that took) and the plan is the same."""
    plan = solve_split(city, executor="local", workers=2)
    parts = plan.stats["parts"]
    assert len(parts) == 2 and all("cut_seconds" in p["stats"] for p in parts)
