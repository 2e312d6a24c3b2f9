"""The sheet model shared by the plan's tables and the loan tables: typed columns, a
table with its printing marks, number formats, and text that is safe in a spreadsheet."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from matcher.domain import Roster
from matcher.io.plan_text import _t

# the control characters a spreadsheet cell may not hold: openpyxl's own pattern
# (openpyxl.cell.cell.ILLEGAL_CHARACTERS_RE, a test keeps them equal), here so that the
# plan workbook, written by matcher.io.xlsx, does without importing openpyxl (0.06 s of
# a city plan's start-up)
ILLEGAL_CHARACTERS_RE = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")

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
    # runs of rows [start, end) printed on one page where they fit: a page break goes
    # before a run only when the run would not fit in what is left of the page
    keep: list[tuple[int, int]] = field(default_factory=list)
    fit: bool = True  # print fit to the page's width; False: at a scale from the widths
    print_rows: int | None = None  # only rows before this one are printed (the print area)
    print_only: bool = False  # a printed view of another sheet (no CSV of its own)


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


def formula_like(text: str) -> bool:
    """True for text a spreadsheet would run as a formula (or a DDE/command payload)."""
    return text.startswith(FORMULA_STARTS)


def _clean_text(text: str) -> str:
    return ILLEGAL_CHARACTERS_RE.sub("", text)


# Times New Roman 11 (the workbook's font) fits about one average character of Vietnamese
# text per width unit (the unit is one digit) as LibreOffice prints it (Calibri fitted
# about 1.15); estimating a little low means a row is at worst a line too tall
CHARS_PER_WIDTH = 1.0
LINE_POINTS = 15.0  # row height of one line of 11 pt text


def text_lines(value: Any, width: float) -> int:
    """Lines a wrapped text needs in a column ``width`` characters wide (the writer's row
    heights and the report's page breaks use the same estimate)."""
    if not isinstance(value, str) or not value:
        return 1
    per_line = max(1, int((width - 1) * CHARS_PER_WIDTH))
    return sum(max(1, math.ceil(len(part) / per_line)) for part in value.split("\n"))
