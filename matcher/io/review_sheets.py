"""The monthly loop in the plan workbook: the committee report per ward (sheet Báo cáo,
one printed A4 page in landscape for a group of wards) and, on a rerun, the last plan's
visits done against planned per mentor, with the missed first visits and the mentors who
visited no one."""

from __future__ import annotations

from matcher.domain import Roster
from matcher.io.plan_text import _t
from matcher.io.sheet_model import _Col, _Lookup, _Table, _table
from matcher.plan import Plan
from matcher.review import REPORT_COLUMNS, committee_report, report_headers, report_rows
from matcher.review import report_since as _since

WARDS_PER_PAGE = 25  # report rows on one printed A4 page


def review_tables(plan: Plan, roster: Roster, lang: str) -> list[_Table]:
    tables = [_report(plan, roster, lang)]
    if plan.visit_review:
        tables.append(_visits_done(plan, roster, lang))
    return tables


def _report(plan: Plan, roster: Roster, lang: str) -> _Table:
    since = _since(roster)
    cols = [_Col(key, "#,##0" if key.endswith("_vnd") else None,
                 wrap=key == "main_reasons") for key in REPORT_COLUMNS]
    title = _t("sheet:report", lang)
    t = _Table("report", title, title, cols, report_headers(lang, since))
    rows = report_rows(committee_report(roster, plan), lang)
    for i, row in enumerate(rows):
        if i and i % WARDS_PER_PAGE == 0 and i < len(rows) - 1:
            t.breaks.add(len(t.rows))
        t.rows.append(row)
    if rows:
        t.bold_rows.add(len(t.rows) - 1)  # the total
    return t


def _visits_done(plan: Plan, roster: Roster, lang: str) -> _Table:
    look = _Lookup(roster)
    review = plan.visit_review
    t = _table("visits_done", lang, (_Col("mentor_id"), _Col("mentor_name"),
                                     _Col("planned"), _Col("done"), _Col("notes", wrap=True)))
    t.headers[3] = _t("col:done_count", lang)
    idle = set(review.get("idle_mentors", ()))
    missed: dict[str, list[str]] = {}
    for x in review.get("missed_first", ()):
        missed.setdefault(x["mentor_id"], []).append(x["returnee_id"])
    for x in review.get("by_mentor", ()):
        m = look.mentors.get(x["mentor_id"])
        notes = []
        if x["mentor_id"] in idle:
            notes.append(_t("word:visited_no_one", lang))
        if x["mentor_id"] in missed:
            notes.append(_t("word:missed_first", lang).format(ids=", ".join(
                missed[x["mentor_id"]])))
        t.rows.append([x["mentor_id"], m.full_name if m else None, x["planned"], x["done"],
                       "; ".join(notes) or None])
    t.rows.append([_t("word:total", lang), None, review.get("planned"), review.get("done"),
                   None])
    t.bold_rows.add(len(t.rows) - 1)
    return t
