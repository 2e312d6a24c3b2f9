"""Visit schedule (SPEC section 6): every rule, exactness against CP-SAT, the checker and
the iCalendar export."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import random
import re
from collections import Counter

import pytest
from builders import PLAN_DATE, course, job, mentor, returnee, roster
from icalendar import Calendar

from matcher import schedule as sched
from matcher import visit_model
from matcher.check import check_schedule
from matcher.ics import write_ics
from matcher.plan import Assignment, Plan, Visit
from matcher.schedule import schedule_visits
from matcher.visit_model import MentorProblem, Task

DAY = dt.timedelta(days=1)
END = PLAN_DATE + 27 * DAY  # 4-week horizon; PLAN_DATE (2026-12-01) is a Tuesday


def make_plan(ros, pairs: dict[str, str], **per_returnee) -> Plan:
    """A plan with the given mentor pairs; per_returnee maps rid -> Assignment fields."""
    assignments = [Assignment(returnee_id=r.id, mentor_id=pairs.get(r.id),
                              **per_returnee.get(r.id, {})) for r in ros.returnees]
    return Plan(plan_date=ros.settings.plan_date, settings=ros.settings.to_dict(), tiers={},
                assignments=assignments)


def scheduled(ros, pairs, previous=None, **per_returnee) -> Plan:
    plan = make_plan(ros, pairs, **per_returnee)
    schedule_visits(ros, plan, previous)
    assert check_schedule(ros, plan, previous) == []
    return plan


def visits_of(plan: Plan, rid: str) -> list[Visit]:
    return [v for v in plan.visits if v.returnee_id == rid]


# ------------------------------------------------------------------------------- rules

def test_visits_only_in_slots_free_for_both() -> None:
    """Every visit lies in the intersection of the mentor's and the returnee's availability."""
    ros = roster([returnee("R1", risk=3, availability="T2, T4 sáng; CN")],
                 [mentor("M1", availability="Mon-Fri morning")])
    plan = scheduled(ros, {"R1": "M1"})
    assert plan.visits
    assert {(v.date.weekday(), v.slot) for v in plan.visits} <= {(0, "morning"),
                                                                 (2, "morning")}
    assert not plan.unscheduled


def test_day_shift_leaves_only_sunday_daytime() -> None:
    """A returnee in a day-shift job is visited only outside Mon–Sat mornings/afternoons."""
    ros = roster([returnee("R1", risk=3)], [mentor("M1")], jobs=[job("J1", shift="day")])
    plan = scheduled(ros, {"R1": "M1"}, R1={"job_id": "J1"})
    assert plan.visits and all(v.date.weekday() == 6 for v in plan.visits)


def test_night_shift_excludes_mornings_and_evenings() -> None:
    """Night shift: no Mon–Sat morning or evening visits; evenings free on Sunday only."""
    ros = roster([returnee("R1", risk=3, availability="all day")],
                 [mentor("M1", availability="every day morning, evening")],
                 jobs=[job("J1", shift="night")])
    plan = scheduled(ros, {"R1": "M1"}, R1={"job_id": "J1"})
    assert plan.visits and all(v.date.weekday() == 6 for v in plan.visits)


def test_job_hours_start_with_the_job() -> None:
    """Before the job's start date the day shift does not block the returnee."""
    start = PLAN_DATE + 10 * DAY
    ros = roster([returnee("R1", risk=3, availability="T2-T6")],
                 [mentor("M1", availability="T2-T6")],
                 jobs=[job("J1", shift="day", start_date=start)])
    plan = scheduled(ros, {"R1": "M1"}, R1={"job_id": "J1"})
    assert plan.visits[0].date < start
    assert all(v.date < start for v in plan.visits)
    assert plan.unscheduled and "works day shift" in plan.unscheduled[0]["reason"]


@pytest.mark.parametrize(("schedule", "blocked"), [
    ("day", {"morning", "afternoon"}), ("evening", {"evening"})])
def test_course_hours_excluded_on_weekdays(schedule: str, blocked: set[str]) -> None:
    """A day course blocks weekday daytime, an evening course weekday evenings."""
    ros = roster([returnee("R1", risk=3, availability="all day")],
                 [mentor("M1", availability="all day")],
                 trainings=[course("C1", schedule=schedule)])
    plan = scheduled(ros, {"R1": "M1"}, R1={"training_id": "C1"})
    assert plan.visits
    assert all(v.date.weekday() >= 5 or v.slot not in blocked for v in plan.visits)


