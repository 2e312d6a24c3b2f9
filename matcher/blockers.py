"""Which pair-level hard rules (SPEC section 2) forbid one pair — a returnee with a mentor,
a job opening or a training course — in plain words, for the explanations, the require
rows that cannot be honoured and the pairs a rerun must end."""

from __future__ import annotations

from typing import TYPE_CHECKING

from matcher.geo import haversine_km
from matcher.text import Bi, fold

if TYPE_CHECKING:
    from matcher.context import Context

OFFENSE_VI = {"drugs": "ma túy", "property": "tài sản", "violence": "bạo lực",
              "fraud": "lừa đảo", "traffic": "giao thông", "other": "khác"}


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
        return [Bi("the returnee id is not in the roster",
                   "mã người trở về không có trong danh sách")]
    if m is None:
        return [Bi("the mentor id is not in the roster",
                   "mã cựu chiến binh không có trong danh sách")]
    p, s = ctx.people, ctx.roster.settings
    out = []
    km = float(haversine_km(p.r_lat[r], p.r_lon[r], p.m_lat[m], p.m_lon[m]))
    mid, rid = p.m_ids[m], p.r_ids[r]
    if not p.m_active[m]:
        out.append(Bi(f"rule 1: mentor {mid} is inactive",
                      f"quy tắc 1: cựu chiến binh {mid} không còn hoạt động"))
    elif p.m_capacity[m] <= 0:
        out.append(Bi(f"rule 1: mentor {mid} has capacity 0",
                      f"quy tắc 1: cựu chiến binh {mid} không nhận thêm người (sức nhận 0)"))
    if km > s.mentor_max_km + 1e-9:
        out.append(Bi(f"rule 3: {km:.1f} km apart, more than mentor_max_km "
                      f"{s.mentor_max_km:g} km",
                      f"quy tắc 3: cách nhau {km:.1f} km, quá giới hạn {s.mentor_max_km:g} km"))
    elif km > p.m_max_km[m] + 1e-9:
        out.append(Bi(f"rule 3: {km:.1f} km apart, more than {mid}'s own max_km "
                      f"{p.m_max_km[m]:g} km",
                      f"quy tắc 3: cách nhau {km:.1f} km, quá khoảng cách tối đa riêng của {mid} "
                      f"({p.m_max_km[m]:g} km)"))
    if s.gender_rule == "women_to_women" and p.r_female[r] and not p.m_female[m]:
        out.append(Bi(f"rule 4: {rid} is a woman and {mid} a man (women_to_women)",
                      f"quy tắc 4: {rid} là nữ còn {mid} là nam (nữ chỉ ghép với nữ)"))
    if s.gender_rule == "same_gender" and p.r_female[r] != p.m_female[m]:
        out.append(Bi(f"rule 4: {rid} and {mid} differ in gender (same_gender)",
                      f"quy tắc 4: {rid} và {mid} khác giới (yêu cầu cùng giới)"))
    if p.r_risk[r] > p.m_max_risk[m]:
        out.append(Bi(f"rule 5: risk {p.r_risk[r]} is above {mid}'s max_risk "
                      f"{p.m_max_risk[m]}",
                      f"quy tắc 5: mức nguy cơ {p.r_risk[r]} cao hơn mức tối đa "
                      f"{p.m_max_risk[m]} mà {mid} nhận"))
    row = forbid_rows(ctx, "mentor").get((rid, mid), False)
    if row is not False:
        out.append(Bi(f"rule 7: forbidden by Pairs row {row}" if row else "rule 7: forbidden",
                      f"quy tắc 7: bị cấm theo trang Cặp chỉ định, dòng {row}" if row
                      else "quy tắc 7: bị cấm"))
    return out


