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

from matcher import catalog
from matcher.blockers import because, day, forbid_rows, offense
from matcher.geo import PointIndex, haversine_km
from matcher.plan import CapacityGap, Plan, Unassigned
from matcher.rules import pair_hours
from matcher.text import Bi, fold, join_bi, vi_of

if TYPE_CHECKING:
    from matcher.context import Context, MentorSolution, PlacementSolution


def _ids(ids: list[str], limit: int = 5, places: bool = False) -> Bi:
    """Up to ``limit`` ids, then how many more (people, or openings when ``places``)."""
    ids = sorted(ids)
    if len(ids) <= limit:
        return Bi(", ".join(ids), ", ".join(ids))
    return catalog.bi("reason.more_places" if places else "reason.more_people",
                      ids=", ".join(ids[:limit]), n=len(ids) - limit)


def _mentor_index(ctx: Context) -> PointIndex:
    return ctx.cached("mindex", lambda: PointIndex(ctx.people.m_lat, ctx.people.m_lon))


def _nearest(index: PointIndex, lat: float, lon: float) -> tuple[int, float]:
    """The nearest point and its distance; among equally near points the first one, so
    that the answer does not depend on the tree (or on how a roster was split)."""
    cand = index.near_candidates(lat, lon)
    dist = haversine_km(lat, lon, index.lat[cand], index.lon[cand])
    d, j = min(zip(np.round(dist, 6).tolist(), cand.tolist()))
    return int(j), float(d)


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
    reasons: list[str] = list(ctx.require_failures.get((rid, "mentor"), []))
    if len(mj) == 0:
        if len(idx.lat) and p.n_mentors:
            m0, d0 = _nearest(idx, p.r_lat[r], p.r_lon[r])
            reasons.append(because(3, "reason.mentor.none_near", km=float(s.mentor_max_km),
                                   nearest=p.m_ids[m0], dist=d0))
        else:
            reasons.append(catalog.bi("reason.mentor.none_in_roster"))
        return reasons
    female = bool(p.r_female[r])
    forb = forbid_rows(ctx, "mentor")
    buckets: dict[str, list[str]] = defaultdict(list)
    forbid_lines: list[str] = []
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
            forbid_lines.append(str(forb[(rid, mid)]))
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
    radius = float(s.mentor_max_km)
    women_only = female and s.gender_rule != "none"
    kind = catalog.bi("reason.kind.female_mentor" if women_only else "reason.kind.mentor")

    def who(key: str, female_only: bool = women_only) -> Bi:
        word = "reason.word.female_mentors" if female_only else "reason.word.mentors"
        return catalog.nbi(word, len(buckets[key]))

    def say(rule: int | str, key: str, bucket: str, female_only: bool = women_only,
            **params: Any) -> None:
        reasons.append(because(rule, key, n=len(buckets[bucket]), km=radius,
                               who=who(bucket, female_only), ids=_ids(buckets[bucket]),
                               **params))

    if buckets["gender"]:
        g = buckets["gender"]
        w2w = s.gender_rule == "women_to_women"
        if len(g) == total:
            reasons.append(because(4, "reason.mentor.gender_w2w_all" if w2w else
                                   "reason.mentor.gender_same_all", km=radius, ids=_ids(g)))
        else:
            say(4, "reason.mentor.gender_w2w" if w2w else "reason.mentor.gender_same",
                "gender", female_only=False)
    if buckets["risk"]:
        g = buckets["risk"]
        cap, level = max(risk_caps), int(p.r_risk[r])
        if len(g) == total or len(g) == total - len(buckets["gender"]):
            reasons.append(because(5, "reason.mentor.risk_all", kind=kind, km=radius, cap=cap,
                                   risk=level, ids=_ids(g)))
        else:
            say(5, "reason.mentor.risk", "risk", cap=cap, risk=level)
    if buckets["inactive"]:
        say(1, "reason.mentor.inactive", "inactive", female_only=False)
    if buckets["own_km"]:
        say(3, "reason.mentor.own_km", "own_km", female_only=False)
    if buckets["forbid"]:
        reasons.append(because(7, "reason.mentor.forbid", rows=", ".join(sorted(set(
            forbid_lines))), ids=_ids(buckets["forbid"])))
    if buckets["full"]:
        say(1, "reason.mentor.full", "full")
    if buckets["group"]:
        say(6, "reason.mentor.group", "group", group=str(ctx.roster.returnees[r].group))
    if buckets["hours"]:
        say(2, "reason.mentor.hours", "hours")
    if buckets["other"]:
        say("priority", "reason.mentor.other", "other")
    return reasons


