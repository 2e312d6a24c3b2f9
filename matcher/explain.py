"""Explanations (SPEC section 4): why someone has no mentor or job, the score of every
assignment by term, capacity gaps per ward, and the top alternatives for one returnee.

Every reason is recomputed from the rules against the final plan, names the rule and
the people involved, and is written for a coordinator, not an engineer.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from typing import TYPE_CHECKING, Any

import numpy as np

from matcher.geo import PointIndex, haversine_km
from matcher.plan import CapacityGap, Plan, Unassigned
from matcher.rules import pair_hours

if TYPE_CHECKING:
    from matcher.solve import Context, MentorSolution, PlacementSolution


def _ids(ids: list[str], limit: int = 5) -> str:
    ids = sorted(ids)
    if len(ids) <= limit:
        return ", ".join(ids)
    return ", ".join(ids[:limit]) + f" and {len(ids) - limit} more"


def _n(k: int, word: str) -> str:
    return f"{k} {word}" + ("" if k == 1 else "s")


def _mentor_index(ctx: Context) -> PointIndex:
    cache = ctx.__dict__.setdefault("_cache", {})
    if "mindex" not in cache:
        cache["mindex"] = PointIndex(ctx.people.m_lat, ctx.people.m_lon)
    return cache["mindex"]


def _forbid_rows(ctx: Context, kind: str) -> dict[tuple[str, str], int | None]:
    out = {}
    for row in ctx.roster.pairs:
        target = row.mentor_id if kind == "mentor" else row.job_id
        if row.rule == "forbid" and target:
            out[(row.returnee_id, target)] = row.row
    return out


def pair_blockers(ctx: Context, r: int | None, m: int | None) -> list[str]:
    """Which pair-level hard rules forbid returnee index ``r`` with mentor index ``m``."""
    if r is None:
        return ["the returnee id is not in the roster"]
    if m is None:
        return ["the mentor id is not in the roster"]
    p, s = ctx.people, ctx.roster.settings
    out = []
    km = float(haversine_km(p.r_lat[r], p.r_lon[r], p.m_lat[m], p.m_lon[m]))
    mid = p.m_ids[m]
    if not p.m_active[m]:
        out.append(f"rule 1: mentor {mid} is inactive")
    elif p.m_capacity[m] <= 0:
        out.append(f"rule 1: mentor {mid} has capacity 0")
    if km > s.mentor_max_km + 1e-9:
        out.append(f"rule 3: {km:.1f} km apart, more than mentor_max_km {s.mentor_max_km:g} km")
    elif km > p.m_max_km[m] + 1e-9:
        out.append(f"rule 3: {km:.1f} km apart, more than {mid}'s own max_km "
                   f"{p.m_max_km[m]:g} km")
    if s.gender_rule == "women_to_women" and p.r_female[r] and not p.m_female[m]:
        out.append(f"rule 4: {p.r_ids[r]} is a woman and {mid} a man (women_to_women)")
    if s.gender_rule == "same_gender" and p.r_female[r] != p.m_female[m]:
        out.append(f"rule 4: {p.r_ids[r]} and {mid} differ in gender (same_gender)")
    if p.r_risk[r] > p.m_max_risk[m]:
        out.append(f"rule 5: risk {p.r_risk[r]} is above {mid}'s max_risk {p.m_max_risk[m]}")
    row = _forbid_rows(ctx, "mentor").get((p.r_ids[r], mid), False)
    if row is not False:
        out.append(f"rule 7: forbidden by Pairs row {row}" if row else "rule 7: forbidden")
    return out


# --------------------------------------------------------------------------- score breakdown

def score_breakdowns(ctx: Context, ms: MentorSolution, ps: PlacementSolution
                     ) -> list[dict[str, float]]:
    """Per returnee, each M4/J4 term of its assignment (terms sum to the tier totals)."""
    p, s, a = ctx.people, ctx.roster.settings, ctx.marcs
    ks = ms.arc_of[ms.arc_of >= 0]
    load = np.bincount(a.m[ks], minlength=p.n_mentors)
    out: list[dict[str, float]] = []
    for i in range(p.n_returnees):
        d: dict[str, float] = {}
        k = ms.arc_of[i]
        if k >= 0:
            d["specialty"] = float(s.weight_specialty * a.specialty[k])
            d["same_ward"] = float(s.weight_same_ward * a.same_ward[k])
            if a.affinity[k]:
                d["affinity"] = float(s.weight_affinity * a.affinity[k])
            L = int(load[a.m[k]])
            d["spread"] = -s.weight_spread * (L - 1) / 2.0
            d["mentor_km"] = round(float(a.km[k]), 2)
        j = ps.job_of[i]
        t = ps.training_of[i]
        arcs, idx = (ctx.jarcs, j) if j >= 0 else (ctx.tarcs, t)
        if idx >= 0:
            d["skill_fit"] = float(s.weight_job_skill * arcs.skill[idx])
            d["away_from_home"] = float(s.weight_job_away * arcs.away[idx])
            if arcs.affinity[idx]:
                d["job_affinity"] = float(s.weight_affinity * arcs.affinity[idx])
            d["commute_km"] = round(float(arcs.km[idx]), 2)
        out.append(d)
    return out


# ------------------------------------------------------------------------ unassigned reasons

def _mentor_reasons(ctx: Context, plan: Plan, r: int, load: np.ndarray, hours: np.ndarray,
                    groups: dict[int, set[int]]) -> list[str]:
    p, s = ctx.people, ctx.roster.settings
    rid = p.r_ids[r]
    idx = _mentor_index(ctx)
    _qi, mj, km = idx.pairs_within(p.r_lat[r:r + 1], p.r_lon[r:r + 1], s.mentor_max_km)
    reasons: list[str] = list(ctx.require_failures.get(rid, []))
    if len(mj) == 0:
        if idx.tree is not None and p.n_mentors:
            from matcher.geo import unit_xyz

            _, near = idx.tree.query(unit_xyz(p.r_lat[r:r + 1], p.r_lon[r:r + 1]), k=1)
            m0 = int(np.atleast_1d(near)[0])
            d0 = float(haversine_km(p.r_lat[r], p.r_lon[r], p.m_lat[m0], p.m_lon[m0]))
            reasons.append(f"rule 3: no mentor within {s.mentor_max_km:g} km (nearest: "
                           f"{p.m_ids[m0]}, {d0:.1f} km)")
        else:
            reasons.append("no mentors in the roster")
        return reasons
    female = bool(p.r_female[r])
    forb = _forbid_rows(ctx, "mentor")
    buckets: dict[str, list[str]] = defaultdict(list)
    forbid_rows: list[str] = []
    risk_caps = []
    for m, d in zip(mj.tolist(), km.tolist()):
        mid = p.m_ids[m]
        if not p.m_active[m] or p.m_capacity[m] <= 0:
            buckets["inactive"].append(mid)
        elif d > p.m_max_km[m] + 1e-9:
            buckets["own_km"].append(mid)
        elif (s.gender_rule == "women_to_women" and female and not p.m_female[m]) or (
                s.gender_rule == "same_gender" and female != bool(p.m_female[m])):
            buckets["gender"].append(mid)
        elif p.r_risk[r] > p.m_max_risk[m]:
            buckets["risk"].append(mid)
            risk_caps.append(int(p.m_max_risk[m]))
        elif (rid, mid) in forb:
            buckets["forbid"].append(mid)
            forbid_rows.append(str(forb[(rid, mid)]))
        else:
            ph = pair_hours(s, p.r_risk[r:r + 1], np.array([d]))[0]
            if load[m] >= p.m_capacity[m]:
                buckets["full"].append(mid)
            elif p.r_group[r] >= 0 and int(p.r_group[r]) in groups.get(m, set()):
                buckets["group"].append(mid)
            elif hours[m] + ph > p.m_hours[m] + 1e-9:
                buckets["hours"].append(mid)
            else:
                buckets["other"].append(mid)
    total = len(mj)
    radius = f"within {s.mentor_max_km:g} km"
    kind = "female mentor" if female and s.gender_rule != "none" else "mentor"
    if buckets["gender"]:
        g = buckets["gender"]
        rule = "women_to_women" if s.gender_rule == "women_to_women" else "same_gender"
        every = "every mentor" if len(g) == total else _n(len(g), "mentor")
        reasons.append(f"rule 4 ({rule}): {every} {radius} is of the other gender: {_ids(g)}")
    if buckets["risk"]:
        g = buckets["risk"]
        if len(g) == total or len(g) == total - len(buckets["gender"]):
            reasons.append(f"rule 5: every {kind} {radius} has max_risk "
                           f"{max(risk_caps)} or less, this person is risk {p.r_risk[r]}: "
                           f"{_ids(g)}")
        else:
            reasons.append(f"rule 5: {_n(len(g), kind)} {radius} accept at most risk "
                           f"{max(risk_caps)} (this person is risk {p.r_risk[r]}): {_ids(g)}")
    if buckets["inactive"]:
        reasons.append(f"rule 1: {_n(len(buckets['inactive']), 'mentor')} {radius} inactive or "
                       f"with capacity 0: {_ids(buckets['inactive'])}")
    if buckets["own_km"]:
        reasons.append(f"rule 3: {_n(len(buckets['own_km']), 'mentor')} {radius} only travel a "
                       f"shorter distance (their own max_km): {_ids(buckets['own_km'])}")
    if buckets["forbid"]:
        reasons.append(f"rule 7: forbidden by Pairs row {', '.join(sorted(set(forbid_rows)))}: "
                       f"{_ids(buckets['forbid'])}")
    if buckets["full"]:
        g = buckets["full"]
        both = "both full" if len(g) == 2 else ("full" if len(g) == 1 else "all full")
        reasons.append(f"rule 1: {_n(len(g), kind)} {radius}, {both}: {_ids(g)}")
    if buckets["group"]:
        reasons.append(f"rule 6: {_n(len(buckets['group']), kind)} {radius} already mentor a "
                       f"co-offender (group {ctx.roster.returnees[r].group}): "
                       f"{_ids(buckets['group'])}")
    if buckets["hours"]:
        reasons.append(f"rule 2: {_n(len(buckets['hours']), kind)} {radius} have no monthly "
                       f"hours left for this person's visits: {_ids(buckets['hours'])}")
    if buckets["other"]:
        reasons.append(f"{_n(len(buckets['other']), kind)} {radius} could take this person "
                       f"only by leaving a higher-priority returnee without a mentor: "
                       f"{_ids(buckets['other'])}")
    return reasons


def _placement_reasons(ctx: Context, r: int, kind: str, used: np.ndarray,
                       emp_groups: dict[str, set[int]]) -> list[str]:
    roster, p, s = ctx.roster, ctx.people, ctx.roster.settings
    returnee = roster.returnees[r]
    items = roster.jobs if kind == "job" else roster.trainings
    word = "job opening" if kind == "job" else "training course"
    limit = s.job_max_km if kind == "job" else s.training_max_km
    if kind == "job" and returnee.max_commute_km is not None:
        limit = min(limit, returnee.max_commute_km)
    if not items:
        return [f"no {word}s in the roster"]
    lat = np.array([o.location.lat for o in items])
    lon = np.array([o.location.lon for o in items])
    km = haversine_km(p.r_lat[r], p.r_lon[r], lat, lon)
    near = np.flatnonzero(km <= limit + 1e-9)
    if len(near) == 0:
        j0 = int(np.argmin(km))
        return [(f"rule 9: no {word} within {limit:g} km (nearest: {items[j0].id}, "
                f"{km[j0]:.1f} km)")]
    buckets: dict[str, list[str]] = defaultdict(list)
    age = returnee.age(s.plan_date)
    from matcher.text import fold

    forb = _forbid_rows(ctx, "job")
    for j in near.tolist():
        o = items[j]
        if kind == "job":
            if not o.entry_level and fold(o.sector) not in returnee.skills:
                buckets["skill"].append(o.id)
            elif returnee.offense in o.excluded_offenses:
                buckets["offense"].append(o.id)
            elif (o.min_age is not None and age < o.min_age) or (
                    o.max_age is not None and age > o.max_age):
                buckets["age"].append(o.id)
            elif (returnee.id, o.id) in forb:
                buckets["forbid"].append(o.id)
            elif used[j] >= o.slots:
                buckets["full"].append(o.id)
            elif returnee.group and p.r_group[r] in emp_groups.get(fold(o.employer), set()):
                buckets["group"].append(o.id)
            else:
                buckets["other"].append(o.id)
        else:
            if o.start_date is not None and o.start_date < returnee.release_date:
                buckets["start"].append(o.id)
            elif used[j] >= o.seats:
                buckets["full"].append(o.id)
            else:
                buckets["other"].append(o.id)
    radius = f"within {limit:g} km"
    out = []
    if buckets["skill"]:
        skills = ", ".join(sorted(returnee.skills)) or "none listed"
        out.append(f"rule 10: {_n(len(buckets['skill']), word)} {radius} need a skill this "
                   f"person does not list (skills: {skills}) and are not entry-level: "
                   f"{_ids(buckets['skill'])}")
    if buckets["offense"]:
        out.append(f"rule 11: {_n(len(buckets['offense']), word)} {radius} do not accept "
                   f"{returnee.offense} offenses: {_ids(buckets['offense'])}")
    if buckets["age"]:
        out.append(f"rule 11: {_n(len(buckets['age']), word)} {radius} have age limits this "
                   f"person ({age}) does not meet: {_ids(buckets['age'])}")
    if buckets["forbid"]:
        out.append(f"rule 7: forbidden by the Pairs sheet: {_ids(buckets['forbid'])}")
    if buckets["start"]:
        out.append(f"rule 13: {_n(len(buckets['start']), word)} {radius} start before the "
                   f"release date {returnee.release_date:%d/%m/%Y}: {_ids(buckets['start'])}")
    if buckets["full"]:
        out.append(f"rule 8: {_n(len(buckets['full']), word)} {radius} suitable but full: "
                   f"{_ids(buckets['full'])}")
    if buckets["group"]:
        out.append(f"rule 12: a co-offender already works for the employer of "
                   f"{_ids(buckets['group'])}")
    if buckets["other"]:
        out.append(f"{_n(len(buckets['other']), word)} {radius} went to others so that more "
                   f"people are placed: {_ids(buckets['other'])}")
    return out


def explain_unassigned(ctx: Context, plan: Plan) -> list[Unassigned]:
    roster, p = ctx.roster, ctx.people
    mi = {mid: i for i, mid in enumerate(p.m_ids)}
    load = np.zeros(p.n_mentors, dtype=np.int64)
    hours = np.zeros(p.n_mentors)
    groups: dict[int, set[int]] = defaultdict(set)
    s = roster.settings
    for i, a in enumerate(plan.assignments):
        if a.mentor_id is not None:
            m = mi[a.mentor_id]
            load[m] += 1
            hours[m] += _assigned_hours(ctx, i, m, a.mentor_km)
            if p.r_group[i] >= 0:
                groups[m].add(int(p.r_group[i]))
    jused = np.zeros(len(roster.jobs), dtype=np.int64)
    tused = np.zeros(len(roster.trainings), dtype=np.int64)
    ji = {j.id: k for k, j in enumerate(roster.jobs)}
    ti = {t.id: k for k, t in enumerate(roster.trainings)}
    emp_groups: dict[str, set[int]] = defaultdict(set)
    from matcher.text import fold

    for i, a in enumerate(plan.assignments):
        if a.job_id is not None:
            jused[ji[a.job_id]] += 1
            if p.r_group[i] >= 0:
                emp_groups[fold(roster.jobs[ji[a.job_id]].employer)].add(int(p.r_group[i]))
        if a.training_id is not None:
            tused[ti[a.training_id]] += 1
    out = []
    for i, a in enumerate(plan.assignments):
        missing, reasons = [], []
        if a.mentor_id is None:
            missing.append("mentor")
            reasons += _mentor_reasons(ctx, plan, i, load, hours, groups)
        ret = roster.returnees[i]
        placed = a.job_id is not None or a.training_id is not None
        if ret.wants_job and not placed:
            missing.append("job")
            reasons += [f"job: {x}" for x in _placement_reasons(ctx, i, "job", jused,
                                                                   emp_groups)]
        if ret.wants_training and not placed:
            missing.append("training")
            reasons += [f"training: {x}" for x in _placement_reasons(ctx, i, "training", tused,
                                                                        emp_groups)]
        if missing:
            out.append(Unassigned(a.returnee_id, missing, reasons))
    del s
    return out


def _assigned_hours(ctx: Context, r: int, m: int, km: float | None) -> float:
    s = ctx.roster.settings
    rid, mid = ctx.people.r_ids[r], ctx.people.m_ids[m]
    travel = None
    for row in ctx.roster.pairs:
        if row.returnee_id == rid and row.mentor_id == mid:
            if row.visit_hours_per_month is not None:
                return float(row.visit_hours_per_month)
            if row.travel_minutes is not None:
                travel = np.array([row.travel_minutes])
    return float(pair_hours(s, ctx.people.r_risk[r:r + 1], np.array([km or 0.0]), travel)[0])


# ------------------------------------------------------------------------------ capacity gaps

def capacity_gaps(ctx: Context, plan: Plan) -> list[CapacityGap]:
    """Per ward: who could not be covered, and how many more mentors (or openings) there
    would cover them, at the median mentor capacity."""
    roster = ctx.roster
    caps = [m.capacity for m in roster.mentors if m.active and m.capacity > 0]
    per_mentor = max(1, int(np.median(caps))) if caps else 2
    by_ward: dict[str, list[int]] = defaultdict(list)
    for u in plan.unassigned:
        r = roster.returnee(u.returnee_id)
        for kind in u.missing:
            by_ward[(r.location.ward or "(no ward)") + "\0" + kind].append(
                1 if r.gender == "F" else 0)
    gaps = []
    for key, flags in sorted(by_ward.items()):
        ward, kind = key.split("\0")
        total, female = len(flags), sum(flags)
        if kind == "mentor":
            need_f = math.ceil(female / per_mentor) if roster.settings.gender_rule != "none" \
                else 0
            need = need_f + math.ceil((total - (female if need_f else 0)) / per_mentor)
            text = f"{need} more mentor(s) in {ward} (capacity {per_mentor} each)"
            if need_f:
                text += f", {need_f} of them women"
            gaps.append(CapacityGap(ward, "mentor", total, text, female, need))
        else:
            word = "job slot(s)" if kind == "job" else "training seat(s)"
            gaps.append(CapacityGap(ward, kind, total,
                                    f"{total} more {word} within reach of {ward}", female,
                                    total))
    gaps.sort(key=lambda g: (-g.uncovered, g.ward, g.kind))
    return gaps


# ------------------------------------------------------------------------------ alternatives

def alternatives(ctx: Context, plan: Plan, returnee_id: str, k: int = 5) -> list[dict[str, Any]]:
    """The top ``k`` other mentors a coordinator could choose for one returnee, with the
    change in suitability points and distance against the current mentor."""
    p, a, s = ctx.people, ctx.marcs, ctx.roster.settings
    ri = {rid: i for i, rid in enumerate(p.r_ids)}
    if returnee_id not in ri:
        raise KeyError(returnee_id)
    r = ri[returnee_id]
    mi = {mid: i for i, mid in enumerate(p.m_ids)}
    load = Counter(mi[x.mentor_id] for x in plan.assignments if x.mentor_id)
    hours: dict[int, float] = defaultdict(float)
    groups: dict[int, set[int]] = defaultdict(set)
    for i, x in enumerate(plan.assignments):
        if x.mentor_id:
            hours[mi[x.mentor_id]] += _assigned_hours(ctx, i, mi[x.mentor_id], x.mentor_km)
            if p.r_group[i] >= 0:
                groups[mi[x.mentor_id]].add(int(p.r_group[i]))
    current = plan.assignment(returnee_id).mentor_id
    cur_m = mi.get(current) if current else None
    sel = np.flatnonzero(a.r == r)
    points = a.score(s)[sel]

    def value(m: int, pts: int) -> float:
        L = load.get(m, 0) + (0 if m == cur_m else 1)
        return pts - s.weight_spread * (L - 1)

    cur_value = cur_km = None
    if cur_m is not None:
        hit = sel[a.m[sel] == cur_m]
        if len(hit):
            cur_value = value(cur_m, int(a.score(s)[hit[0]]))
            cur_km = float(a.km[hit[0]])
    rows = []
    for k_i, pts in zip(sel.tolist(), points.tolist()):
        m = int(a.m[k_i])
        if m == cur_m:
            continue
        room = load.get(m, 0) < p.m_capacity[m]
        hours_ok = hours[m] + a.hours[k_i] <= p.m_hours[m] + 1e-9
        group_ok = not (p.r_group[r] >= 0 and int(p.r_group[r]) in groups[m])
        note = []
        if not room:
            note.append(f"full ({load.get(m, 0)}/{p.m_capacity[m]}): another mentee would move")
        if not hours_ok:
            note.append("not enough monthly hours left")
        if not group_ok:
            note.append("already mentors a co-offender")
        v = value(m, pts)
        mentor = ctx.roster.mentors[m]
        rows.append({
            "mentor_id": mentor.id, "full_name": mentor.full_name, "phone": mentor.phone,
            "km": round(float(a.km[k_i]), 2), "score": v,
            "score_diff": None if cur_value is None else v - cur_value,
            "km_diff": None if cur_km is None else round(float(a.km[k_i]) - cur_km, 2),
            "available": bool(room and hours_ok and group_ok), "note": "; ".join(note),
        })
    rows.sort(key=lambda x: (not x["available"], -x["score"], x["km"], x["mentor_id"]))
    return rows[:k]