@pytest.mark.parametrize(("risk", "cadence"), [(3, 7), (2, 14), (1, 28)])
def test_cadence_spacing(risk: int, cadence: int) -> None:
    """Consecutive visits are the risk cadence ± 2 days apart, and the horizon is covered."""
    ros = roster([returnee("R1", risk=risk, availability="T3, T5 tối")],
                 [mentor("M1", availability="every evening")])
    plan = scheduled(ros, {"R1": "M1"})
    dates = [v.date for v in visits_of(plan, "R1")]
    assert dates[0] <= PLAN_DATE + 7 * DAY
    gaps = [(b - a).days for a, b in zip(dates, dates[1:])]
    assert all(cadence - 2 <= gap <= cadence + 2 for gap in gaps)
    assert dates[-1] + (cadence + 2) * DAY > END
    assert not plan.unscheduled


def test_exact_cadence_when_slots_allow() -> None:
    """With every day free, follow-ups fall exactly on the cadence."""
    ros = roster([returnee("R1", risk=3)], [mentor("M1")])
    plan = scheduled(ros, {"R1": "M1"})
    dates = [v.date for v in plan.visits]
    assert dates[0] == PLAN_DATE
    assert [(b - a).days for a, b in zip(dates, dates[1:])] == [7, 7, 7]


def test_slot_and_day_limits() -> None:
    """Five high-risk mentees all free only Monday: at most 3 visits that day, one per slot."""
    rs = [returnee(f"R{i}", x=i * 0.3, risk=3, availability="Mon all day") for i in range(5)]
    ros = roster(rs, [mentor("M1", capacity=5, availability="T2 cả ngày")])
    plan = scheduled(ros, {r.id: "M1" for r in rs})
    per_day = Counter(v.date for v in plan.visits)
    per_slot = Counter((v.date, v.slot) for v in plan.visits)
    assert per_day and max(per_day.values()) == 3
    assert max(per_slot.values()) == 1
    assert all(d.weekday() == 0 for d in per_day)
    firsts = [u for u in plan.unscheduled if u["kind"] == "first"]
    assert len(firsts) == 2  # only 3 of 5 first visits fit on the one Monday in the window
    assert all("taken by visits to" in u["reason"] for u in firsts)
    assert sum(v.kind == "first" for v in plan.visits) == 3


def test_returnee_one_visit_per_slot_across_pairs() -> None:
    """The checker rejects two visits to one returnee in the same slot."""
    ros = roster([returnee("R1", risk=3)], [mentor("M1"), mentor("M2")])
    plan = scheduled(ros, {"R1": "M1"})
    v = plan.visits[0]
    plan.visits.append(Visit(v.date, v.slot, "M1", "R1", "follow-up"))
    assert any("returnee R1" in b and "one slot" in b for b in check_schedule(ros, plan))


def test_first_visit_deadline_for_future_release() -> None:
    """Pre-release planning: the first visit falls within first_visit_days after release."""
    release = PLAN_DATE + 12 * DAY
    ros = roster([returnee("R1", risk=3, release=release, availability="T7")],
                 [mentor("M1")], first_visit_days=7)
    plan = scheduled(ros, {"R1": "M1"})
    first = plan.visits[0]
    assert first.kind == "first"
    assert release <= first.date <= release + 7 * DAY
    assert first.date == dt.date(2026, 12, 19)  # the first Saturday after release


def test_release_after_the_horizon_gets_no_visit_and_no_complaint() -> None:
    """A pair whose first visit is due after the horizon has no visit and no unscheduled row."""
    ros = roster([returnee("R1", release=PLAN_DATE + 40 * DAY)], [mentor("M1")])
    plan = scheduled(ros, {"R1": "M1"})
    assert plan.visits == [] and plan.unscheduled == []


def test_window_straddling_horizon_end_places_visit_when_possible() -> None:
    """A release 2 days before the horizon ends still gets an early first visit if free."""
    release = END - 2 * DAY
    ros = roster([returnee("R1", release=release), returnee("R2", release=release,
                                                           availability="CN")],
                 [mentor("M1", availability="Mon-Sat"), mentor("M2", availability="Mon-Sat")])
    plan = scheduled(ros, {"R1": "M1", "R2": "M2"})
    assert [v.date for v in visits_of(plan, "R1")] == [release]
    assert visits_of(plan, "R2") == [] and plan.unscheduled == []  # due after the horizon


