"""The monthly loop in the plan workbook: the committee report per ward (sheet Báo cáo,
one printed A4 page in landscape for a group of wards) and, on a rerun, the last plan's
visits done against planned per mentor, with the missed first visits and the mentors who
visited no one.

The report's columns have fixed widths, so the scale at which the sheet prints (fit to
the width of a landscape A4 page) is known here, and a group of wards ends where the
next ward would run over its page: at most :data:`WARDS_PER_PAGE` wards, fewer when the
main reasons make rows tall. The total stays on the page of the last wards."""

from __future__ import annotations

from typing import Any

from matcher import catalog
from matcher.domain import Roster
from matcher.io.plan_text import _t
from matcher.io.sheet_model import (
    LINE_POINTS,
    MAX_WIDTH,
    _Col,
    _Lookup,
    _Table,
    _table,
    text_lines,
)
from matcher.plan import Plan
from matcher.review import REPORT_COLUMNS, committee_report, report_headers, report_rows
from matcher.review import report_since as _since

WARDS_PER_PAGE = 25  # at most this many wards on one printed A4 page

# the printed layout (plan_writer: landscape A4, fit to width, margins 0.4" left and right,
# 0.6" top and bottom with the page header and footer inside them)
COUNT_WIDTH = 11.0  # characters; the long headers wrap over three lines
WIDTHS = {"ward": 24.0, "loans_referred_vnd": 14.0, "loans_granted_vnd": 14.0,
          "main_reasons": MAX_WIDTH}  # the widest a workbook column grows
PAGE_WIDTH_PT = 841.89 - 2 * 0.4 * 72
PAGE_HEIGHT_PT = 595.28 - 2 * 0.6 * 72 - 24.0  # less room kept for header and footer


def review_tables(plan: Plan, roster: Roster, lang: str) -> list[_Table]:
    tables = [_report(plan, roster, lang)]
    if plan.visit_review:
        tables.append(_visits_done(plan, roster, lang))
    return tables


def _report(plan: Plan, roster: Roster, lang: str) -> _Table:
    since = _since(roster)
    cols = [_Col(key, "#,##0" if key.endswith("_vnd") else None,
                 wrap=key in ("ward", "main_reasons"), width=WIDTHS.get(key, COUNT_WIDTH))
            for key in REPORT_COLUMNS]
    title = _t("sheet:report", lang)
    t = _Table("report", title, title, cols, report_headers(lang, since))
    rows = report_rows(committee_report(roster, plan), lang)
    t.rows.extend(rows)
    t.breaks.update(page_starts(rows, t.headers, [c.width for c in cols]))
    if rows:
        t.bold_rows.add(len(t.rows) - 1)  # the total
    return t


def row_points(row: list[Any], widths: list[float]) -> float:
    """A row's height in points as the workbook has it."""
    return max(text_lines(v, w) for v, w in zip(row, widths)) * LINE_POINTS


def page_scale(widths: list[float]) -> float:
    """The scale of the printed sheet, fit to the width of the page: a column ``w``
    characters wide is about ``7 w + 5`` pixels (0.75 points each)."""
    return min(1.0, PAGE_WIDTH_PT / sum((7 * w + 5) * 0.75 for w in widths))


def page_starts(rows: list[list[Any]], headers: list[str], widths: list[float]) -> set[int]:
    """The report rows that start a printed page: a page takes up to WARDS_PER_PAGE wards
    while their height, with the header row repeated on it, fits; the total (the last row)
    goes on the page of the last wards, or over with the last ward, never alone."""
    room = PAGE_HEIGHT_PT / page_scale(widths) - row_points(headers, widths)
    starts: set[int] = set()
    used, wards = 0.0, 0
    last = len(rows) - 1
    for i, row in enumerate(rows):
        h = row_points(row, widths)
        total = i == last
        if wards and ((not total and wards >= WARDS_PER_PAGE) or used + h > room):
            if total and wards > 1:
                starts.add(i - 1)
                used, wards = row_points(rows[i - 1], widths) + h, 2
            else:
                starts.add(i)
                used, wards = h, 1
            continue
        used += h
        wards += 1
    return starts


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
            notes.append(catalog.text("word:missed_first", lang,
                                      ids=", ".join(missed[x["mentor_id"]])))
        t.rows.append([x["mentor_id"], m.full_name if m else None, x["planned"], x["done"],
                       "; ".join(notes) or None])
    t.rows.append([_t("word:total", lang), None, review.get("planned"), review.get("done"),
                   None])
    t.bold_rows.add(len(t.rows) - 1)
    return t
