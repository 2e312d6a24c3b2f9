"""Which pair-level hard rules (SPEC section 2) forbid one pair — a returnee with a mentor,
a job opening or a training course — in plain words, for the explanations, the require
rows that cannot be honoured and the pairs a rerun must end."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from matcher import catalog
from matcher.geo import haversine_km
from matcher.text import Bi, fold

if TYPE_CHECKING:
    from matcher.context import Context

RULES = tuple(range(1, 14))  # the hard rules of SPEC section 2, named by "rule.<n>"


def because(rule: int | str, key: str, /, n: int | None = None, **params: Any) -> Bi:
    """A reason headed by the rule it applies, by name ("Distance (rule 3): ..." in
    English, "Khoảng cách: ..." in Vietnamese, which never shows the number); ``rule`` is
    the rule's number or a named head without one ("priority"). With ``n`` the message
    ``key`` takes its plural form for that count."""
    text = catalog.bi(key, **params) if n is None else catalog.nbi(key, n, **params)
    name = catalog.bi(f"rule.{rule}")
    if isinstance(rule, int):
        return catalog.bi("reason.rule", rule=name, n=str(rule), text=text)
    return catalog.bi("reason.head", rule=name, text=text)


def offense(code: str) -> Bi:
    """An offense group in the roster's words ("drugs" / "ma túy"); an unknown code as it is."""
    key = f"choice.offense.{code}"
    return catalog.bi(key) if catalog.has(key) else Bi(code, code)


def day(d: dt.date) -> Bi:
    """A date in both languages (06/12/2026 in Vietnamese)."""
    return Bi(catalog.date(d, "en"), catalog.date(d, "vi"))


def forbid_rows(ctx: Context, kind: str) -> dict[tuple[str, str], int | None]:
    """Pairs-sheet forbid rows (returnee, mentor, job or training course) -> Excel row,
    built once; ``kind`` is "mentor", "job" or "training"."""
    def make() -> dict[tuple[str, str], int | None]:
        out = {}
        for row in ctx.roster.pairs:
            if row.rule == "forbid" and row.kind == kind:
                target = row.target
                out[(row.returnee_id, target)] = row.row
        return out

    return ctx.cached("forbid_" + kind, make)


def pair_blockers(ctx: Context, r: int | None, m: int | None) -> list[str]:
    """Which pair-level hard rules forbid returnee index ``r`` with mentor index ``m``."""
    if r is None:
        return [catalog.bi("reason.blk.returnee_unknown")]
    if m is None:
        return [catalog.bi("reason.blk.mentor_unknown")]
    p, s = ctx.people, ctx.roster.settings
    out = []
    km = float(haversine_km(p.r_lat[r], p.r_lon[r], p.m_lat[m], p.m_lon[m]))
    mid, rid = p.m_ids[m], p.r_ids[r]
    if not p.m_active[m]:
        out.append(because(1, "reason.blk.inactive", mid=mid))
    elif p.m_capacity[m] <= 0:
        out.append(because(1, "reason.blk.capacity0", mid=mid))
    if km > s.mentor_max_km + 1e-9:
        out.append(because(3, "reason.blk.too_far", km=km, limit=float(s.mentor_max_km)))
    elif km > p.m_max_km[m] + 1e-9:
        out.append(because(3, "reason.blk.too_far_own", km=km, mid=mid,
                           limit=float(p.m_max_km[m])))
    if s.gender_rule == "women_to_women" and p.r_female[r] and not p.m_female[m]:
        out.append(because(4, "reason.blk.w2w", rid=rid, mid=mid))
    if s.gender_rule == "same_gender" and p.r_female[r] != p.m_female[m]:
        out.append(because(4, "reason.blk.same_gender", rid=rid, mid=mid))
    if p.r_risk[r] > p.m_max_risk[m]:
        out.append(because(5, "reason.blk.risk", risk=int(p.r_risk[r]),
                           cap=int(p.m_max_risk[m]), mid=mid))
    row = forbid_rows(ctx, "mentor").get((rid, mid), False)
    if row is not False:
        out.append(_forbidden(row))
    return out


def _forbidden(row: int | None) -> Bi:
    if row:
        return because(7, "reason.blk.forbid_row", row=str(row))
    return because(7, "reason.blk.forbid")


def placement_blockers(ctx: Context, r: int | None, o: int | None, kind: str) -> list[str]:
    """Which pair-level hard rules forbid returnee index ``r`` with opening ``o`` (a job
    index when ``kind`` is "job", else a training course index)."""
    if r is None:
        return [catalog.bi("reason.blk.returnee_unknown")]
    if o is None:
        return [catalog.bi(f"reason.blk.{'job' if kind == 'job' else 'training'}_unknown")]
    roster, p, s = ctx.roster, ctx.people, ctx.roster.settings
    ret = roster.returnees[r]
    item = roster.jobs[o] if kind == "job" else roster.trainings[o]
    km = float(haversine_km(p.r_lat[r], p.r_lon[r], item.location.lat, item.location.lon))
    out = []
    if kind == "job":
        if not ret.wants_job:
            out.append(because(13, "reason.blk.no_job_wish", rid=ret.id))
        limit = s.job_max_km if ret.max_commute_km is None else min(s.job_max_km,
                                                                     ret.max_commute_km)
        if km > limit + 1e-9:
            out.append(because(9, "reason.blk.commute", km=km, limit=float(limit)))
        if not item.entry_level and fold(item.sector) not in ret.skills:
            out.append(because(10, "reason.blk.skill", item=item.id, sector=item.sector,
                               rid=ret.id))
        if ret.offense in item.excluded_offenses:
            out.append(because(11, "reason.blk.offense", item=item.id,
                               offense=offense(ret.offense)))
        age = ret.age(s.plan_date)
        if (item.min_age is not None and age < item.min_age) or (
                item.max_age is not None and age > item.max_age):
            out.append(because(11, "reason.blk.age", age=age, item=item.id))
        if item.slots <= 0:
            out.append(because(8, "reason.blk.no_slots", item=item.id))
    else:
        if not ret.wants_training:
            out.append(because(13, "reason.blk.no_training_wish", rid=ret.id))
        if km > s.training_max_km + 1e-9:
            out.append(because(9, "reason.blk.course_far", km=km,
                               limit=float(s.training_max_km)))
        if item.start_date is not None and item.start_date < ret.release_date:
            out.append(because(13, "reason.blk.starts_early", item=item.id,
                               day=day(ret.release_date)))
        if item.seats <= 0:
            out.append(because(8, "reason.blk.no_seats", item=item.id))
    row = forbid_rows(ctx, kind).get((ret.id, item.id), False)
    if row is not False:
        out.append(_forbidden(row))
    return out
