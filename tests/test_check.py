"""The independent checker (matcher.check): a leaf that shares no code with the solver or
the scheduler; on an otherwise valid plan, breaking one hard rule (1-13), one rerun rule
or one schedule rule at a time is reported under exactly that rule's name; justified
unmet require rows pass; tiers (M3/J3 on reruns) are recomputed."""

from __future__ import annotations

import ast
import dataclasses
import datetime as dt
from pathlib import Path
from types import SimpleNamespace

import pytest
from builders import PLAN_DATE, job, mentor, pair, returnee, roster, training

from matcher.check import assert_plan_ok, check_plan, check_schedule, objective
from matcher.domain import Roster
from matcher.errors import PlanCheckError
from matcher.plan import Assignment, Plan, PreviousPlan, PrevRow, UnmetRequire, Visit

ROOT = Path(__file__).resolve().parents[1]
DAY = dt.timedelta(days=1)
SK = frozenset({"may mac"})


def names(violations: list[str]) -> set[str]:
    """The rule names the violations start with ("rule 7", "schedule cadence", ...)."""
    return {v.split(":", 1)[0] for v in violations}


# ---------------------------------------------------------------------- the leaf

def test_checker_imports_only_data_types_and_input_parsing() -> None:
    """The checker (the matcher/check package) imports nothing from the solver or the
    scheduler (only domain, plan, errors, availability, text, the message catalogue, its own
    modules and the standard library), and availability.py, the one parser it uses, does
    not import them either."""
    allowed = {"matcher.domain", "matcher.plan", "matcher.errors", "matcher.availability",
               "matcher.text", "matcher.catalog"}

    def imports(path: Path) -> set[str]:
        out = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                out |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module == "matcher":
                out |= {f"matcher.{a.name}" for a in node.names}  # from matcher import catalog
            elif isinstance(node, ast.ImportFrom):
                out.add(node.module or "")
        return out

    mine = {m for path in (ROOT / "matcher" / "check").glob("*.py") for m in imports(path)
            if m.startswith("matcher") and not m.startswith("matcher.check")}
    assert mine <= allowed, mine - allowed
    for dep in ("availability", "text", "domain", "plan", "errors"):
        theirs = {m for m in imports(ROOT / "matcher" / f"{dep}.py")
                  if m.startswith("matcher")}
        assert theirs <= allowed | {"matcher.values"}, (dep, theirs)


# ------------------------------------------------------------------ a valid base plan

def base_roster(pairs=(), **settings) -> Roster:
    """Mentors, openings and courses, each one there to break one rule."""
    rs = [returnee("R1", 0, group="G1", skills=SK),  # M1, J1
          returnee("R2", 0.2, gender="F", skills=SK),  # M2
          returnee("R3", 0.1, group="G1", skills=SK),  # M4, J2
          returnee("R4", 0.3, wants_job=False, wants_training=True, skills=SK),  # M4, T1
          returnee("R5", 0.4, risk=3, skills=SK),  # M1
          returnee("R6", 0.0, skills=SK),  # nothing yet
          returnee("R7", 0.1, gender="F", risk=1, skills=SK),  # nothing yet
          returnee("R8", 0.2, wants_training=True, skills=SK)]  # nothing; job and training
    ms = [mentor("M1", 0, capacity=2),
          mentor("M2", 1, gender="F", capacity=2),
          mentor("M3", 0, active=False),
          mentor("M4", 0.5, capacity=3, hours_per_month=5),  # R3 + R4 ≈ 4.4 h, + R6 ≈ 6.7 h
          mentor("M5", 0, max_risk=2),
          mentor("M6", 20),  # out of range of everyone
          mentor("M7", 0)]  # male, free
    js = [job("J1", 1, employer="Công ty A"),
          job("J2", 1, employer="Công ty B"),
          job("J3", 1, employer="Công ty C"),
          job("J4", 1, employer="Công ty D", excluded_offenses=frozenset({"property"})),
          job("J5", 1, employer="Công ty E", sector="han"),
          job("J6", 1, employer="Công ty F", max_age=25),
          job("J7", 1, employer="Công ty A"),
          job("J8", 40, employer="Công ty G")]  # beyond job_max_km
    ts = [training("T1", 1), training("T2", 30), training("T3", 1),
          training("T4", 1, start_date=dt.date(2026, 10, 1))]  # before the release 2026-11-01
    return roster(rs, ms, js, ts, pairs=pairs, **settings)


