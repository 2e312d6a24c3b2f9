"""Reruns after new releases: confirmed pairs kept, as few changes as possible (M3, proved),
every row's status and reason, and previous plans read from JSON and the workbook."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
from openpyxl import load_workbook

from cli.main import main
from matcher.check import assert_plan_ok, check_plan
from matcher.errors import RosterError
from matcher.generate import generate_roster
from matcher.io.plan_reader import load_previous
from matcher.io.plan_writer import write_plan_workbook
from matcher.plan import Assignment, Plan
from matcher.solve import solve


def amnesty(roster, extra: int, seed: int):
    """The roster plus ``extra`` new returnees released near the same places."""
    donor = generate_roster("city", seed)
    new = []
    for i, r in enumerate(donor.returnees[:extra]):
        new.append(dataclasses.replace(r, id=f"A{i:04d}",
                                       group=None if r.group is None else f"A-{r.group}"))
    return dataclasses.replace(roster, returnees=roster.returnees + tuple(new), pairs=())


def confirm_some(plan: Plan, every: int) -> Plan:
    out = Plan.from_json(plan.to_json())
    for i, a in enumerate(out.assignments):
        a.confirmed = bool(a.mentor_id) and i % every == 0
    return out


def test_rerun_same_roster_changes_nothing():
    """Rerunning a roster against its own plan keeps every pair and placement."""
    roster = generate_roster("ward", 1)
    plan = solve(roster, schedule=False)
    again = solve(roster, previous=plan, schedule=False)
    assert_plan_ok(roster, again, plan)
    assert again.changes["counts"]["changed"] == 0 and again.changes["counts"]["ended"] == 0
    assert again.tiers["M3"].value == 0 and again.tiers["M3"].optimal
    assert again.tiers["J3"].value == 0
    for a, b in zip(plan.assignments, again.assignments):
        assert (a.mentor_id, a.job_id, a.training_id) == (b.mentor_id, b.job_id, b.training_id)
        assert b.change in ("kept", "new")


def test_city_amnesty_keeps_confirmed_and_matches_fresh_m1_m2():
    """City roster, then 150 new returnees: every confirmed pair is kept, M1/M2 equal a
    fresh plan's, and M3 is proved minimal. Mentors are scarce (900 for 1,150 people) and
    have no hour budgets, so the whole rerun is the exact flow; the CP-SAT path with hour
    budgets is compared with a MIP at ward scale below."""
    roster = generate_roster("city", 1)
    mentors = tuple(dataclasses.replace(m, hours_per_month=None) for m in roster.mentors[:900])
    roster = dataclasses.replace(roster, mentors=mentors)
    plan = confirm_some(solve(roster, schedule=False), every=3)
    wave = amnesty(roster, 150, seed=7)
    fresh = solve(wave, schedule=False)
    rerun = solve(wave, previous=plan, schedule=False)
    assert_plan_ok(wave, rerun, plan)
    for old in plan.assignments:
        if old.confirmed:
            assert rerun.assignment(old.returnee_id).mentor_id == old.mentor_id
    for name in ("M1", "M2"):
        assert rerun.tiers[name].value == fresh.tiers[name].value
        assert rerun.tiers[name].optimal
    assert rerun.tiers["M3"].optimal and rerun.tiers["M3"].bound == rerun.tiers["M3"].value
    counts = rerun.changes["counts"]
    assert counts["new"] >= 150 - 5 and counts["kept"] > 0


def test_city_seed1_amnesty_as_the_issue_states():
    """`generate --scale city --seed 1`, planned with a third of the pairs confirmed; 150
    arrivals; rerun: confirmed pairs kept, M1/M2 equal a fresh plan's, M3 proved."""
    roster = generate_roster("city", 1)
    plan = confirm_some(solve(roster, schedule=False), every=3)
    wave = amnesty(roster, 150, seed=7)
    fresh = solve(wave, schedule=False)
    rerun = solve(wave, previous=plan, schedule=False)
    assert_plan_ok(wave, rerun, plan)
    assert all(rerun.assignment(a.returnee_id).mentor_id == a.mentor_id
               for a in plan.assignments if a.confirmed)
    for name in ("M1", "M2"):
        assert rerun.tiers[name].value == fresh.tiers[name].value and rerun.tiers[name].optimal
    assert rerun.tiers["M3"].optimal and rerun.tiers["M3"].value == rerun.tiers["M3"].bound


