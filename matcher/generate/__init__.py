"""Synthetic but realistic rosters for demos, tests and the benchmark (SPEC §8, §10).

Never real people: names are drawn from public name lists, places are the real 2025
communes and wards of Thanh Hóa (``data/gazetteer``), everything else is random with the
mixes below. The same ``(scale, seed, plan_date)`` always gives the same
:class:`~matcher.domain.Roster` (one ``numpy.random.default_rng(seed)`` stream, drawn in a
fixed order; nothing depends on dict or set iteration order) and therefore the same
cells in the written workbook.

Scales (returnees / mentors / job openings; courses ≈ 1 per 25 returnees; Pairs rows
≈ 1 % of returnees, at least 4):

========  =========  =========  ========  ==========================================
scale     returnees  mentors    openings  area
========  =========  =========  ========  ==========================================
ward      40         80         30        one urban ward and its neighbours ≤ 6 km
city      1,000      2,000      400       former Thanh Hóa city: units ≤ 12 km of
                                          19.80 N, 105.78 E
province  10,000     20,000     4,000     all of Thanh Hóa
national  100,000    150,000    40,000    the 34 provinces, by number of communes
========  =========  =========  ========  ==========================================

Locations
    People, employers and courses sit in a gazetteer unit drawn with weights (people:
    phường 4, xã 1, mountain xã west of 105.3 E 0.6; employers: phường 6, xã 1;
    courses: phường 8, xã 0.5), jittered around the unit point (normal, 1.2 km per
    axis, ≈ 1.5 km on average) and rounded to 5 decimals; the ward is the 2025 unit
    name. 10 % of people (15 % of employers and courses) have no lat/lon: their
    location is the ward point (``from_ward_point``; ``unreliable`` when the gazetteer
    flags that point) — except in the 19 units whose short name also names another
    unit, now or before 2025 (e.g. Phường Đông Sơn), which always get lat/lon because
    the name alone is ambiguous. The three units whose gazetteer point is misplaced
    (Ba Đình, Lam Sơn, Ngọc Trạo) are never used. At national scale the 33 other provinces get
    people in proportion to their number of communes, jittered 20 km per axis around
    the province point, with no ward (explicit lat/lon); Thanh Hóa's share uses its
    wards as above. Mentors live where returnees live, with a per-unit factor
    (lognormal, σ 0.6: veterans' associations are stronger in some places). Coverage
    possible (maximum matching on the 30 nearest feasible mentors, ignoring hour
    budgets and groups, seed 3): ward, city, province 100 %, national 98.5 %.
Returnees
    10 % women; born 1960–2006 (age ≈ normal 35 ± 9); offense drugs 35 %, property
    30 %, violence 12 %, fraud 8 %, traffic 5 %, other 10 %; risk low/medium/high
    40/40/20 overall, by offense: drugs 25/45/30, violence 30/40/30, traffic 70/25/5,
    others 50/38/12; release uniform from 18 months before plan_date to 2 months after
    (future = pre-release planning), plus 10 % on the last 2 September amnesty; 0–3
    skills (20 % none) from the sectors below, weighted by gender; wants a job 80 %,
    training 25 %, work away from home 15 %, needs a loan 20 %, max commute on 25 %
    (3–15 km); availability on half (75 % Vietnamese form, 25 % English, see
    Availability); ≈ 5 % in co-offender groups of 2–4 (same offense, release within two
    months, 70 % same ward, otherwise a unit ≤ 8 km away).
Mentors (veterans)
    15 % women; born 1950–1980 (≈ normal 1962 ± 6.5); capacity 1/2/3/4/5 with
    12/45/33/7/3 %; hours_per_month 8–20 on 25 %; max_risk 3/2/1 with 60/30/10 %;
    specialties drugs 20 %, youth 15 %, jobs 20 %, legal 10 %, women 70 % of women
    (3 % of men); own max_km 2–4 on 8 %; phone on 90 % (09xxxxxxxx, some 03/08);
    availability on half (see Availability); 3 % inactive.
Availability
    Written to fit the visit scheduler (matcher.schedule), where a day-shift job blocks
    Mon–Sat mornings and afternoons and a blank cell means any daytime slot. Returnees
    who want a job mostly give evenings and weekends (≈ 86 %: ``T2-T6 tối; T7; CN`` /
    ``Mon-Fri evening; Sat-Sun``, ``T2-T7 tối; CN``, ``sau 17h; CN``, ``T7; CN``, ``CN``
    …), the rest weekday daytime only (``T2-T6 sáng``, ``T2, T4, T6 chiều``), which
    leaves nothing once they start a day shift. Other returnees are mixed (daily, weekday
    mornings or afternoons, a few evenings or Sunday mornings). Mentors, mostly retired
    veterans, are free in the daytime on most days, many also some evenings or on
    Sunday (≈ 73 %: ``hàng ngày``, ``hàng ngày; tối T2-T6``, ``T2-T7; CN sáng``, ``cả
    ngày T2-T6; CN`` …); 8 % still work (evenings and weekends), 7 % never on Sunday and
    12 % only a few mornings (``T2-T6 sáng``, ``T3, T5, T7 sáng``). Weights are in
    :data:`AVAILABILITY_JOB_SEEKER`, :data:`AVAILABILITY_RETURNEE_OTHER` and
    :data:`AVAILABILITY_MENTOR`. On the city roster (seed 1) about 9 first visits in 10
    find a slot within ``first_visit_days``; the others are listed as unscheduled with
    their reason (no common free slot, a mentor's full days), as a real roster would
    have.
Jobs
    Openings grouped by employer (1–5 openings each, 45/25/15/10/5 %), named after the
    sector ("Công ty TNHH May Hưng Phát", "Công ty CP Xi măng …", bank branches for
    guard jobs); slots 1–6 (mean ≈ 2.5); 85 % of an employer's openings in its own
    sector, the rest support roles (guard, driver, cleaning, warehouse, canteen);
    entry-level, night and any-shift shares by sector (garment 55 % entry level,
    guards 45 % night, …); excluded offenses: bank guards fraud+property, guard
    companies 40 % property+violence, drivers 60 % traffic (half also drugs), sales
    30 % fraud+property, warehouses 30 % property, hotels 20 % property, others 4 %
    drugs; min_age 18 on 30 %; max_age on factory jobs (35–45, 60 %) and others
    (45–55, 15 %); start date on half (−30…+60 days).
Training
    Vocational schools and job centres; seats 15–25; start −21…+120 days; 30 % evening.
Pairs
    Forbid ≈ 40 %, affinity ≈ 33 % (some with travel_minutes or
    visit_hours_per_month), job rows ≈ 15 % (forbid or affinity) and ≈ 12 % require —
    each require is feasible (active mentor with free capacity and no hour limit, within
    4.8 km and the mentor's max_km, risk ≤ max_risk, woman with a woman) and uses its
    own returnee and mentor. Never two rows for the same pair, so never require and
    forbid together.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np

from matcher.domain import Roster, Settings
from matcher.generate.loans import add_loans
from matcher.generate.openings import _jobs, _pairs, _trainings
from matcher.generate.people import _mentors, _returnees
from matcher.generate.places import _region
from matcher.generate.tables import (
    AVAILABILITY_JOB_SEEKER,
    AVAILABILITY_MENTOR,
    AVAILABILITY_RETURNEE_OTHER,
    DATA_DIR,
    DEFAULT_PLAN_DATE,
    SAMPLE,
    SAMPLE_SEED,
    SCALES,
    SECTOR_NAMES,
    SECTORS,
    Scale,
    planned_counts,
)
from matcher.io.roster_writer import write_roster
from matcher.text import fold

__all__ = [
    "AVAILABILITY_JOB_SEEKER", "AVAILABILITY_MENTOR", "AVAILABILITY_RETURNEE_OTHER", "DATA_DIR",
    "DEFAULT_PLAN_DATE", "SAMPLE", "SAMPLE_SEED", "SCALES", "SECTORS", "SECTOR_NAMES", "Scale",
    "counts", "generate", "generate_roster", "make_sample", "planned_counts",
]


def _build(scale: Scale, seed: int, plan_date: dt.date) -> Roster:
    rng = np.random.default_rng(seed)
    units = _region(scale.region, rng)
    returnees, r_pts = _returnees(rng, units, scale.returnees, plan_date)
    mentors, m_pts = _mentors(rng, units, scale.mentors)
    jobs = _jobs(rng, units, scale.openings, plan_date)
    trainings = _trainings(rng, units, scale.n_trainings, plan_date)
    pairs = _pairs(rng, scale.n_pairs, returnees, r_pts, mentors, m_pts, jobs)
    returnees, pools = add_loans(returnees, seed)
    return Roster(returnees=tuple(returnees), mentors=tuple(mentors), jobs=tuple(jobs),
                  trainings=tuple(trainings), pairs=tuple(pairs),
                  settings=Settings(plan_date=plan_date), loan_pools=tuple(pools),
                  spellings={fold(name): name for name in SECTOR_NAMES})


def generate_roster(scale: str, seed: int, *,
                    plan_date: dt.date = DEFAULT_PLAN_DATE) -> Roster:
    """A realistic synthetic roster at ``scale`` (ward, city, province, national);
    the same arguments always give the same roster."""
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {', '.join(SCALES)}, not {scale!r}")
    return _build(SCALES[scale], seed, plan_date)


def counts(roster: Roster) -> dict[str, int]:
    return {"returnees": len(roster.returnees), "mentors": len(roster.mentors),
            "jobs": len(roster.jobs), "job_slots": sum(j.slots for j in roster.jobs),
            "trainings": len(roster.trainings),
            "training_seats": sum(t.seats for t in roster.trainings),
            "pairs": len(roster.pairs)}


def generate(scale: str, seed: int, out_path: str | Path, *, lang: str = "en",
             plan_date: dt.date = DEFAULT_PLAN_DATE) -> dict[str, int]:
    """Generate a roster and write it to ``out_path`` (.xlsx); returns its counts."""
    roster = generate_roster(scale, seed, plan_date=plan_date)
    write_roster(roster, out_path, lang=lang, skill_names=SECTOR_NAMES)
    return counts(roster)


def make_sample(out_path: str | Path) -> dict[str, int]:
    """The bundled sample (``data/sample/roster.xlsx``): Thanh Hóa city, 120 returnees,
    200 mentors, 40 openings, 6 courses, 12 Pairs rows, Vietnamese sheets and headers;
    about one person in ten is given by ward name only."""
    roster = _build(SAMPLE, SAMPLE_SEED, DEFAULT_PLAN_DATE)
    write_roster(roster, out_path, lang="vi", skill_names=SECTOR_NAMES)
    return counts(roster)
