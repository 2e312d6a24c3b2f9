"""The tier values of SPEC section 3 recomputed from the roster and the plan, and the
check that the plan states them."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from typing import Any

from matcher.check.formulas import (
    UNITS_PER_KM,
    _age,
    _has_skill,
    _km,
    _Look,
    _pair_rows,
    job_pair_problems,
    mentor_pair_problems,
    training_pair_problems,
)
from matcher.check.plan_rules import _confirmed, _is_rerun, _previous_rows, check_plan
from matcher.domain import Roster
from matcher.errors import PlanCheckError
from matcher.plan import Plan


def objective(roster: Roster, plan: Plan, previous: Any = None) -> dict[str, float]:
    """Every tier value recomputed from the roster (SPEC section 3); M3 and J3 only with
    ``previous``. M3/J3 are the number of changed previous pairs / placements, counting
    the previous ones the plan was free to keep: a mentor pair (or a job or course
    placement) of the previous plan whose returnee, mentor (opening, course) are still on
    the roster and which every pair-level hard rule still allows (including a capacity,
    slots or seats above 0), minus the confirmed mentor pairs and hired placements (those
    are fixed facts, not choices) — and that the new plan does not keep."""
    s = roster.settings
    look = _Look(roster, plan)
    aff = _pair_rows(roster)

    def affinity(kind: str, rid: str, target: str) -> int:
        return sum(row.affinity for row in aff.get((kind, rid, target), []))

    m1 = m2 = m4 = m5 = j1 = j2 = j4 = j5 = 0
    load: Counter = Counter()
    for rid, a in look.row_of.items():
        r = look.returnees[rid]
        m = look.mentors.get(a.mentor_id) if a.mentor_id else None
        if m is not None:
            m1 += 1
            m2 += r.risk
            load[m.id] += 1
            fits = (int(r.offense == "drugs" and "drugs" in m.specialties)
                    + int(r.gender == "F" and "women" in m.specialties)
                    + int(_age(roster, r) < 25 and "youth" in m.specialties))
            same = int(r.location.ward is not None and r.location.ward == m.location.ward)
            m4 += (s.weight_specialty * fits + s.weight_same_ward * same
                   + s.weight_affinity * affinity("mentor", rid, m.id))
            m5 += round(_km(r, m) * UNITS_PER_KM)
        j = look.jobs.get(a.job_id) if a.job_id else None
        if j is not None:
            j1 += 1
            away = int(r.work_away_from_home and (r.location.ward is None
                                                  or r.location.ward != j.location.ward))
            j4 += (s.weight_job_skill * _has_skill(r, j.sector) + s.weight_job_away * away
                   + s.weight_affinity * affinity("job", rid, j.id))
            j5 += round(_km(r, j) * UNITS_PER_KM)
        t = look.courses.get(a.training_id) if a.training_id else None
        if t is not None:
            j2 += 1
            j4 += (s.weight_job_skill * _has_skill(r, t.sector)
                   + s.weight_affinity * affinity("training", rid, t.id))
            j5 += round(_km(r, t) * UNITS_PER_KM)
    m4 -= sum(s.weight_spread * n * (n - 1) // 2 for n in load.values())
    out: dict[str, float] = {"M1": m1, "M2": m2}
    if _is_rerun(previous):
        out["M3"] = sum(1 for kind, row in _free_previous(look, previous)
                        if kind == "mentor" and not look.holds(row.returnee_id, "mentor",
                                                               row.mentor_id))
    out |= {"M4": m4, "M5": m5 / UNITS_PER_KM, "J1": j1, "J2": j2}
    if _is_rerun(previous):
        out["J3"] = sum(1 for kind, row in _free_previous(look, previous)
                        if kind != "mentor" and not look.holds(
                            row.returnee_id, kind,
                            row.job_id if kind == "job" else row.training_id))
    out |= {"J4": j4, "J5": j5 / UNITS_PER_KM}
    funded = [d for d in plan.loans if d.status == "funded"]
    if funded or "L1" in plan.tiers:
        out |= {"L1": len(funded), "L3": sum(d.amount for d in funded),
                "L2": sum(_loan_points(look, d.returnee_id) for d in funded)}
    return out


def _loan_points(look: _Look, rid: str) -> int:
    """SPEC section 12's priority: no job placement in this plan, poor household, risk,
    the time to apply ending soon."""
    s = look.roster.settings
    r = look.returnees[rid]
    a = look.row_of.get(rid)
    years = s.loan_window_years
    end = (dt.date(r.release_date.year + years, 2, 28)
           if (r.release_date.month, r.release_date.day) == (2, 29)
           else r.release_date.replace(year=r.release_date.year + years))
    return (s.weight_loan_no_job * (a is None or a.job_id is None)
            + s.weight_loan_poor * r.poor_household + s.weight_loan_risk * r.risk
            + s.weight_loan_window * ((end - s.plan_date).days <= s.loan_window_soon_days))


def _free_previous(look: _Look, previous: Any) -> Iterable[tuple[str, Any]]:
    """(kind, row) for each previous pair or placement the new plan may keep or change:
    still allowed pair by pair, not confirmed (mentors) nor hired (jobs), and the
    returnee's follow-up not finished (then every pair ends: no choice either)."""
    roster, s = look.roster, look.roster.settings
    for row in _previous_rows(previous):
        r = look.returnees.get(row.returnee_id)
        if r is None or (r.follow_up_end is not None and r.follow_up_end <= s.plan_date):
            continue
        m = look.mentors.get(row.mentor_id) if row.mentor_id else None
        if (m is not None and m.capacity > 0 and not _confirmed(row, previous, s)
                and not mentor_pair_problems(roster, r, m, 0.0)):
            yield "mentor", row
        j = look.jobs.get(row.job_id) if row.job_id else None
        if (j is not None and j.slots > 0 and not getattr(row, "hired", False)
                and not job_pair_problems(roster, r, j, 0.0)):
            yield "job", row
        t = look.courses.get(row.training_id) if row.training_id else None
        if t is not None and t.seats > 0 and not training_pair_problems(roster, r, t, 0.0):
            yield "training", row


def assert_plan_ok(roster: Roster, plan: Plan, previous: Any = None) -> None:
    """Raise :class:`PlanCheckError` listing every violation of :func:`check_plan` and every
    tier value that disagrees with :func:`objective` (M3/J3 only with ``previous``)."""
    bad = check_plan(roster, plan, previous)
    for name, value in objective(roster, plan, previous).items():
        tier = plan.tiers.get(name)
        if tier is None:
            if name in ("M3", "J3"):
                bad.append(f"tier {name}: missing from a rerun plan (recomputed {value:g})")
            continue
        tol = 0.022 if name in ("M5", "J5") else 0.011
        if abs(tier.value - value) > tol:
            bad.append(f"tier {name}: plan says {tier.value:g}, recomputed {value:g}")
    if bad:
        raise PlanCheckError(bad)