def test_missed_first_visit_reason_names_the_conflict() -> None:
    """A pair with no common slot is listed with a plain reason naming both sides."""
    ros = roster([returnee("R105", risk=3)], [mentor("M1", availability="T2-T6 sáng")],
                 jobs=[job("J1", shift="day")])
    plan = scheduled(ros, {"R105": "M1"}, R105={"job_id": "J1"})
    assert plan.visits == []
    first = plan.unscheduled[0]
    assert first["kind"] == "first" and first["due"] == (PLAN_DATE + 7 * DAY).isoformat()
    reason = first["reason"]
    assert reason.startswith("no common free slot between Dec 1, 2026 and Dec 8, 2026")
    assert "mentor M1 free Mon–Fri mornings" in reason
    assert "R105 works day shift" in reason
    # the follow-ups keep the cadence from the missed visit, each with its reason
    dues = [u["due"] for u in plan.unscheduled]
    assert dues == ["2026-12-08", "2026-12-15", "2026-12-22"]
    assert set(u["mentor_id"] for u in plan.unscheduled) == {"M1"}


# ------------------------------------------------------------------ Vietnamese reasons

ISO = re.compile(r"\d{4}-\d{2}-\d{2}")
EN_DATE = re.compile(r"[A-Z][a-z]{2} \d{1,2}, \d{4}")  # Babel's medium English date


def assert_vi_twin(u: dict) -> str:
    """The entry's reason_vi names the same mentor, returnee and dates (as dd/mm/yyyy) as
    its English reason, with no ISO date and no English slot or day name."""
    en, vi = u["reason"], u.get("reason_vi")
    assert vi and vi != en
    assert u["mentor_id"] in vi and u["returnee_id"] in vi
    assert f"cựu chiến binh {u['mentor_id']}" in vi
    for day in EN_DATE.findall(en):
        assert dt.datetime.strptime(day, "%b %d, %Y").strftime("%d/%m/%Y") in vi
    assert not ISO.search(en)
    assert not ISO.search(vi)
    assert not re.search(r"\b(?:mornings?|afternoons?|evenings?|Mon|Tue|Wed|Thu|Fri|Sat|Sun"
                         r"|mentor|free|between)\b", vi)
    return vi


def test_missed_first_visit_reason_in_vietnamese() -> None:
    """No common slot: the Vietnamese twin gives both sides' free times and the job hours."""
    ros = roster([returnee("R105", risk=3)], [mentor("M1", availability="T2-T6 sáng")],
                 jobs=[job("J1", shift="day")])
    plan = scheduled(ros, {"R105": "M1"}, R105={"job_id": "J1"})
    first = plan.unscheduled[0]
    vi = assert_vi_twin(first)
    assert vi.startswith("không có buổi rảnh chung từ 01/12/2026 đến 08/12/2026: "
                         "cựu chiến binh M1 rảnh sáng T2–T6; R105 rảnh sáng và chiều hằng ngày "
                         "(không ghi")
    assert "R105 làm ca ngày (bận sáng và chiều T2–T7)" in vi
    assert first["reason"].startswith("no common free slot between Dec 1, 2026 and Dec 8, 2026")
    assert all(assert_vi_twin(u) for u in plan.unscheduled)


def test_busy_from_a_later_start_date_in_vietnamese() -> None:
    """Job hours that start inside the window say from when, as dd/mm/yyyy."""
    start = PLAN_DATE + 3 * DAY
    ros = roster([returnee("R1", risk=3, availability="T2-T6")],
                 [mentor("M1", availability="CN")],
                 jobs=[job("J1", shift="day", start_date=start)])
    plan = scheduled(ros, {"R1": "M1"}, R1={"job_id": "J1"})
    late = [u for u in plan.unscheduled if "from Dec 4, 2026" in u["reason"]]
    assert late
    for u in late:
        assert "R1 làm ca ngày (bận sáng và chiều T2–T7) từ 04/12/2026" in assert_vi_twin(u)


@pytest.mark.parametrize(("kw", "en", "vi"), [
    ({"job": job("J1", shift="day")}, "works day shift", "làm ca ngày (bận sáng và chiều T2–T7)"),
    ({"job": job("J1", shift="night")}, "works night shift",
     "làm ca đêm (bận sáng và tối T2–T7)"),
    ({"training": course("C1", schedule="day")}, "attends a day course",
     "học lớp ban ngày (bận sáng và chiều T2–T6)"),
    ({"training": course("C1", schedule="evening")}, "attends an evening course",
     "học lớp buổi tối (bận tối T2–T6)"),
])
def test_busy_hours_have_vietnamese(kw, en, vi) -> None:
    """Each job shift and course schedule has its Vietnamese description in ``.vi``."""
    (text, _, _), = sched.busy_hours(kw.get("job"), kw.get("training"))
    assert text.startswith(en) and text.vi == vi


