"""The plan workbook coordinators print and pass on, its CSV and JSON twins, and read-back.

``write_plan_workbook`` writes the sheets of SPEC section 7 (Summary, Assignments,
Unassigned, Mentors, Jobs, Training, Schedule, Capacity gaps, Input warnings, Changes)
and one printable sheet per ward, with Vietnamese (default) or English sheet names and
headers from the single translation table :data:`TEXT`. When the plan has visits, two
more sheets follow the Schedule (issue 6): "Unscheduled visits" lists every visit that
could not be placed with its reason, and "Mentor schedules" is the printable schedule
to hand to each veteran: one block per mentor with visits (name, id, phone and ward as
the block title, then the visits week by week with date, weekday, time of day, mentee
name, id, address or ward and phone, first or follow-up, and an empty notes column),
each block starting on a new printed page (a manual page break before every block but
the first).

Safety: every text cell is written as a string cell (never a formula), and text a
spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``, tab or
carriage return) also gets the "quote prefix" style, so retyping the cell keeps it text.
The workbook holds no formulas, macros, data connections or external links. In the CSV
export, where there are no cell types, such text is prefixed with an apostrophe.

``read_plan_workbook`` reads the Assignments sheet back (headers in either language,
stable ids, the hand-filled ``confirmed`` column) and raises
:class:`~matcher.errors.RosterError` with located issues for anything it cannot use.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import zip_longest
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from matcher.availability import SLOT_HOURS
from matcher.domain import SETTINGS_BY_NAME, Roster
from matcher.errors import ERROR, Issue, RosterError
from matcher.io.xlsx import Style, Workbook
from matcher.plan import TIER_INFO, Assignment, Plan
from matcher.text import fold, header_key
from matcher.values import is_blank, parse_bool, parse_date, parse_text

LANGS = ("vi", "en")
DATE_FORMAT = "DD/MM/YYYY"
KM_FORMAT = "0.0"
HOURS_FORMAT = "0.0"
PERCENT_FORMAT = "0.0%"
MAX_WIDTH = 50  # column width cap (characters); longer text wraps
MIN_WIDTH = 6
PAPER_A4 = 9  # OOXML paperSize code
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")
_FILE_NAME_BAD = re.compile(r'[<>:"/\\|?*\x00-\x1f]')

# The one translation table: key -> (English, Vietnamese).
TEXT: dict[str, tuple[str, str]] = {
    # sheets
    "sheet:summary": ("Summary", "Tổng hợp"),
    "sheet:assignments": ("Assignments", "Phân công"),
    "sheet:unassigned": ("Unassigned", "Chưa sắp xếp"),
    "sheet:mentors": ("Mentors", "Cựu chiến binh"),
    "sheet:jobs": ("Jobs", "Việc làm"),
    "sheet:training": ("Training", "Học nghề"),
    "sheet:schedule": ("Schedule", "Lịch thăm"),
    "sheet:unscheduled": ("Unscheduled visits", "Chưa xếp lịch thăm"),
    "sheet:mentor_schedules": ("Mentor schedules", "Lịch thăm theo CCB"),
    "sheet:gaps": ("Capacity gaps", "Thiếu hụt"),
    "sheet:warnings": ("Input warnings", "Cảnh báo"),
    "sheet:changes": ("Changes", "Thay đổi"),
    # columns
    "col:item": ("Item", "Mục"),
    "col:value": ("Value", "Giá trị"),
    "col:bound": ("Bound", "Cận"),
    "col:optimal": ("Proved optimal", "Đã chứng minh tối ưu"),
    "col:meaning": ("Meaning", "Ý nghĩa"),
    "col:returnee_id": ("Returnee id", "Mã người trở về"),
    "col:name": ("Name", "Họ và tên"),
    "col:gender": ("Gender", "Giới tính"),
    "col:ward": ("Ward", "Phường/Xã"),
    "col:risk": ("Risk", "Mức nguy cơ"),
    "col:mentor_id": ("Mentor id", "Mã cựu chiến binh"),
    "col:mentor_name": ("Mentor", "Cựu chiến binh giúp đỡ"),
    "col:mentor_phone": ("Mentor phone", "Điện thoại CCB"),
    "col:mentor_km": ("Mentor km", "Khoảng cách CCB (km)"),
    "col:km_note": ("Distance note", "Ghi chú khoảng cách"),
    "col:job_id": ("Job id", "Mã việc làm"),
    "col:employer": ("Employer", "Nơi làm việc"),
    "col:training_id": ("Training id", "Mã khóa học nghề"),
    "col:provider": ("Training provider", "Cơ sở đào tạo"),
    "col:commute_km": ("Commute km", "Quãng đường đi làm/học (km)"),
    "col:score": ("Score", "Điểm phù hợp"),
    "col:score_detail": ("Score breakdown", "Chi tiết điểm"),
    "col:change": ("Change", "Thay đổi"),
    "col:reason": ("Reason", "Lý do"),
    "col:old_mentor": ("Previous mentor", "Cựu chiến binh trước đây"),
    "col:new_mentor": ("New mentor", "Cựu chiến binh mới"),
    "col:confirmed": ("Confirmed", "Đã xác nhận"),
    "col:hired": ("Hired", "Đã nhận việc"),
    "col:missing": ("Missing", "Còn thiếu"),
    "col:reasons": ("Reasons", "Lý do"),
    "col:id": ("Id", "Mã"),
    "col:phone": ("Phone", "Điện thoại"),
    "col:active": ("Active", "Còn hoạt động"),
    "col:mentees": ("Mentees", "Số người giúp đỡ"),
    "col:capacity": ("Capacity", "Số người tối đa"),
    "col:hours_used": ("Hours per month used", "Số giờ/tháng dùng"),
    "col:hours_per_month": ("Hours per month available", "Số giờ/tháng có"),
    "col:people": ("People", "Danh sách"),
    "col:sector": ("Sector", "Ngành nghề"),
    "col:filled": ("Filled", "Đã sắp xếp"),
    "col:slots": ("Slots", "Số chỗ"),
    "col:seats": ("Seats", "Số chỗ học"),
    "col:date": ("Date", "Ngày"),
    "col:slot": ("Time of day", "Buổi"),
    "col:returnee_name": ("Returnee", "Người trở về"),
    "col:kind": ("Kind", "Loại"),
    "col:uncovered": ("Not covered", "Chưa được đáp ứng"),
    "col:uncovered_female": ("Of them women", "Trong đó nữ"),
    "col:more_needed": ("More needed", "Cần thêm"),
    "col:suggestion": ("Suggestion", "Đề xuất"),
    "col:source": ("Source", "Nguồn"),
    "col:sheet": ("Sheet", "Trang"),
    "col:row": ("Row", "Dòng"),
    "col:column": ("Column", "Cột"),
    "col:message": ("Message", "Nội dung"),
    "col:no": ("No.", "STT"),
    "col:placement": ("Job or training", "Việc làm hoặc học nghề"),
    "col:next_visit": ("Next visit", "Lần thăm tới"),
    "col:notes": ("Notes", "Ghi chú"),
    "col:week": ("Week", "Tuần"),
    "col:weekday": ("Weekday", "Thứ"),
    "col:address": ("Address / ward", "Địa chỉ / phường, xã"),
    "col:returnee_phone": ("Returnee phone", "Điện thoại người trở về"),
    "col:due": ("Due by", "Hạn thăm"),
    # summary items
    "sum:results": ("Results", "Kết quả"),
    "sum:returnees": ("Returnees", "Số người trở về"),
    "sum:with_mentor": ("With a mentor", "Có cựu chiến binh giúp đỡ"),
    "sum:coverage": ("Mentor coverage", "Tỷ lệ có người giúp đỡ"),
    "sum:in_job": ("In a job", "Có việc làm"),
    "sum:in_training": ("In training", "Được học nghề"),
    "sum:unassigned": ("Not fully placed", "Chưa được sắp xếp đủ"),
    "sum:visits": ("Visits scheduled", "Số lượt thăm đã lên lịch"),
    "sum:unscheduled": ("Visits not scheduled", "Số lượt thăm chưa xếp được lịch"),
    "sum:tiers": ("Goals, in order of priority", "Mục tiêu, theo thứ tự ưu tiên"),
    "sum:solve": ("Solution", "Lời giải"),
    "sum:status": ("Status", "Trạng thái"),
    "sum:solve_seconds": ("Solve time (seconds)", "Thời gian giải (giây)"),
    "sum:plan_date": ("Plan date", "Ngày kế hoạch"),
    "sum:settings": ("Settings in force", "Cấu hình áp dụng"),
    "sum:sources": ("Input files (SHA-256)", "Tệp đầu vào (SHA-256)"),
    "sum:changes": ("Changes since the previous plan", "Thay đổi so với kế hoạch trước"),
    "sum:max": ("higher is better", "càng cao càng tốt"),
    "sum:min": ("lower is better", "càng thấp càng tốt"),
    # words
    "word:yes": ("yes", "có"),
    "word:no": ("no", "không"),
    "word:M": ("M", "Nam"),
    "word:F": ("F", "Nữ"),
    "word:risk1": ("low", "thấp"),
    "word:risk2": ("medium", "trung bình"),
    "word:risk3": ("high", "cao"),
    "word:new": ("new", "mới"),
    "word:kept": ("kept", "giữ nguyên"),
    "word:changed": ("changed", "thay đổi"),
    "word:ended": ("ended", "kết thúc"),
    "word:mentor": ("mentor", "cựu chiến binh"),
    "word:job": ("job", "việc làm"),
    "word:training": ("training", "học nghề"),
    "word:first": ("first", "lần đầu"),
    "word:follow-up": ("follow-up", "thăm lại"),
    "word:morning": ("morning", "sáng"),
    "word:afternoon": ("afternoon", "chiều"),
    "word:evening": ("evening", "tối"),
    "word:approx": ("≈ from a ward point", "≈ theo điểm đại diện phường/xã"),
    "word:no_ward": ("(no ward)", "(chưa rõ phường, xã)"),
    "word:input": ("input", "dữ liệu vào"),
    "word:plan": ("plan", "kế hoạch"),
    "word:OPTIMAL": ("OPTIMAL", "TỐI ƯU"),
    "word:FEASIBLE": ("FEASIBLE (not proved optimal)", "KHẢ THI (chưa chứng minh tối ưu)"),
    "word:unscheduled": ("Visit not scheduled ({kind}, due {due}): {mentor} → {returnee}. {reason}",
                         "Chưa xếp được lịch thăm ({kind}, hạn {due}): {mentor} → {returnee}. "
                         + "{reason}"),
    "word:job_prefix": ("Job", "Việc làm"),
    "word:training_prefix": ("Training", "Học nghề"),
    "word:page": ("Page &P of &N", "Trang &P/&N"),
    "word:week": ("Week {n} ({start}–{end})", "Tuần {n} ({start}–{end})"),
    "word:mentor_block": ("{name} ({id}) · phone {phone} · {ward}",
                          "CCB {name} ({id}) · ĐT {phone} · {ward}"),
    "word:no_phone": ("not given", "chưa có"),
    "word:mentor_load": ("{mentees} mentee(s): {names} · {visits} visit(s) in {weeks} weeks",
                         "Giúp đỡ {mentees} người: {names} · {visits} lượt thăm trong "
                         + "{weeks} tuần"),
    "day:0": ("Monday", "Thứ Hai"),
    "day:1": ("Tuesday", "Thứ Ba"),
    "day:2": ("Wednesday", "Thứ Tư"),
    "day:3": ("Thursday", "Thứ Năm"),
    "day:4": ("Friday", "Thứ Sáu"),
    "day:5": ("Saturday", "Thứ Bảy"),
    "day:6": ("Sunday", "Chủ nhật"),
    "word:plan_of": ("Plan of {date}", "Kế hoạch ngày {date}"),
    "gap:mentor": ("{n} more mentor(s) in {ward} (capacity {cap} each){women}",
                   "Cần thêm {n} cựu chiến binh ở {ward} (mỗi người giúp {cap}){women}"),
    "gap:women": (", {n} of them women", ", trong đó {n} nữ"),
    "gap:job": ("{n} more job slot(s) within reach of {ward}",
                "Cần thêm {n} chỗ làm việc gần {ward}"),
    "gap:training": ("{n} more training seat(s) within reach of {ward}",
                     "Cần thêm {n} chỗ học nghề gần {ward}"),
    # score terms
    "score:specialty": ("specialty", "chuyên môn"),
    "score:same_ward": ("same ward", "cùng phường/xã"),
    "score:affinity": ("affinity", "ưu tiên"),
    "score:spread": ("spread", "chia đều"),
    "score:skill_fit": ("skill fit", "đúng nghề"),
    "score:away_from_home": ("away from home", "làm xa nhà"),
    "score:job_affinity": ("job affinity", "ưu tiên việc làm"),
}


def _t(key: str, lang: str) -> str:
    en, vi = TEXT[key]
    return vi if lang == "vi" else en


def _word(kind: str, value: Any, lang: str) -> Any:
    key = f"word:{kind}{value}" if kind else f"word:{value}"
    return _t(key, lang) if key in TEXT else value


def _yes(flag: bool, lang: str) -> str:
    return _t("word:yes" if flag else "word:no", lang)


# ------------------------------------------------------------------------------ tables

@dataclass
class _Col:
    key: str
    fmt: str | None = None  # Excel number format
    wrap: bool = False
    width: float | None = None  # fixed width (characters)
    cap: float = MAX_WIDTH  # widest the column grows to fit its content


@dataclass
class _Table:
    key: str  # sheet key, or "ward"
    title: str
    label: str  # shown in the printed page header
    cols: list[_Col]
    headers: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    bold_rows: set[int] = field(default_factory=set)  # indexes into rows (section titles)
    autofilter: bool = True
    header: bool = True  # headers in row 1 (frozen, repeated on printed pages)
    title_rows: set[int] = field(default_factory=set)  # large bold block titles
    header_rows: set[int] = field(default_factory=set)  # rows styled as column headers
    breaks: set[int] = field(default_factory=set)  # a printed page starts at these rows
    boxed_rows: set[int] = field(default_factory=set)  # bordered rows, printed to write on


@dataclass(frozen=True)
class _V:
    """A value with its own number format (for mixed columns such as the Summary's)."""

    value: Any
    fmt: str


def _unwrap(value: Any, col: _Col) -> tuple[Any, _Col]:
    if isinstance(value, _V):
        return value.value, _Col(col.key, value.fmt, col.wrap, col.width, col.cap)
    return value, col


def _table(key: str, lang: str, cols: Sequence[_Col]) -> _Table:
    title = _t(f"sheet:{key}", lang)
    return _Table(key, title, title, list(cols), [_t(f"col:{c.key}", lang) for c in cols])


def _num(x: float) -> float | int:
    return int(x) if float(x).is_integer() else round(float(x), 3)


def _round(x: float | None, digits: int = 2) -> float | None:
    return None if x is None else round(float(x), digits)


class _Lookup:
    def __init__(self, roster: Roster):
        self.returnees = {r.id: r for r in roster.returnees}
        self.mentors = {m.id: m for m in roster.mentors}
        self.jobs = {j.id: j for j in roster.jobs}
        self.trainings = {t.id: t for t in roster.trainings}


def _ward(obj: Any, lang: str) -> str:
    ward = getattr(getattr(obj, "location", None), "ward", None)
    return ward or _t("word:no_ward", lang)


def _score_total(score: dict[str, float]) -> float | int | None:
    terms = [v for k, v in score.items() if not k.endswith("_km")]
    return _num(sum(terms)) if terms else None


def _score_text(score: dict[str, float], lang: str) -> str:
    parts = []
    for k, v in score.items():
        if k.endswith("_km") or not v:
            continue
        label = _t(f"score:{k}", lang) if f"score:{k}" in TEXT else k
        parts.append(f"{label} {_num(v):g}")
    return "; ".join(parts)


def _assignments_in_order(plan: Plan, roster: Roster) -> list[Assignment]:
    by_id = {a.returnee_id: a for a in plan.assignments}
    out = [by_id.get(r.id) or Assignment(returnee_id=r.id, change="") for r in roster.returnees]
    known = {r.id for r in roster.returnees}
    out += [a for a in plan.assignments if a.returnee_id not in known]
    return out


ASSIGNMENT_COLS = (
    _Col("returnee_id"), _Col("name"), _Col("gender"), _Col("ward"), _Col("risk"),
    _Col("mentor_id"), _Col("mentor_name"), _Col("mentor_phone"), _Col("mentor_km", KM_FORMAT),
    _Col("km_note"), _Col("job_id"), _Col("employer"), _Col("training_id"), _Col("provider"),
    _Col("commute_km", KM_FORMAT), _Col("score"), _Col("score_detail", wrap=True, width=30),
    _Col("change"), _Col("reason", wrap=True), _Col("confirmed"), _Col("hired"),
)


def _summary(plan: Plan, roster: Roster, lang: str) -> _Table:
    t = _table("summary", lang, (_Col("item"), _Col("value"), _Col("bound"), _Col("optimal"),
                                 _Col("meaning", wrap=True)))
    t.autofilter = False

    def section(key: str) -> None:
        if t.rows:
            t.rows.append([None] * 5)
        t.bold_rows.add(len(t.rows))
        t.rows.append([_t(key, lang), None, None, None, None])

    def row(item: Any, value: Any, bound: Any = None, optimal: Any = None,
            meaning: Any = None) -> None:
        t.rows.append([item, value, bound, optimal, meaning])

    counts = plan.counts()
    n = counts["returnees"]
    section("sum:results")
    row(_t("sum:returnees", lang), n)
    row(_t("sum:with_mentor", lang), counts["with_mentor"])
    row(_t("sum:coverage", lang), _V(counts["with_mentor"] / n, PERCENT_FORMAT) if n else None)
    row(_t("sum:in_job", lang), counts["in_job"])
    row(_t("sum:in_training", lang), counts["in_training"])
    row(_t("sum:unassigned", lang), counts["unassigned"])
    if plan.visits or plan.unscheduled:
        row(_t("sum:visits", lang), counts["visits"])
        row(_t("sum:unscheduled", lang), len(plan.unscheduled))
    section("sum:tiers")
    for name, tier in plan.tiers.items():
        sense, en, vi = TIER_INFO.get(name, ("max", name, name))
        meaning = f"{vi if lang == 'vi' else en} ({_t('sum:' + sense, lang)})"
        row(name, _num(tier.value), None if tier.bound is None else _num(tier.bound),
            _yes(tier.optimal, lang), meaning)
    section("sum:solve")
    status = plan.status or ""
    row(_t("sum:status", lang), _word("", status, lang) if status else None)
    row(_t("sum:solve_seconds", lang), round(plan.solve_seconds, 2))
    row(_t("sum:plan_date", lang), plan.plan_date)
    section("sum:settings")
    for name, value in plan.settings.items():
        spec = SETTINGS_BY_NAME.get(name)
        meaning = (spec.help_vi if lang == "vi" else spec.help_en) if spec else None
        if name == "plan_date" and isinstance(value, str):
            value = _iso_date(value)
        row(name, value, None, None, meaning)
    if plan.sources:
        section("sum:sources")
        for src in plan.sources:
            row(src.get("name"), src.get("sha256"))
    if plan.changes:
        section("sum:changes")
        for k, v in plan.changes.items():
            if k == "list":
                continue
            if isinstance(v, dict):
                for kk, vv in v.items():
                    if not isinstance(vv, (dict, list)):
                        row(f"{k}: {_word('', kk, lang)}", vv)
            elif not isinstance(v, list):
                row(_word("", k, lang), v)
        if isinstance(plan.changes.get("list"), list):
            row(_t("sheet:changes", lang), len(plan.changes["list"]))
    return t


def _assignments(assignments: list[Assignment], look: _Lookup, lang: str) -> _Table:
    t = _table("assignments", lang, ASSIGNMENT_COLS)
    for a in assignments:
        r = look.returnees.get(a.returnee_id)
        m = look.mentors.get(a.mentor_id) if a.mentor_id else None
        j = look.jobs.get(a.job_id) if a.job_id else None
        c = look.trainings.get(a.training_id) if a.training_id else None
        commute = a.job_km if a.job_id else a.training_km if a.training_id else None
        t.rows.append([
            a.returnee_id,
            r.full_name if r else None,
            _word("", r.gender, lang) if r else None,
            _ward(r, lang) if r else None,
            _word("risk", r.risk, lang) if r else None,
            a.mentor_id,
            m.full_name if m else None,
            m.phone if m else None,
            _round(a.mentor_km),
            _t("word:approx", lang) if a.approximate and a.mentor_id else None,
            a.job_id,
            j.employer if j else None,
            a.training_id,
            c.provider if c else None,
            _round(commute),
            _score_total(a.score),
            _score_text(a.score, lang) or None,
            _word("", a.change, lang) if a.change else None,
            (a.reason_vi if lang == "vi" and a.reason_vi else a.reason) or None,
            _t("word:yes", lang) if a.confirmed else None,
            _t("word:yes", lang) if a.hired else None,
        ])
    return t


def _unassigned(plan: Plan, look: _Lookup, lang: str) -> _Table:
    t = _table("unassigned", lang, (_Col("returnee_id"), _Col("name"), _Col("ward"),
                                    _Col("missing"), _Col("reasons", wrap=True)))
    for u in plan.unassigned:
        r = look.returnees.get(u.returnee_id)
        t.rows.append([u.returnee_id, r.full_name if r else None,
                       _ward(r, lang) if r else None,
                       ", ".join(_word("", x, lang) for x in u.missing),
                       "\n".join(u.reasons_vi if lang == "vi" and u.reasons_vi
                                 else u.reasons) or None])
    return t


def _mentors(assignments: list[Assignment], roster: Roster, look: _Lookup,
             lang: str) -> _Table:
    t = _table("mentors", lang, (
        _Col("id"), _Col("name"), _Col("ward"), _Col("phone"), _Col("active"),
        _Col("mentees"), _Col("capacity"), _Col("hours_used", HOURS_FORMAT),
        _Col("hours_per_month", HOURS_FORMAT), _Col("people", wrap=True)))
    mentees: dict[str, list[str]] = defaultdict(list)
    hours_of: dict[str, float] = defaultdict(float)
    for a in assignments:
        if a.mentor_id:
            mentees[a.mentor_id].append(a.returnee_id)
            hours_of[a.mentor_id] += a.mentor_hours or 0.0
    for m in roster.mentors:
        ids = mentees.get(m.id, [])
        hours = hours_of[m.id]
        t.rows.append([m.id, m.full_name, _ward(m, lang), m.phone, _yes(m.active, lang),
                       len(ids), m.capacity, round(hours, 2) if ids else 0,
                       m.hours_per_month, ", ".join(ids) or None])
    return t


def _openings(assignments: list[Assignment], items: Iterable[Any], lang: str,
              kind: str) -> _Table:
    job = kind == "jobs"
    t = _table(kind, lang, (_Col("id"), _Col("employer" if job else "provider"),
                            _Col("sector"), _Col("ward"), _Col("filled"),
                            _Col("slots" if job else "seats"), _Col("people", wrap=True)))
    taken: dict[str, list[str]] = defaultdict(list)
    for a in assignments:
        target = a.job_id if job else a.training_id
        if target:
            taken[target].append(a.returnee_id)
    for o in items:
        ids = taken.get(o.id, [])
        t.rows.append([o.id, o.employer if job else o.provider, o.sector, _ward(o, lang),
                       len(ids), o.slots if job else o.seats, ", ".join(ids) or None])
    return t


_SLOT_ORDER = {"morning": 0, "afternoon": 1, "evening": 2}


def _sorted_visits(plan: Plan) -> list[Any]:
    return sorted(plan.visits, key=lambda v: (v.date, _SLOT_ORDER.get(v.slot, 9), v.slot,
                                              v.mentor_id, v.returnee_id))


def _schedule(plan: Plan, look: _Lookup, lang: str) -> _Table:
    t = _table("schedule", lang, (
        _Col("date", DATE_FORMAT), _Col("slot"), _Col("mentor_id"), _Col("mentor_name"),
        _Col("mentor_phone"), _Col("returnee_id"), _Col("returnee_name"), _Col("ward"),
        _Col("kind")))
    for v in _sorted_visits(plan):
        m = look.mentors.get(v.mentor_id)
        r = look.returnees.get(v.returnee_id)
        t.rows.append([v.date, _word("", v.slot, lang), v.mentor_id,
                       m.full_name if m else None, m.phone if m else None, v.returnee_id,
                       r.full_name if r else None, _ward(r, lang) if r else None,
                       _word("", v.kind, lang)])
    return t


def _iso_date(value: Any) -> Any:
    """The date of ISO text (``2026-12-08``), or the value unchanged."""
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return value


def _unscheduled_table(plan: Plan, look: _Lookup, lang: str) -> _Table:
    """One row per visit that could not be placed, by due date, with the reason."""
    t = _table("unscheduled", lang, (
        _Col("due", DATE_FORMAT), _Col("kind"), _Col("mentor_id"), _Col("mentor_name"),
        _Col("mentor_phone"), _Col("returnee_id"), _Col("returnee_name"), _Col("ward"),
        _Col("reason", wrap=True, cap=60)))
    for u in plan.unscheduled:
        if not isinstance(u, dict):
            t.rows.append([None] * 8 + [str(u)])
            continue
        m = look.mentors.get(u.get("mentor_id"))
        r = look.returnees.get(u.get("returnee_id"))
        t.rows.append([_iso_date(u.get("due")), _word("", u.get("kind"), lang),
                       u.get("mentor_id"), m.full_name if m else None,
                       m.phone if m else None, u.get("returnee_id"),
                       r.full_name if r else None, _ward(r, lang) if r else None,
                       _unscheduled_reason(u, lang) or None])
    return t


# Extra roster columns that hold a returnee's phone or address (same keys as matcher.ics).
_PHONE_KEYS = {"phone", "dien thoai", "so dien thoai", "sdt", "tel", "telephone", "mobile"}
_ADDRESS_KEYS = {"address", "dia chi", "dia chi nha", "home address"}


def _extra_text(obj: Any, keys: set[str]) -> str | None:
    for k, v in (getattr(obj, "extra", None) or {}).items():
        if header_key(k) in keys and not is_blank(v):
            return str(v).strip()
    return None


MENTOR_SCHEDULE_COLS = (
    _Col("week", width=22), _Col("date", DATE_FORMAT), _Col("weekday"), _Col("slot"),
    _Col("returnee_name"), _Col("returnee_id"), _Col("address", wrap=True, cap=36),
    _Col("returnee_phone"), _Col("kind"), _Col("notes", width=24),
)


def _mentor_schedules(plan: Plan, look: _Lookup, lang: str) -> _Table:
    """The printable per-mentor schedule: for each mentor with visits (by ward, then id) a
    title row, a summary row, a header row and the visits week by week (weeks counted from
    the plan date; the week label on the first visit of each week); a page break before
    every block but the first, a blank row after each."""
    t = _table("mentor_schedules", lang, MENTOR_SCHEDULE_COLS)
    t.autofilter = False
    t.header = False
    ncols = len(t.cols)
    by_mentor: dict[str, list[Any]] = defaultdict(list)
    for v in _sorted_visits(plan):
        by_mentor[v.mentor_id].append(v)

    def order(mid: str) -> tuple[str, str]:
        m = look.mentors.get(mid)
        return (fold(_ward(m, lang)) if m else "~", mid)

    horizon = plan.settings.get("horizon_weeks")
    weeks = horizon if isinstance(horizon, int) else 0
    assigned: dict[str, list[str]] = defaultdict(list)
    for a in plan.assignments:
        if a.mentor_id is not None:
            assigned[a.mentor_id].append(a.returnee_id)
    for k, mid in enumerate(sorted(by_mentor, key=order)):
        visits = by_mentor[mid]
        m = look.mentors.get(mid)
        if k:
            t.rows.append([None] * ncols)
            t.breaks.add(len(t.rows))
        t.title_rows.add(len(t.rows))
        t.bold_rows.add(len(t.rows))
        t.rows.append([_t("word:mentor_block", lang).format(
            name=m.full_name if m else mid, id=mid,
            phone=(m.phone if m and m.phone else _t("word:no_phone", lang)),
            ward=_ward(m, lang))] + [None] * (ncols - 1))
        mentees = list(dict.fromkeys([*assigned.get(mid, ()),
                                      *(v.returnee_id for v in visits)]))
        names = ", ".join(f"{look.returnees[x].full_name} ({x})" if x in look.returnees
                          else x for x in mentees)
        last = (visits[-1].date - plan.plan_date).days // 7 + 1
        t.bold_rows.add(len(t.rows))
        t.rows.append([_t("word:mentor_load", lang).format(
            mentees=len(mentees), names=names, visits=len(visits),
            weeks=max(weeks, last))] + [None] * (ncols - 1))
        t.header_rows.add(len(t.rows))
        t.boxed_rows.add(len(t.rows))
        t.rows.append(list(t.headers))
        week_shown = None
        for v in visits:
            r = look.returnees.get(v.returnee_id)
            week = (v.date - plan.plan_date).days // 7
            label = None
            if week != week_shown:
                start = plan.plan_date + dt.timedelta(days=7 * week)
                end = start + dt.timedelta(days=6)
                label = _t("word:week", lang).format(n=week + 1, start=f"{start:%d/%m}",
                                                     end=f"{end:%d/%m}")
                week_shown = week
            place = ", ".join(x for x in (_extra_text(r, _ADDRESS_KEYS),
                                          r.location.ward if r else None) if x) or None
            slot = _word("", v.slot, lang)
            if v.slot in SLOT_HOURS:
                slot = f"{slot} ({SLOT_HOURS[v.slot]}:00)"
            t.boxed_rows.add(len(t.rows))
            t.rows.append([label, v.date, _t(f"day:{v.date.weekday()}", lang), slot,
                           r.full_name if r else None, v.returnee_id,
                           place or (_ward(r, lang) if r else None),
                           _extra_text(r, _PHONE_KEYS), _word("", v.kind, lang), None])
    return t


def _gaps(plan: Plan, roster: Roster, lang: str) -> _Table:
    t = _table("gaps", lang, (_Col("ward"), _Col("kind"), _Col("uncovered"),
                              _Col("uncovered_female"), _Col("more_needed"),
                              _Col("suggestion", wrap=True)))
    caps = sorted(m.capacity for m in roster.mentors if m.active and m.capacity > 0)
    cap = caps[len(caps) // 2] if caps else 2
    for g in plan.capacity_gaps:
        if lang == "en":
            text = g.suggestion
        elif g.suggestion_vi:
            text = g.suggestion_vi
        elif g.kind == "mentor":
            women_needed = 0
            match = re.search(r"(\d+) of them women", g.suggestion or "")
            if match:
                women_needed = int(match.group(1))
            women = _t("gap:women", lang).format(n=women_needed) if women_needed else ""
            text = _t("gap:mentor", lang).format(n=g.more_needed, ward=g.ward, cap=cap,
                                                 women=women)
        else:
            key = "gap:job" if g.kind == "job" else "gap:training"
            text = _t(key, lang).format(n=g.more_needed or g.uncovered, ward=g.ward)
        t.rows.append([g.ward, _word("", g.kind, lang), g.uncovered, g.uncovered_female,
                       g.more_needed, text])
    return t


def _warnings(plan: Plan, roster: Roster, lang: str) -> _Table:
    t = _table("warnings", lang, (_Col("source"), _Col("sheet"), _Col("row"),
                                  _Col("column"), _Col("message", wrap=True)))
    for issue in roster.warnings:
        if hasattr(issue, "message"):
            t.rows.append([_t("word:input", lang), issue.sheet, issue.row, issue.column,
                           issue.message(lang)])
        else:
            t.rows.append([_t("word:input", lang), None, None, None, str(issue)])
    for text in (plan.warnings_vi if lang == "vi" and plan.warnings_vi else plan.warnings):
        t.rows.append([_t("word:plan", lang), None, None, None, str(text)])
    for item in plan.unscheduled:
        text = _unscheduled_text(item, lang)
        t.rows.append([_t("word:plan", lang), _t("sheet:schedule", lang), None, None, text])
    return t


def _unscheduled_text(item: Any, lang: str) -> str:
    if not isinstance(item, dict):
        return str(item)
    try:
        due = dt.date.fromisoformat(str(item.get("due"))).strftime("%d/%m/%Y")
    except ValueError:
        due = str(item.get("due"))
    return _t("word:unscheduled", lang).format(
        kind=_word("", item.get("kind"), lang), due=due, mentor=item.get("mentor_id"),
        returnee=item.get("returnee_id"), reason=_unscheduled_reason(item, lang))


def _unscheduled_reason(item: dict, lang: str) -> str:
    """The reason of an unscheduled visit in ``lang``: ``reason_vi`` in Vietnamese when the
    plan has it (older plans have only the English ``reason``)."""
    if lang == "vi" and item.get("reason_vi"):
        return str(item["reason_vi"])
    return str(item.get("reason") or "")


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, dt.date)):
        return value
    if isinstance(value, (list, tuple, set)):
        return "; ".join(str(_plain(v)) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_plain(v)}" for k, v in value.items())
    return str(value)


