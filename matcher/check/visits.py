"""The visit-schedule rules of SPEC section 6, checked from the roster and the plan's
visits with the checker's own code (``schedule <name>`` violations)."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Mapping
from typing import Any

from matcher.availability import DEFAULT, SLOTS, AvailabilityError, parse_availability
from matcher.check.formulas import MAX_VISITS_PER_DAY, STUDY_DAYS, WORK_DAYS, _Look
from matcher.domain import Returnee, Roster
from matcher.plan import Assignment, Plan


def _weekly(text: str | None) -> frozenset[tuple[int, str]]:
    """Weekly (weekday, slot) pairs; unreadable text counts as the default (any daytime
    slot), as the reader warns and the schedule does."""
    try:
        return parse_availability(text)
    except AvailabilityError:
        return DEFAULT


def _busy(look: _Look, a: Assignment, date: dt.date, slot: str) -> str | None:
    """The returnee's job or course hours at ``slot`` on ``date``, from their start date:
    day shift Mon-Sat mornings and afternoons, night shift Mon-Sat mornings and evenings,
    day course Mon-Fri mornings and afternoons, evening course Mon-Fri evenings."""
    wd = date.weekday()
    j = look.jobs.get(a.job_id) if a.job_id else None
    if j is not None and (j.start_date is None or date >= j.start_date) and wd in WORK_DAYS:
        if j.shift == "day" and slot in ("morning", "afternoon"):
            return f"day shift at {j.id}"
        if j.shift == "night" and slot in ("morning", "evening"):
            return f"night shift at {j.id}"
    t = look.courses.get(a.training_id) if a.training_id else None
    if t is not None and (t.start_date is None or date >= t.start_date) and wd in STUDY_DAYS:
        if t.schedule == "day" and slot in ("morning", "afternoon"):
            return f"day course {t.id}"
        if t.schedule == "evening" and slot == "evening":
            return f"evening course {t.id}"
    return None


def _last_visits(previous: Any, day0: dt.date) -> dict[tuple[str, str], dt.date] | None:
    """Last visit before ``day0`` per (mentor, returnee): ``previous`` is a mapping of those
    already, or a previous plan with ``visits``; None when there is no previous plan."""
    if previous is None:
        return None
    if isinstance(previous, Mapping):
        return dict(previous)
    out: dict[tuple[str, str], dt.date] = {}
    for v in getattr(previous, "visits", None) or []:
        get = v.get if isinstance(v, Mapping) else lambda k, v=v: getattr(v, k, None)
        date = get("date")
        if isinstance(date, str):
            date = dt.date.fromisoformat(date)
        key = (get("mentor_id"), get("returnee_id"))
        if date is not None and date < day0 and (key not in out or date > out[key]):
            out[key] = date
    return out


def check_schedule(roster: Roster, plan: Plan, previous: Any = None) -> list[str]:
    """The visit-schedule rules of SPEC section 6 (``schedule <name>`` violations).

    Rules, with ``c`` the risk cadence in days, ``g = max(1, c - 2)``, ``G = c + 2``,
    ``F = first_visit_days`` and the horizon ``plan_date .. plan_date + 7 * horizon_weeks
    - 1``: the events of a pair (its visits, and its unscheduled visits at their due date)
    start with a new pair's "first" visit within ``max(plan_date, release) .. + F`` (a
    kept pair's first event is a follow-up within ``p + g .. p + G`` of its last previous
    visit ``p``, or due now within ``max(plan_date, release) .. + F`` when there is no
    record or it is overdue); consecutive events are ``g .. G`` days apart; the chain goes
    on until the next one would be due after the horizon. A first event due after the
    horizon may be placed early but is not listed as unscheduled.

    ``previous``: the previous plan (its ``visits`` give the kept pairs' last visits) or a
    mapping (mentor_id, returnee_id) -> last visit date. Without it a kept pair's first
    event is only checked to fall within ``max(plan_date, release) .. + max(F, G)``."""
    s = roster.settings
    look = _Look(roster, plan)
    day0 = plan.plan_date
    end = day0 + dt.timedelta(days=7 * s.horizon_weeks - 1)
    last = _last_visits(previous, day0)
    pairs = {rid: a for rid, a in look.row_of.items()
             if a.mentor_id is not None and a.mentor_id in look.mentors}
    bad: list[str] = []
    events: dict[str, list[tuple[dt.date, str, str]]] = defaultdict(list)
    mentor_slot: Counter = Counter()
    mentor_day: Counter = Counter()
    returnee_slot: Counter = Counter()
    for v in plan.visits:
        where = f"visit {v.mentor_id}->{v.returnee_id} {v.date} {v.slot}"
        a = pairs.get(v.returnee_id)
        if a is None or a.mentor_id != v.mentor_id:
            bad.append(f"schedule pair: {where}: not a mentor–mentee pair of the plan")
            continue
        if v.slot not in SLOTS:
            bad.append(f"schedule availability: {where}: not a slot ({', '.join(SLOTS)})")
            continue
        if not day0 <= v.date <= end:
            bad.append(f"schedule horizon: {where}: outside the horizon {day0}..{end}")
            continue
        m, r = look.mentors[v.mentor_id], look.returnees[v.returnee_id]
        wd = v.date.weekday()
        if (wd, v.slot) not in _weekly(m.availability):
            bad.append(f"schedule availability: {where}: mentor not free then "
                       f"({m.availability!r})")
        if (wd, v.slot) not in _weekly(r.availability):
            bad.append(f"schedule availability: {where}: returnee not free then "
                       f"({r.availability!r})")
        why = _busy(look, a, v.date, v.slot)
        if why:
            bad.append(f"schedule busy: {where}: returnee busy ({why})")
        mentor_slot[(v.mentor_id, v.date, v.slot)] += 1
        mentor_day[(v.mentor_id, v.date)] += 1
        returnee_slot[(v.returnee_id, v.date, v.slot)] += 1
        if returnee_slot[(v.returnee_id, v.date, v.slot)] == 1:  # a repeat is counted above
            events[v.returnee_id].append((v.date, "visit", v.kind))
    for (mid, date, slot), n in mentor_slot.items():
        if n > 1:
            bad.append(f"schedule mentor-slot: mentor {mid}: {n} visits in one slot {date} "
                       f"{slot}")
    for (mid, date), n in mentor_day.items():
        if n > MAX_VISITS_PER_DAY:
            bad.append(f"schedule mentor-day: mentor {mid}: {n} visits on {date} (at most "
                       f"{MAX_VISITS_PER_DAY})")
    for (rid, date, slot), n in returnee_slot.items():
        if n > 1:
            bad.append(f"schedule returnee-slot: returnee {rid}: {n} visits in one slot "
                       f"{date} {slot}")
    for u in plan.unscheduled:
        mid, rid = u.get("mentor_id"), u.get("returnee_id")
        where = f"unscheduled {mid}->{rid} {u.get('due')}"
        a = pairs.get(rid)
        if a is None or a.mentor_id != mid:
            bad.append(f"schedule pair: {where}: not a mentor–mentee pair of the plan")
            continue
        if not u.get("reason"):
            bad.append(f"schedule unscheduled: {where}: no reason given")
        try:
            due = dt.date.fromisoformat(str(u["due"]))
        except (KeyError, ValueError):
            bad.append(f"schedule unscheduled: {where}: no valid due date")
            continue
        if not day0 <= due <= end:
            bad.append(f"schedule horizon: {where}: due date outside the horizon {day0}..{end}")
            continue
        events[rid].append((due, "missed", u.get("kind", "")))
    for rid, a in pairs.items():
        bad += _check_chain(roster, day0, end, a, look.returnees[rid], sorted(events[rid]),
                            last)
    return bad


def _check_chain(roster: Roster, day0: dt.date, end: dt.date, a: Assignment, r: Returnee,
                 evs: list[tuple[dt.date, str, str]],
                 last: dict[tuple[str, str], dt.date] | None) -> list[str]:
    """First-visit window, cadence spacing, labels and completeness of one pair's events."""
    s = roster.settings
    pair = f"pair {a.mentor_id}->{r.id}"
    c = {3: s.cadence_high_days, 2: s.cadence_medium_days, 1: s.cadence_low_days}[r.risk]
    g, G, F = max(1, c - 2), c + 2, s.first_visit_days
    days = dt.timedelta(days=1)
    new = a.change != "kept"
    start = max(day0, r.release_date)
    rule = "schedule first-visit" if new else "schedule cadence"
    if new:
        lo, hi = start, start + F * days
    elif last is None:  # kept, previous visits unknown: a loose window
        lo, hi = start, start + max(F, G) * days
    else:
        p = last.get((a.mentor_id, r.id))
        if p is not None and p + G * days >= day0:
            lo, hi = max(day0, p + g * days), p + G * days
        else:  # no record, or overdue: due now
            lo, hi = start, start + F * days
            rule = "schedule first-visit"
    bad: list[str] = []
    if not evs:
        if hi <= end:
            bad.append(f"schedule missing: {pair}: the first visit due by {hi} is neither "
                       "scheduled nor listed as unscheduled")
        return bad
    d0, what0, kind0 = evs[0]
    if not lo <= d0 <= hi:
        bad.append(f"{rule}: {pair}: first {what0} on {d0} outside the window {lo}..{hi}")
    want0 = "first" if new else "follow-up"
    if kind0 != want0:
        bad.append(f"schedule kind: {pair}: {what0} on {d0} has kind {kind0!r}, expected "
                   f"{want0!r}")
    if what0 == "missed" and hi > end and (new or last is not None):
        bad.append(f"schedule unscheduled: {pair}: the first visit is listed as unscheduled "
                   f"though it is due by {hi}, after the horizon")
    for (d1, _, _), (d2, what2, kind2) in zip(evs, evs[1:]):
        gap = (d2 - d1).days
        if not g <= gap <= G:
            bad.append(f"schedule cadence: {pair}: {gap} days between {d1} and {d2}, cadence "
                       f"is {c} ± 2 ({g}..{G})")
        if kind2 != "follow-up":
            bad.append(f"schedule kind: {pair}: {what2} on {d2} has kind {kind2!r}, expected "
                       "'follow-up'")
        if what2 == "missed" and d1 + G * days > end:
            bad.append(f"schedule unscheduled: {pair}: the visit after {d1} is listed as "
                       "unscheduled though it is not due in the horizon")
    if evs[-1][0] + G * days <= end:
        bad.append(f"schedule missing: {pair}: the visit due by {evs[-1][0] + G * days} after "
                   f"{evs[-1][0]} is neither scheduled nor listed as unscheduled")
    return bad