BASE = {"R1": ("M1", "J1", None), "R2": ("M2", None, None), "R3": ("M4", "J2", None),
        "R4": ("M4", None, "T1"), "R5": ("M1", None, None)}


def base_plan(ro: Roster, **changes: tuple[str | None, str | None, str | None]) -> Plan:
    rows = {**BASE, **changes}
    assignments = [Assignment(r.id, *rows.get(r.id, (None, None, None)))
                   for r in ro.returnees]
    return Plan(plan_date=ro.settings.plan_date, settings=ro.settings.to_dict(), tiers={},
                assignments=assignments)


def unmet(rid: str, kind: str, target: str, row: int = 2) -> UnmetRequire:
    return UnmetRequire(rid, kind, target, row, "listed by the planner")


def test_base_plan_is_valid() -> None:
    """The hand-made base plan breaks no rule (the cases below each change one thing)."""
    ro = base_roster()
    assert check_plan(ro, base_plan(ro)) == []


def test_solved_plan_passes_with_schedule_and_tiers() -> None:
    """A solver plan of the base roster, visit schedule included, passes every rule and
    every tier value equals the checker's own recomputation."""
    from matcher.solve import solve

    ro = base_roster()
    plan = solve(ro, parallel=False)
    assert plan.visits
    assert_plan_ok(ro, plan)
    assert set(objective(ro, plan)) == {"M1", "M2", "M4", "M5", "J1", "J2", "J4", "J5"}


# --------------------------------------------------------- one hard rule at a time

def _case(pairs=(), settings=None, unmet_rows=(), **changes):
    return {"pairs": pairs, "settings": settings or {}, "unmet": unmet_rows,
            "changes": changes}


RULE_CASES = {
    "1 capacity": ("rule 1", _case(R6=("M1", None, None))),
    "1 inactive": ("rule 1", _case(R6=("M3", None, None))),
    "2 hours": ("rule 2", _case(R6=("M4", None, None))),
    "3 distance": ("rule 3", _case(R6=("M6", None, None))),
    "4 women_to_women": ("rule 4", _case(R7=("M7", None, None))),
    "4 same_gender": ("rule 4", _case(settings={"gender_rule": "same_gender"},
                                      R6=("M2", None, None))),
    "5 risk": ("rule 5", _case(R5=("M5", None, None))),
    "6 co-offenders": ("rule 6", _case(R5=("M7", None, None), R3=("M1", "J2", None))),
    "7 forbid mentor": ("rule 7", _case(pairs=[pair("R1", "M1", rule="forbid")])),
    "7 forbid job": ("rule 7", _case(pairs=[pair("R1", jid="J1", rule="forbid")])),
    "7 forbid training": ("rule 7", _case(pairs=[pair("R4", training_id="T1",
                                                      rule="forbid")])),
    "7 require mentor missing": ("rule 7", _case(pairs=[pair("R6", "M7", rule="require")])),
    "7 require job missing": ("rule 7", _case(pairs=[pair("R6", jid="J3", rule="require")])),
    "7 require training missing": ("rule 7", _case(pairs=[pair("R8", training_id="T3",
                                                               rule="require")])),
    "7 require mentor listed without justification": ("rule 7", _case(
        pairs=[pair("R6", "M7", rule="require")], unmet_rows=[unmet("R6", "mentor", "M7")])),
    "7 require listed, mentor full of people not required": ("rule 7", _case(
        pairs=[pair("R6", "M1", rule="require")], unmet_rows=[unmet("R6", "mentor", "M1")])),
    "7 require job listed without justification": ("rule 7", _case(
        pairs=[pair("R6", jid="J3", rule="require")], unmet_rows=[unmet("R6", "job", "J3")])),
    "7 require training listed without justification": ("rule 7", _case(
        pairs=[pair("R8", training_id="T3", rule="require")],
        unmet_rows=[unmet("R8", "training", "T3")])),
    "7 require held but listed": ("rule 7", _case(
        pairs=[pair("R1", "M1", rule="require")], unmet_rows=[unmet("R1", "mentor", "M1")])),
    "8 slots": ("rule 8", _case(R6=(None, "J1", None))),
    "8 seats": ("rule 8", _case(R8=(None, None, "T1"))),
    "9 commute": ("rule 9", _case(R6=(None, "J8", None))),
    "9 training distance": ("rule 9", _case(R4=("M4", None, "T2"))),
    "10 skill": ("rule 10", _case(R6=(None, "J5", None))),
    "11 offense": ("rule 11", _case(R6=(None, "J4", None))),
    "11 age": ("rule 11", _case(R6=(None, "J6", None))),
    "12 employer": ("rule 12", _case(R3=("M4", "J7", None))),
    "13 both": ("rule 13", _case(R8=(None, "J3", "T3"))),
    "13 unwanted job": ("rule 13", _case(R4=("M4", "J3", None))),
    "13 unwanted training": ("rule 13", _case(R6=(None, None, "T3"))),
    "13 course before release": ("rule 13", _case(R4=("M4", None, "T4"))),
}