def _changes(plan: Plan, lang: str) -> _Table | None:
    """The change report of a rerun: one row per returnee whose pair is not simply new."""
    items = plan.changes.get("list") if isinstance(plan.changes, dict) else None
    if not isinstance(items, list) or not items:
        return None
    t = _table("changes", lang, (_Col("returnee_id"), _Col("change"), _Col("old_mentor"),
                                 _Col("new_mentor"), _Col("reason", wrap=True)))
    for item in items:
        if not isinstance(item, dict):
            continue
        reason = item.get("reason_vi") if lang == "vi" and item.get("reason_vi") \
            else item.get("reason")
        t.rows.append([item.get("returnee_id"), _word("", item.get("change"), lang),
                       item.get("old_mentor"), item.get("new_mentor"), reason or None])
    return t


WARD_COLS = (
    _Col("no", width=5), _Col("returnee_id"), _Col("name"), _Col("gender"), _Col("risk"),
    _Col("mentor_name"), _Col("mentor_phone"), _Col("placement", wrap=True, cap=44),
    _Col("next_visit", DATE_FORMAT), _Col("slot"), _Col("notes", width=20),
)


def _ward_tables(plan: Plan, roster: Roster, assignments: list[Assignment], look: _Lookup,
                 lang: str) -> list[_Table]:
    first_visit: dict[str, Any] = {}
    for v in _sorted_visits(plan):
        first_visit.setdefault(v.returnee_id, v)
    by_ward: dict[str, list[list[Any]]] = defaultdict(list)
    for a in assignments:
        r = look.returnees.get(a.returnee_id)
        if r is None:
            continue
        m = look.mentors.get(a.mentor_id) if a.mentor_id else None
        if a.job_id:
            j = look.jobs.get(a.job_id)
            place = f"{_t('word:job_prefix', lang)}: {a.job_id}" + (f" – {j.employer}" if j
                                                                    else "")
        elif a.training_id:
            c = look.trainings.get(a.training_id)
            place = f"{_t('word:training_prefix', lang)}: {a.training_id}" + (
                f" – {c.provider}" if c else "")
        else:
            place = None
        v = first_visit.get(r.id)
        ward = _ward(r, lang)
        by_ward[ward].append([len(by_ward[ward]) + 1, r.id, r.full_name,
                              _word("", r.gender, lang), _word("risk", r.risk, lang),
                              m.full_name if m else None, m.phone if m else None, place,
                              v.date if v else None, _word("", v.slot, lang) if v else None,
                              None])
    out = []
    for ward in sorted(by_ward, key=lambda w: (fold(w), w)):
        t = _Table("ward", ward, ward, list(WARD_COLS),
                   [_t(f"col:{c.key}", lang) for c in WARD_COLS], by_ward[ward])
        out.append(t)
    return out