@pytest.mark.parametrize(("shift", "busy_vi"), [("night", "làm ca đêm"),
                                                ("course-day", "học lớp ban ngày"),
                                                ("course-evening", "học lớp buổi tối")])
def test_other_busy_reasons_in_vietnamese(shift: str, busy_vi: str) -> None:
    """Night shift and courses appear in the Vietnamese reason of a missed visit."""
    jobs, trainings, fields = [], [], {}
    if shift == "night":
        jobs, fields = [job("J1", shift="night")], {"job_id": "J1"}
        availability = "T2-T6 sáng, tối"
    else:
        kind = shift.split("-")[1]
        trainings, fields = [course("C1", schedule=kind)], {"training_id": "C1"}
        availability = "T2-T6 tối" if kind == "evening" else "T2-T6"
    ros = roster([returnee("R7", risk=3, availability=availability)],
                 [mentor("M2", availability=availability)], jobs=jobs, trainings=trainings)
    plan = scheduled(ros, {"R7": "M2"}, R7=fields)
    assert plan.visits == [] and plan.unscheduled
    for u in plan.unscheduled:
        assert f"R7 {busy_vi}" in assert_vi_twin(u)


def test_taken_slots_reason_in_vietnamese() -> None:
    """All shared slots taken: the Vietnamese twin names the mentees who have them."""
    rs = [returnee(f"R{i}", x=i * 0.3, risk=3, availability="Mon all day") for i in range(5)]
    ros = roster(rs, [mentor("M1", capacity=5, availability="T2 cả ngày")])
    plan = scheduled(ros, {r.id: "M1" for r in rs})
    firsts = [u for u in plan.unscheduled if u["kind"] == "first"]
    assert len(firsts) == 2
    for u in firsts:
        vi = assert_vi_twin(u)
        assert vi.startswith(f"các buổi rảnh chung của cựu chiến binh M1 và {u['returnee_id']} "
                             "từ ")
        assert "đều đã dành cho lần thăm R" in vi and "tối đa 3 lần thăm một ngày" in vi
        taken = u["reason"].split("visits to ")[1].split(" (")[0]
        assert f"lần thăm {taken} (" in vi


def test_needed_slots_and_single_day_reasons_in_vietnamese() -> None:
    """Free slots kept for other visits, and a window of one day ("ngày dd/mm/yyyy")."""
    ros = roster([returnee("R1", risk=3), returnee("R2", x=0.5, risk=3)],
                 [mentor("M1", capacity=2)])
    pairs = sched._build(ros, make_plan(ros, {"R1": "M1", "R2": "M1"}), {}, [])["M1"]
    x = next(p for p in pairs if p.returnee.id == "R1")
    d = next(iter(x.task.free))
    slot = x.task.free[d][0]
    needed = sched._reason(PLAN_DATE, x, d, d + 6, {}, {})
    assert needed.startswith("the free slots shared by mentor M1 and R1")
    u = {"mentor_id": "M1", "returnee_id": "R1", "reason": str(needed), "reason_vi": needed.vi}
    vi = assert_vi_twin(u)
    assert vi.endswith("cần dành cho các lần thăm những người khác mà cựu chiến binh này giúp "
                       "đỡ để kịp hạn")
    taken = sched._reason(PLAN_DATE, x, d, d, {(d, slot): "R2"} | {
        (d, s): "R2" for s in x.task.free[d]}, {d: 1})
    day = (PLAN_DATE + d * DAY).strftime("%d/%m/%Y")
    assert str(taken).startswith("mentor M1's free slots shared with R1 on ")
    assert taken.vi.startswith(f"các buổi rảnh chung của cựu chiến binh M1 và R1 ngày {day} đều "
                               "đã dành cho lần thăm R2")


