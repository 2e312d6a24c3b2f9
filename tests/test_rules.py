"""One test per hard rule (SPEC section 2): the smallest roster where that rule decides
the outcome; the plan obeys it, the checker agrees, and the explanation names it."""

from __future__ import annotations

import datetime as dt

import pytest
from builders import course, job, mentor, pair, returnee, roster

from matcher.check import assert_plan_ok, check_plan
from matcher.errors import PlanCheckError
from matcher.explain import alternatives
from matcher.solve import build_context, solve


def plan_of(ro):
    plan = solve(ro, schedule=False)
    assert_plan_ok(ro, plan)
    return plan


def reasons(plan, rid):
    for u in plan.unassigned:
        if u.returnee_id == rid:
            return " | ".join(u.reasons)
    return ""


def test_rule1_capacity_and_inactive():
    """A mentor never takes more than capacity; inactive mentors take nobody."""
    ro = roster([returnee("R1", 0), returnee("R2", 0.1), returnee("R3", 0.2)],
                [mentor("M1", 0, capacity=1), mentor("M2", 0.1, active=False)])
    plan = plan_of(ro)
    assert plan.tiers["M1"].value == 1
    assert {a.mentor_id for a in plan.assignments} == {"M1", None}
    text = reasons(plan, next(a.returnee_id for a in plan.assignments if not a.mentor_id))
    assert "rule 1" in text and "M1" in text and "M2" in text


def test_rule2_monthly_hours():
    """Monthly hours (visits x (visit + 2 x travel)) limit a mentor below its capacity."""
    # high risk: 30/7 visits x 1 h = 4.29 h each; 8 h fits one, not two
    ro = roster([returnee("R1", 0, risk=3), returnee("R2", 0.05, risk=3)],
                [mentor("M1", 0, capacity=3, hours_per_month=8)])
    plan = plan_of(ro)
    assert plan.tiers["M1"].value == 1 and plan.tiers["M1"].optimal
    missing = next(a.returnee_id for a in plan.assignments if not a.mentor_id)
    assert "rule 2" in reasons(plan, missing)


def test_rule2_pairs_override_hours():
    """A Pairs row's visit_hours_per_month replaces the computed hours."""
    ro = roster([returnee("R1", 0, risk=3), returnee("R2", 0.05, risk=3)],
                [mentor("M1", 0, capacity=3, hours_per_month=8)],
                pairs=[pair("R1", "M1", visit_hours_per_month=2),
                       pair("R2", "M1", visit_hours_per_month=2, row=3)])
    assert plan_of(ro).tiers["M1"].value == 2


def test_rule3_distance_global_and_own():
    """Distance above mentor_max_km or the mentor's own max_km is never paired."""
    ro = roster([returnee("R1", 0), returnee("R2", 20)],
                [mentor("M1", 3, max_km=2), mentor("M2", 26)])
    plan = plan_of(ro)
    assert plan.tiers["M1"].value == 0
    assert "own max_km" in reasons(plan, "R1") or "rule 3" in reasons(plan, "R1")
    assert "no mentor within 5 km" in reasons(plan, "R2")


def test_rule4_women_to_women():
    """A female returnee is only paired with a female mentor (default rule)."""
    ro = roster([returnee("R1", 0, gender="F")], [mentor("M1", 0.1), mentor("M2", 4,
                                                                           gender="F")])
    plan = plan_of(ro)
    assert plan.assignment("R1").mentor_id == "M2"
    ro2 = roster([returnee("R1", 0, gender="F")], [mentor("M1", 0.1)])
    plan2 = plan_of(ro2)
    assert plan2.assignment("R1").mentor_id is None
    assert "rule 4" in reasons(plan2, "R1") and "M1" in reasons(plan2, "R1")


def test_rule4_same_gender_setting():
    """With gender_rule=same_gender a male returnee cannot have a female mentor."""
    ro = roster([returnee("R1", 0)], [mentor("M1", 0, gender="F")], gender_rule="same_gender")
    assert plan_of(ro).assignment("R1").mentor_id is None
    ro = roster([returnee("R1", 0)], [mentor("M1", 0, gender="F")], gender_rule="none")
    assert plan_of(ro).assignment("R1").mentor_id == "M1"