def _tables(plan: Plan, roster: Roster, lang: str) -> list[_Table]:
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, not {lang!r}")
    look = _Lookup(roster)
    assignments = _assignments_in_order(plan, roster)
    tables = [
        _summary(plan, roster, lang),
        _assignments(assignments, look, lang),
        _unassigned(plan, look, lang),
        _mentors(assignments, roster, look, lang),
        _openings(assignments, roster.jobs, lang, "jobs"),
        _openings(assignments, roster.trainings, lang, "training"),
    ]
    if plan.visits:
        tables.append(_schedule(plan, look, lang))
    if plan.unscheduled:
        tables.append(_unscheduled_table(plan, look, lang))
    if plan.visits:
        tables.append(_mentor_schedules(plan, look, lang))
    tables.append(_gaps(plan, roster, lang))
    tables.append(_warnings(plan, roster, lang))
    changes = _changes(plan, lang)
    if changes is not None:
        tables.append(changes)
    wards = _ward_tables(plan, roster, assignments, look, lang)
    used: set[str] = set()
    for t in tables + wards:
        t.title = _unique_sheet_name(t.title, used)
    return tables + wards


def _unique_sheet_name(name: str, used: set[str]) -> str:
    """Excel sheet name: at most 31 characters, none of []:*?/\\, not starting or ending
    with an apostrophe, unique regardless of case."""
    base = _SHEET_NAME_BAD.sub("-", ILLEGAL_CHARACTERS_RE.sub("", str(name)))
    base = base.strip().strip("'").strip() or "-"
    candidate = base[:31].rstrip()
    n = 1
    while candidate.casefold() in used or fold(candidate) == "history":
        n += 1
        suffix = f" ({n})"
        candidate = base[:31 - len(suffix)].rstrip() + suffix
    used.add(candidate.casefold())
    return candidate