@pytest.mark.parametrize("case", list(RULE_CASES), ids=list(RULE_CASES))
def test_one_broken_rule_is_named_alone(case: str) -> None:
    """Breaking one hard rule of an otherwise valid plan is reported under that rule only."""
    rule, spec = RULE_CASES[case]
    ro = base_roster(pairs=spec["pairs"], **spec["settings"])
    plan = base_plan(ro, **spec["changes"])
    plan.unmet_requires = list(spec["unmet"])
    bad = check_plan(ro, plan)
    assert names(bad) == {rule}, bad
    if rule == "rule 7" and "require" in case:
        assert all(b.startswith("rule 7: required pair") for b in bad), bad


JUSTIFIED = {
    "pair rule: excluded offense": ([pair("R6", jid="J4", rule="require")],
                                    [unmet("R6", "job", "J4")], {}),
    "pair rule: inactive mentor": ([pair("R6", "M3", rule="require")],
                                   [unmet("R6", "mentor", "M3")], {}),
    "pair rule: forbid row too": ([pair("R6", "M7", rule="require"),
                                   pair("R6", "M7", rule="forbid", row=3)],
                                  [unmet("R6", "mentor", "M7")], {}),
    "pair rule: course starts before release": ([pair("R8", training_id="T4",
                                                      rule="require")],
                                                [unmet("R8", "training", "T4")], {}),
    "mentor full of required people": ([pair("R1", "M1", rule="require"),
                                        pair("R5", "M1", rule="require", row=3),
                                        pair("R6", "M1", rule="require", row=4)],
                                       [unmet("R6", "mentor", "M1", 4)], {}),
    "mentor hours taken by required people": ([pair("R3", "M4", rule="require"),
                                               pair("R4", "M4", rule="require", row=3),
                                               pair("R6", "M4", rule="require", row=4)],
                                              [unmet("R6", "mentor", "M4", 4)], {}),
    "co-offender required with the mentor": ([pair("R1", "M1", rule="require"),
                                              pair("R3", "M1", rule="require", row=3)],
                                             [unmet("R3", "mentor", "M1", 3)], {}),
    "two mentors required": ([pair("R6", "M7", rule="require"),
                              pair("R6", "M5", rule="require", row=3)],
                             [unmet("R6", "mentor", "M5", 3)], {"R6": ("M7", None, None)}),
    "opening full of required people": ([pair("R1", jid="J1", rule="require"),
                                         pair("R6", jid="J1", rule="require", row=3)],
                                        [unmet("R6", "job", "J1", 3)], {}),
    "co-offender required at the employer": ([pair("R1", jid="J1", rule="require"),
                                              pair("R3", jid="J7", rule="require", row=3)],
                                             [unmet("R3", "job", "J7", 3)], {}),
    "course full of required people": ([pair("R4", training_id="T1", rule="require"),
                                        pair("R8", training_id="T1", rule="require", row=3)],
                                       [unmet("R8", "training", "T1", 3)], {}),
    "job and course both required": ([pair("R8", training_id="T3", rule="require"),
                                      pair("R8", jid="J3", rule="require", row=3)],
                                     [unmet("R8", "job", "J3", 3)],
                                     {"R8": (None, None, "T3")}),
}