def test_vietnamese_reason_survives_json_and_fills_the_workbook(tmp_path) -> None:
    """reason_vi goes through the plan JSON; the Vietnamese workbook shows it (sheet of
    unscheduled visits and warnings), the English workbook the English reason."""
    from openpyxl import load_workbook

    from matcher.io.plan_text import TEXT
    from matcher.io.plan_writer import write_plan_workbook

    ros = roster([returnee("R105", risk=3)], [mentor("M1", availability="T2-T6 sáng")],
                 jobs=[job("J1", shift="day")])
    plan = scheduled(ros, {"R105": "M1"}, R105={"job_id": "J1"})
    back = Plan.from_json(json.loads(json.dumps(plan.to_json(), default=str)))
    assert back.unscheduled == plan.unscheduled and back.unscheduled[0]["reason_vi"]
    for lang, key in (("vi", "reason_vi"), ("en", "reason")):
        path = tmp_path / f"plan-{lang}.xlsx"
        write_plan_workbook(back, ros, path, lang=lang)
        wb = load_workbook(path)
        sheet = TEXT["sheet:unscheduled"][lang == "vi"]
        rows = [r for r in wb[sheet].iter_rows(values_only=True) if any(r)]
        head = next(i for i, r in enumerate(rows) if r[0] == TEXT["col:due"][lang == "vi"])
        reasons = [r[8] for r in rows[head + 1:]]
        assert reasons == [u[key] for u in back.unscheduled]
        warnings = " ".join(str(c) for r in wb[TEXT["sheet:warnings"][lang == "vi"]]
                            .iter_rows(values_only=True) for c in r if c)
        assert all(u[key] in warnings for u in back.unscheduled)
    assert reasons[0].startswith("no common free slot")


def test_kept_pair_continues_from_previous_visit() -> None:
    """A kept pair's next visit is due a cadence after its last visit in the previous plan."""
    ros = roster([returnee("R1", risk=3)], [mentor("M1")])
    last = PLAN_DATE - 3 * DAY
    plan = scheduled(ros, {"R1": "M1"}, {("M1", "R1"): last}, R1={"change": "kept"})
    first = plan.visits[0]
    assert first.kind == "follow-up"
    assert first.date == last + 7 * DAY


def test_previous_visits_from_a_previous_plan() -> None:
    """The last visit before the new plan date is taken from the previous plan's visits."""
    ros = roster([returnee("R1", risk=3)], [mentor("M1")])
    old = scheduled(ros, {"R1": "M1"})
    new_date = PLAN_DATE + 10 * DAY
    assert sched.previous_visits_from(old, new_date) == {("M1", "R1"): PLAN_DATE + 7 * DAY}
    ros2 = ros.with_settings(plan_date=new_date)
    plan = scheduled(ros2, {"R1": "M1"}, sched.previous_visits_from(old, new_date),
                     R1={"change": "kept"})
    assert plan.visits[0].date == PLAN_DATE + 14 * DAY


def test_kept_pair_without_record_is_due_now() -> None:
    """A kept pair with no known last visit is visited within first_visit_days, as follow-up."""
    ros = roster([returnee("R1", risk=2, availability="T6")], [mentor("M1")])
    plan = scheduled(ros, {"R1": "M1"}, R1={"change": "kept"})
    assert plan.visits[0].kind == "follow-up"
    assert plan.visits[0].date == dt.date(2026, 12, 4)  # the first Friday


@pytest.mark.parametrize(("x2", "together"), [(3.2, True), (-3.0, False)])
def test_same_day_visits_prefer_close_mentees(x2: float, together: bool) -> None:
    """Two kept pairs with overlapping windows share days when the mentees live close to
    each other (one trip saves travel), not when they live on opposite sides."""
    rs = [returnee("R1", x=3.0, risk=3), returnee("R2", x=x2, risk=3)]
    ros = roster(rs, [mentor("M1", capacity=2)])
    previous = {("M1", "R1"): PLAN_DATE - 3 * DAY, ("M1", "R2"): PLAN_DATE - 1 * DAY}
    plan = scheduled(ros, {"R1": "M1", "R2": "M1"}, previous, R1={"change": "kept"},
                     R2={"change": "kept"})
    d1 = [v.date for v in visits_of(plan, "R1")]
    d2 = [v.date for v in visits_of(plan, "R2")]
    assert (d1 == d2) if together else not set(d1) & set(d2)


def test_schedule_through_solve() -> None:
    """matcher.solve.solve fills visits for its pairs, and they pass the checker."""
    from matcher.solve import solve

    ros = roster([returnee("R1", risk=3), returnee("R2", x=1, risk=1, availability="CN")],
                 [mentor("M1"), mentor("M2", x=1)])
    plan = solve(ros)
    assert {v.returnee_id for v in plan.visits} == {"R1", "R2"}
    assert check_schedule(ros, plan) == []


