"""The monthly loop (SPEC section 12), two months in a row through the workbook a
coordinator hands back: visits marked done or not, new releases, one person's follow-up
ended — the committee report's figures are recounted here from the roster and the marked
schedule alone."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter

import openpyxl
import pytest
from builders import job, mentor, returnee, roster

from matcher.check import assert_plan_ok
from matcher.domain import LoanPool
from matcher.io.plan_reader import load_previous
from matcher.io.plan_writer import write_plan_workbook
from matcher.review import TOTAL, committee_report
from matcher.solve import solve

WARDS = ("Phường Hạc Thành", "Phường Hàm Rồng")
MIL = 1_000_000


def _month_one():
    rs = [returnee(f"R{i}", i * 0.3, ward=WARDS[i % 2], risk=1 + i % 3,
                   skills=frozenset({"may mac"}) if i % 2 else frozenset(),
                   release=dt.date(2026, 11, 10 + i), needs_loan=i in (1, 4),
                   loan_amount=40 * MIL, availability="hàng ngày")
          for i in range(6)]
    ms = [mentor("M1", 0.2, capacity=3, ward=WARDS[0], availability="hàng ngày"),
          mentor("M2", 1.0, capacity=3, ward=WARDS[1], availability="hàng ngày")]
    ro = roster(rs, ms, [job("J1", 0.5, slots=2)])
    return dataclasses.replace(ro, loan_pools=(
        LoanPool("P1", "Quỹ Hạc Thành", frozenset(WARDS), 50 * MIL),))


def _mark(path, done_rule) -> dict[tuple[str, str, str], bool]:
    """Fill the Schedule sheet's done column; returns what was marked."""
    wb = openpyxl.load_workbook(path)
    ws = wb["Lịch thăm"]
    head = [c.value for c in ws[1]]
    col = {h: i + 1 for i, h in enumerate(head)}
    marks = {}
    for row in range(2, ws.max_row + 1):
        day = ws.cell(row, col["Ngày"]).value
        mid = ws.cell(row, col["Mã cựu chiến binh"]).value
        rid = ws.cell(row, col["Mã người trở về"]).value
        if not mid:
            continue
        day = day.date() if isinstance(day, dt.datetime) else day
        done = done_rule(mid, rid, day)
        ws.cell(row, col["Đã thăm (có / không)"], "có" if done else "không")
        marks[(day.isoformat(), mid, rid)] = done
    wb.save(path)
    return marks


@pytest.fixture
def two_months(tmp_path):
    first = _month_one()
    plan1 = solve(first)
    assert_plan_ok(first, plan1)
    path = tmp_path / "thang-12.xlsx"
    write_plan_workbook(plan1, first, path, lang="vi")
    # M1 made every visit but R0's second; M2 made none
    marks = _mark(path, lambda m, r, d: m == "M1" and not (r == "R0" and d.day > 10))
    second_date = dt.date(2027, 1, 1)
    new = [returnee(f"N{i}", 0.1 * i, ward=WARDS[0], release=dt.date(2026, 12, 20 + i),
                    availability="hàng ngày") for i in range(2)]
    people = [dataclasses.replace(r, follow_up_end=dt.date(2026, 12, 31)) if r.id == "R2"
              else r for r in first.returnees] + new
    second = dataclasses.replace(first.with_settings(plan_date=second_date),
                                 returnees=tuple(people))
    prev = load_previous(path, second)
    plan2 = solve(second, previous=prev)
    assert_plan_ok(second, plan2, prev)
    return first, plan1, second, plan2, prev, marks


