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

from matcher.blockers import OFFENSE_VI, forbid_rows
from matcher.geo import PointIndex, haversine_km, unit_xyz
from matcher.plan import CapacityGap, Plan, Unassigned
from matcher.rules import pair_hours
from matcher.text import Bi, fold, vi_of

if TYPE_CHECKING:
    from matcher.context import Context, MentorSolution, PlacementSolution


def _ids(ids: list[str], limit: int = 5, lang: str = "en") -> str:
    ids = sorted(ids)
    if len(ids) <= limit:
        return ", ".join(ids)
    more = f" and {len(ids) - limit} more" if lang == "en" else f" và {len(ids) - limit} người khác"
    return ", ".join(ids[:limit]) + more


def _n(k: int, word: str) -> str:
    return f"{k} {word}" + ("" if k == 1 else "s")


def _mentor_index(ctx: Context) -> PointIndex:
    return ctx.cached("mindex", lambda: PointIndex(ctx.people.m_lat, ctx.people.m_lon))


def _nearest(index: PointIndex, lat: float, lon: float) -> tuple[int, float]:
    """The nearest point and its distance; among equally near points the first one, so
    that the answer does not depend on the tree (or on how a roster was split)."""
    _, cand = index.tree.query(unit_xyz(np.array([lat]), np.array([lon])),
                               k=min(16, len(index.lat)))
    cand = np.atleast_1d(cand).ravel()
    cand = cand[cand < len(index.lat)]
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
        if idx.tree is not None and p.n_mentors:

            m0, d0 = _nearest(idx, p.r_lat[r], p.r_lon[r])
            reasons.append(Bi(
                f"rule 3: no mentor within {s.mentor_max_km:g} km (nearest: {p.m_ids[m0]}, "
                f"{d0:.1f} km)",
                f"quy tắc 3: không có cựu chiến binh nào trong bán kính {s.mentor_max_km:g} km "
                f"(gần nhất: {p.m_ids[m0]}, {d0:.1f} km)"))
        else:
            reasons.append(Bi("no mentors in the roster",
                              "danh sách không có cựu chiến binh nào"))
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
    radius = f"within {s.mentor_max_km:g} km"
    rvi = f"trong bán kính {s.mentor_max_km:g} km"
    kind = "female mentor" if female and s.gender_rule != "none" else "mentor"
    kvi = "cựu chiến binh nữ" if female and s.gender_rule != "none" else "cựu chiến binh"

    def ids(key: str, lang: str = "en") -> str:
        return _ids(buckets[key], lang=lang)
    if buckets["gender"]:
        g = buckets["gender"]
        rule = "women_to_women" if s.gender_rule == "women_to_women" else "same_gender"
        every = "every mentor" if len(g) == total else _n(len(g), "mentor")
        every_vi = "mọi cựu chiến binh" if len(g) == total else f"{len(g)} cựu chiến binh"
        reasons.append(Bi(
            f"rule 4 ({rule}): {every} {radius} is of the other gender: {ids('gender')}",
            f"quy tắc 4 ({rule}): {every_vi} {rvi} khác giới: {ids('gender', 'vi')}"))
    if buckets["risk"]:
        g = buckets["risk"]
        if len(g) == total or len(g) == total - len(buckets["gender"]):
            reasons.append(Bi(
                f"rule 5: every {kind} {radius} has max_risk {max(risk_caps)} or less, this "
                f"person is risk {p.r_risk[r]}: {ids('risk')}",
                f"quy tắc 5: mọi {kvi} {rvi} chỉ nhận mức nguy cơ tối đa {max(risk_caps)}, "
                f"người này ở mức {p.r_risk[r]}: {ids('risk', 'vi')}"))
        else:
            reasons.append(Bi(
                f"rule 5: {_n(len(g), kind)} {radius} accept at most risk {max(risk_caps)} "
                f"(this person is risk {p.r_risk[r]}): {ids('risk')}",
                f"quy tắc 5: {len(g)} {kvi} {rvi} chỉ nhận mức nguy cơ tối đa "
                f"{max(risk_caps)} (người này ở mức {p.r_risk[r]}): {ids('risk', 'vi')}"))
    if buckets["inactive"]:
        n_ = len(buckets["inactive"])
        reasons.append(Bi(
            f"rule 1: {_n(n_, 'mentor')} {radius} inactive or with capacity 0: "
            f"{ids('inactive')}",
            f"quy tắc 1: {n_} cựu chiến binh {rvi} không còn hoạt động hoặc không nhận thêm "
            f"người: {ids('inactive', 'vi')}"))
    if buckets["own_km"]:
        n_ = len(buckets["own_km"])
        reasons.append(Bi(
            f"rule 3: {_n(n_, 'mentor')} {radius} only travel a shorter distance (their own "
            f"max_km): {ids('own_km')}",
            f"quy tắc 3: {n_} cựu chiến binh {rvi} chỉ đi được quãng ngắn hơn (khoảng cách "
            f"tối đa riêng): {ids('own_km', 'vi')}"))
    if buckets["forbid"]:
        rows_txt = ", ".join(sorted(set(forbid_lines)))
        reasons.append(Bi(
            f"rule 7: forbidden by Pairs row {rows_txt}: {ids('forbid')}",
            f"quy tắc 7: bị cấm theo trang Cặp chỉ định, dòng {rows_txt}: "
            f"{ids('forbid', 'vi')}"))
    if buckets["full"]:
        g = buckets["full"]
        both = "both full" if len(g) == 2 else ("full" if len(g) == 1 else "all full")
        both_vi = "cả hai đều đã đủ người" if len(g) == 2 else (
            "đã đủ người" if len(g) == 1 else "tất cả đã đủ người")
        reasons.append(Bi(f"rule 1: {_n(len(g), kind)} {radius}, {both}: {ids('full')}",
                          f"quy tắc 1: {len(g)} {kvi} {rvi}, {both_vi}: {ids('full', 'vi')}"))
    if buckets["group"]:
        n_, grp = len(buckets["group"]), ctx.roster.returnees[r].group
        reasons.append(Bi(
            f"rule 6: {_n(n_, kind)} {radius} already mentor a co-offender (group {grp}): "
            f"{ids('group')}",
            f"quy tắc 6: {n_} {kvi} {rvi} đã giúp đỡ người cùng nhóm đồng phạm ({grp}): "
            f"{ids('group', 'vi')}"))
    if buckets["hours"]:
        n_ = len(buckets["hours"])
        reasons.append(Bi(
            f"rule 2: {_n(n_, kind)} {radius} have no monthly hours left for this person's "
            f"visits: {ids('hours')}",
            f"quy tắc 2: {n_} {kvi} {rvi} không còn đủ giờ trong tháng cho các lần thăm "
            f"người này: {ids('hours', 'vi')}"))
    if buckets["other"]:
        n_ = len(buckets["other"])
        reasons.append(Bi(
            f"{_n(n_, kind)} {radius} could take this person only by leaving a "
            f"higher-priority returnee without a mentor: {ids('other')}",
            f"{n_} {kvi} {rvi} chỉ nhận được người này nếu bỏ một người ưu tiên hơn: "
            f"{ids('other', 'vi')}"))
    return reasons