def _mip_min_changes(roster, previous: Plan) -> tuple[float, float, float]:
    """Independent lexicographic MIP: M1, then M2, then fewest changed previous pairs, with
    confirmed pairs fixed and every pair checked by the independent checker."""
    from scipy.optimize import Bounds, LinearConstraint, milp

    from matcher.check import monthly_hours

    prev = {a.returnee_id: a for a in previous.assignments}

    def ok(rid, mid):
        plan = Plan(roster.settings.plan_date, {}, {}, [
            Assignment(r.id, mentor_id=mid if r.id == rid else None) for r in roster.returnees])
        return not [b for b in check_plan(roster, plan) if not b.startswith("rule 7: required")]

    pairs = [(i, k) for i, r in enumerate(roster.returnees)
             for k, m in enumerate(roster.mentors) if ok(r.id, m.id)]
    rows, lo, hi = [], [], []
    for i in range(len(roster.returnees)):
        rows.append([p[0] == i for p in pairs])
        lo.append(0)
        hi.append(1)
    for k, m in enumerate(roster.mentors):
        rows.append([p[1] == k for p in pairs])
        lo.append(0)
        hi.append(m.capacity)
        if m.hours_per_month is not None:
            rows.append([monthly_hours(roster, roster.returnees[p[0]], m) if p[1] == k else 0
                         for p in pairs])
            lo.append(0)
            hi.append(m.hours_per_month)
        for g in {r.group for r in roster.returnees if r.group}:
            rows.append([p[1] == k and roster.returnees[p[0]].group == g for p in pairs])
            lo.append(0)
            hi.append(1)
    keepable = np.zeros(len(pairs))
    for j, (i, k) in enumerate(pairs):
        a = prev.get(roster.returnees[i].id)
        if a and a.mentor_id == roster.mentors[k].id:
            if a.confirmed:
                e = [x == j for x in range(len(pairs))]
                rows.append(e)
                lo.append(1)
                hi.append(1)
            else:
                keepable[j] = 1
    cons = [LinearConstraint(np.array(rows, dtype=float), lo, hi)]
    integ = np.ones(len(pairs))
    c1 = -np.ones(len(pairs))
    r1 = milp(c1, constraints=cons, integrality=integ, bounds=Bounds(0, 1))
    cons.append(LinearConstraint(c1.reshape(1, -1), -np.inf, r1.fun + 1e-6))
    c2 = -np.array([roster.returnees[i].risk for i, _ in pairs], dtype=float)
    r2 = milp(c2, constraints=cons, integrality=integ, bounds=Bounds(0, 1))
    cons.append(LinearConstraint(c2.reshape(1, -1), -np.inf, r2.fun + 1e-6))
    r3 = milp(-keepable, constraints=cons, integrality=integ, bounds=Bounds(0, 1))
    return -r1.fun, -r2.fun, keepable.sum() + r3.fun


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_ward_rerun_m3_equals_independent_mip(seed):
    """Ward roster with scarce mentors, 15 high-priority arrivals: M1, M2 and the number of
    changed pairs equal an independent MIP's."""
    roster = generate_roster("ward", seed)
    roster = dataclasses.replace(roster, mentors=roster.mentors[:16], pairs=())
    plan = confirm_some(solve(roster, schedule=False), every=4)
    donor = generate_roster("ward", seed + 10)
    new = tuple(dataclasses.replace(r, id=f"N{i}", risk=3, group=None)
                for i, r in enumerate(donor.returnees[:15]))
    wave = dataclasses.replace(roster, returnees=roster.returnees + new)
    rerun = solve(wave, previous=plan, schedule=False)
    assert_plan_ok(wave, rerun, plan)
    m1, m2, m3 = _mip_min_changes(wave, plan)
    assert rerun.tiers["M1"].value == pytest.approx(m1)
    assert rerun.tiers["M2"].value == pytest.approx(m2)
    assert rerun.tiers["M3"].value == pytest.approx(m3)
    assert rerun.tiers["M3"].optimal