def test_generated_ward_roster_every_pair_has_first_visit_or_reason() -> None:
    """On a generated ward roster each due first visit is scheduled or listed with a reason."""
    from matcher.generate import generate_roster
    from matcher.solve import solve

    ros = generate_roster("ward", 1)
    plan = solve(ros)
    assert check_schedule(ros, plan) == []
    last = ros.settings.plan_date + (7 * ros.settings.horizon_weeks - 1) * DAY
    firsts = {v.returnee_id for v in plan.visits if v.kind == "first"}
    missed = {u["returnee_id"] for u in plan.unscheduled if u["kind"] == "first"}
    for a in plan.assignments:
        if a.mentor_id is None:
            continue
        r = ros.returnee(a.returnee_id)
        due = max(ros.settings.plan_date, r.release_date) + ros.settings.first_visit_days * DAY
        if due <= last:
            assert (a.returnee_id in firsts) != (a.returnee_id in missed)
    assert all(u["reason"] for u in plan.unscheduled)
    # the generator's availability fits the scheduler: most first visits find a slot
    assert len(missed) <= 0.2 * (len(missed) + len(firsts))


# ----------------------------------------------------------------------------- checker

def test_check_schedule_catches_broken_schedules() -> None:
    """Hand-broken schedules are reported rule by rule."""
    ros = roster([returnee("R1", risk=3, availability="T2-T6"),
                  returnee("R2", x=0.5, risk=3, availability="T2-T6")],
                 [mentor("M1", capacity=2, availability="T2-T6"), mentor("M2")],
                 jobs=[job("J1", shift="day")])
    good = scheduled(ros, {"R1": "M1", "R2": "M1"})
    v0 = good.visits[0]

    def broken(change) -> list[str]:
        plan = dataclasses.replace(good, visits=list(good.visits),
                                   unscheduled=list(good.unscheduled),
                                   assignments=[dataclasses.replace(a)
                                                for a in good.assignments])
        change(plan)
        return check_schedule(ros, plan)

    sat = PLAN_DATE + 4 * DAY  # a Saturday
    assert any("mentor not free" in b for b in broken(
        lambda p: p.visits.__setitem__(0, dataclasses.replace(v0, date=sat))))
    assert any("one slot" in b for b in broken(lambda p: p.visits.append(
        Visit(v0.date, v0.slot, "M1", "R2" if v0.returnee_id == "R1" else "R1",
              "follow-up"))))
    assert any("not a mentor–mentee pair" in b for b in broken(
        lambda p: p.visits.append(Visit(v0.date, "evening", "M2", "R1", "follow-up"))))
    assert any("days between" in b or "neither scheduled" in b for b in broken(
        lambda p: p.visits.remove(good.visits[-1]) or p.visits.pop(2)))
    assert v0.kind == "first" and v0.date == PLAN_DATE

    def late_first(p: Plan) -> None:  # first visit on day 9 instead of days 0 and 7
        p.visits[:] = [v for v in p.visits if not (v.returnee_id == v0.returnee_id
                                                   and v.date == PLAN_DATE + 7 * DAY)]
        p.visits[0] = dataclasses.replace(v0, date=PLAN_DATE + 9 * DAY)

    assert any("outside the window" in b for b in broken(late_first))
    assert any("outside the horizon" in b for b in broken(lambda p: p.visits.append(
        Visit(END + 7 * DAY, "morning", "M1", v0.returnee_id, "follow-up"))))
    assert any("returnee busy" in b for b in broken(
        lambda p: p.assignments[0].__setattr__("job_id", "J1")))
    assert any("kind" in b for b in broken(
        lambda p: p.visits.__setitem__(0, dataclasses.replace(v0, kind="follow-up"))))


def test_check_schedule_day_limit() -> None:
    """Four visits by one mentor on one day break the limit of three."""
    rs = [returnee(f"R{i}", risk=3) for i in range(4)]
    ros = roster(rs, [mentor("M1", capacity=4)])
    plan = make_plan(ros, {r.id: "M1" for r in rs})
    plan.visits = [Visit(PLAN_DATE, s, "M1", r.id, "first")
                   for r, s in zip(rs, ["morning", "afternoon", "evening", "evening"])]
    bad = check_schedule(ros, plan)
    assert any("4 visits on" in b for b in bad)


# ----------------------------------------------------------------- exactness vs CP-SAT