# ------------------------------------------------------------------------------ safety

def formula_like(text: str) -> bool:
    """True for text a spreadsheet would run as a formula (or a DDE/command payload)."""
    return text.startswith(FORMULA_STARTS)


def _clean_text(text: str) -> str:
    return ILLEGAL_CHARACTERS_RE.sub("", text)


# ------------------------------------------------------------------------------ xlsx

TITLE_POINTS = 20.0  # row height of a block title
BOXED_POINTS = 20.0  # least height of a bordered row (room to write on the printout)
HEADER_FILL = "#DDE4EE"
BORDER_COLOR = "#808080"


def _display_len(value: Any, col: _Col) -> int:
    fmt = col.fmt
    if value is None:
        return 0
    if isinstance(value, (dt.date, dt.datetime)):
        return 10
    if isinstance(value, float):
        if fmt == PERCENT_FORMAT:
            return 6
        return len(f"{value:.1f}") if fmt else len(f"{value:g}")
    return max((len(line) for line in str(value).splitlines()), default=0)


def _widths(t: _Table) -> list[float]:
    rows = t.rows
    if t.header_rows:
        rows = [row for n, row in enumerate(rows) if n not in t.header_rows]
    columns = list(zip_longest(*rows)) if rows else []
    first_col = None  # the first column without bold (section title) rows
    if t.bold_rows and any(c.width is None for c in t.cols[:1]):
        skip = t.header_rows | t.bold_rows
        first_col = [row[0] if row else None for n, row in enumerate(t.rows) if n not in skip]
    out = []
    for i, col in enumerate(t.cols):
        if col.width is not None:
            out.append(col.width)
            continue
        values = first_col if i == 0 and first_col is not None else (
            columns[i] if i < len(columns) else ())
        longest = 0
        for v in values:
            if v is None:
                continue
            # plain one-line text is the common case: its length is its width
            n = len(v) if type(v) is str and "\n" not in v else _display_len(*_unwrap(v, col))
            if n > longest:
                longest = n
        head = len(t.headers[i])
        # a long header wraps over two lines rather than widening a narrow column
        head_need = head if head <= 14 else max(10, (head + 1) // 2 + 1)
        out.append(float(min(col.cap, max(MIN_WIDTH, longest + 2, head_need + 2))))
    return out


# Calibri 11 fits about 1.15 average characters of Vietnamese text per width unit (the
# unit is one digit); estimating a little low means a row is at worst a line too tall.
CHARS_PER_WIDTH = 1.15
LINE_POINTS = 15.0  # row height of one line of 11 pt text
MAX_ROW_POINTS = 409.0  # Excel's largest row height


def _lines(value: Any, width: float) -> int:
    """Lines a wrapped text needs in a column ``width`` characters wide."""
    if not isinstance(value, str) or not value:
        return 1
    per_line = max(1, int((width - 1) * CHARS_PER_WIDTH))
    return sum(max(1, math.ceil(len(part) / per_line)) for part in value.split("\n"))


def _height(values: Sequence[Any], cols: Sequence[_Col], widths: Sequence[float],
            wrap_all: bool = False) -> float | None:
    """Explicit height for a row with wrapped text (spreadsheet programs do not always
    recompute it on opening a file), or None for a one-line row."""
    lines = 1
    for v, c, w in zip(values, cols, widths):
        if not (wrap_all or c.wrap):
            continue
        if type(v) is _V:
            v = v.value
        if type(v) is not str or (len(v) < w - 1 and "\n" not in v):
            continue  # fits on one line whatever the characters per width unit
        lines = max(lines, _lines(v, w))
    return min(MAX_ROW_POINTS, lines * LINE_POINTS) if lines > 1 else None


def _hf_text(text: str) -> str:
    return _clean_text(text).replace("&", "&&")[:80]


class _Formats:
    """Cell styles of the workbook, one per combination of properties, by index."""

    def __init__(self, wb: Workbook) -> None:
        self.wb = wb
        self.cache: dict[tuple, int] = {}

    def get(self, *, num: str | None = None, bold: bool = False, title: bool = False,
            wrap: bool = False, top: bool = False, box: bool = False, quote: bool = False,
            header: bool = False) -> int:
        key = (num, bold, title, wrap, top, box, quote, header)
        fmt = self.cache.get(key)
        if fmt is None:
            fmt = self.cache[key] = self.wb.style(Style(
                num=num or None, bold=bold or title or header, size=13 if title else 11,
                wrap=wrap or header, top=wrap or top or header,
                border_color=BORDER_COLOR if box else None,
                fill=HEADER_FILL if header else None, quote=quote))
        return fmt


def _cell(formats: _Formats, c: int, value: Any, col: _Col, *, bold: bool = False,
          tall: bool = False, title: bool = False, box: bool = False) -> tuple | None:
    """One cell as (column, value, style). Text is always a string cell, never a formula
    or an error value; text a spreadsheet would run as a formula also gets the quote
    prefix."""
    value, col = _unwrap(value, col)
    if value is None:
        return (c, None, formats.get(box=True)) if box else None
    if isinstance(value, str):
        value = _clean_text(value)
        return c, value, formats.get(bold=bold, title=title, wrap=col.wrap,
                                     top=tall and not col.wrap, box=box,
                                     quote=formula_like(value))
    if isinstance(value, bool):
        return c, value, formats.get(bold=bold, title=title, top=tall, box=box)
    if isinstance(value, (dt.date, dt.datetime)):
        return c, value, formats.get(num=DATE_FORMAT, bold=bold, title=title, top=tall,
                                     box=box)
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            return c, str(value), formats.get(bold=bold, top=tall, box=box)
        num = col.fmt if isinstance(value, float) else None
        return c, value, formats.get(num=num, bold=bold, title=title, top=tall, box=box)
    text = _clean_text(str(value))
    return c, text, formats.get(bold=bold, title=title, top=tall, box=box,
                                quote=formula_like(text))


def _header_cells(formats: _Formats, texts: Sequence[Any], *, boxed: bool = False) -> list:
    out = []
    for c, text in enumerate(texts):
        if text is None:
            continue
        value = _clean_text(str(text))
        out.append((c, value, formats.get(header=True, box=boxed, quote=formula_like(value))))
    return out


class _RowStyles:
    """Style indexes per column for one combination of row flags (bold, tall, title,
    box): text, formula-like text, whole numbers, fractional numbers, dates, blanks."""

    def __init__(self, formats: _Formats, cols: Sequence[_Col], bold: bool, tall: bool,
                 title: bool, box: bool) -> None:
        g = formats.get
        self.text = [g(bold=bold, title=title, wrap=c.wrap, top=tall and not c.wrap, box=box)
                     for c in cols]
        self.quoted = [g(bold=bold, title=title, wrap=c.wrap, top=tall and not c.wrap,
                         box=box, quote=True) for c in cols]
        self.int = g(bold=bold, title=title, top=tall, box=box)
        self.float = [g(num=c.fmt, bold=bold, title=title, top=tall, box=box) for c in cols]
        self.blank = g(box=True) if box else None


def _write_sheet(wb: Workbook, formats: _Formats, t: _Table, plan: Plan, lang: str) -> None:
    ws = wb.add_sheet(t.title)
    widths = _widths(t)
    ws.widths = widths
    first = 1 if t.header else 0  # the 0-based row of t.rows[0]
    if t.header:
        ws.freeze_rows = 1
        ws.repeat_rows = 1
    if t.autofilter and t.header:
        ws.autofilter = (0, 0, max(1, len(t.rows)), len(t.cols) - 1)
    ws.landscape = True
    ws.paper = PAPER_A4
    ws.fit_width = 1
    ws.print_gridlines = t.header  # print the grid of tables, not of forms
    ws.margins = (0.4, 0.4, 0.6, 0.6)
    ws.header_margin = 0.25
    date_text = plan.plan_date.strftime("%d/%m/%Y")
    ws.header = (f"&L{_hf_text(_t('word:plan_of', lang).format(date=date_text))}"
                 f'&C&"-,Bold"{_hf_text(t.label)}&R{_t("word:page", lang)}')
    src = plan.sources[0] if plan.sources else None
    footer = ""
    if src:
        footer += "&L" + _hf_text(f"{src.get('name')} · SHA-256 "
                                  f"{str(src.get('sha256'))[:12]}…")
    ws.footer = footer + "&R" + _hf_text(date_text) + " · " + _t("word:page", lang)
    if t.header:
        ws.row(0, _header_cells(formats, t.headers),
               _height(t.headers, t.cols, widths, wrap_all=True))
    wrapping = any(c.wrap for c in t.cols)
    breaks = []
    cols = t.cols
    ncols = len(cols)
    styles: dict[tuple, _RowStyles] = {}
    for n, row in enumerate(t.rows):
        r = n + first
        if n in t.breaks and r > 0:
            breaks.append(r)  # a new page from this row
        if n in t.header_rows:
            ws.row(r, _header_cells(formats, row, boxed=n in t.boxed_rows),
                   _height(row, cols, widths, wrap_all=True))
            continue
        title = n in t.title_rows
        box = n in t.boxed_rows
        height = _height(row, cols, widths) if wrapping else None
        if title:
            height = max(height or 0, TITLE_POINTS)
        elif box:
            height = max(height or 0, BOXED_POINTS)
        bold = n in t.bold_rows
        tall = height is not None and not title
        key = (bold, tall, title, box)
        st = styles.get(key)
        if st is None:
            st = styles[key] = _RowStyles(formats, cols, bold, tall, title, box)
        text, quoted, int_style, float_style = st.text, st.quoted, st.int, st.float
        cells = []
        for c, v in enumerate(row[:ncols] if st.blank is None else
                              [*row[:ncols], *[None] * (ncols - len(row))]):
            tv = type(v)
            if tv is str:  # the common case, fast
                if not v.isprintable():
                    v = _clean_text(v)
                cells.append((c, v, quoted[c] if v.startswith(FORMULA_STARTS) else text[c]))
            elif tv is int:
                cells.append((c, v, int_style))
            elif tv is float and math.isfinite(v):
                cells.append((c, v, float_style[c]))
            elif v is None:
                if st.blank is not None:
                    cells.append((c, None, st.blank))
            else:
                cell = _cell(formats, c, v, cols[c], bold=bold, tall=tall, title=title,
                             box=box)
                if cell is not None:
                    cells.append(cell)
        ws.row(r, cells, height)
    ws.page_breaks = breaks[:MAX_PAGE_BREAKS]


# Excel keeps at most 1,023 manual page breaks per sheet
MAX_PAGE_BREAKS = 1023


def write_plan_workbook(plan: Plan, roster: Roster, path: str | Path, *,
                        lang: str = "vi") -> None:
    """Write the plan workbook (SPEC section 7) to ``path`` in ``lang`` ("vi" or "en")."""
    tables = _tables(plan, roster, lang)
    wb = Workbook()
    formats = _Formats(wb)
    for t in tables:
        _write_sheet(wb, formats, t, plan, lang)
    wb.save(path)


# ------------------------------------------------------------------------------ csv, json

def _csv_value(value: Any, col: _Col) -> str:
    value, col = _unwrap(value, col)
    if value is None:
        return ""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        if col.fmt == PERCENT_FORMAT:
            return f"{value * 100:.1f}%"
        return f"{_num(value):g}" if abs(value) < 1e15 else str(value)
    if isinstance(value, int):
        return str(value)
    text = _clean_text(str(value))
    return "'" + text if formula_like(text) else text


def write_plan_csv(plan: Plan, roster: Roster, directory: str | Path, *,
                   lang: str = "vi") -> list[Path]:
    """One CSV per sheet in ``directory`` (UTF-8 with BOM, so Excel shows Vietnamese);
    text that would run as a formula is prefixed with an apostrophe. Returns the paths."""
    tables = _tables(plan, roster, lang)
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    used: set[str] = set()
    for t in tables:
        stem = _FILE_NAME_BAD.sub("_", t.title).strip(" .") or "sheet"
        name = stem
        n = 1
        while name.casefold() in used:
            n += 1
            name = f"{stem} ({n})"
        used.add(name.casefold())
        path = folder / f"{name}.csv"
        with open(path, "w", encoding="utf-8-sig", newline="") as f:
            w = csv.writer(f)
            if t.header:
                w.writerow([_csv_value(h, _Col("h")) for h in t.headers])
            for row in t.rows:
                w.writerow([_csv_value(row[i] if i < len(row) else None, col)
                            for i, col in enumerate(t.cols)])
        paths.append(path)
    return paths


def write_plan_json(plan: Plan, path: str | Path) -> None:
    """The plan as JSON (SPEC section 7), UTF-8, non-ASCII kept readable."""
    with open(path, "w", encoding="utf-8") as f:
        json.dump(plan.to_json(), f, ensure_ascii=False, indent=1, default=str)
        f.write("\n")


# ------------------------------------------------------------------------------ read-back

READ_COLUMNS = ("returnee_id", "mentor_id", "job_id", "training_id", "change", "confirmed",
                "hired")
REQUIRED_READ = ("returnee_id", "mentor_id", "job_id", "training_id", "confirmed")


def _keys_for(key: str) -> set[str]:
    en, vi = TEXT[key]
    return {header_key(en), header_key(vi), header_key(key.split(":", 1)[1])}


_CHANGE_WORDS = {fold(w): code for code in ("new", "kept", "changed", "ended")
                 for w in (code, *TEXT[f"word:{code}"])}


def _issue(code: str, sheet: str | None = None, row: int | None = None,
           column: str | None = None, /, **params: Any) -> Issue:
    return Issue(code, sheet, row, column, params, ERROR)


def _find_sheet(names: list[str], key: str) -> str | None:
    wanted = _keys_for(f"sheet:{key}")
    return next((n for n in names if header_key(n) in wanted), None)


Grid = list[tuple[int, list[Any]]]  # (row number as Excel shows it, cells), blank rows dropped


def _sheet_grids(path: Path, wanted: Any) -> dict[str, Grid]:
    """The non-blank rows of the wanted sheets. Uses the roster reader's engine (calamine,
    with its guard against sheets whose used range is absurdly large) when available."""
    try:
        from matcher.io.reader import _read_workbook
    except ImportError:  # pragma: no cover - the reader is part of the package
        _read_workbook = None
    if _read_workbook is not None:
        data = path.read_bytes()
        return {t.name: t.rows for t in _read_workbook(data, path, wanted)}
    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        out = {}
        for name in wb.sheetnames:
            if wanted(name):
                out[name] = [(n, list(row)) for n, row in
                             enumerate(wb[name].iter_rows(values_only=True), start=1)
                             if not all(is_blank(v) for v in row)]
        return out
    finally:
        wb.close()


def _read_rows(path: Path, issues: list[Issue]) -> tuple[list[dict[str, Any]], dt.date | None]:
    keys = _keys_for("sheet:assignments") | _keys_for("sheet:summary")
    grids = _sheet_grids(path, lambda name: header_key(name) in keys)
    names = list(grids)
    sheet = _find_sheet(names, "assignments")
    if sheet is None:
        en, vi = TEXT["sheet:assignments"]
        issues.append(_issue("missing_sheet", vi, sheet=en, sheet_vi=vi))
        return [], None
    rows = _read_assignment_sheet(grids[sheet], sheet, issues)
    summary = _find_sheet(names, "summary")
    plan_date = _read_plan_date(grids[summary]) if summary is not None else None
    return rows, plan_date


def _read_plan_date(grid: Grid) -> dt.date | None:
    wanted = _keys_for("sum:plan_date")
    for _n, row in grid:
        if len(row) > 1 and header_key(row[0]) in wanted and not is_blank(row[1]):
            try:
                return parse_date(row[1])
            except ValueError:
                return None
    return None


def _read_assignment_sheet(grid: Grid, sheet: str, issues: list[Issue]) -> list[dict[str, Any]]:
    head_row, header = grid[0] if grid else (1, [])
    lookup = {}
    for key in READ_COLUMNS:
        for k in _keys_for(f"col:{key}"):
            lookup[k] = key
    where: dict[str, int] = {}
    shown: dict[str, str] = {}
    for i, text in enumerate(header):
        key = lookup.get(header_key(text)) if not is_blank(text) else None
        if key is None:
            continue
        if key in where:
            en, vi = TEXT[f"col:{key}"]
            issues.append(_issue("duplicate_column", sheet, head_row, str(text), column=en,
                                 column_vi=vi))
            continue
        where[key] = i
        shown[key] = str(text)
    vi_sheet = header_key(sheet) == header_key(TEXT["sheet:assignments"][1])
    for key in REQUIRED_READ:
        if key not in where:
            en, vi = TEXT[f"col:{key}"]
            issues.append(_issue("missing_column", sheet, head_row, vi if vi_sheet else en,
                                 column=en, column_vi=vi))
    if any(i.severity == ERROR for i in issues):
        return []
    out: list[dict[str, Any]] = []
    first_row: dict[str, int] = {}
    for n, cells in grid[1:]:
        values = tuple(cells)
        if all(is_blank(v) for v in values):
            continue

        def raw(key: str, values: tuple[Any, ...] = values) -> Any:
            i = where.get(key)
            return values[i] if i is not None and i < len(values) else None

        def text(key: str, values: tuple[Any, ...] = values) -> str | None:
            v = raw(key, values)
            return None if is_blank(v) else parse_text(v)

        rid = text("returnee_id")
        if rid is None:
            en, vi = TEXT["col:returnee_id"]
            issues.append(_issue("empty_required", sheet, n, shown["returnee_id"], column=en,
                                 column_vi=vi))
            continue
        if rid in first_row:
            issues.append(_issue("duplicate_id", sheet, n, shown["returnee_id"], value=rid,
                                 first_row=first_row[rid]))
            continue
        first_row[rid] = n
        flags = {}
        for key in ("confirmed", "hired"):
            v = raw(key)
            if is_blank(v):
                flags[key] = False
                continue
            try:
                flags[key] = parse_bool(v)
            except ValueError:
                issues.append(_issue("wrong_type", sheet, n, shown[key], value=str(v)[:60],
                                     expected="yes or no", expected_vi="có hoặc không",
                                     example="yes/no (có/không), or leave it empty"))
                flags[key] = False
        change = "new"
        if not is_blank(raw("change")):
            word = fold(raw("change"))
            if word in _CHANGE_WORDS:
                change = _CHANGE_WORDS[word]
            else:
                issues.append(_issue("bad_choice", sheet, n, shown["change"],
                                     value=str(raw("change"))[:60],
                                     choices="new, kept, changed, ended / mới, giữ nguyên, "
                                             "thay đổi, kết thúc"))
        out.append({"returnee_id": rid, "mentor_id": text("mentor_id"),
                    "job_id": text("job_id"), "training_id": text("training_id"),
                    "change": change, "confirmed": flags["confirmed"],
                    "hired": flags["hired"], "row": n})
    return out


def _load_back(path: Any) -> tuple[list[dict[str, Any]], dt.date | None]:
    issues: list[Issue] = []
    rows: list[dict[str, Any]] = []
    plan_date = None
    name = Path(path).name if isinstance(path, (str, Path)) else None
    try:
        rows, plan_date = _read_rows(Path(path), issues)
    except FileNotFoundError:
        issues.append(_issue("missing_file", name, value=str(path)))
    except Exception as exc:  # noqa: BLE001 - a damaged file is a report, never a traceback
        code = getattr(exc, "code", None)
        params = getattr(exc, "params", None)
        if isinstance(code, str) and code != "unreadable_file" and isinstance(params, dict):
            issues.append(_issue(code, name, **params))  # e.g. the reader's sheet_too_large
        else:
            detail = getattr(exc, "detail", None) or f"{type(exc).__name__}: {exc}"
            issues.append(_issue("unreadable_file", name, detail=str(detail)[:200]))
    if any(i.severity == ERROR for i in issues):
        raise RosterError(issues)
    return rows, plan_date


def read_plan_workbook(path: str | Path) -> list[dict[str, Any]]:
    """The Assignments sheet of a plan workbook (headers in either language): one dict per
    row with returnee_id, mentor_id, job_id, training_id, change, confirmed, hired and the
    sheet row. Raises :class:`RosterError` listing every problem, never anything else."""
    return _load_back(path)[0]


def read_plan_back(path: str | Path) -> tuple[list[dict[str, Any]], dt.date | None]:
    """:func:`read_plan_workbook` plus the plan date from the Summary sheet (or None)."""
    return _load_back(path)


def plan_from_workbook(path: str | Path) -> Plan:
    """A minimal :class:`Plan` (assignments only, plan date from the Summary sheet or
    today) from a plan workbook, for reruns."""
    rows, plan_date = _load_back(path)
    assignments = [Assignment(returnee_id=r["returnee_id"], mentor_id=r["mentor_id"],
                              job_id=r["job_id"], training_id=r["training_id"],
                              change=r["change"], confirmed=r["confirmed"], hired=r["hired"])
                   for r in rows]
    return Plan(plan_date=plan_date or dt.date.today(), settings={}, tiers={},
                assignments=assignments, status="")


__all__ = ["TEXT", "formula_like", "plan_from_workbook", "read_plan_back", "read_plan_workbook",
           "write_plan_csv", "write_plan_json", "write_plan_workbook"]
