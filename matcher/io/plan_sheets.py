"""The plan as tables (sheet models): one table per sheet of SPEC section 7 — Summary,
Assignments (and its print view, :mod:`matcher.io.print_sheets`), Unassigned, Mentors,
Jobs, Training, Schedule, Capacity gaps, Input warnings, Changes, and one printable table
per ward — with typed columns, before any file format. The xlsx layout and the CSV export
(:mod:`matcher.io.plan_writer`) read them."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from matcher import catalog
from matcher.availability import SLOT_HOURS
from matcher.domain import SETTINGS_BY_NAME, Roster, choice_label
from matcher.io.loan_sheets import loan_tables
from matcher.io.plan_text import LANGS, TEXT, _t, _word, _yes
from matcher.io.print_sheets import assignments_print
from matcher.io.review_sheets import review_tables
from matcher.io.sheet_model import (
    _SHEET_NAME_BAD,
    _V,
    DATE_FORMAT,
    HOURS_FORMAT,
    ILLEGAL_CHARACTERS_RE,
    KM_FORMAT,
    PERCENT_FORMAT,
    _Col,
    _Lookup,
    _num,
    _round,
    _Table,
    _table,
    _ward,
)
from matcher.plan import TIER_SENSE, Assignment, Plan
from matcher.text import fold, header_key
from matcher.values import is_blank


def _score_total(score: dict[str, float]) -> float | int | None:
    terms = [v for k, v in score.items() if not k.endswith("_km")]
    return _num(sum(terms)) if terms else None


def _score_text(score: dict[str, float], lang: str) -> str:
    parts = []
    for k, v in score.items():
        if k.endswith("_km") or not v:
            continue
        label = _t(f"score:{k}", lang) if f"score:{k}" in TEXT else k
        shown = f"{_num(v):g}"  # its decimals, written the language's way (2,5)
        decimals = len(shown.split(".")[1]) if "." in shown else None
        parts.append(f"{label} {catalog.number(_num(v), lang, decimals)}")
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
        sense = TIER_SENSE.get(name, "max")
        # the objective in words (its code, M1 or J4, is for the technical documents)
        row(_t("tier." + name, lang), _num(tier.value),
            None if tier.bound is None else _num(tier.bound), _yes(tier.optimal, lang),
            _t("sum:" + sense, lang).capitalize())
    section("sum:solve")
    status = plan.status or ""
    row(_t("sum:status", lang), _word("", status, lang) if status else None)
    row(_t("sum:solve_seconds", lang), round(plan.solve_seconds, 2))
    row(_t("sum:plan_date", lang), plan.plan_date)
    section("sum:settings")
    for name, value in plan.settings.items():
        spec = SETTINGS_BY_NAME.get(name)
        if spec is not None and spec.kind is dt.date and isinstance(value, str):
            value = _iso_date(value)
        if spec is None:  # a setting this version does not know (an older plan's)
            row(name, value)
            continue
        if spec.choices and value in spec.choices:
            value = choice_label(name, value, lang)
        row(spec.label(lang), value, None, None, spec.help(lang))
    if plan.changes:
        section("sum:changes")
        for k, v in plan.changes.items():
            if k == "list":
                continue
            if isinstance(v, dict):  # the counts: "Số cặp mới", "Số cặp giữ nguyên", ...
                for kk, vv in v.items():
                    if not isinstance(vv, (dict, list)):
                        row(catalog.text("sum:change.count", lang,
                                         change=_word("", kk, lang)), vv)
            elif not isinstance(v, list):
                key = f"sum:change.{k}"
                row(catalog.text(key, lang) if catalog.has(key) else _word("", k, lang), v)
        if isinstance(plan.changes.get("list"), list):
            row(_t("sheet:changes", lang), len(plan.changes["list"]))
    if plan.sources:  # last, and not printed: checksums are for audit, not for paper
        t.print_rows = len(t.rows)
        section("sum:sources")
        for src in plan.sources:
            row(src.get("name"), src.get("sha256"))
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
        _Col("kind"), _Col("done")))
    for v in _sorted_visits(plan):
        m = look.mentors.get(v.mentor_id)
        r = look.returnees.get(v.returnee_id)
        t.rows.append([v.date, _word("", v.slot, lang), v.mentor_id,
                       m.full_name if m else None, m.phone if m else None, v.returnee_id,
                       r.full_name if r else None, _ward(r, lang) if r else None,
                       _word("", v.kind, lang),
                       None if v.done is None else _t("word:yes" if v.done else "word:no",
                                                      lang)])
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
    the plan date; the week label on the first visit of each week); the title row is tall,
    its text at the bottom, which parts the blocks. Each block is kept on one printed
    page: several share a page, and a page break goes before a block only where it would
    not fit (``t.keep``, laid out by the writer with its row heights)."""
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
    for mid in sorted(by_mentor, key=order):
        visits = by_mentor[mid]
        m = look.mentors.get(mid)
        block = len(t.rows)
        t.title_rows.add(len(t.rows))
        t.bold_rows.add(len(t.rows))
        t.rows.append([catalog.text(
            "word:mentor_block", lang, name=m.full_name if m else mid, id=mid,
            phone=(m.phone if m and m.phone else _t("word:no_phone", lang)),
            ward=_ward(m, lang))] + [None] * (ncols - 1))
        mentees = list(dict.fromkeys([*assigned.get(mid, ()),
                                      *(v.returnee_id for v in visits)]))
        names = ", ".join(f"{look.returnees[x].full_name} ({x})" if x in look.returnees
                          else x for x in mentees)
        last = (visits[-1].date - plan.plan_date).days // 7 + 1
        t.bold_rows.add(len(t.rows))
        t.rows.append([catalog.text(
            "schedule.mentor_load", lang, names=names,
            mentees=catalog.ntext("schedule.mentees", len(mentees), lang),
            visits=catalog.ntext("schedule.visits", len(visits), lang),
            weeks=catalog.ntext("schedule.weeks", max(weeks, last), lang))]
            + [None] * (ncols - 1))
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
                label = catalog.text("word:week", lang, n=week + 1, start=f"{start:%d/%m}",
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
        t.keep.append((block, len(t.rows)))
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
            women = catalog.text("gap:women", lang, n=women_needed) if women_needed else ""
            text = catalog.ntext("gap:mentor", g.more_needed, lang, ward=g.ward, cap=cap,
                                 women=women)
        else:
            key = "gap:job" if g.kind == "job" else "gap:training"
            text = catalog.ntext(key, g.more_needed or g.uncovered, lang, ward=g.ward)
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
        due = catalog.date(dt.date.fromisoformat(str(item.get("due"))), lang)
    except ValueError:
        due = str(item.get("due"))
    return catalog.text(
        "word:unscheduled", lang, kind=_word("", item.get("kind"), lang), due=due,
        mentor=item.get("mentor_id"), returnee=item.get("returnee_id"),
        reason=_unscheduled_reason(item, lang))


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
        assignments_print(assignments, look, lang),
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
    tables += loan_tables(plan, roster, lang)
    tables += review_tables(plan, roster, lang)
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
