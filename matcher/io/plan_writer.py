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
as many blocks to a printed page as fit (a page break only before a block that would
not fit in what is left of its page). The Assignments sheet is followed by its print view
(:mod:`matcher.io.print_sheets`), which prints at the scale its columns allow.

On paper: Times New Roman 11 (the font of the documents to sign, Decree 30/2020; 11 pt
in a table); landscape A4; the page header names the plan date and the sheet, the footer
the input file and the page ("Trang X/Y", once); no checksums (the SHA-256 of the inputs
stays in the Summary sheet, outside its print area).

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
from collections.abc import Sequence
from itertools import zip_longest
from pathlib import Path
from typing import Any

from matcher import catalog
from matcher.domain import Roster
from matcher.io.plan_sheets import _tables
from matcher.io.plan_text import _t
from matcher.io.print_sheets import keep_breaks, page_room, print_scale
from matcher.io.sheet_model import (
    _FILE_NAME_BAD,
    _V,
    DATE_FORMAT,
    FORMULA_STARTS,
    LINE_POINTS,
    MIN_WIDTH,
    PAPER_A4,
    PERCENT_FORMAT,
    _clean_text,
    _Col,
    _num,
    _Table,
    _unwrap,
    formula_like,
    text_lines,
)
from matcher.io.xlsx import Style, Workbook
from matcher.plan import Plan

TITLE_POINTS = 30.0  # row height of a block title (13 pt at the bottom: space above it)
BOXED_POINTS = 20.0  # least height of a bordered row (room to write on the printout)
HEADER_FILL = "#DDE4EE"
BORDER_COLOR = "#808080"
FONT = "Times New Roman"  # as the documents to sign (matcher.io.docx_format); 11 pt


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


MAX_ROW_POINTS = 409.0  # Excel's largest row height


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
        lines = max(lines, text_lines(v, w))
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
    if t.fit:
        ws.fit_width = 1
    else:
        ws.scale = print_scale(widths)
    if t.print_rows is not None:
        ws.print_area = (0, 0, max(0, t.print_rows + first - 1), len(t.cols) - 1)
    ws.print_gridlines = t.header  # print the grid of tables, not of forms
    ws.margins = (0.4, 0.4, 0.6, 0.6)
    ws.header_margin = 0.25
    date_text = catalog.date(plan.plan_date, lang)  # 06/12/2026; Dec 6, 2026
    ws.header = (f"&L{_hf_text(catalog.text('word:plan_of', lang, date=date_text))}"
                 f'&C&"-,Bold"{_hf_text(t.label)}')
    # the page number once, in the footer; the input file by name (its checksum is in
    # the Summary sheet, not on paper)
    src = plan.sources[0] if plan.sources else None
    footer = "&L" + _hf_text(str(src.get("name"))) if src and src.get("name") else ""
    ws.footer = footer + "&R" + _t("word:page", lang)
    heights: list[float] = []  # of t.rows, for the blocks kept on a page
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
            height = _height(row, cols, widths, wrap_all=True)
            heights.append(height or LINE_POINTS)
            ws.row(r, _header_cells(formats, row, boxed=n in t.boxed_rows), height)
            continue
        title = n in t.title_rows
        box = n in t.boxed_rows
        height = _height(row, cols, widths) if wrapping else None
        if title:
            height = max(height or 0, TITLE_POINTS)
        elif box:
            height = max(height or 0, BOXED_POINTS)
        heights.append(height or LINE_POINTS)
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
    if t.keep:
        room = page_room(widths) - (  # less the header row repeated on every page
            (_height(t.headers, t.cols, widths, wrap_all=True) or LINE_POINTS) if t.header
            else 0.0)
        breaks += [n + first for n in keep_breaks(heights, t.keep, room) if n + first > 0]
        breaks = sorted(set(breaks))
    ws.page_breaks = breaks[:MAX_PAGE_BREAKS]


# Excel keeps at most 1,023 manual page breaks per sheet
MAX_PAGE_BREAKS = 1023


def write_plan_workbook(plan: Plan, roster: Roster, path: str | Path, *,
                        lang: str = "vi") -> None:
    """Write the plan workbook (SPEC section 7) to ``path`` in ``lang`` ("vi" or "en")."""
    tables = _tables(plan, roster, lang)
    wb = Workbook(font=FONT)
    formats = _Formats(wb)
    for t in tables:
        _write_sheet(wb, formats, t, plan, lang)
    wb.save(path)


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
        if t.print_only:  # a printed view of another sheet's rows
            continue
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


__all__ = ["formula_like", "write_plan_csv", "write_plan_json", "write_plan_workbook"]