@pytest.mark.parametrize("case", list(JUSTIFIED), ids=list(JUSTIFIED))
def test_justified_unmet_require_rows_pass(case: str) -> None:
    """A require row listed as unmet passes when the checker's own computation shows it
    cannot be honoured: a pair-level rule, or a conflict with the honoured rows."""
    pairs, listed, changes = JUSTIFIED[case]
    ro = base_roster(pairs=pairs)
    plan = base_plan(ro, **changes)
    plan.unmet_requires = listed
    assert check_plan(ro, plan) == []


def test_unmet_require_rows_from_the_solver_pass() -> None:
    """The solver lists impossible mentor, job and course require rows and the checker
    agrees they are impossible; the possible ones hold."""
    from matcher.solve import solve

    pairs = [pair("R6", "M3", rule="require"),  # inactive mentor
             pair("R6", jid="J4", rule="require", row=3),  # excluded offense
             pair("R8", training_id="T4", rule="require", row=4),  # course before release
             pair("R7", "M2", rule="require", row=5)]  # possible
    ro = base_roster(pairs=pairs)
    plan = solve(ro, schedule=False, parallel=False)
    assert_plan_ok(ro, plan)
    assert {(u.returnee_id, u.target_id) for u in plan.unmet_requires} == {
        ("R6", "M3"), ("R6", "J4"), ("R8", "T4")}
    assert plan.assignment("R7").mentor_id == "M2"


# ------------------------------------------------------------------------ reruns

def rerun_case():
    """M1 holds R1 (confirmed) and R2; new R4 (high risk) reaches only M1, so R2 must move
    to M2 for everyone to be covered (M3 = 1). R2 was hired for J1; R3's J2 is proposed."""
    ro = roster([returnee("R1", 0, skills=SK), returnee("R2", 2, skills=SK),
                 returnee("R3", 6, skills=SK), returnee("R4", -2, risk=3, skills=SK)],
                [mentor("M1", 0, capacity=2), mentor("M2", 4, capacity=2)],
                jobs=[job("J1", 0), job("J2", 0)])
    prev = PreviousPlan({"R1": PrevRow("R1", "M1", confirmed=True),
                         "R2": PrevRow("R2", "M1", job_id="J1", hired=True),
                         "R3": PrevRow("R3", "M2", job_id="J2"),
                         "R9": PrevRow("R9", "M2")},  # no longer on the roster
                        plan_date=PLAN_DATE - 30 * DAY)
    return ro, prev


def test_rerun_plan_passes_and_m3_j3_are_changed_previous_pairs() -> None:
    """The solver's rerun plan passes with the previous plan; M3 and J3 are the number of
    previous pairs/placements changed among those the plan was free to keep (confirmed
    pairs and hired placements are fixed, not counted)."""
    from matcher.solve import solve

    ro, prev = rerun_case()
    plan = solve(ro, previous=prev, schedule=False, parallel=False)
    assert_plan_ok(ro, plan, prev)
    assert plan.assignment("R1").mentor_id == "M1" and plan.assignment("R2").job_id == "J1"
    assert plan.assignment("R2").mentor_id == "M2"
    values = objective(ro, plan, prev)
    assert values["M3"] == plan.tiers["M3"].value == 1
    assert values["J3"] == plan.tiers["J3"].value == 0


def test_rerun_tier_mismatch_is_reported() -> None:
    """A wrong M3 in the plan makes assert_plan_ok fail on that tier only."""
    from matcher.solve import solve

    ro, prev = rerun_case()
    plan = solve(ro, previous=prev, schedule=False, parallel=False)
    plan.tiers["M3"].value = 0
    with pytest.raises(PlanCheckError) as err:
        assert_plan_ok(ro, plan, prev)
    assert names(err.value.violations) == {"tier M3"}


def _rerun_break(plan: Plan, what: str) -> None:
    a = {x.returnee_id: x for x in plan.assignments}
    if what == "confirmed":
        a["R1"].mentor_id, a["R1"].change, a["R1"].reason = None, "ended", "ended"
    elif what == "hired":
        a["R2"].job_id = None
    elif what == "change":
        a["R3"].change = "new"