def test_deactivated_mentor_ends_exactly_their_pairs():
    """Deactivating a mentor ends exactly their pairs with that reason, and their mentees
    get another mentor where one is free."""
    roster = generate_roster("ward", 2)
    plan = solve(roster, schedule=False)
    target = next(a.mentor_id for a in plan.assignments if a.mentor_id)
    theirs = {a.returnee_id for a in plan.assignments if a.mentor_id == target}
    mentors = tuple(dataclasses.replace(m, active=False) if m.id == target else m
                    for m in roster.mentors)
    changed = dataclasses.replace(roster, mentors=mentors)
    rerun = solve(changed, previous=plan, schedule=False)
    assert_plan_ok(changed, rerun, plan)
    moved = {a.returnee_id for a in rerun.assignments if a.change in ("changed", "ended")}
    assert moved == theirs
    for rid in theirs:
        a = rerun.assignment(rid)
        assert "inactive" in a.reason and target in a.reason
        assert a.mentor_id is not None  # 80 mentors for 40 people: someone is free


def test_previous_from_workbook_and_json_give_same_rerun(tmp_path):
    """A previous plan read from its workbook and from its JSON gives the same rerun."""
    roster = generate_roster("ward", 3)
    plan = confirm_some(solve(roster, schedule=False), every=2)
    xlsx, js = tmp_path / "plan.xlsx", tmp_path / "plan.json"
    write_plan_workbook(plan, roster, xlsx, lang="vi")
    js.write_text(json.dumps(plan.to_json(), ensure_ascii=False), encoding="utf-8")
    wave = amnesty(roster, 10, seed=3)
    a = solve(wave, previous=load_previous(xlsx, wave), schedule=False)
    b = solve(wave, previous=load_previous(js, wave), schedule=False)
    assert [(x.mentor_id, x.job_id, x.change) for x in a.assignments] == \
        [(x.mentor_id, x.job_id, x.change) for x in b.assignments]
    assert a.tiers["M3"].value == b.tiers["M3"].value


def _edited_workbook(tmp_path, roster, edit):
    plan = solve(roster, schedule=False)
    path = tmp_path / "plan.xlsx"
    write_plan_workbook(plan, roster, path, lang="en")
    wb = load_workbook(path)
    ws = wb["Assignments"]
    headers = [c.value for c in ws[1]]
    edit(ws, headers)
    wb.save(path)
    return plan, path


def test_hand_edited_workbook_problems_are_clear(tmp_path, capsys):
    """A confirmed pair that now breaks a rule ends with the rule; an unknown mentor id is a
    warning naming row and column; a deleted column is an error naming it; no traceback."""
    roster = generate_roster("ward", 1)
    roster_file = tmp_path / "roster.xlsx"
    from matcher.io.roster_writer import write_roster

    write_roster(roster, roster_file)

    def confirm_and_unknown(ws, headers):
        col_c = headers.index("Confirmed") + 1
        col_m = headers.index("Mentor id") + 1
        ws.cell(row=2, column=col_c, value="x")
        ws.cell(row=3, column=col_m, value="M99999")

    plan, path = _edited_workbook(tmp_path, roster, confirm_and_unknown)
    # the confirmed pair of row 2 now breaks rule 5: the mentor takes only low risk
    first = plan.assignments[0]
    mentors = tuple(dataclasses.replace(m, max_risk=1) if m.id == first.mentor_id else m
                    for m in roster.mentors)
    changed = dataclasses.replace(roster, mentors=mentors,
                                  returnees=tuple(dataclasses.replace(r, risk=3)
                                                  if r.id == first.returnee_id else r
                                                  for r in roster.returnees))
    prev = load_previous(path, changed)
    assert any(i.row == 3 and i.column == "mentor_id" and "M99999" in i.message("en")
               for i in prev.issues)
    rerun = solve(changed, previous=prev, schedule=False)
    assert_plan_ok(changed, rerun, prev)
    a = rerun.assignment(first.returnee_id)
    assert a.change in ("changed", "ended") and "rule 5" in a.reason
    assert "Mức nguy cơ: " in a.reason_vi and "quy tắc" not in a.reason_vi
    assert any("row 3" in w and "M99999" in w for w in rerun.warnings)
    # the previous plan's problems are notes in Vietnamese too, one for one
    assert len(rerun.warnings_vi) == len(rerun.warnings)
    assert any(w.startswith("kế hoạch trước, ") and "dòng 3" in w and "M99999" in w
               for w in rerun.warnings_vi)

    def drop_column(ws, headers):
        ws.delete_cols(headers.index("Mentor id") + 1)

    _, broken = _edited_workbook(tmp_path, roster, drop_column)
    with pytest.raises(RosterError) as err:
        load_previous(broken, roster)
    assert any(i.column and "mentor" in i.column.lower() for i in err.value.issues)
    code = main(["plan", str(roster_file), "--previous", str(broken), "--quiet"])
    out = capsys.readouterr()
    assert code == 2 and "cựu chiến binh" in out.out.lower()
    assert "Traceback" not in out.out + out.err