def test_visits_done_are_read_back_and_counted(two_months):
    _first, plan1, _second, plan2, prev, marks = two_months
    due = {k: v for k, v in marks.items() if dt.date.fromisoformat(k[0]) < dt.date(2027, 1, 1)}
    assert len(prev.visits) == len(plan1.visits) == len(marks)
    review = plan2.visit_review
    assert review["planned"] == len(due)
    assert review["done"] == sum(due.values())
    per_mentor = Counter(m for (_, m, _), d in due.items())
    done_mentor = Counter(m for (_, m, _), d in due.items() if d)
    assert {x["mentor_id"]: (x["planned"], x["done"]) for x in review["by_mentor"]} == {
        m: (per_mentor[m], done_mentor[m]) for m in per_mentor}
    assert review["idle_mentors"] == ["M2"]
    firsts = {(m, r) for (d, m, r), ok in due.items() if not ok and
              any(v.kind == "first" and v.mentor_id == m and v.returnee_id == r
                  and v.date.isoformat() == d for v in plan1.visits)}
    assert {(x["mentor_id"], x["returnee_id"]) for x in review["missed_first"]} == firsts


def test_overdue_pairs_are_visited_first(two_months):
    """A kept pair whose planned visits were not made is due at once: its first visit in
    the new schedule falls within first_visit_days of the plan date."""
    _first, _plan1, second, plan2, _prev, marks = two_months
    s = second.settings
    missed_pairs = {(m, r) for (d, m, r), ok in marks.items() if not ok}
    kept = {a.returnee_id: a.mentor_id for a in plan2.assignments if a.change == "kept"}
    overdue = [(m, r) for m, r in missed_pairs if kept.get(r) == m
               and not any(ok for (d, mm, rr), ok in marks.items() if (mm, rr) == (m, r))]
    assert overdue
    for m, r in overdue:
        dates = sorted(v.date for v in plan2.visits if (v.mentor_id, v.returnee_id) == (m, r))
        assert dates and (dates[0] - s.plan_date).days <= s.first_visit_days


def test_follow_up_ended_and_report_figures(two_months):
    _first, _plan1, second, plan2, _prev, marks = two_months
    r2 = plan2.assignment("R2")
    assert r2.change == "ended" and r2.mentor_id is None and "hết thời gian theo dõi" in \
        r2.reason_vi
    [item] = [x for x in plan2.changes["list"] if x["returnee_id"] == "R2"]
    assert item["change"] == "ended" and "hết thời gian theo dõi" in item["reason_vi"]
    table = committee_report(second, plan2).set_index("ward")
    day = second.settings.plan_date
    rows = {a.returnee_id: a for a in plan2.assignments}
    due = {k: v for k, v in marks.items() if dt.date.fromisoformat(k[0]) < day}
    for ward in WARDS:
        people = [r for r in second.returnees if r.location.ward == ward]
        active = [r for r in people if not (r.follow_up_end and r.follow_up_end <= day)]
        got = table.loc[ward]
        assert got["under_management"] == len(active)
        assert got["received_period"] == sum(
            day - dt.timedelta(days=30) < r.release_date <= day for r in people)
        assert got["received_since"] == sum(
            dt.date(day.year, 1, 1) <= r.release_date <= day for r in people)
        assert got["with_mentor"] == sum(rows[r.id].mentor_id is not None for r in people)
        assert got["in_job"] == sum(rows[r.id].job_id is not None for r in people)
        ids = {r.id for r in people}
        assert got["visits_planned"] == sum(1 for (_, _, r) in due if r in ids)
        assert got["visits_done"] == sum(ok for (_, _, r), ok in due.items() if r in ids)
        loans = [d for d in plan2.loans if d.returnee_id in ids and d.status == "funded"]
        assert got["loans_referred"] == len(loans)
        assert got["loans_referred_vnd"] == sum(d.amount for d in loans)
        lent = {d.returnee_id for d in plan2.loans if d.amount}
        assert got["nothing_yet"] == sum(
            1 for r in active if not (rows[r.id].mentor_id or rows[r.id].job_id
                                      or rows[r.id].training_id or r.id in lent))
    total = table.loc[TOTAL]
    assert total["under_management"] == len(second.returnees) - 1
    assert total["visits_done"] == sum(due.values())
