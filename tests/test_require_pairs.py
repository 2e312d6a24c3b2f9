"""Pairs rows for jobs and training seats, end to end (SPEC rule 7): require rows hold when
they can, and a row that cannot be honoured is listed with its reason — the plan is always
written."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest
from builders import job, mentor, pair, returnee, roster, training

from cli.main import main
from matcher.check import assert_plan_ok
from matcher.solve import solve

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample" / "roster.xlsx"


def _with_pairs(tmp_path: Path, rows: list[list], name: str = "roster.xlsx") -> Path:
    wb = openpyxl.load_workbook(SAMPLE)
    ws = wb["Cặp chỉ định"]
    headers = [c.value for c in ws[1]]
    for returnee_id, mentor_id, job_id, rule, reason in rows:
        values = {"Mã người trở về": returnee_id, "Mã cựu chiến binh": mentor_id,
                  "Mã việc làm": job_id, "Quy tắc": rule, "Lý do": reason}
        ws.append([values.get(h) for h in headers])
    out = tmp_path / name
    wb.save(out)
    return out


def _returnee_with_offense(offense_vi: str) -> str:
    wb = openpyxl.load_workbook(SAMPLE, read_only=True)
    for row in wb["Người trở về"].iter_rows(min_row=2, values_only=True):
        if row[8] == offense_vi:
            return row[0]
    raise AssertionError(offense_vi)


def test_sample_with_job_require_row_plans_and_places_him(tmp_path, capsys):
    """The issue's case: R00001 required at J0005 ("the business has agreed") plans with
    exit 0 and R00001 works at J0005."""
    src = _with_pairs(tmp_path, [["R00001", None, "J0005", "bắt buộc",
                                  "Doanh nghiệp đã nhận lời"]])
    out = tmp_path / "plan.json"
    code = main(["plan", str(src), "--json", str(out), "--quiet"])
    printed = capsys.readouterr()
    assert code == 0, printed.out + printed.err
    data = json.loads(out.read_text(encoding="utf-8"))
    r1 = next(a for a in data["assignments"] if a["returnee_id"] == "R00001")
    assert r1["job_id"] == "J0005"
    assert data["unmet_requires"] == []


def test_impossible_job_require_row_is_listed_not_refused(tmp_path, capsys):
    """A require row whose job excludes the person's offense: exit 0, the row is listed with
    its reason in the JSON (unmet_requires, warnings) and in the workbook."""
    rid = _returnee_with_offense("bạo lực")  # J0001 excludes property and violence
    src = _with_pairs(tmp_path, [[rid, None, "J0001", "bắt buộc", "Thử"]])
    out_json, out_xlsx = tmp_path / "plan.json", tmp_path / "plan.xlsx"
    code = main(["plan", str(src), "--json", str(out_json), "--out", str(out_xlsx), "--quiet"])
    printed = capsys.readouterr()
    assert code == 0, printed.out + printed.err
    data = json.loads(out_json.read_text(encoding="utf-8"))
    assert [(u["returnee_id"], u["kind"], u["target_id"], u["row"])
            for u in data["unmet_requires"]] == [(rid, "job", "J0001", 14)]
    unmet = data["unmet_requires"][0]
    assert "rule 11" in unmet["reason"] and "violence" in unmet["reason"]
    assert "bạo lực" in unmet["reason_vi"]
    assert any("J0001" in w and "rule 11" in w for w in data["warnings"])
    r = next(a for a in data["assignments"] if a["returnee_id"] == rid)
    assert r["job_id"] != "J0001"
    wb = openpyxl.load_workbook(out_xlsx, read_only=True)
    texts = [str(c) for ws in wb.worksheets for row in ws.iter_rows(values_only=True)
             for c in row if c]
    assert any(f"{rid}–J0001" in t and ("rule 11" in t or "Tội danh và độ tuổi" in t)
               for t in texts)


def _people():
    rs = [returnee(f"R{i}", i * 0.1, skills=frozenset({"may mac"})) for i in range(4)]
    ms = [mentor("M1", capacity=4)]
    return rs, ms


def test_job_require_rows_full_and_twice_for_one_person():
    """Slots taken by earlier require rows, and a second require row for one person, are
    reported in plain words; every honoured row holds; the plan passes the checker."""
    rs, ms = _people()
    jobs = [job("J1", slots=1), job("J2", 1.0, slots=3, employer="Công ty B")]
    pairs = [pair("R0", jid="J1", rule="require", row=2),
             pair("R1", jid="J1", rule="require", row=3),  # J1 full (R0 took it)
             pair("R2", jid="J2", rule="require", row=4),
             pair("R2", jid="J1", rule="require", row=5)]  # R2 already has J2
    ro = roster(rs, ms, jobs, pairs=pairs)
    plan = solve(ro, schedule=False)
    assert_plan_ok(ro, plan)
    assert plan.assignment("R0").job_id == "J1"
    assert plan.assignment("R2").job_id == "J2"
    got = {(u.returnee_id, u.target_id, u.row): u for u in plan.unmet_requires}
    assert set(got) == {("R1", "J1", 3), ("R2", "J1", 5)}
    assert "full" in got[("R1", "J1", 3)].reason
    assert "đã đủ người" in got[("R1", "J1", 3)].reason_vi
    assert "already has a place (J2)" in got[("R2", "J1", 5)].reason
    # R1 still gets the other job: the failed row does not take the person out of the plan
    assert plan.assignment("R1").job_id == "J2"


def test_require_row_binds_against_the_optimum():
    """Without the row the optimum places R0 elsewhere; with it R0 takes the job it is
    required at, and the tiers stay proved."""
    rs = [returnee("R0", 0.0, skills=frozenset({"may mac", "han"})),
          returnee("R1", 0.1, skills=frozenset({"may mac"}))]
    jobs = [job("J1", slots=1), job("J2", 0.2, sector="han", slots=1, employer="Công ty B")]
    free = solve(roster(rs, [mentor("M1")], jobs), schedule=False)
    assert free.assignment("R0").job_id == "J2"
    ro = roster(rs, [mentor("M1")], jobs, pairs=[pair("R0", jid="J1", rule="require")])
    plan = solve(ro, schedule=False)
    assert_plan_ok(ro, plan)
    assert plan.assignment("R0").job_id == "J1"
    assert plan.assignment("R1").job_id is None  # J2 needs "han", which R1 lacks
    assert plan.tiers["J1"].value == 1 < free.tiers["J1"].value
    assert all(t.optimal for t in plan.tiers.values())


def test_training_require_forbid_and_affinity():
    """Training rows: require places the person in that course, forbid keeps them out (the
    nearer course would win without it), affinity adds to J4 and changes the choice."""
    rs = [returnee("R0", wants_job=False, wants_training=True),
          returnee("R1", 0.1, wants_job=False, wants_training=True),
          returnee("R2", 0.2, wants_job=False, wants_training=True)]
    ts = [training("T1", seats=1), training("T2", 3.0, seats=1), training("T3", 6.0, seats=2)]
    pairs = [pair("R2", training_id="T1", rule="require", row=2),
             pair("R0", training_id="T2", rule="forbid", row=3),
             pair("R1", training_id="T3", affinity=5, row=4)]
    ro = roster(rs, [mentor("M1", capacity=3)], trainings=ts, pairs=pairs)
    plan = solve(ro, schedule=False)
    assert_plan_ok(ro, plan)
    assert plan.assignment("R2").training_id == "T1"
    assert plan.assignment("R1").training_id == "T3"  # affinity beats the nearer T2
    assert plan.assignment("R0").training_id == "T3"  # T2 is forbidden, T1 required for R2
    assert plan.tiers["J2"].value == 3 and plan.tiers["J4"].value == 5
    assert plan.assignment("R1").score["job_affinity"] == 5
    free = solve(roster(rs, [mentor("M1", capacity=3)], trainings=ts), schedule=False)
    assert free.assignment("R2").training_id != "T1" or free.assignment("R0").training_id == "T2"
    assert free.tiers["J5"].value < plan.tiers["J5"].value


def test_impossible_training_require_is_listed():
    rs = [returnee("R0", wants_training=True)]
    ts = [training("T1", 30.0, seats=1)]  # 30 km > training_max_km 20
    ro = roster(rs, [mentor("M1")], trainings=ts,
                pairs=[pair("R0", training_id="T1", rule="require")])
    plan = solve(ro, schedule=False)
    assert_plan_ok(ro, plan)
    [u] = plan.unmet_requires
    assert (u.kind, u.target_id) == ("training", "T1") and "rule 9" in u.reason
    left = next(u for u in plan.unassigned if u.returnee_id == "R0")
    assert any("required pair R0–T1" in x for x in left.reasons)


def test_employer_co_offender_require_rows():
    """Two co-offenders required at two openings of one employer: the second row is
    reported (rule 12), the first holds."""
    rs = [returnee("R0", group="G", skills=frozenset({"may mac"})),
          returnee("R1", 0.1, group="G", skills=frozenset({"may mac"}))]
    jobs = [job("J1", slots=1), job("J2", 0.5, slots=1)]  # both "Công ty A"
    ro = roster(rs, [mentor("M1")], jobs,
                pairs=[pair("R0", jid="J1", rule="require", row=2),
                       pair("R1", jid="J2", rule="require", row=3)])
    plan = solve(ro, schedule=False)
    assert_plan_ok(ro, plan)
    assert plan.assignment("R0").job_id == "J1"
    assert plan.assignment("R1").job_id is None
    [u] = plan.unmet_requires
    assert u.row == 3 and "co-offender" in u.reason


def test_mentor_require_rows_unmet_are_listed():
    rs = [returnee("R0"), returnee("R1", 0.1), returnee("R2", gender="F")]
    ms = [mentor("M1", capacity=1), mentor("M2", 0.3)]
    ro = roster(rs, ms, pairs=[pair("R0", "M1", rule="require", row=2),
                               pair("R1", "M1", rule="require", row=3),
                               pair("R2", "M2", rule="require", row=4)])
    plan = solve(ro, schedule=False)
    assert_plan_ok(ro, plan)
    assert plan.assignment("R0").mentor_id == "M1"
    got = {u.row: u for u in plan.unmet_requires}
    assert set(got) == {3, 4}
    assert "full" in got[3].reason and "rule 4" in got[4].reason


@pytest.mark.parametrize("hired_elsewhere", [False, True])
def test_rerun_hired_placement_comes_before_a_require_row(hired_elsewhere):
    """On a rerun a hired placement is a fact; a require row for another job for the same
    person is listed as unmet, one for the same job is simply honoured."""
    from matcher.plan import Plan

    rs = [returnee("R0", skills=frozenset({"may mac"})),
          returnee("R1", 0.1, skills=frozenset({"may mac"}))]
    jobs = [job("J1", slots=1), job("J2", 0.2, slots=1, employer="Công ty B")]
    first = solve(roster(rs, [mentor("M1")], jobs), schedule=False)
    prev = Plan.from_json(first.to_json())
    held = prev.assignment("R0").job_id
    prev.assignment("R0").hired = True
    target = ({"J1", "J2"} - {held}).pop() if hired_elsewhere else held
    ro = roster(rs, [mentor("M1")], jobs, pairs=[pair("R0", jid=target, rule="require")])
    plan = solve(ro, schedule=False, previous=prev)
    assert plan.assignment("R0").job_id == held
    if hired_elsewhere:
        [u] = plan.unmet_requires
        assert u.target_id == target and f"already has a place ({held})" in u.reason
    else:
        assert plan.unmet_requires == []


def test_rerun_hired_beyond_lowered_slots_ends_with_a_note():
    """Two people hired at J1, whose slots drop to 1: one stays, the other's placement is
    noted for checking — the plan is written and passes the checker."""
    from matcher.plan import Plan

    rs = [returnee("R0", skills=frozenset({"may mac"})),
          returnee("R1", 0.1, skills=frozenset({"may mac"}))]
    first = solve(roster(rs, [mentor("M1")], [job("J1", slots=2)]), schedule=False)
    prev = Plan.from_json(first.to_json())
    for a in prev.assignments:
        assert a.job_id == "J1"
        a.hired = True
    ro = roster(rs, [mentor("M1")], [job("J1", slots=1)])
    plan = solve(ro, schedule=False, previous=prev)
    assert_plan_ok(ro, plan)
    assert sorted(a.job_id or "-" for a in plan.assignments) == ["-", "J1"]
    assert any("was hired for J1" in w and "now has 1 place;" in w for w in plan.warnings)