@pytest.mark.parametrize("what", ["confirmed", "hired", "change"])
def test_one_broken_rerun_rule_is_named_alone(what: str) -> None:
    """Dropping a confirmed pair or a hired placement without a hard rule against it, or a
    wrong change label, is reported as that rerun rule only."""
    from matcher.solve import solve

    ro, prev = rerun_case()
    plan = solve(ro, previous=prev, schedule=False, parallel=False)
    assert check_plan(ro, plan, prev) == []
    _rerun_break(plan, what)
    bad = check_plan(ro, plan, prev)
    assert names(bad) == {f"rerun {what}"}, bad


def test_rerun_drops_forced_by_hard_rules_pass() -> None:
    """When M1 is now inactive and J1 has no slot left, the confirmed pair and the hired
    placement end; the plan says why and the checker agrees."""
    from matcher.solve import solve

    ro, prev = rerun_case()
    ro = dataclasses.replace(ro, mentors=(dataclasses.replace(ro.mentors[0], active=False),
                                          ro.mentors[1]),
                             jobs=(dataclasses.replace(ro.jobs[0], slots=0), ro.jobs[1]))
    plan = solve(ro, previous=prev, schedule=False, parallel=False)
    assert plan.assignment("R1").mentor_id != "M1" and plan.assignment("R2").job_id is None
    assert_plan_ok(ro, plan, prev)


# ------------------------------------------------------------------- the schedule

ALL = "hàng ngày cả ngày"  # every slot of every day


def sched_roster(**changes) -> Roster:
    rs = {"R1": returnee("R1", risk=3, availability=ALL),
          "R2": returnee("R2", 0.2, risk=3, availability=ALL)}
    ms = {"M1": mentor("M1", availability=ALL), "M2": mentor("M2", 1, availability=ALL)}
    for key, fields in changes.items():
        if key in rs:
            rs[key] = dataclasses.replace(rs[key], **fields)
        else:
            ms[key] = dataclasses.replace(ms[key], **fields)
    return roster(rs.values(), ms.values(), jobs=[job("J1", 1, shift="day", entry_level=True)])


def sched_plan(ro: Roster) -> Plan:
    """R1 and R2 with M1 (high risk: weekly), visited on days 0, 7, 14, 21 of the
    4-week horizon; R1 in the mornings, R2 in the afternoons."""
    plan = Plan(plan_date=PLAN_DATE, settings=ro.settings.to_dict(), tiers={},
                assignments=[Assignment("R1", "M1"), Assignment("R2", "M1")])
    for rid, slot in (("R1", "morning"), ("R2", "afternoon")):
        for k in range(4):
            plan.visits.append(Visit(PLAN_DATE + 7 * k * DAY, slot, "M1", rid,
                                     "first" if k == 0 else "follow-up"))
    return plan


def _visit(plan: Plan, rid: str, day: int) -> int:
    return next(i for i, v in enumerate(plan.visits)
                if v.returnee_id == rid and v.date == PLAN_DATE + day * DAY)


def _move(plan: Plan, rid: str, day: int, **fields) -> None:
    i = _visit(plan, rid, day)
    plan.visits[i] = dataclasses.replace(plan.visits[i], **fields)


def _drop(plan: Plan, rid: str, day: int) -> None:
    del plan.visits[_visit(plan, rid, day)]


SCHEDULE_CASES = {
    "pair": ({"schedule pair"}, {}, lambda p: p.visits.append(
        Visit(PLAN_DATE + DAY, "evening", "M2", "R1", "follow-up"))),
    "horizon": ({"schedule horizon"}, {}, lambda p: p.visits.append(
        Visit(PLAN_DATE + 35 * DAY, "morning", "M1", "R1", "follow-up"))),
    "availability (returnee)": ({"schedule availability"},
                                {"R1": {"availability": "T2-T6 chiều"}}, lambda p: None),
    "availability (mentor)": ({"schedule availability"},
                              {"M1": {"availability": "hàng ngày sáng"}}, lambda p: None),
    "busy": ({"schedule busy"}, {},
             lambda p: setattr(p.assignments[0], "job_id", "J1")),
    "mentor-slot": ({"schedule mentor-slot"}, {},
                    lambda p: _move(p, "R2", 0, slot="morning")),
    # with 3 slots a day, a 4th visit on a day always shares a slot
    "mentor-day": ({"schedule mentor-day", "schedule mentor-slot"}, {},
                   lambda p: _add_two_mentees(p)),
    # a returnee has one mentor: two visits in one slot are that mentor's too
    "returnee-slot": ({"schedule returnee-slot", "schedule mentor-slot"}, {},
                      lambda p: p.visits.append(p.visits[_visit(p, "R1", 7)])),
    "first-visit": ({"schedule first-visit"}, {"R1": {"release_date": PLAN_DATE + 3 * DAY}},
                    lambda p: None),
    "cadence": ({"schedule cadence"}, {}, lambda p: _move(p, "R1", 14, date=PLAN_DATE
                                                          + 11 * DAY)),
    "kind": ({"schedule kind"}, {}, lambda p: _move(p, "R1", 7, kind="first")),
    "missing": ({"schedule missing"}, {}, lambda p: _drop(p, "R1", 21)),
    "unscheduled": ({"schedule unscheduled"}, {}, lambda p: _drop(p, "R1", 21) or
                    p.unscheduled.append({"mentor_id": "M1", "returnee_id": "R1",
                                          "due": (PLAN_DATE + 21 * DAY).isoformat(),
                                          "kind": "follow-up", "reason": ""})),
}