def test_rule5_max_risk():
    """A high-risk returnee is never paired with a mentor whose max_risk is lower."""
    ro = roster([returnee("R1", 0, risk=3)], [mentor("M1", 0, max_risk=2)])
    plan = plan_of(ro)
    assert plan.assignment("R1").mentor_id is None
    assert "risk level 2 at most" in reasons(plan, "R1") and "rule 5" in reasons(plan, "R1")


def test_rule6_co_offenders_never_share_a_mentor():
    """Two returnees of one co-offender group get different mentors."""
    ro = roster([returnee("R1", 0, group="G1"), returnee("R2", 0.1, group="G1")],
                [mentor("M1", 0, capacity=2), mentor("M2", 4, capacity=2)])
    plan = plan_of(ro)
    assert plan.tiers["M1"].value == 2
    assert plan.assignment("R1").mentor_id != plan.assignment("R2").mentor_id
    ro1 = roster(ro.returnees, ro.mentors[:1])
    plan1 = plan_of(ro1)
    assert plan1.tiers["M1"].value == 1
    missing = next(a.returnee_id for a in plan1.assignments if not a.mentor_id)
    assert "rule 6" in reasons(plan1, missing)


def test_rule7_forbid_and_require():
    """A forbidden pair never happens; a required pair always does, even when farther."""
    ro = roster([returnee("R1", 0), returnee("R2", 0.2)],
                [mentor("M1", 0, capacity=1), mentor("M2", 3, capacity=1)],
                pairs=[pair("R1", "M1", rule="forbid", row=2),
                       pair("R2", "M1", rule="require", row=3)])
    plan = plan_of(ro)
    assert plan.assignment("R2").mentor_id == "M1"
    assert plan.assignment("R1").mentor_id == "M2"


def test_rule7_require_impossible_is_reported():
    """A required pair that breaks another rule is not made and the plan says why."""
    ro = roster([returnee("R1", 0, gender="F")], [mentor("M1", 0)],
                pairs=[pair("R1", "M1", rule="require", row=5)])
    plan = plan_of(ro)
    assert plan.assignment("R1").mentor_id is None
    assert any("row 5" in w and "rule 4" in w for w in plan.warnings)
    assert "row 5" in reasons(plan, "R1")


def test_rule8_slots_and_seats():
    """An opening's slots and a course's seats are never exceeded."""
    ro = roster([returnee("R1", 0), returnee("R2", 0.1)], [],
                jobs=[job("J1", 0, entry_level=True, slots=1)])
    plan = plan_of(ro)
    assert plan.tiers["J1"].value == 1
    missing = next(a.returnee_id for a in plan.assignments if not a.job_id)
    assert "rule 8" in reasons(plan, missing)
    ro = roster([returnee("R1", 0, wants_job=False, wants_training=True),
                 returnee("R2", 0, wants_job=False, wants_training=True)], [],
                trainings=[course("T1", 0, seats=1)])
    assert plan_of(ro).tiers["J2"].value == 1


def test_rule9_commute_limits():
    """Commute is at most min(job_max_km, the returnee's max_commute_km)."""
    ro = roster([returnee("R1", 0, max_commute_km=3)], [],
                jobs=[job("J1", 5, entry_level=True)])
    plan = plan_of(ro)
    assert plan.assignment("R1").job_id is None
    assert "rule 9" in reasons(plan, "R1")
    ro = roster([returnee("R1", 0, wants_job=False, wants_training=True)], [],
                trainings=[course("T1", 25)])
    assert plan_of(ro).assignment("R1").training_id is None


def test_rule10_skills_or_entry_level():
    """A job's sector must be among the returnee's skills unless it is entry-level."""
    ro = roster([returnee("R1", 0), returnee("R2", 0, skills=frozenset({"may mac"}))], [],
                jobs=[job("J1", 0, sector="May mặc", slots=2)])
    plan = plan_of(ro)
    assert plan.assignment("R2").job_id == "J1"
    assert plan.assignment("R1").job_id is None
    assert "rule 10" in reasons(plan, "R1")