def test_rerun_workbook_has_the_change_report(tmp_path):
    """A rerun plan writes its workbook in both languages with a Changes sheet listing every
    changed pair and its reason."""
    roster = generate_roster("ward", 2)
    plan = solve(roster, schedule=False)
    target = next(a.mentor_id for a in plan.assignments if a.mentor_id)
    mentors = tuple(dataclasses.replace(m, active=False) if m.id == target else m
                    for m in roster.mentors)
    changed = dataclasses.replace(roster, mentors=mentors)
    rerun = solve(changed, previous=plan, schedule=False)
    for lang, sheet, word in (("en", "Changes", "inactive"), ("vi", None, "không còn hoạt động")):
        path = tmp_path / f"rerun_{lang}.xlsx"
        write_plan_workbook(rerun, changed, path, lang=lang)
        wb = load_workbook(path)
        ws = wb[sheet] if sheet else next(w for w in wb.worksheets
                                          if any(word in str(c.value) for r in w.iter_rows()
                                                 for c in r))
        text = " ".join(str(c.value) for r in ws.iter_rows() for c in r if c.value)
        assert word in text and target in text


def test_regression_cli_rerun_from_workbook_with_new_releases(tmp_path, capsys):
    """Regression: a rerun from the plan workbook (which carries no visit history) with a
    file of new releases passes the checker, schedule included, and prints the change
    counts; kept pairs of people released later are visited from their release."""
    from pathlib import Path

    from openpyxl import load_workbook as open_book

    from matcher.io.reader import read_roster
    from matcher.io.roster_writer import write_roster

    sample = Path(__file__).resolve().parents[1] / "data" / "sample" / "roster.xlsx"
    xlsx = tmp_path / "plan.xlsx"
    assert main(["plan", str(sample), "--out", str(xlsx), "--quiet"]) == 0
    base = read_roster(sample)
    donor = generate_roster("city", 5)
    new = tuple(dataclasses.replace(r, id=f"N{i:03d}", group=None)
                for i, r in enumerate(donor.returnees[:30]))
    releases = tmp_path / "new_releases.xlsx"
    write_roster(dataclasses.replace(base, returnees=new, mentors=(), jobs=(), trainings=(),
                                     pairs=()), releases, lang="vi")
    wb = open_book(releases)
    for name in wb.sheetnames[1:]:  # only the Returnees sheet
        del wb[name]
    wb.save(releases)
    capsys.readouterr()
    code = main(["plan", str(sample), str(releases), "--previous", str(xlsx), "--quiet",
                 "--json", str(tmp_path / "plan2.json")])
    out = capsys.readouterr()
    assert code == 0, out.out + out.err
    assert ("Thay đổi so với kế hoạch trước: mới 31" in out.out
            or "Thay đổi so với kế hoạch trước: mới 30" in out.out)