def evaluate(p: MentorProblem, result) -> tuple[tuple[int, int, int, int], int]:
    """Tiers (A, B, -B', C) and D of a per-mentor result, checking every rule on the way."""
    a = b = b2 = c = d = 0
    used = Counter()
    days: list[set[int]] = []
    for t, ev in zip(p.tasks, result):
        mine = set()
        prev = None
        for k, (day, slot) in enumerate(ev):
            if k == 0:
                if slot is None:
                    assert t.hi0 <= p.last and day == t.due0
                    a += t.first
                    b += not t.first
                else:
                    assert t.lo0 <= day <= min(t.hi0, p.last) and slot in t.free[day]
                    if t.hi0 > p.last:
                        b2 += t.asap
                        d -= not t.asap and t.target0 <= p.last
                    d += 0 if t.target0 is None else 2 * abs(day - t.target0)
                c += (day - t.lo0) if t.asap else 0
            elif slot is None:
                assert day == prev + t.c and prev + t.G <= p.last
                b += 1
            else:
                assert t.g <= day - prev <= t.G and day <= p.last and slot in t.free[day]
                d -= prev + t.G > p.last and prev + t.c <= p.last
                d += 2 * abs(day - prev - t.c)
            if slot is not None:
                used[day, slot] += 1
                mine.add(day)
            prev = day
        if ev:
            assert prev + t.G > p.last
        else:
            assert t.hi0 > p.last
        days.append(mine)
    assert all(n == 1 for n in used.values())
    assert max(Counter(day for day, _ in used).values(), default=0) <= 3
    for i in range(len(p.tasks)):
        for j in range(i + 1, len(p.tasks)):
            d -= p.saving[i][j] * len(days[i] & days[j])
    return (a, b, -b2, c), d


def random_problem(rnd: random.Random, n: int) -> MentorProblem:
    last = 27
    tasks = []
    for i in range(n):
        c = rnd.choice([3, 7, 7, 14, 28])
        density = rnd.choice([0.05, 0.15, 0.4])
        free = {}
        for day in range(last + 1):
            s = tuple(k for k in range(3) if rnd.random() < density)
            if s:
                free[day] = s
        first_visit = rnd.randint(3, 10)
        if rnd.random() < 0.75:
            lo = rnd.choice([0, 0, rnd.randint(0, 30)])
            tasks.append(Task(f"R{i}", True, True, lo, lo + first_visit, lo + first_visit,
                              None, c, max(1, c - 2), c + 2, free))
        else:
            p = -rnd.randint(1, c + 1)
            g, big = max(1, c - 2), c + 2
            lo, hi = max(0, p + g), p + big
            tasks.append(Task(f"R{i}", False, False, lo, hi, min(max(lo, p + c), hi), p + c,
                              c, g, big, free))
    saving = [[0 if i == j else rnd.randint(1, 6) for j in range(n)] for i in range(n)]
    for i in range(n):
        for j in range(i):
            saving[i][j] = saving[j][i]
    return MentorProblem("M", last, tasks, saving, time_limit=20)


@pytest.mark.parametrize("seed", range(60))
def test_fast_path_matches_cpsat(seed: int) -> None:
    """DP/greedy results equal the exact CP-SAT optimum on tiers A–C (all tiers for one
    mentee); CP-SAT is never worse; both obey every rule."""
    rnd = random.Random(seed)
    p = random_problem(rnd, rnd.choice([1, 2, 2, 3, 4, 5]))
    _, exact, status = visit_model.solve_exact(p)
    assert status in ("OPTIMAL", "OPTIMAL_AC")  # tiers A–C proven; D proven when OPTIMAL
    exact_tiers, exact_d = evaluate(p, exact)
    fast = visit_model.solve_fast(p)
    if fast is not None:
        fast_tiers, fast_d = evaluate(p, fast[1])
        assert fast_tiers == exact_tiers
        if status == "OPTIMAL":
            assert exact_d <= fast_d
        if len(p.tasks) == 1:
            assert status == "OPTIMAL" and exact_d == fast_d


def test_parallel_cpsat_matches_serial(monkeypatch) -> None:
    """The process pool gives the same per-mentor results as the serial loop."""
    rnd = random.Random(7)
    problems = [dataclasses.replace(random_problem(rnd, 4), mid=f"M{i}") for i in range(4)]
    serial = [visit_model.solve_exact(p) for p in problems]
    monkeypatch.setattr(sched, "PARALLEL_MIN", 2)
    monkeypatch.setattr(sched.os, "cpu_count", lambda: 2)
    parallel = list(sched._run_cpsat(problems))
    assert [(m, evaluate(p, ev)) for p, (m, ev, _) in zip(problems, parallel)] == [
        (m, evaluate(p, ev)) for p, (m, ev, _) in zip(problems, serial)]