def _placement_reasons(ctx: Context, r: int, kind: str, used: np.ndarray,
                       emp_groups: dict[str, set[int]]) -> list[str]:
    roster, p, s = ctx.roster, ctx.people, ctx.roster.settings
    returnee = roster.returnees[r]
    items = roster.jobs if kind == "job" else roster.trainings
    limit = s.job_max_km if kind == "job" else s.training_max_km
    if kind == "job" and returnee.max_commute_km is not None:
        limit = min(limit, returnee.max_commute_km)
    if not items:
        return [catalog.bi(f"reason.place.none_in_roster_{kind}")]
    index = ctx.cached("index_" + kind, lambda: PointIndex(
        np.array([o.location.lat for o in items]), np.array([o.location.lon for o in items])))
    _qi, near, dist = index.pairs_within(p.r_lat[r:r + 1], p.r_lon[r:r + 1], limit)
    if len(near) == 0:
        j0, d0 = _nearest(index, p.r_lat[r], p.r_lon[r])
        what = catalog.bi("reason.word.job" if kind == "job" else "reason.word.course")
        return [because(9, "reason.place.none_near", what=what, km=float(limit),
                        nearest=items[j0].id, dist=d0)]
    buckets: dict[str, list[str]] = defaultdict(list)
    age = returnee.age(s.plan_date)
    forb = forbid_rows(ctx, kind)
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
            elif (returnee.id, o.id) in forb:
                buckets["forbid"].append(o.id)
            elif used[j] >= o.seats:
                buckets["full"].append(o.id)
            else:
                buckets["other"].append(o.id)
    word = "reason.word.jobs" if kind == "job" else "reason.word.courses"
    out = []

    def say(rule: int | str, key: str, bucket: str, **params: Any) -> None:
        n = len(buckets[bucket])
        out.append(because(rule, key, n=n, what=catalog.nbi(word, n), km=float(limit),
                           ids=_ids(buckets[bucket], places=True), **params))

    if buckets["skill"]:
        names = sorted(_sector_names(ctx).get(x, x) for x in returnee.skills)
        skills = (Bi(", ".join(names), ", ".join(names)) if names
                  else catalog.bi("reason.place.skills_none"))
        say(10, "reason.place.skill", "skill", skills=skills)
    if buckets["offense"]:
        say(11, "reason.place.offense", "offense", offense=offense(returnee.offense))
    if buckets["age"]:
        say(11, "reason.place.age", "age", age=age)
    if buckets["forbid"]:
        out.append(because(7, "reason.place.forbid", ids=_ids(buckets["forbid"], places=True)))
    if buckets["start"]:
        say(13, "reason.place.start", "start", day=day(returnee.release_date))
    if buckets["full"]:
        say(8, "reason.place.full", "full")
    if buckets["group"]:
        out.append(because(12, "reason.place.group", ids=_ids(buckets["group"], places=True)))
    if buckets["other"]:
        say("priority", "reason.place.other", "other")
    return out


def _sector_names(ctx: Context) -> dict[str, str]:
    """Skills are kept folded ("lai xe"); say them as the roster's openings and courses
    spell their sectors ("lái xe"), accents and all."""
    def make() -> dict[str, str]:
        out = dict(ctx.roster.spellings)
        for item in (*ctx.roster.jobs, *ctx.roster.trainings):
            out.setdefault(fold(item.sector), item.sector)
        return out

    return ctx.cached("sector_names", make)


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
            hours[m] += a.mentor_hours or 0.0
            if p.r_group[i] >= 0:
                groups[m].add(int(p.r_group[i]))
    jused = np.zeros(len(roster.jobs), dtype=np.int64)
    tused = np.zeros(len(roster.trainings), dtype=np.int64)
    ji = {j.id: k for k, j in enumerate(roster.jobs)}
    ti = {t.id: k for k, t in enumerate(roster.trainings)}
    emp_groups: dict[str, set[int]] = defaultdict(set)
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
            reasons += [catalog.bi("reason.job", reason=x) for x in
                        ctx.require_failures.get((a.returnee_id, "job"), [])
                        + _placement_reasons(ctx, i, "job", jused, emp_groups)]
        if ret.wants_training and not placed:
            missing.append("training")
            reasons += [catalog.bi("reason.training", reason=x) for x in
                        ctx.require_failures.get((a.returnee_id, "training"), [])
                        + _placement_reasons(ctx, i, "training", tused, emp_groups)]
        if missing:
            out.append(Unassigned(a.returnee_id, missing, [str(x) for x in reasons],
                                  [vi_of(x) for x in reasons]))
    del s
    return out


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
        place = (Bi(*(catalog.text("word:no_ward", x) for x in ("en", "vi")))
                 if ward == "(no ward)" else ward)
        if kind == "mentor":
            need_f = math.ceil(female / per_mentor) if roster.settings.gender_rule != "none" \
                else 0
            need = need_f + math.ceil((total - (female if need_f else 0)) / per_mentor)
            text = catalog.nbi("reason.gap.mentor", need, ward=place, cap=per_mentor)
            if need_f:
                text = join_bi([text, catalog.nbi("reason.gap.women", need_f)], sep="")
            gaps.append(CapacityGap(ward, "mentor", total, str(text), female, need,
                                    vi_of(text)))
        else:
            text = catalog.nbi(f"reason.gap.{kind}", total, ward=place)
            gaps.append(CapacityGap(ward, kind, total, str(text), female, total, vi_of(text)))
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
            hours[mi[x.mentor_id]] += x.mentor_hours or 0.0
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
        note: list[Bi] = []
        if not room:
            note.append(catalog.bi("reason.alt.full", load=str(load.get(m, 0)),
                                   cap=str(p.m_capacity[m])))
        if not hours_ok:
            note.append(catalog.bi("reason.alt.hours"))
        if not group_ok:
            note.append(catalog.bi("reason.alt.group"))
        v = value(m, pts)
        mentor = ctx.roster.mentors[m]
        rows.append({
            "mentor_id": mentor.id, "full_name": mentor.full_name, "phone": mentor.phone,
            "km": round(float(a.km[k_i]), 2), "score": v,
            "score_diff": None if cur_value is None else v - cur_value,
            "km_diff": None if cur_km is None else round(float(a.km[k_i]) - cur_km, 2),
            "available": bool(room and hours_ok and group_ok), "note": "; ".join(note),
            "note_vi": "; ".join(vi_of(x) for x in note),
        })
    rows.sort(key=lambda x: (not x["available"], -x["score"], x["km"], x["mentor_id"]))
    return rows[:k]