def placement_blockers(ctx: Context, r: int | None, o: int | None, kind: str) -> list[str]:
    """Which pair-level hard rules forbid returnee index ``r`` with opening ``o`` (a job
    index when ``kind`` is "job", else a training course index)."""
    word = "job opening" if kind == "job" else "training course"
    wvi = "vị trí việc làm" if kind == "job" else "khóa học nghề"
    if r is None:
        return [Bi("the returnee id is not in the roster",
                   "mã người trở về không có trong danh sách")]
    if o is None:
        return [Bi(f"the {word} id is not in the roster", f"mã {wvi} không có trong danh sách")]
    roster, p, s = ctx.roster, ctx.people, ctx.roster.settings
    ret = roster.returnees[r]
    item = roster.jobs[o] if kind == "job" else roster.trainings[o]
    km = float(haversine_km(p.r_lat[r], p.r_lon[r], item.location.lat, item.location.lon))
    out = []
    if kind == "job":
        if not ret.wants_job:
            out.append(Bi(f"rule 13: {ret.id} does not want a job",
                          f"quy tắc 13: {ret.id} không cần việc làm"))
        limit = s.job_max_km if ret.max_commute_km is None else min(s.job_max_km,
                                                                     ret.max_commute_km)
        if km > limit + 1e-9:
            out.append(Bi(f"rule 9: {km:.1f} km to work, more than {limit:g} km",
                          f"quy tắc 9: đường đi làm {km:.1f} km, quá giới hạn {limit:g} km"))
        if not item.entry_level and fold(item.sector) not in ret.skills:
            out.append(Bi(f"rule 10: {item.id} needs the skill {item.sector}, which "
                          f"{ret.id} does not list",
                          f"quy tắc 10: {item.id} cần tay nghề {item.sector} mà {ret.id} "
                          "chưa có"))
        if ret.offense in item.excluded_offenses:
            out.append(Bi(f"rule 11: {item.id} does not accept {ret.offense} offenses",
                          f"quy tắc 11: {item.id} không nhận nhóm tội "
                          f"{OFFENSE_VI.get(ret.offense, ret.offense)}"))
        age = ret.age(s.plan_date)
        if (item.min_age is not None and age < item.min_age) or (
                item.max_age is not None and age > item.max_age):
            out.append(Bi(f"rule 11: age {age} is outside {item.id}'s limits",
                          f"quy tắc 11: tuổi {age} nằm ngoài giới hạn tuổi của {item.id}"))
        if item.slots <= 0:
            out.append(Bi(f"rule 8: {item.id} has no slots", f"quy tắc 8: {item.id} không có "
                          "chỉ tiêu nào"))
    else:
        if not ret.wants_training:
            out.append(Bi(f"rule 13: {ret.id} does not want training",
                          f"quy tắc 13: {ret.id} không cần học nghề"))
        if km > s.training_max_km + 1e-9:
            out.append(Bi(f"rule 9: {km:.1f} km to the course, more than "
                          f"{s.training_max_km:g} km",
                          f"quy tắc 9: cách nơi học {km:.1f} km, quá giới hạn "
                          f"{s.training_max_km:g} km"))
        if item.start_date is not None and item.start_date < ret.release_date:
            out.append(Bi(f"rule 13: {item.id} starts before the release date "
                          f"{ret.release_date:%d/%m/%Y}",
                          f"quy tắc 13: {item.id} khai giảng trước ngày chấp hành xong án "
                          f"{ret.release_date:%d/%m/%Y}"))
        if item.seats <= 0:
            out.append(Bi(f"rule 8: {item.id} has no seats", f"quy tắc 8: {item.id} không có "
                          "chỗ học nào"))
    row = forbid_rows(ctx, kind).get((ret.id, item.id), False)
    if row is not False:
        out.append(Bi(f"rule 7: forbidden by Pairs row {row}" if row else "rule 7: forbidden",
                      f"quy tắc 7: bị cấm theo trang Cặp chỉ định, dòng {row}" if row
                      else "quy tắc 7: bị cấm"))
    return out
