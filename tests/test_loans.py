"""Preferential loans (SPEC section 12): hard rules, tiers L1-L3 against an independent
reference, reasons naming the pool and the shortfall, employers' referral list."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import random

import pytest
from builders import job, mentor, returnee, roster

from matcher.catalog import millions
from matcher.check import assert_plan_ok, check_plan
from matcher.domain import LoanPool
from matcher.loans import allocate_loans
from matcher.plan import Plan
from matcher.solve import solve

MIL = 1_000_000


def _reference(ro, plan) -> dict[str, float]:
    """Brute force, written from SPEC section 12 alone: per pool, every subset of the
    eligible requests within the capital, best on (people, priority points, capital)."""
    s = ro.settings
    total = {"L1": 0, "L2": 0, "L3": 0}
    placed = {a.returnee_id for a in plan.assignments if a.job_id}
    for pool in ro.loan_pools:
        reqs = []
        for r in ro.returnees:
            if not r.needs_loan or r.location.ward not in pool.wards:
                continue
            if r.loan_purpose != "business" or r.release_date > s.plan_date:
                continue
            end = dt.date(r.release_date.year + s.loan_window_years, r.release_date.month,
                          min(r.release_date.day, 28 if r.release_date.month == 2 else 31))
            if s.plan_date > end:
                continue
            amount = min(r.loan_amount or s.loan_max_vnd, s.loan_max_vnd)
            points = (s.weight_loan_no_job * (r.id not in placed) + s.weight_loan_poor
                      * r.poor_household + s.weight_loan_risk * r.risk
                      + s.weight_loan_window * ((end - s.plan_date).days
                                                <= s.loan_window_soon_days))
            reqs.append((amount, points))
        best = (0, 0, 0)
        for k in range(len(reqs) + 1):
            for combo in itertools.combinations(reqs, k):
                if sum(a for a, _ in combo) <= pool.capital:
                    best = max(best, (k, sum(p for _, p in combo), sum(a for a, _ in combo)))
        for name, v in zip(("L1", "L2", "L3"), best):
            total[name] += v
    return total


WARDS = ("Phường Hạc Thành", "Phường Hàm Rồng", "Phường Quảng Phú", "Xã Hoằng Hóa")


def _loan_roster(seed: int):
    rnd = random.Random(seed)
    rs = []
    for i in range(24):
        ward = WARDS[i % 4]
        asked = rnd.choice((None, 20, 30, 50, 60, 120))
        rs.append(returnee(
            f"R{i:02d}", rnd.uniform(0, 3), ward=ward, risk=rnd.choice((1, 2, 3)),
            skills=frozenset({"may mac"}) if i % 3 else frozenset(),
            needs_loan=i % 5 != 4, loan_amount=asked and asked * MIL,
            poor_household=rnd.random() < 0.4,
            loan_purpose="other" if i == 7 else "business",
            release=rnd.choice((dt.date(2026, 11, 1), dt.date(2024, 3, 1), dt.date(2023, 6, 1),
                                dt.date(2027, 2, 1)))))
    pools = (LoanPool("P1", "Phòng giao dịch Hạc Thành", frozenset(WARDS[:2]), 150 * MIL),
             LoanPool("P2", "Quỹ Quảng Phú", frozenset(WARDS[2:3]), 90 * MIL),
             LoanPool("P3", "Quỹ Hoằng Hóa", frozenset(WARDS[3:]), 40 * MIL))
    jobs = [job("J1", 1.0, slots=3), job("J2", 2.0, slots=2, employer="Công ty B")]
    ro = roster(rs, [mentor("M1", capacity=5)], jobs)
    return dataclasses.replace(ro, loan_pools=pools)


@pytest.mark.parametrize("seed", range(8))
def test_loans_obey_the_rules_and_equal_the_reference(seed):
    ro = _loan_roster(seed)
    plan = solve(ro, schedule=False)
    assert_plan_ok(ro, plan)  # the checker's own loan rules and L1-L3
    s = ro.settings
    pools = {p.id: p for p in ro.loan_pools}
    by_r = {r.id: r for r in ro.returnees}
    used = {pid: 0 for pid in pools}
    for d in plan.loans:
        r = by_r[d.returnee_id]
        if d.amount:
            pool = pools[d.pool_id]
            assert r.location.ward in pool.wards
            assert d.amount <= s.loan_max_vnd
            assert r.loan_purpose == "business" and r.release_date <= s.plan_date
            used[d.pool_id] += d.amount
        else:
            assert d.reason and d.reason_vi
    assert all(used[pid] <= pools[pid].capital for pid in pools)
    # the capital binds: some eligible people are left out, each with the pool named
    out = [d for d in plan.loans if d.status == "left_out"]
    assert out and all(pools[d.pool_id].name in d.reason_vi for d in out)
    ref = _reference(ro, plan)
    for name in ("L1", "L2", "L3"):
        assert plan.tiers[name].value == ref[name], name
        assert plan.tiers[name].optimal and plan.tiers[name].bound == ref[name]
    # every request of a person who asked is decided once
    assert sorted(d.returnee_id for d in plan.loans) == sorted(
        r.id for r in ro.returnees if r.needs_loan)


def test_left_out_reason_names_pool_and_shortfall():
    rs = [returnee(f"R{i}", ward=WARDS[0], needs_loan=True, loan_amount=60 * MIL,
                   risk=3 - (i == 2)) for i in range(3)]
    ro = roster(rs, [mentor("M1", capacity=3)])
    ro = dataclasses.replace(ro, loan_pools=(
        LoanPool("P1", "Quỹ Hạc Thành", frozenset({WARDS[0]}), 140 * MIL),))
    plan = solve(ro, schedule=False)
    funded = [d for d in plan.loans if d.status == "funded"]
    [out] = [d for d in plan.loans if d.status == "left_out"]
    assert len(funded) == 2 and out.returnee_id == "R2"  # lower risk, fewer points
    assert out.reason_vi == ("nguồn vốn Quỹ Hạc Thành còn 20 triệu đồng, người này xin "
                             "60 triệu đồng")
    assert "20 million VND left" in out.reason
    assert plan.counts()["loans"] == 2 and plan.counts()["loan_vnd"] == 120 * MIL


def test_ineligible_reasons_and_ceiling():
    rs = [returnee("R0", ward=WARDS[0], needs_loan=True, loan_amount=150 * MIL),
          returnee("R1", ward=WARDS[0], needs_loan=True, release=dt.date(2022, 1, 1)),
          returnee("R2", ward=WARDS[0], needs_loan=True, release=dt.date(2027, 1, 5)),
          returnee("R3", ward=WARDS[1], needs_loan=True),
          returnee("R4", ward=WARDS[0], needs_loan=True, loan_purpose="other")]
    ro = dataclasses.replace(roster(rs, [mentor("M1", capacity=5)]), loan_pools=(
        LoanPool("P1", "Quỹ A", frozenset({WARDS[0]}), 500 * MIL),))
    res = allocate_loans(ro, solve(ro, schedule=False).assignments)
    got = {d.returnee_id: d for d in res.decisions}
    assert got["R0"].status == "funded" and got["R0"].amount == 100 * MIL
    assert "mức tối đa 100 triệu đồng" in got["R0"].reason_vi
    assert got["R1"].status == "ineligible" and "quá thời hạn" in got["R1"].reason_vi
    assert got["R2"].status == "ineligible" and "chưa chấp hành xong" in got["R2"].reason_vi
    assert got["R3"].status == "ineligible" and WARDS[1] in got["R3"].reason_vi
    assert got["R4"].status == "ineligible" and "sản xuất, kinh doanh" in got["R4"].reason_vi


def test_priority_binds_no_job_first_and_rerun_keeps_granted():
    """With capital for one, the person without a job placement is funded; on a rerun a
    loan granted before is kept and uses the pool's capital."""
    rs = [returnee("R0", ward=WARDS[0], needs_loan=True, loan_amount=50 * MIL,
                   skills=frozenset({"may mac"})),
          returnee("R1", ward=WARDS[0], needs_loan=True, loan_amount=50 * MIL, wants_job=False)]
    ro = dataclasses.replace(roster(rs, [mentor("M1")], [job("J1")]), loan_pools=(
        LoanPool("P1", "Quỹ A", frozenset({WARDS[0]}), 60 * MIL),))
    plan = solve(ro, schedule=False)
    assert plan.assignment("R0").job_id == "J1"
    got = {d.returnee_id: d for d in plan.loans}
    assert got["R1"].status == "funded" and got["R0"].status == "left_out"
    prev = Plan.from_json(plan.to_json())
    for d in prev.loans:
        if d.returnee_id == "R0":
            d.status, d.amount = "granted", 50 * MIL
    again = solve(ro, schedule=False, previous=prev)
    got = {d.returnee_id: d for d in again.loans}
    assert got["R0"].status == "granted" and got["R1"].status == "left_out"
    assert "còn 10 triệu đồng" in got["R1"].reason_vi