def _placement_reasons(ctx: Context, r: int, kind: str, used: np.ndarray,
                       emp_groups: dict[str, set[int]]) -> list[str]:
    roster, p, s = ctx.roster, ctx.people, ctx.roster.settings
    returnee = roster.returnees[r]
    items = roster.jobs if kind == "job" else roster.trainings
    word = "job opening" if kind == "job" else "training course"
    wvi = "vị trí việc làm" if kind == "job" else "khóa học nghề"
    limit = s.job_max_km if kind == "job" else s.training_max_km
    if kind == "job" and returnee.max_commute_km is not None:
        limit = min(limit, returnee.max_commute_km)
    if not items:
        return [Bi(f"no {word}s in the roster", f"danh sách không có {wvi} nào")]
    index = ctx.cached("index_" + kind, lambda: PointIndex(
        np.array([o.location.lat for o in items]), np.array([o.location.lon for o in items])))
    _qi, near, dist = index.pairs_within(p.r_lat[r:r + 1], p.r_lon[r:r + 1], limit)
    if len(near) == 0:

        j0, d0 = _nearest(index, p.r_lat[r], p.r_lon[r])
        return [Bi(f"rule 9: no {word} within {limit:g} km (nearest: {items[j0].id}, "
                   f"{d0:.1f} km)",
                   f"quy tắc 9: không có {wvi} nào trong bán kính {limit:g} km (gần nhất: "
                   f"{items[j0].id}, {d0:.1f} km)")]
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
    radius = f"within {limit:g} km"
    rvi = f"trong bán kính {limit:g} km"
    out = []

    def ids(key: str, lang: str = "en") -> str:
        return _ids(buckets[key], lang=lang)

    def n(key: str) -> int:
        return len(buckets[key])

    if buckets["skill"]:
        skills = ", ".join(sorted(_sector_names(ctx).get(x, x) for x in returnee.skills))
        out.append(Bi(
            f"rule 10: {_n(n('skill'), word)} {radius} need a skill this person does not list "
            f"(skills: {skills or 'none listed'}) and are not entry-level: {ids('skill')}",
            f"quy tắc 10: {n('skill')} {wvi} {rvi} cần tay nghề người này chưa có (kỹ năng: "
            f"{skills or 'chưa ghi'}) và không phải lao động phổ thông: {ids('skill', 'vi')}"))
    if buckets["offense"]:
        off = returnee.offense
        out.append(Bi(
            f"rule 11: {_n(n('offense'), word)} {radius} do not accept {off} offenses: "
            f"{ids('offense')}",
            f"quy tắc 11: {n('offense')} {wvi} {rvi} không nhận nhóm tội "
            f"{OFFENSE_VI.get(off, off)}: {ids('offense', 'vi')}"))
    if buckets["age"]:
        out.append(Bi(
            f"rule 11: {_n(n('age'), word)} {radius} have age limits this person ({age}) does "
            f"not meet: {ids('age')}",
            f"quy tắc 11: {n('age')} {wvi} {rvi} có giới hạn tuổi mà người này ({age} tuổi) "
            f"không đáp ứng: {ids('age', 'vi')}"))
    if buckets["forbid"]:
        out.append(Bi(f"rule 7: forbidden by the Pairs sheet: {ids('forbid')}",
                      f"quy tắc 7: bị cấm theo trang Cặp chỉ định: {ids('forbid', 'vi')}"))
    if buckets["start"]:
        day = f"{returnee.release_date:%d/%m/%Y}"
        out.append(Bi(
            f"rule 13: {_n(n('start'), word)} {radius} start before the release date {day}: "
            f"{ids('start')}",
            f"quy tắc 13: {n('start')} {wvi} {rvi} khai giảng trước ngày chấp hành xong án "
            f"{day}: {ids('start', 'vi')}"))
    if buckets["full"]:
        out.append(Bi(
            f"rule 8: {_n(n('full'), word)} {radius} suitable but full: {ids('full')}",
            f"quy tắc 8: {n('full')} {wvi} {rvi} phù hợp nhưng đã đủ người: "
            f"{ids('full', 'vi')}"))
    if buckets["group"]:
        out.append(Bi(
            f"rule 12: a co-offender already works for the employer of {ids('group')}",
            f"quy tắc 12: một người cùng nhóm đồng phạm đã làm việc cho doanh nghiệp của "
            f"{ids('group', 'vi')}"))
    if buckets["other"]:
        out.append(Bi(
            f"{_n(n('other'), word)} {radius} went to others so that more people are placed: "
            f"{ids('other')}",
            f"{n('other')} {wvi} {rvi} đã dành cho người khác để nhiều người được sắp xếp "
            f"hơn: {ids('other', 'vi')}"))
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
            reasons += [Bi(f"job: {x}", f"việc làm: {vi_of(x)}")
                        for x in ctx.require_failures.get((a.returnee_id, "job"), [])
                        + _placement_reasons(ctx, i, "job", jused, emp_groups)]
        if ret.wants_training and not placed:
            missing.append("training")
            reasons += [Bi(f"training: {x}", f"học nghề: {vi_of(x)}")
                        for x in ctx.require_failures.get((a.returnee_id, "training"), [])
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
        if kind == "mentor":
            need_f = math.ceil(female / per_mentor) if roster.settings.gender_rule != "none" \
                else 0
            need = need_f + math.ceil((total - (female if need_f else 0)) / per_mentor)
            text = f"{need} more mentor(s) in {ward} (capacity {per_mentor} each)"
            text_vi = f"cần thêm {need} cựu chiến binh ở {ward} (mỗi người nhận {per_mentor})"
            if need_f:
                text += f", {need_f} of them women"
                text_vi += f", trong đó {need_f} là nữ"
            gaps.append(CapacityGap(ward, "mentor", total, text, female, need, text_vi))
        else:
            word = "job slot(s)" if kind == "job" else "training seat(s)"
            word_vi = "chỗ việc làm" if kind == "job" else "chỗ học nghề"
            gaps.append(CapacityGap(ward, kind, total,
                                    f"{total} more {word} within reach of {ward}", female,
                                    total, f"cần thêm {total} {word_vi} gần {ward}"))
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
        note, note_vi = [], []
        if not room:
            full = f"{load.get(m, 0)}/{p.m_capacity[m]}"
            note.append(f"full ({full}): another mentee would move")
            note_vi.append(f"đã đủ người ({full}): phải chuyển một người khác")
        if not hours_ok:
            note.append("not enough monthly hours left")
            note_vi.append("không còn đủ giờ trong tháng")
        if not group_ok:
            note.append("already mentors a co-offender")
            note_vi.append("đã giúp đỡ một người cùng nhóm đồng phạm")
        v = value(m, pts)
        mentor = ctx.roster.mentors[m]
        rows.append({
            "mentor_id": mentor.id, "full_name": mentor.full_name, "phone": mentor.phone,
            "km": round(float(a.km[k_i]), 2), "score": v,
            "score_diff": None if cur_value is None else v - cur_value,
            "km_diff": None if cur_km is None else round(float(a.km[k_i]) - cur_km, 2),
            "available": bool(room and hours_ok and group_ok), "note": "; ".join(note),
            "note_vi": "; ".join(note_vi),
        })
    rows.sort(key=lambda x: (not x["available"], -x["score"], x["km"], x["mentor_id"]))
    return rows[:k]
