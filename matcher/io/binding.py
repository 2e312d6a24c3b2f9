"""Binding: a table's header row matched to its schema sheet, and its cells read as typed
values, every problem an issue located by sheet, Excel row and the header as written.

:func:`bind` finds the header row of a :class:`~matcher.io.tables.Table` (the first
non-empty row, unless a title sits above it), maps its headers in English or Vietnamese
to the sheet's columns and reports duplicate and missing columns. :class:`RowReader`
parses one row's cells by column kind (ids, text, numbers with their limits, dates,
yes/no, lists and the fixed choices), reporting each bad cell once;
:mod:`matcher.io.records` builds the domain objects from them.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
import zipfile
from dataclasses import dataclass, field
from typing import Any

from matcher import catalog
from matcher.domain import CHOICES, choice_label
from matcher.errors import ERROR, WARNING, Issue
from matcher.io.tables import Table
from matcher.schema import Column, Sheet
from matcher.text import Bi, header_key
from matcher.values import (
    GENDER_WORDS,
    LOAN_PURPOSE_WORDS,
    OFFENSE_WORDS,
    RISK_WORDS,
    RULE_WORDS,
    SCHEDULE_WORDS,
    SHIFT_WORDS,
    SPECIALTY_WORDS,
    ImpossibleDate,
    parse_bool,
    parse_choice,
    parse_date,
    parse_list,
    parse_number,
    parse_text,
)

__all__ = ["Bad", "Bound", "Issues", "RowReader", "bind", "describe", "show"]


# --------------------------------------------------------------------------------------
# Issue collection


class Issues:
    def __init__(self) -> None:
        self.items: list[Issue] = []

    def add(self, code: str, sheet: str | None = None, row: int | None = None,
            column: str | None = None, /, *, severity: str = ERROR, **params: Any) -> None:
        self.items.append(Issue(code, sheet, row, column, params, severity))

    def warn(self, code: str, sheet: str | None = None, row: int | None = None,
             column: str | None = None, /, **params: Any) -> None:
        self.add(code, sheet, row, column, severity=WARNING, **params)

    @property
    def has_errors(self) -> bool:
        return any(i.severity == ERROR for i in self.items)


def show(value: Any) -> str:
    """A cell value as the coordinator would recognise it in a message."""
    if isinstance(value, dt.datetime):
        value = value.date() if value.time() == dt.time() else value
        if isinstance(value, dt.datetime):
            return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return f"{value:g}"
    text = str(value).strip()
    if len(text) > 60:
        text = text[:57] + "..."
    return text


def describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    name = type(exc).__name__
    if isinstance(exc, MemoryError):
        return "the file is too large to read"
    if isinstance(exc, zipfile.BadZipFile):
        return "the file is damaged or is not really a workbook"
    text = text[:160]
    return f"{name}: {text}" if text else name


# --------------------------------------------------------------------------------------
# Headers


@dataclass
class Bound:
    """A table matched to its schema sheet, with its header row located."""

    sheet: Sheet
    table: Table
    header_row: int = 0
    cols: dict[str, int] = field(default_factory=dict)  # column key -> cell index
    headers: dict[str, str] = field(default_factory=dict)  # column key -> header as written
    extra: list[tuple[int, str]] = field(default_factory=list)
    data: list[tuple[int, list[Any]]] = field(default_factory=list)
    vi: bool = False
    missing: set[str] = field(default_factory=set)  # required columns absent (reported once)
    by_key: dict[str, Column] = field(default_factory=dict)
    # parsed values of repeated cells (enums, yes/no, dates, lists): (kind, type, raw) ->
    # (ok, value or exception); the parsers are pure for these kinds
    memo: dict[tuple[str, type, Any], tuple[bool, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.by_key = {c.key: c for c in self.sheet.columns}

    @property
    def name(self) -> str:
        return self.table.name

    def header(self, key: str) -> str:
        if key in self.headers:
            return self.headers[key]
        col = self.sheet.column(key)
        return col.vi if self.vi else col.en


def _column_lookup(sheet: Sheet) -> dict[str, Column]:
    return {k: col for col in sheet.columns for k in col.keys()}  # noqa: SIM118


def bind(sheet: Sheet, table: Table, issues: Issues, vi_default: bool) -> Bound | None:
    lookup = _column_lookup(sheet)
    bound = Bound(sheet, table, vi=vi_default)
    if not table.rows:
        if sheet.required:
            issues.add("empty_sheet", table.name, sheet=sheet.en, sheet_vi=sheet.vi)
        return None
    # Header = first non-empty row, unless a title sits above it: then the first of the
    # first ten rows that names at least two known columns.
    header_at = 0
    for i, (_row, cells) in enumerate(table.rows[:10]):
        hits = {lookup[k].key for k in (header_key(c) for c in cells if c is not None)
                if k in lookup}
        if len(hits) >= 2:
            header_at = i
            break
    bound.header_row, header_cells = table.rows[header_at]
    bound.data = table.rows[header_at + 1:]
    vi_votes = en_votes = 0
    seen: dict[str, int] = {}
    for idx, cell in enumerate(header_cells):
        if cell is None:
            continue
        written = show(cell)
        key = header_key(cell)
        col = lookup.get(key)
        if col is None:
            bound.extra.append((idx, written))
            continue
        if col.key in seen:
            issues.add("duplicate_column", table.name, bound.header_row, written,
                       column=col.en, column_vi=col.vi)
            continue
        seen[col.key] = idx
        bound.cols[col.key] = idx
        bound.headers[col.key] = written
        if key == header_key(col.vi) and key != header_key(col.en):
            vi_votes += 1
        elif key in (header_key(col.en), header_key(col.key)):
            en_votes += 1
    if vi_votes != en_votes:
        bound.vi = vi_votes > en_votes
    missing = [c for c in sheet.columns if c.required and c.key not in bound.cols]
    for col in missing:
        issues.add("missing_column", table.name, bound.header_row, bound.header(col.key),
                   column=col.en, column_vi=col.vi)
    has_location = any(c.key == "ward" for c in sheet.columns)
    if has_location and "ward" not in bound.cols and not (
        "lat" in bound.cols and "lon" in bound.cols
    ):
        col = sheet.column("ward")
        issues.add("missing_column", table.name, bound.header_row, bound.header("ward"),
                   column=col.en, column_vi=col.vi)
        missing.append(col)
    bound.missing = {c.key for c in missing}
    if not bound.data and sheet.key in ("returnees", "mentors"):
        severity = ERROR if sheet.key == "returnees" else WARNING
        issues.add("no_rows", table.name, bound.header_row, severity=severity)
    return bound


# --------------------------------------------------------------------------------------
# Cells

# column kind -> (parser table, the choice whose words the problem lists)
_CHOICE_TABLES: dict[str, tuple[dict[str, str], str]] = {
    "gender": (GENDER_WORDS, "gender"),
    "offense": (OFFENSE_WORDS, "offense"),
    "offenses": (OFFENSE_WORDS, "offense"),
    "risk": (RISK_WORDS, "risk"),
    "specialties": (SPECIALTY_WORDS, "specialty"),
    "shift": (SHIFT_WORDS, "shift"),
    "schedule": (SCHEDULE_WORDS, "schedule"),
    "rule": (RULE_WORDS, "rule"),
    "loan_purpose": (LOAN_PURPOSE_WORDS, "loan_purpose"),
}


@functools.cache
def _choice_words(kind: str) -> Bi:
    """The words a column of this kind accepts, from the catalogue: Vietnamese "Nam / Nữ",
    English "M / F (Nam / Nữ)"; a list column says several may be written."""
    choice = _CHOICE_TABLES[kind][1]
    en = " / ".join(str(c) if choice == "gender" else choice_label(choice, c, "en")
                   for c in CHOICES[choice])
    vi = " / ".join(choice_label(choice, c, "vi") for c in CHOICES[choice])
    en = f"{en} ({vi})"  # both are read: an English reader of a Vietnamese roster
    if kind in ("offenses", "specialties"):
        return Bi(catalog.text("choices.several", "en", words=en),
                  catalog.text("choices.several", "vi", words=vi))
    return Bi(en, vi)


# a column kind's words ("type.<kind>": what it should be; "type.<kind>.example")
_TYPES = ("int", "number", "date", "bool", "text")

_EXAMPLES = {"birth_year": "1990", "lat": "19.80", "lon": "105.78", "capacity": "2",
             "slots": "3", "seats": "10", "min_age": "18", "max_age": "45", "affinity": "5",
             "max_commute_km": "10", "max_km": "5", "hours_per_month": "8",
             "travel_minutes": "15", "visit_hours_per_month": "4"}

# (low, high) per column key; None high = plan year (birth_year)
_LIMITS: dict[str, tuple[float, float | None]] = {
    "birth_year": (1900, None),
    "lat": (-90, 90),
    "lon": (-180, 180),
    "capacity": (0, 1000),
    "slots": (0, 100_000),
    "seats": (0, 100_000),
    "min_age": (0, 120),
    "max_age": (0, 120),
    "max_commute_km": (0, 20_000),
    "max_km": (0, 20_000),
    "hours_per_month": (0, 744),
    "visit_hours_per_month": (0, 744),
    "travel_minutes": (0, 10_000),
    "affinity": (-1000, 1000),
    "loan_amount": (1, 10**12),
    "capital": (0, 10**14),
}
_FORMULA_RE = re.compile(r"^=\s*[A-Za-z0-9(+\-$]")
_MEMO_KINDS = frozenset({"date", "bool", "list", "risk", "gender", "offense", "offenses",
                         "specialties", "shift", "schedule", "rule"})
_DECIMAL_RE = re.compile(r"^-?\d+\.\d+$")


class Bad(Exception):
    """A cell problem already reported."""


@dataclass
class RowReader:
    bound: Bound
    row: int
    cells: list[Any]
    issues: Issues
    plan_year: int
    failed: bool = False

    def raw(self, key: str) -> Any:
        idx = self.bound.cols.get(key)
        if idx is None or idx >= len(self.cells):
            return None
        return self.cells[idx]

    def issue(self, code: str, key: str, *, severity: str = ERROR, **params: Any) -> None:
        if severity == ERROR:
            self.failed = True
        self.issues.add(code, self.bound.name, self.row, self.bound.header(key),
                        severity=severity, **params)

    def _wrong(self, key: str, kind: str, value: Any) -> None:
        example = _EXAMPLES.get(key)
        if example is None:
            example = catalog.bi(f"type.{kind}.example")
        elif "." in example:  # a decimal number: the Vietnamese write 19,80
            example = Bi(example, example.replace(".", ","))
        self.issue("wrong_type", key, value=show(value),
                    expected=catalog.text(f"type.{kind}", "en"),
                    expected_vi=catalog.text(f"type.{kind}", "vi"), example=example)

    def _range(self, key: str, number: float) -> bool:
        if key not in _LIMITS:
            return True
        low, high = _LIMITS[key]
        high = self.plan_year if high is None else high
        if low <= number <= high:
            return True
        self.issue("out_of_range", key, value=show(number),
                    limits=f"between {low:g} and {high:g}",
                    limits_vi=f"trong khoảng {low:g} đến {high:g}")
        return False

    def get(self, key: str, default: Any = None) -> Any:
        """The parsed value of a column, ``default`` when blank; reports problems."""
        idx = self.bound.cols.get(key)
        if idx is None and key not in self.bound.missing and not self.bound.by_key[key].required:
            return default  # an optional column the sheet does not have
        col = self.bound.by_key[key]
        raw = self.cells[idx] if idx is not None and idx < len(self.cells) else None
        if raw is None:  # cells are cleaned: blank text and NaN are None already
            if key in self.bound.missing:
                self.failed = True
                raise Bad
            if col.required:
                self.issue("empty_required", key, column=col.en, column_vi=col.vi)
                raise Bad
            return default
        try:
            if col.kind not in _MEMO_KINDS or (col.kind == "risk" and not isinstance(raw, str)):
                return self._parse(col, key, raw)
            memo_key = (col.kind, type(raw), raw)
            hit = self.bound.memo.get(memo_key)
            if hit is None:
                try:
                    hit = (True, self._parse(col, key, raw))
                except (ValueError, TypeError) as exc:
                    hit = (False, exc)
                if len(self.bound.memo) < 100_000:
                    self.bound.memo[memo_key] = hit
            if hit[0]:
                return hit[1]
            raise hit[1]
        except Bad:
            raise
        except ImpossibleDate:
            self.issue("impossible_date", key, value=show(raw))
        except Exception:  # noqa: BLE001 - any parser failure is this cell's problem
            if col.kind in _CHOICE_TABLES:
                self.issue("bad_choice", key, value=show(raw),
                            choices=_choice_words(col.kind))
            else:
                self._wrong(key, col.kind if col.kind in _TYPES else "text", raw)
        raise Bad

    def _parse(self, col: Column, key: str, raw: Any) -> Any:
        kind = col.kind
        if kind in ("id", "text"):
            if isinstance(raw, (dt.date, dt.time, dt.timedelta)) and kind == "id":
                raise ValueError("not an id")
            if isinstance(raw, str) and _FORMULA_RE.match(raw.strip()):
                self.issue("formula_cell", key, severity=WARNING, value=show(raw))
            return parse_text(raw)
        if kind in ("int", "number"):
            if kind == "number" and isinstance(raw, str) and _DECIMAL_RE.match(raw.strip()):
                number = float(raw.strip())  # '19.805' is a decimal here, not 19 805
            else:
                number = parse_number(raw)
            if kind == "int" and number != int(number):
                raise ValueError("not a whole number")
            if not self._range(key, number):
                raise Bad
            if kind == "int":
                return int(number)
            return number
        if kind == "date":
            return parse_date(raw)
        if kind == "bool":
            return parse_bool(raw)
        if kind == "list":
            return parse_list(raw)
        if kind == "risk":
            if isinstance(raw, (int, float)) and not isinstance(raw, bool):
                if raw != int(raw):
                    raise ValueError("not a risk level")
                if not 1 <= raw <= 3:
                    self.issue("out_of_range", key, value=show(raw),
                                limits="1, 2 or 3", limits_vi="là 1, 2 hoặc 3")
                    raise Bad
                return int(raw)
            return int(parse_choice(raw, RISK_WORDS))
        if kind == "wards":  # ward names may hold a comma: ';' or a new line separates
            names = tuple(x.strip() for x in parse_text(raw).replace("\n", ";").split(";"))
            return tuple(x for x in names if x)
        if kind in ("specialties", "offenses"):
            return parse_list(raw, _CHOICE_TABLES[kind][0])
        if kind in _CHOICE_TABLES:
            return parse_choice(raw, _CHOICE_TABLES[kind][0])
        return parse_text(raw)

    def opt(self, key: str, default: Any = None) -> Any:
        """Like :meth:`get` but a reported problem yields ``default`` (row marked failed)."""
        try:
            return self.get(key, default)
        except Bad:
            return default

    def extra(self) -> dict[str, Any]:
        out = {}
        for idx, header in self.bound.extra:
            if idx < len(self.cells) and self.cells[idx] is not None:
                out[header] = self.cells[idx]
        return out