def test_employer_referral_per_worker():
    rs = [returnee(f"R{i}", i * 0.1, skills=frozenset({"may mac"})) for i in range(3)]
    ro = roster(rs, [mentor("M1", capacity=3)], [job("J1", slots=2), job("J2", slots=1,
                                                                        employer="công ty a")])
    plan = solve(ro, schedule=False)
    [emp] = plan.employer_loans
    assert emp.workers == 3 and emp.amount == 300 * MIL


def test_millions_formats():
    assert millions(12_500_000, "vi") == "12,5 triệu đồng"
    assert millions(2_000_000_000, "vi") == "2.000 triệu đồng"
    assert millions(2_000_000_000, "en") == "2,000 million VND"


@pytest.mark.parametrize("breaking, rule", [
    (lambda d, ro: setattr(d, "amount", 101 * MIL), "loan ceiling"),
    (lambda d, ro: setattr(d, "pool_id", "P2"), "loan pool"),
    (lambda d, ro: setattr(d, "amount", 0), "loan: "),
])
def test_checker_names_the_broken_loan_rule(breaking, rule):
    ro = _loan_roster(3)
    plan = solve(ro, schedule=False)
    assert check_plan(ro, plan) == []
    d = next(x for x in plan.loans if x.status == "funded" and x.pool_id == "P1")
    breaking(d, ro)
    bad = check_plan(ro, plan)
    assert any(b.startswith(rule) for b in bad), bad
    assert all(b.startswith((rule, "loan capital")) for b in bad), bad


