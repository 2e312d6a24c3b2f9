"""What the plan workbook looks like on paper: the Assignments' print view and the page
layout of sheets printed at a set scale or in blocks kept on one page.

The Assignments sheet keeps every column on screen (21 of them: fit to the width of an A4
page they print at about 37 %). Its print view (sheet "Bản in phân công", after it) holds
what a ward committee reads — number, returnee, ward, the veteran who helps and their
phone, the job or course and both distances — in the same order, and prints on landscape
A4 at the scale its column widths allow (:func:`print_scale`: 100 % for the sample, at
least 90 % with the widths capped here), the header row repeated on every page.

Blocks (:func:`keep_breaks`): the per-mentor schedule is a run of blocks, one per mentor
with visits; a block goes on the page it starts on when it fits in what is left of that
page, and starts a new page otherwise, so short blocks share a page and none is split
unless it is longer than a page. Heights are the writer's own (``sheet_model.text_lines``
lines of ``LINE_POINTS``), the room on a page that of the committee report
(:mod:`matcher.io.review_sheets`: landscape A4, its margins, the page header and footer).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from matcher.io.plan_text import _t
from matcher.io.review_sheets import PAGE_HEIGHT_PT, PAGE_WIDTH_PT, page_scale
from matcher.io.sheet_model import KM_FORMAT, _Col, _Lookup, _round, _Table, _ward
from matcher.plan import Assignment

PRINT_COLS = (
    _Col("no", width=5), _Col("name", cap=24), _Col("ward", cap=22),
    _Col("mentor_name", cap=24), _Col("mentor_phone", cap=13),
    _Col("print_mentor_km", KM_FORMAT, width=9),
    _Col("placement", wrap=True, cap=36), _Col("print_commute_km", KM_FORMAT, width=9),
)
# A column w characters wide prints about CHAR_PT * w + PAD_PT points wide at 100 %: the
# digits of Times New Roman 11 are 5.5 pt wide (7.3 pixels, against Calibri's 7, which the
# fit-to-width estimate of review_sheets uses), a little more for rounding to whole pixels;
# 5 pixels of cell padding. LibreOffice printed the sample's view about 5.4 pt a character.
CHAR_PT = 5.6
PAD_PT = 3.75


def assignments_print(assignments: Sequence[Assignment], look: _Lookup, lang: str) -> _Table:
    """The print view of the Assignments: a row per returnee, in the Assignments' order."""
    title = _t("sheet:assignments_print", lang)
    t = _Table("assignments_print", title, _t("word:assignments_print_title", lang),
               list(PRINT_COLS), [_t(f"col:{c.key}", lang) for c in PRINT_COLS])
    t.fit = False
    t.print_only = True
    for n, a in enumerate(assignments, start=1):
        r = look.returnees.get(a.returnee_id)
        m = look.mentors.get(a.mentor_id) if a.mentor_id else None
        if a.job_id:
            j = look.jobs.get(a.job_id)
            place = f"{_t('word:job_prefix', lang)}: {j.employer if j else a.job_id}"
            commute = a.job_km
        elif a.training_id:
            c = look.trainings.get(a.training_id)
            place = f"{_t('word:training_prefix', lang)}: {c.provider if c else a.training_id}"
            commute = a.training_km
        else:
            place, commute = None, None
        t.rows.append([n, r.full_name if r else a.returnee_id,
                       _ward(r, lang) if r else None,
                       m.full_name if m else None, m.phone if m else None,
                       _round(a.mentor_km, 1) if m else None, place, _round(commute, 1)])
    return t


def print_scale(widths: Sequence[float]) -> int:
    """The whole percentage at which columns ``widths`` wide fill a landscape A4 page's
    width (100 when they fit as they are), estimated a little wide so the last column
    never runs onto a page of its own."""
    need = sum(CHAR_PT * w + PAD_PT for w in widths)
    return max(10, min(100, math.floor(PAGE_WIDTH_PT / need * 100)))


def page_room(widths: Sequence[float]) -> float:
    """The height of a printed page in the sheet's points, fit to the page's width."""
    return PAGE_HEIGHT_PT / page_scale(list(widths))


def keep_breaks(heights: Sequence[float], keep: Sequence[tuple[int, int]],
                room: float) -> list[int]:
    """The rows (indexes into ``heights``) before which a page break goes so that each run
    of rows in ``keep`` is printed on one page where it fits: a run starts a new page
    only when it does not fit in what is left of the current one.

    Every page is ended by a break placed here, not by the spreadsheet's own breaks, whose
    places depend on the program's fonts: ``room`` is estimated a little low, so a page
    laid out here always fits the printed page. A row outside the runs that does not fit
    starts a page; after a run longer than a page (split where the spreadsheet splits it)
    the next row starts a page."""
    ends = dict(keep)
    out: list[int] = []
    used = 0.0
    run_end = -1  # the end of the run being laid out
    for i, h in enumerate(heights):
        end = ends.get(i)
        if end is not None:
            need = sum(heights[i:end])
            if used > 0 and used + need > room:
                out.append(i)
                used = 0.0
            run_end = end
            if need > room:  # split by the spreadsheet: the row after it starts a page
                used = math.inf
        elif i >= run_end and used > 0 and used + h > room:
            out.append(i)
            used = 0.0
        used += h
    return out