def test_rule11_excluded_offenses_and_ages():
    """Excluded offenses and age limits keep a returnee out of an opening."""
    ro = roster([returnee("R1", 0, offense="fraud"), returnee("R2", 0, birth_year=1950)], [],
                jobs=[job("J1", 0, entry_level=True, slots=2, excluded_offenses=frozenset(
                    {"fraud"}), max_age=60)])
    plan = plan_of(ro)
    assert plan.tiers["J1"].value == 0
    assert "rule 11" in reasons(plan, "R1") and "fraud" in reasons(plan, "R1")
    assert "rule 11" in reasons(plan, "R2") and "age" in reasons(plan, "R2")


def test_rule12_co_offenders_not_with_same_employer():
    """Co-offenders never work for the same employer, even in different openings."""
    ro = roster([returnee("R1", 0, group="G"), returnee("R2", 0.1, group="G")], [],
                jobs=[job("J1", 0, employer="Công ty X", entry_level=True),
                      job("J2", 0.5, employer="Công ty X", entry_level=True),
                      job("J3", 9, employer="Công ty Y", entry_level=True)])
    plan = plan_of(ro)
    assert plan.tiers["J1"].value == 2 and plan.tiers["J1"].optimal
    employers = {plan.assignment(r).job_id for r in ("R1", "R2")}
    assert "J3" in employers
    ro2 = roster(ro.returnees, [], jobs=ro.jobs[:2])
    plan2 = plan_of(ro2)
    assert plan2.tiers["J1"].value == 1 and plan2.tiers["J1"].optimal
    missing = next(a.returnee_id for a in plan2.assignments if not a.job_id)
    assert "rule 12" in reasons(plan2, missing)


def test_rule13_one_placement_wants_and_course_start():
    """At most a job or a seat; only for those who want it; no course starting before
    release."""
    ro = roster([returnee("R1", 0, wants_training=True),
                 returnee("R2", 0, wants_job=False, wants_training=True,
                          release=dt.date(2027, 3, 1)),
                 returnee("R3", 0, wants_job=False)], [],
                jobs=[job("J1", 0, entry_level=True, slots=3)],
                trainings=[course("T1", 0, seats=3, start_date=dt.date(2027, 1, 5))])
    plan = plan_of(ro)
    a1 = plan.assignment("R1")
    assert (a1.job_id is None) != (a1.training_id is None)
    assert a1.job_id == "J1"  # J1 (jobs) comes before J2 (training)
    assert plan.assignment("R2").training_id is None
    assert "rule 13" in reasons(plan, "R2")
    assert plan.assignment("R3").job_id is None


def test_checker_catches_a_broken_plan():
    """The independent checker reports a plan that breaks rules, and assert_plan_ok raises."""
    ro = roster([returnee("R1", 0, gender="F", risk=3)], [mentor("M1", 9, max_risk=2)])
    plan = plan_of(ro)
    plan.assignments[0].mentor_id = "M1"
    bad = check_plan(ro, plan)
    assert any("rule 3" in b for b in bad)
    assert any("rule 4" in b for b in bad)
    assert any("rule 5" in b for b in bad)
    with pytest.raises(PlanCheckError):
        assert_plan_ok(ro, plan)


def test_capacity_gaps_known_answer():
    """Five uncovered men and three uncovered women in one ward need 3 + 2 more mentors at
    capacity 2."""
    people = [returnee(f"R{i}", 0.1 * i, ward="Phường Hạc Thành") for i in range(5)]
    people += [returnee(f"F{i}", 0.1 * i, gender="F", ward="Phường Hạc Thành")
               for i in range(3)]
    ro = roster(people, [mentor("M1", 40, capacity=2)])
    plan = plan_of(ro)
    gap = next(g for g in plan.capacity_gaps if g.kind == "mentor")
    assert gap.ward == "Phường Hạc Thành" and gap.uncovered == 8
    assert gap.uncovered_female == 3 and gap.more_needed == 2 + 3
    assert "2 of them women" in gap.suggestion