def _add_two_mentees(plan: Plan) -> None:
    """R3 and R4 (added to the roster by the case) visited on day 0 too: 4 visits."""
    plan.assignments += [Assignment("R3", "M1"), Assignment("R4", "M1")]
    for rid, slot in (("R3", "evening"), ("R4", "evening")):
        for k in range(4):
            plan.visits.append(Visit(PLAN_DATE + (7 * k + (k > 0) * (rid == "R4")) * DAY,
                                     slot, "M1", rid, "first" if k == 0 else "follow-up"))


def test_base_schedule_is_valid() -> None:
    """The hand-made schedule breaks no rule, through check_plan and check_schedule."""
    ro = sched_roster()
    plan = sched_plan(ro)
    assert check_schedule(ro, plan) == []
    assert check_plan(ro, plan) == []


@pytest.mark.parametrize("case", list(SCHEDULE_CASES), ids=list(SCHEDULE_CASES))
def test_one_broken_schedule_rule_is_named_alone(case: str) -> None:
    """Breaking one schedule rule is reported under that rule's name (and, where SPEC's
    rules imply each other, the rule it implies), by check_plan as by check_schedule."""
    expected, changes, brk = SCHEDULE_CASES[case]
    ro = sched_roster(**changes)
    if case == "mentor-day":
        ro = dataclasses.replace(ro, returnees=ro.returnees + (
            returnee("R3", 0.1, risk=3, availability=ALL),
            returnee("R4", 0.3, risk=3, availability=ALL)),
            mentors=(dataclasses.replace(ro.mentors[0], capacity=4), ro.mentors[1]))
    plan = sched_plan(ro)
    brk(plan)
    assert names(check_schedule(ro, plan)) == expected, check_schedule(ro, plan)
    assert names(check_plan(ro, plan)) == expected, check_plan(ro, plan)


def test_kept_pair_follows_its_last_previous_visit() -> None:
    """A kept pair's first visit is a follow-up within cadence ± 2 days of its last visit
    in the previous plan; too early is a cadence violation, and without the previous
    visits only a loose window is checked."""
    ro = sched_roster()
    plan = sched_plan(ro)
    for a in plan.assignments:
        a.change = "kept"
    plan.visits = [dataclasses.replace(v, kind="follow-up") for v in plan.visits]
    last = {("M1", "R1"): PLAN_DATE - 7 * DAY, ("M1", "R2"): PLAN_DATE - 7 * DAY}
    assert check_schedule(ro, plan, last) == []
    previous = SimpleNamespace(rows={}, plan_date=PLAN_DATE - 28 * DAY,
                               visits=[Visit(PLAN_DATE - 7 * DAY, "morning", "M1", rid,
                                             "follow-up") for rid in ("R1", "R2")])
    assert check_schedule(ro, plan, previous) == []
    late = {("M1", "R1"): PLAN_DATE - 2 * DAY, ("M1", "R2"): PLAN_DATE - 7 * DAY}
    bad = check_schedule(ro, plan, late)  # day 0 is 2 days after the last visit
    assert names(bad) == {"schedule cadence"} and all("R1" in b for b in bad), bad
    assert check_schedule(ro, plan) == []