def test_checker_catches_capital_and_window():
    ro = _loan_roster(3)
    plan = solve(ro, schedule=False)
    out = next(x for x in plan.loans if x.status == "left_out")
    out.status, out.amount = "funded", out.asked and min(out.asked, 100 * MIL)
    assert any(b.startswith("loan capital") for b in check_plan(ro, plan))
    late = next(x for x in plan.loans if x.status == "ineligible" and "quá thời hạn"
                in x.reason_vi)
    late.status, late.amount = "funded", 1 * MIL
    assert any(b.startswith("loan window") for b in check_plan(ro, plan))


def test_granted_column_read_back_from_the_workbook(tmp_path):
    """The coordinator marks a loan paid out in the workbook's loan sheet; the rerun from
    that workbook keeps it and counts it against the pool's capital."""
    import openpyxl

    from matcher.io.plan_reader import load_previous
    from matcher.io.plan_writer import write_plan_workbook

    rs = [returnee(f"R{i}", ward=WARDS[0], needs_loan=True, loan_amount=60 * MIL)
          for i in range(3)]
    ro = dataclasses.replace(roster(rs, [mentor("M1", capacity=3)]), loan_pools=(
        LoanPool("P1", "Quỹ Hạc Thành", frozenset({WARDS[0]}), 130 * MIL),))
    plan = solve(ro, schedule=False)
    path = tmp_path / "plan.xlsx"
    write_plan_workbook(plan, ro, path, lang="vi")
    wb = openpyxl.load_workbook(path)
    ws = wb["Kết quả vay vốn"]
    head = [c.value for c in ws[1]]
    col = head.index("Đã giải ngân (ghi có khi đã vay)") + 1
    funded = [d.returnee_id for d in plan.loans if d.status == "funded"]
    for row in range(2, ws.max_row + 1):
        if ws.cell(row, 1).value == funded[0]:
            ws.cell(row, col, "có")
    wb.save(path)
    prev = load_previous(path, ro)
    assert prev.granted == {funded[0]: 60 * MIL}
    again = solve(ro, schedule=False, previous=prev)
    assert_plan_ok(ro, again, prev)
    got = {d.returnee_id: d.status for d in again.loans}
    assert got[funded[0]] == "granted" and list(got.values()).count("funded") == 1