# --------------------------------------------------------------------------------- ics

def test_ics_parses_back_with_local_times(tmp_path) -> None:
    """The .ics files import with icalendar: Asia/Ho_Chi_Minh times, length, names, UIDs."""
    r1 = dataclasses.replace(returnee("R1", risk=3, ward="Phường Hạc Thành",
                                      availability="tối"), extra={"Số điện thoại": "0912345678"})
    ros = roster([r1, returnee("R2", x=1, availability="T7 sáng; CN chiều")],
                 [mentor("M1", capacity=2, availability="all day")], visit_minutes=45)
    plan = scheduled(ros, {"R1": "M1", "R2": "M1"})
    paths = write_ics(plan, ros, tmp_path)
    assert [p.name for p in paths] == ["M1.ics"]
    cal = Calendar.from_ical(paths[0].read_bytes())
    events = cal.walk("VEVENT")
    assert len(events) == len(plan.visits)
    hours = {"morning": 8, "afternoon": 14, "evening": 19}
    by_uid = {}
    for ev, v in zip(sorted(events, key=lambda e: e.decoded("dtstart")), plan.visits):
        start, end = ev.decoded("dtstart"), ev.decoded("dtend")
        assert str(start.tzinfo) == "Asia/Ho_Chi_Minh"
        assert start.utcoffset() == dt.timedelta(hours=7)
        assert (start.date(), start.hour) == (v.date, hours[v.slot])
        assert end - start == dt.timedelta(minutes=45)
        name = ros.returnee(v.returnee_id).full_name
        assert str(ev["summary"]) == f"Thăm {name}"
        by_uid[str(ev["uid"])] = ev
    assert len(by_uid) == len(events)
    r1_event = next(e for e in events if "R1" in str(e["description"]))
    assert "0912345678" in str(r1_event["description"])
    assert str(r1_event["location"]) == "Phường Hạc Thành"
    again = write_ics(plan, ros, tmp_path / "again")
    assert again[0].read_bytes() == paths[0].read_bytes()


def test_schedule_in_parts_is_the_whole_schedule(monkeypatch):
    """The merge makes the visit schedule in two forked children, each for half of the
    mentors: put together, the parts are exactly the one-process schedule — visits,
    missed visits, visits not yet due and the warnings, in the same order — also when
    some availability cannot be read and some mentors need the exact model."""
    from matcher.generate import generate_roster
    from matcher.solve import solve

    city = generate_roster("city", 3)
    bad = {m.id for m in city.mentors[::97]}
    city = dataclasses.replace(
        city,
        mentors=tuple(dataclasses.replace(m, availability="sometimes") if m.id in bad else m
                      for m in city.mentors),
        returnees=tuple(dataclasses.replace(r, availability="Thứ Chín sáng")
                        if i % 89 == 0 else r for i, r in enumerate(city.returnees)))
    plan = solve(city, schedule=False)
    whole = Plan.from_json(plan.to_json())
    exact = []
    run_cpsat = sched._run_cpsat
    monkeypatch.setattr(sched, "_run_cpsat", lambda hard: exact.extend(hard) or run_cpsat(hard))
    schedule_visits(city, whole)
    assert exact  # some mentors' schedules come from the exact model
    assert whole.visits and whole.unscheduled
    assert sum("sometimes" in w for w in whole.warnings) >= 2  # mentors' availability
    assert sum("Thứ Chín" in w for w in whole.warnings) >= 2  # returnees'
    for n in (2, 3):
        groups = sched.mentor_groups(plan, n)
        assert len(groups) == n and not set.intersection(*map(set, groups))
        assert frozenset().union(*groups) == {a.mentor_id for a in plan.assignments
                                               if a.mentor_id}
        parts = Plan.from_json(plan.to_json())
        sched.apply_parts(parts, [sched.schedule_part(city, parts, g)
                                  for g in reversed(groups)])
        assert parts.visits == whole.visits
        assert parts.unscheduled == whole.unscheduled
        assert parts.not_yet_due == whole.not_yet_due
        assert parts.warnings == whole.warnings and parts.warnings_vi == whole.warnings_vi