def test_top5_alternatives_known_order():
    """Alternatives are ranked by score difference: a drug-specialist in the same ward first,
    the farther and full ones later, and the current mentor excluded."""
    ro = roster([returnee("R1", 0, offense="drugs", ward="A"), returnee("R2", 3.9)],
                [mentor("M1", 0.1, ward="A", specialties=frozenset({"drugs"})),
                 mentor("M2", 0.5, ward="A"), mentor("M3", 1.0),
                 mentor("M4", 2.0, specialties=frozenset({"drugs"})),
                 mentor("M5", 3.0), mentor("M6", 4.0, capacity=1), mentor("M7", 9.0)])
    plan = plan_of(ro)
    assert plan.assignment("R1").mentor_id == "M1"
    alts = alternatives(build_context(ro), plan, "R1")
    ids = [a["mentor_id"] for a in alts]
    assert ids[0] == "M4" or ids[0] == "M2"
    assert "M1" not in ids and "M7" not in ids and len(alts) == 5
    m2 = next(a for a in alts if a["mentor_id"] == "M2")
    m3 = next(a for a in alts if a["mentor_id"] == "M3")
    assert m2["score_diff"] == -3  # loses the drugs specialty (3), keeps the same ward
    assert m3["score_diff"] == -5  # loses specialty and same ward
    assert [a["score"] for a in alts if a["available"]] == sorted(
        [a["score"] for a in alts if a["available"]], reverse=True)
    full = [a for a in alts if not a["available"]]
    assert full and all(a["note"].startswith("full (") and
                        a["note_vi"].startswith("đã đủ người (") for a in full)


def test_regression_decimal_with_three_digits_is_not_thousands():
    """'19.717' typed as text is a coordinate, not 19,717; '1.000.000' is a million; the
    Icelandic eth that old files use for Đ folds like Đ."""
    from matcher.text import fold
    from matcher.values import parse_number

    assert parse_number("19.717") == pytest.approx(19.717)
    assert parse_number("1.000.000") == 1_000_000
    assert parse_number("3,5") == 3.5
    assert fold("Ðông Sơn") == fold("Đông Sơn") == "dong son"


def test_reasons_and_gaps_are_also_in_vietnamese():
    """Every reason and capacity-gap suggestion has a Vietnamese twin naming the same rule
    and people."""
    ro = roster([returnee("R1", 0, gender="F", ward="Phường Hạc Thành")], [mentor("M1", 0.1)])
    plan = plan_of(ro)
    u = plan.unassigned[0]
    assert len(u.reasons_vi) == len(u.reasons)
    vi = " | ".join(u.reasons_vi)
    assert vi.startswith("Giới tính: nữ do nữ giúp đỡ") and "M1" in vi and "là nam" in vi
    assert "quy tắc" not in vi and "women_to_women" not in vi
    gap = next(g for g in plan.capacity_gaps if g.kind == "mentor")
    assert "cựu chiến binh" in gap.suggestion_vi and "Phường Hạc Thành" in gap.suggestion_vi
    data = plan.to_json()
    assert data["unassigned"][0]["reasons_vi"] == u.reasons_vi


def test_ward_candidates_read_in_vietnamese():
    """Gazetteer candidate lists inside a Vietnamese message are worded in Vietnamese."""
    from matcher.errors import Issue

    issue = Issue("ambiguous_ward", "Người trở về", 3, "Phường/Xã", {
        "value": "Ba Đình", "example": "Ba Đình, TP Thanh Hóa",
        "candidates": "Xã Ba Đình (2025 unit); Phường Hạc Thành (from Phường Ba Đình, "
                      "Thành phố Thanh Hóa, part)"})
    vi = issue.message("vi")
    assert "(đơn vị từ 2025)" in vi and "trước đây: Phường Ba Đình" in vi and "một phần" in vi
    assert "2025 unit" in issue.message("en")
