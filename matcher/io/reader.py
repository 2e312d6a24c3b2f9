"""Read a coordinator's roster (one workbook, or CSV files one per table) into a :class:`Roster`.

:func:`read_roster` either returns a checked :class:`~matcher.domain.Roster` whose
``warnings`` hold the non-blocking issues, or raises :class:`~matcher.errors.RosterError`
carrying *every* problem found in one pass (errors and warnings), each located by sheet,
the row number Excel shows and the column header as the coordinator wrote it. Nothing
else escapes: unreadable files, library errors and even ``MemoryError`` become issues.

Reading engine. Workbooks (.xlsx/.xlsm/.xls/.ods) are read with python-calamine; openpyxl
stays the writer. Measured on a 20,000-row x 17-column Returnees sheet (best of 3, this
project's dev machine, 2 cores): openpyxl ``load_workbook(read_only=True, data_only=True)``
+ ``iter_rows(values_only=True)`` 8.0 s; ``python_calamine.CalamineWorkbook`` +
``to_python()`` 0.51 s; ``pandas.read_excel(engine="calamine")`` 0.69 s. Calamine reads
cached formula values (formula errors such as ``#DIV/0!`` come back empty). The whole
``read_roster`` of a 20,000-row, 19-column Returnees sheet (with every check, ward
resolution and 20,000 objects built) takes about 2 s on the same machine.

Calamine builds a dense grid of a sheet's used range, and a failed allocation aborts the
process (it is Rust, not a ``MemoryError``), so before handing a zip workbook to calamine
the sheet XML is scanned for its used range and absurd ranges (one stray cell at XFD1048576)
are refused with a ``sheet_too_large`` issue instead.

CSV files are decoded as UTF-8 (with or without BOM), falling back to cp1258 then latin-1;
the delimiter (``,`` ``;`` or tab) is sniffed. The file stem names the table
(``returnees.csv``, ``nguoi tro ve.csv``, ``mentors.csv`` ...).
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import hashlib
import io
import math
import re
import unicodedata
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from matcher import domain
from matcher.domain import (
    Job,
    Location,
    Mentor,
    PairRule,
    Returnee,
    Roster,
    Settings,
    SourceFile,
    Training,
)
from matcher.errors import ERROR, WARNING, Issue, RosterError
from matcher.schema import SHEETS, Column, Sheet
from matcher.text import header_key
from matcher.values import (
    GENDER_WORDS,
    OFFENSE_WORDS,
    RISK_WORDS,
    RULE_WORDS,
    SCHEDULE_WORDS,
    SHIFT_WORDS,
    SPECIALTY_WORDS,
    ImpossibleDate,
    is_blank,
    parse_bool,
    parse_choice,
    parse_date,
    parse_list,
    parse_number,
    parse_text,
)

if TYPE_CHECKING:
    from matcher.gazetteer import Gazetteer, Resolution

__all__ = ["CSV_SUFFIXES", "WORKBOOK_SUFFIXES", "overrides_from_args", "read_roster"]

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")
CSV_SUFFIXES = (".csv", ".tsv", ".txt")
MAX_CELLS = 20_000_000  # dense grid calamine may allocate for one sheet
MAX_XML_BYTES = 1_500_000_000  # uncompressed sheet XML we are willing to scan
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_SHEETS_BY_KEY = {s.key: s for s in SHEETS}


# --------------------------------------------------------------------------------------
# Issue collection


class _Issues:
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


def _show(value: Any) -> str:
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


# --------------------------------------------------------------------------------------
# Raw tables: the cells of one sheet (or CSV file), blank rows dropped


@dataclass
class _Table:
    name: str  # sheet name as written; for a CSV, the file name
    file: str
    rows: list[tuple[int, list[Any]]] = field(default_factory=list)  # (Excel row, cells)
    title: str = ""  # what names the table: the sheet name, or a CSV's file stem
    source: str = ""  # the input path it came from

    def __post_init__(self) -> None:
        self.title = self.title or self.name


def _clean_cell(value: Any) -> Any:
    if isinstance(value, str):
        # NFC: cp1258 files and some Mac tools give decomposed Vietnamese letters
        return unicodedata.normalize("NFC", value) if value.strip() else None
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _rows_from(grid: Iterable[Sequence[Any]], first_row: int) -> list[tuple[int, list[Any]]]:
    rows = []
    for offset, raw in enumerate(grid):
        cells = [_clean_cell(v) for v in raw]
        if any(c is not None for c in cells):
            rows.append((first_row + offset, cells))
    return rows


class _Unreadable(Exception):
    """A file (or sheet) that cannot be read; the message is the issue's detail."""

    def __init__(self, detail: str, code: str = "unreadable_file", **params: Any):
        super().__init__(detail)
        self.detail = detail
        self.code = code
        self.params = params


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    name = type(exc).__name__
    if isinstance(exc, MemoryError):
        return "the file is too large to read"
    if isinstance(exc, zipfile.BadZipFile):
        return "the file is damaged or is not really a workbook"
    text = text[:160]
    return f"{name}: {text}" if text else name


def _decode_csv(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1258"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _read_csv(data: bytes, path: Path) -> _Table:
    text = _decode_csv(data)
    if "\x00" in text:
        raise _Unreadable("the file holds binary data, not text")
    sample = text[:64_000]
    delimiter = ","
    if path.suffix.lower() == ".tsv":
        delimiter = "\t"
    else:
        try:
            delimiter = csv.Sniffer().sniff(sample, delimiters=",;\t").delimiter
        except csv.Error:
            counts = {d: sample.count(d) for d in (",", ";", "\t")}
            best = max(counts, key=lambda d: counts[d])
            delimiter = best if counts[best] else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        grid = list(reader)
    except csv.Error as exc:
        raise _Unreadable(f"CSV: {exc}") from None
    return _Table(path.name, path.name, _rows_from(grid, 1), title=path.stem)


def _xlsx_sheet_parts(z: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> worksheet XML part, from workbook.xml and its relationships."""
    ns_main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    ns_rel = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
    wb_part = "xl/workbook.xml"
    if wb_part not in z.namelist():
        return {}
    rels: dict[str, str] = {}
    rel_part = "xl/_rels/workbook.xml.rels"
    if rel_part in z.namelist():
        for rel in ET.fromstring(z.read(rel_part)):
            target = rel.get("Target") or ""
            if target.startswith("/"):
                target = target.lstrip("/")
            else:
                target = str(PurePosixPath("xl") / target)
            rels[rel.get("Id") or ""] = target
    out = {}
    for sheet in ET.fromstring(z.read(wb_part)).iter(f"{ns_main}sheet"):
        rid = sheet.get(f"{ns_rel}id") or ""
        if sheet.get("name") is not None and rid in rels:
            out[sheet.get("name") or ""] = rels[rid]
    return out


_ROW_RE = re.compile(rb'<(?:\w+:)?row\b[^>]*?\sr="([0-9]+)"')
_CELL_ROW_RE = re.compile(rb'\sr="[A-Z]{1,3}([0-9]+)"')
_WIDE_COL_RE = re.compile(rb'\sr="([A-Z]{2,3})[0-9]')


def _col_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def _col_letters(n: int) -> str:
    out = ""
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


def _xlsx_extent_precise(data: bytes) -> tuple[int, int, int, int]:
    """(min_row, max_row, min_col, max_col) over cells that hold a value or formula."""
    rmin = cmin = 10**9
    rmax = cmax = 0
    for _event, elem in ET.iterparse(io.BytesIO(data)):
        if elem.tag.rsplit("}", 1)[-1] != "c":
            continue
        if any(child.tag.rsplit("}", 1)[-1] in ("v", "is", "f") for child in elem):
            m = re.fullmatch(r"([A-Z]{1,3})([0-9]+)", elem.get("r") or "")
            if m:
                r, c = int(m.group(2)), _col_number(m.group(1))
                rmin, rmax, cmin, cmax = min(rmin, r), max(rmax, r), min(cmin, c), max(cmax, c)
        elem.clear()
    return rmin, rmax, cmin, cmax


def _check_xlsx_extent(z: zipfile.ZipFile, part: str, sheet: str) -> None:
    try:
        info = z.getinfo(part)
    except KeyError:
        return
    if info.file_size > MAX_XML_BYTES:
        raise _Unreadable(f"sheet '{sheet}' is too large to read")
    data = z.read(part)
    rows = [int(r) for r in _ROW_RE.findall(data)]
    if not rows:  # rows without r="": take the rows from the cell references
        rows = [int(r) for r in _CELL_ROW_RE.findall(data)]
    if not rows:
        return
    wide = _WIDE_COL_RE.findall(data)
    max_col = max([26, *(_col_number(c.decode()) for c in set(wide))])
    if (max(rows) - min(rows) + 1) * max_col <= MAX_CELLS:
        return
    rmin, rmax, cmin, cmax = _xlsx_extent_precise(data)
    if rmax and (rmax - rmin + 1) * (cmax - cmin + 1) > MAX_CELLS:
        raise _Unreadable("sheet too large", code="sheet_too_large", rows=rmax - rmin + 1,
                          cols=cmax - cmin + 1, cell=f"{_col_letters(cmax)}{rmax}")


_ODS_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_ODS_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"


def _check_ods_extent(z: zipfile.ZipFile, wanted: set[str]) -> None:
    """Refuse ODS tables whose non-empty cells span an absurd range (repeats included)."""
    try:
        info = z.getinfo("content.xml")
    except KeyError:
        return
    if info.file_size > MAX_XML_BYTES:
        raise _Unreadable("the file is too large to read")
    name = None
    row = col = 0
    rmin = cmin = 10**12
    rmax = cmax = 0
    row_repeat = 1
    with z.open("content.xml") as fh:
        for event, elem in ET.iterparse(fh, events=("start", "end")):
            tag = elem.tag
            if tag == f"{_ODS_TABLE}table":
                if event == "start":
                    name = elem.get(f"{_ODS_TABLE}name")
                    row, rmin, cmin, rmax, cmax = 0, 10**12, 10**12, 0, 0
                else:
                    area = (rmax - rmin + 1) * (cmax - cmin + 1)
                    if name in wanted and rmax and area > MAX_CELLS:
                        raise _Unreadable("sheet too large", code="sheet_too_large",
                                          rows=rmax - rmin + 1, cols=cmax - cmin + 1,
                                          cell=f"{_col_letters(min(cmax, 18278))}{rmax}")
                    elem.clear()
            elif tag == f"{_ODS_TABLE}table-row":
                if event == "start":
                    col = 0
                    row_repeat = int(elem.get(f"{_ODS_TABLE}number-rows-repeated") or 1)
                else:
                    row += row_repeat
                    elem.clear()
            elif event == "end" and tag in (f"{_ODS_TABLE}table-cell",
                                            f"{_ODS_TABLE}covered-table-cell"):
                repeat = int(elem.get(f"{_ODS_TABLE}number-columns-repeated") or 1)
                if name in wanted and (len(elem) or elem.get(f"{_ODS_OFFICE}value-type")):
                    rmin, rmax = min(rmin, row + 1), max(rmax, row + row_repeat)
                    cmin, cmax = min(cmin, col + 1), max(cmax, col + repeat)
                col += repeat
                elem.clear()


def _read_workbook(data: bytes, path: Path, wanted: Callable[[str], bool]) -> list[_Table]:
    from python_calamine import CalamineWorkbook

    if data.startswith(_ZIP_MAGIC):
        try:
            z = zipfile.ZipFile(io.BytesIO(data))
        except zipfile.BadZipFile:
            raise _Unreadable("the file is damaged or is not really a workbook") from None
        with z:
            names = set(z.namelist())
            if "xl/workbook.xml" in names:
                parts = _xlsx_sheet_parts(z)
                for sheet, part in parts.items():
                    if wanted(sheet):
                        _check_xlsx_extent(z, part, sheet)
            elif "content.xml" in names:
                _check_ods_extent(z, {n for n in _ods_table_names(z) if wanted(n)})
    elif not data.startswith(_OLE_MAGIC):
        raise _Unreadable("it is not an Excel or OpenDocument workbook")
    workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
    tables = []
    try:
        for name in workbook.sheet_names:
            if not wanted(name):
                continue
            sheet = workbook.get_sheet_by_name(name)
            start = sheet.start
            grid = sheet.to_python(skip_empty_area=True)
            first = (start[0] + 1) if start else 1
            tables.append(_Table(name, path.name, _rows_from(grid, first)))
    finally:
        workbook.close()
    return tables


def _ods_table_names(z: zipfile.ZipFile) -> list[str]:
    names = []
    with z.open("content.xml") as fh:
        for _event, elem in ET.iterparse(fh, events=("start",)):
            if elem.tag == f"{_ODS_TABLE}table":
                names.append(elem.get(f"{_ODS_TABLE}name") or "")
    return names


def _sheet_for(name: str) -> Sheet | None:
    key = header_key(name)
    for sheet in SHEETS:
        if key in sheet.names():
            return sheet
    return None


def _load(path: Path, issues: _Issues) -> tuple[list[_Table], SourceFile | None]:
    """Read one input file; problems become issues, never exceptions."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        issues.add("missing_file", path.name, value=str(path))
        return [], None
    except IsADirectoryError:
        issues.add("unreadable_file", path.name, detail="this is a folder, not a file")
        return [], None
    except (OSError, MemoryError, ValueError) as exc:
        issues.add("unreadable_file", path.name, detail=_describe(exc))
        return [], None
    source = SourceFile(path.name, hashlib.sha256(data).hexdigest())
    suffix = path.suffix.lower()
    try:
        if suffix in CSV_SUFFIXES or (
            suffix not in WORKBOOK_SUFFIXES
            and not data.startswith((_ZIP_MAGIC, _OLE_MAGIC))
        ):
            table = _read_csv(data, path)
            if _sheet_for(table.title) is None:
                issues.warn("ignored_file", path.name, value=path.name)
                return [], source
            return [table], source
        return _read_workbook(data, path, lambda n: _sheet_for(n) is not None), source
    except _Unreadable as exc:
        if exc.code == "unreadable_file":
            issues.add("unreadable_file", path.name, detail=exc.detail)
        else:
            issues.add(exc.code, path.name, **exc.params)
    except RecursionError:
        issues.add("unreadable_file", path.name, detail="the file is nested too deeply")
    except Exception as exc:  # noqa: BLE001 - calamine, zip, xml, codec, MemoryError ...
        issues.add("unreadable_file", path.name, detail=_describe(exc))
    return [], source


# --------------------------------------------------------------------------------------
# Headers


@dataclass
class _Bound:
    """A table matched to its schema sheet, with its header row located."""

    sheet: Sheet
    table: _Table
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


def _bind(sheet: Sheet, table: _Table, issues: _Issues, vi_default: bool) -> _Bound | None:
    lookup = _column_lookup(sheet)
    bound = _Bound(sheet, table, vi=vi_default)
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
        written = _show(cell)
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

_OFFENSE_CHOICES = ("drugs, property, violence, fraud, traffic, other "
                    "(ma túy, tài sản, bạo lực, lừa đảo, giao thông, khác)")
_SPECIALTY_CHOICES = ("drugs, youth, women, jobs, legal (ma túy, thanh niên, phụ nữ, việc làm, "
                      "pháp luật), comma separated")
_CHOICE_TABLES: dict[str, tuple[dict[str, str], str]] = {
    "gender": (GENDER_WORDS, "M, F (Nam, Nữ)"),
    "offense": (OFFENSE_WORDS, _OFFENSE_CHOICES),
    "offenses": (OFFENSE_WORDS, _OFFENSE_CHOICES + ", comma separated"),
    "risk": (RISK_WORDS, "1 / low / thấp, 2 / medium / trung bình, 3 / high / cao"),
    "specialties": (SPECIALTY_WORDS, _SPECIALTY_CHOICES),
    "shift": (SHIFT_WORDS, "day, night, any (ngày, đêm, bất kỳ)"),
    "schedule": (SCHEDULE_WORDS, "day, evening (ngày, tối)"),
    "rule": (RULE_WORDS, "require, forbid (bắt buộc, cấm)"),
}

_TYPES = {
    "int": ("a whole number", "số nguyên", "2"),
    "number": ("a number", "một số", "12.5"),
    "date": ("a date", "ngày tháng", "15/03/2025"),
    "bool": ("yes or no", "có hoặc không", "yes / no (có / không)"),
    "text": ("text", "văn bản", "a name or a code"),
}

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
}
_FORMULA_RE = re.compile(r"^=\s*[A-Za-z0-9(+\-$]")
_MEMO_KINDS = frozenset({"date", "bool", "list", "risk", "gender", "offense", "offenses",
                         "specialties", "shift", "schedule", "rule"})
_DECIMAL_RE = re.compile(r"^-?\d+\.\d+$")
_MISSING = object()


class _Bad(Exception):
    """A cell problem already reported."""


@dataclass
class _RowReader:
    bound: _Bound
    row: int
    cells: list[Any]
    issues: _Issues
    plan_year: int
    failed: bool = False

    def raw(self, key: str) -> Any:
        idx = self.bound.cols.get(key)
        if idx is None or idx >= len(self.cells):
            return None
        return self.cells[idx]

    def _issue(self, code: str, key: str, *, severity: str = ERROR, **params: Any) -> None:
        if severity == ERROR:
            self.failed = True
        self.issues.add(code, self.bound.name, self.row, self.bound.header(key),
                        severity=severity, **params)

    def _wrong(self, key: str, kind: str, value: Any) -> None:
        expected, expected_vi, example = _TYPES[kind]
        example = _EXAMPLES.get(key, example)
        self._issue("wrong_type", key, value=_show(value), expected=expected,
                    expected_vi=expected_vi, example=example)

    def _range(self, key: str, number: float) -> bool:
        if key not in _LIMITS:
            return True
        low, high = _LIMITS[key]
        high = self.plan_year if high is None else high
        if low <= number <= high:
            return True
        self._issue("out_of_range", key, value=_show(number),
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
                raise _Bad
            if col.required:
                self._issue("empty_required", key, column=col.en, column_vi=col.vi)
                raise _Bad
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
        except _Bad:
            raise
        except ImpossibleDate:
            self._issue("impossible_date", key, value=_show(raw))
        except Exception:  # noqa: BLE001 - any parser failure is this cell's problem
            if col.kind in _CHOICE_TABLES:
                self._issue("bad_choice", key, value=_show(raw),
                            choices=_CHOICE_TABLES[col.kind][1])
            else:
                self._wrong(key, col.kind if col.kind in _TYPES else "text", raw)
        raise _Bad

    def _parse(self, col: Column, key: str, raw: Any) -> Any:
        kind = col.kind
        if kind in ("id", "text"):
            if isinstance(raw, (dt.date, dt.time, dt.timedelta)) and kind == "id":
                raise ValueError("not an id")
            if isinstance(raw, str) and _FORMULA_RE.match(raw.strip()):
                self._issue("formula_cell", key, severity=WARNING, value=_show(raw))
            return parse_text(raw)
        if kind in ("int", "number"):
            if kind == "number" and isinstance(raw, str) and _DECIMAL_RE.match(raw.strip()):
                number = float(raw.strip())  # '19.805' is a decimal here, not 19 805
            else:
                number = parse_number(raw)
            if kind == "int" and number != int(number):
                raise ValueError("not a whole number")
            if not self._range(key, number):
                raise _Bad
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
                    self._issue("out_of_range", key, value=_show(raw),
                                limits="1, 2 or 3", limits_vi="là 1, 2 hoặc 3")
                    raise _Bad
                return int(raw)
            return int(parse_choice(raw, RISK_WORDS))
        if kind in ("specialties", "offenses"):
            return parse_list(raw, _CHOICE_TABLES[kind][0])
        if kind in _CHOICE_TABLES:
            return parse_choice(raw, _CHOICE_TABLES[kind][0])
        return parse_text(raw)

    def opt(self, key: str, default: Any = None) -> Any:
        """Like :meth:`get` but a reported problem yields ``default`` (row marked failed)."""
        try:
            return self.get(key, default)
        except _Bad:
            return default

    def extra(self) -> dict[str, Any]:
        out = {}
        for idx, header in self.bound.extra:
            if idx < len(self.cells) and self.cells[idx] is not None:
                out[header] = self.cells[idx]
        return out



# --------------------------------------------------------------------------------------
# Locations


class _Places:
    """Ward resolution through the gazetteer, cached per distinct text."""

    def __init__(self, gazetteer: Gazetteer) -> None:
        self.gazetteer = gazetteer
        self._cache: dict[str, Resolution] = {}

    def resolve(self, text: str) -> Resolution:
        if text not in self._cache:
            self._cache[text] = self.gazetteer.resolve(text)
        return self._cache[text]


def _location(r: _RowReader, places: _Places) -> Location | None:
    failed_before = r.failed
    r.failed = False
    ward = r.opt("ward")
    lat = r.opt("lat")
    lon = r.opt("lon")
    has_lat, has_lon = not is_blank(r.raw("lat")), not is_blank(r.raw("lon"))
    if has_lat != has_lon:
        r._issue("half_coordinates", "lon" if has_lat else "lat")
    coords = has_lat and has_lon
    point = None
    if ward:
        res = places.resolve(ward)
        severity = WARNING if coords else ERROR
        if res.status == "ok" and res.point is not None:
            point = res.point
            if res.old_name:
                r._issue("old_ward_name", "ward", severity=WARNING, value=ward, ward=point.name)
        elif res.status == "ambiguous":
            candidates = list(res.candidates)
            r._issue("ambiguous_ward", "ward", severity=severity, value=ward,
                     candidates="; ".join(candidates[:8]),
                     example=candidates[0].split(" (")[0] if candidates else ward)
        else:
            hint = f" ({'; '.join(list(res.candidates)[:5])}?)" if res.candidates else ""
            r._issue("unknown_ward", "ward", severity=severity, value=ward, hint=hint)
    elif not has_lat and not has_lon and "ward" not in r.bound.missing:
        r._issue("no_location", "ward")
    elif "ward" in r.bound.missing and not coords:
        r.failed = True
    failed = r.failed
    r.failed = failed or failed_before
    if failed:
        return None
    if coords:
        return Location(lat, lon, ward=point.name if point is not None else ward)
    if point is None:
        return None
    if failed_before:  # the row is not used: its errors are what matters
        return None
    r._issue("ward_point", "ward", severity=WARNING, ward=point.name)
    if point.note:
        r._issue("unreliable_point", "ward", severity=WARNING, ward=point.name, note=point.note)
    return Location(point.lat, point.lon, ward=point.name, from_ward_point=True,
                    unreliable=bool(point.note))


# --------------------------------------------------------------------------------------
# Sheets -> domain objects


@dataclass
class _Context:
    issues: _Issues
    settings: Settings
    places: _Places | None = None
    ids: dict[str, set[str] | None] = field(default_factory=dict)

    @property
    def plan_year(self) -> int:
        return self.settings.plan_date.year


def _values(r: _RowReader, defaults: Mapping[str, Any]) -> dict[str, Any]:
    return {key: r.opt(key, default) for key, default in defaults.items()}


@functools.lru_cache(maxsize=1)
def _availability_checker() -> Callable[[str], str | None] | None:
    try:
        from matcher.availability import check_availability
    except ImportError:
        return None
    return functools.lru_cache(maxsize=8192)(check_availability)


def _check_availability(r: _RowReader, text: str | None) -> None:
    if not text:
        return
    check = _availability_checker()
    reason = check(text) if check is not None else None
    if reason:
        r._issue("bad_availability", "availability", value=_show(text), detail=reason)


def _years_from(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _returnee(r: _RowReader, ctx: _Context) -> Returnee | None:
    v = _values(r, {"id": None, "full_name": None, "gender": None, "birth_year": None,
                    "release_date": None, "offense": None, "risk": None,
                    "skills": frozenset(), "wants_job": True, "wants_training": False,
                    "max_commute_km": None, "work_away_from_home": False,
                    "availability": None, "group": None, "needs_loan": False})
    release = v["release_date"]
    if release is not None:
        plan = ctx.settings.plan_date
        if release < _years_from(plan, -60):
            r._issue("implausible_date", "release_date", value=_show(release),
                     why="it is more than 60 years before the plan date",
                     why_vi="sớm hơn ngày lập kế hoạch quá 60 năm")
        elif release > _years_from(plan, 5):
            r._issue("implausible_date", "release_date", value=_show(release),
                     why="it is more than 5 years after the plan date",
                     why_vi="muộn hơn ngày lập kế hoạch quá 5 năm")
        elif v["birth_year"] is not None and release.year < v["birth_year"]:
            r._issue("implausible_date", "release_date", value=_show(release),
                     why=f"it is before the birth year {v['birth_year']}",
                     why_vi=f"trước năm sinh {v['birth_year']}")
    _check_availability(r, v["availability"])
    location = _location(r, ctx.places)
    if r.failed:
        return None
    return Returnee(location=location, row=r.row, extra=r.extra(), **v)


def _mentor(r: _RowReader, ctx: _Context) -> Mentor | None:
    v = _values(r, {"id": None, "full_name": None, "gender": None, "birth_year": None,
                    "phone": None, "capacity": 2, "hours_per_month": None, "max_risk": 3,
                    "specialties": frozenset(), "max_km": None, "availability": None,
                    "active": True})
    label = v["id"] or v["full_name"] or f"row {r.row}"
    if v["capacity"] == 0:
        r._issue("zero_capacity", "capacity", severity=WARNING, value=label)
    if v["active"] is False:
        r._issue("inactive_mentor", "active", severity=WARNING, value=label)
    _check_availability(r, v["availability"])
    location = _location(r, ctx.places)
    if r.failed:
        return None
    return Mentor(location=location, row=r.row, extra=r.extra(), **v)


def _job(r: _RowReader, ctx: _Context) -> Job | None:
    v = _values(r, {"id": None, "employer": None, "sector": None, "slots": None,
                    "min_age": None, "max_age": None, "shift": "day",
                    "excluded_offenses": frozenset(), "entry_level": False,
                    "start_date": None})
    if v["min_age"] is not None and v["max_age"] is not None and v["min_age"] > v["max_age"]:
        r._issue("age_limits", "max_age", low=v["min_age"], high=v["max_age"])
    location = _location(r, ctx.places)
    if r.failed:
        return None
    return Job(location=location, row=r.row, extra=r.extra(), **v)


def _training(r: _RowReader, ctx: _Context) -> Training | None:
    v = _values(r, {"id": None, "provider": None, "sector": None, "seats": None,
                    "start_date": None, "schedule": "day"})
    location = _location(r, ctx.places)
    if r.failed:
        return None
    return Training(location=location, row=r.row, extra=r.extra(), **v)


_BUILDERS: dict[str, Callable[[_RowReader, _Context], Any]] = {
    "returnees": _returnee, "mentors": _mentor, "jobs": _job, "trainings": _training,
}


def _rows(bound: _Bound, ctx: _Context) -> Iterable[_RowReader]:
    for row, cells in bound.data:
        yield _RowReader(bound, row, cells, ctx.issues, ctx.plan_year)


def _guarded(r: _RowReader, build: Callable[[], Any]) -> Any:
    """Run a row builder; a ValueError from a domain check (or any surprise) is an issue."""
    try:
        return build()
    except _Bad:
        return None
    except ValueError as exc:  # a domain object's own check
        r.failed = True
        r.issues.add("invalid_row", r.bound.name, r.row, None,
                     detail=str(exc)[:200].rstrip("."))
    except Exception as exc:  # noqa: BLE001 - a bug: still a report, never a traceback
        r.failed = True
        r.issues.add("internal_error", r.bound.name, r.row, None, detail=_describe(exc))
    return None


def _entities(bounds: list[_Bound], ctx: _Context) -> list[Any]:
    """The objects of one table, read from every sheet/file that holds it (ids unique
    across all of them)."""
    out = []
    first: dict[str, tuple[int, str]] = {}
    for bound in bounds:
        build = _BUILDERS[bound.sheet.key]
        for r in _rows(bound, ctx):
            if "id" not in bound.missing:
                raw = r.raw("id")
                if not is_blank(raw):
                    rid = parse_text(raw)
                    if rid in first:
                        row, where = first[rid]
                        shown = str(row) if where == bound.name else f"{row}, {where}"
                        r._issue("duplicate_id", "id", value=rid, first_row=shown)
                    else:
                        first[rid] = (r.row, bound.name)
            obj = _guarded(r, lambda r=r, build=build: build(r, ctx))
            if obj is not None and not r.failed:
                out.append(obj)
    missing_ids = any("id" in b.missing for b in bounds)
    ctx.ids[bounds[0].sheet.key] = None if missing_ids else set(first)
    return out


_REFS = {
    "returnee_id": ("returnees", "Returnee", "Người trở về"),
    "mentor_id": ("mentors", "Mentor", "Cựu chiến binh"),
    "job_id": ("jobs", "Job", "Việc làm"),
    "training_id": ("trainings", "Training course", "Khóa học nghề"),
}


def _pairs(bounds: list[_Bound], ctx: _Context) -> list[PairRule]:
    out = []
    # (returnee, kind, target) -> rule -> [(bound, row)]
    rules: dict[tuple[str, str, str], dict[str, list[tuple[_Bound, int]]]] = {}
    for r in (r for bound in bounds for r in _rows(bound, ctx)):
        def build(r: _RowReader = r) -> PairRule | None:
            v = _values(r, {"returnee_id": None, "mentor_id": None, "job_id": None,
                            "training_id": None, "rule": None, "reason": "", "affinity": 0,
                            "travel_minutes": None, "visit_hours_per_month": None})
            for key, (target, kind, kind_vi) in _REFS.items():
                known = ctx.ids.get(target)
                if v[key] is not None and known is not None and v[key] not in known:
                    sheet = _SHEETS_BY_KEY[target]
                    r._issue("unknown_reference", key, kind=kind, kind_vi=kind_vi,
                             value=v[key], target=sheet.en, target_vi=sheet.vi)
            named = [k for k in ("mentor_id", "job_id", "training_id") if v[k] is not None]
            if not named:
                r._issue("pair_needs_target", "mentor_id")
            elif len(named) > 1:
                r._issue("pair_two_targets", named[1])
            elif v["returnee_id"] is not None and v["rule"] is not None:
                target = (named[0][:-3], v[named[0]])
                rules.setdefault((v["returnee_id"], *target), {}).setdefault(
                    v["rule"], []).append((r.bound, r.row))
            if r.failed:
                return None
            return PairRule(row=r.row, **v)

        obj = _guarded(r, build)
        if obj is not None and not r.failed:
            out.append(obj)
    for (returnee, _kind, target), by_rule in rules.items():
        if "require" in by_rule and "forbid" in by_rule:
            seen = sorted(by_rule["require"] + by_rule["forbid"],
                          key=lambda br: (bounds.index(br[0]), br[1]))
            last_bound, last_row = seen[-1]
            rows = ", ".join(str(row) if b is last_bound else f"{row} ({b.name})"
                             for b, row in seen)
            ctx.issues.add("conflicting_rules", last_bound.name, last_row,
                           last_bound.header("rule"), returnee=returnee, target=target,
                           rows=rows)
    return out


def _gazetteer_rows(bounds: list[_Bound], ctx: _Context) -> list[tuple[str, float, float]]:
    out = []
    for bound in bounds:
        for r in _rows(bound, ctx):
            v = _values(r, {"name": None, "lat": None, "lon": None})
            if not r.failed:
                out.append((v["name"], v["lat"], v["lon"]))
    return out


# --------------------------------------------------------------------------------------
# Settings


def _setting_name(text: Any) -> str:
    return header_key(text).replace(" ", "_")


def _parse_one_setting(name: str, raw: Any, issues: _Issues,
                       where: tuple[str | None, int | None, str | None]) -> Any:
    try:
        return domain.parse_setting(name, raw)
    except ImpossibleDate:
        issues.add("impossible_date", *where, value=_show(raw))
    except Exception as exc:  # noqa: BLE001 - ValueError with a plain reason
        detail = str(exc) if isinstance(exc, ValueError) else _describe(exc)
        issues.add("bad_setting", *where, key=name, value=_show(raw), detail=detail.rstrip("."))
    return _MISSING


_SETTING_CHOICES = ", ".join(s.name for s in domain.SETTING_SPECS)


def _settings(bounds: list[_Bound], overrides: Mapping[str, Any] | None,
              issues: _Issues) -> Settings:
    values: dict[str, Any] = {}
    first_row: dict[str, str] = {}
    for bound in bounds:
        if bound.missing:
            continue
        for row, cells in bound.data:
            r = _RowReader(bound, row, cells, issues, dt.date.today().year)
            key_raw, value_raw = r.raw("key"), r.raw("value")
            if is_blank(key_raw):
                if not is_blank(value_raw):
                    col = bound.sheet.column("key")
                    r._issue("empty_required", "key", column=col.en, column_vi=col.vi)
                continue
            name = _setting_name(key_raw)
            if name not in domain.SETTINGS_BY_NAME:
                r._issue("unknown_setting", "key", value=_show(key_raw), choices=_SETTING_CHOICES)
                continue
            if name in first_row:
                r._issue("duplicate_setting", "key", value=name, first_row=first_row[name])
                continue
            first_row[name] = str(row) if len(bounds) == 1 else f"{row}, {bound.name}"
            if is_blank(value_raw):
                continue
            where = (bound.name, row, bound.header("value"))
            value = _parse_one_setting(name, value_raw, issues, where)
            if value is not _MISSING:
                values[name] = value
    for key, raw in (overrides or {}).items():
        name = _setting_name(key)
        if name not in domain.SETTINGS_BY_NAME:
            issues.add("unknown_setting", value=str(key), choices=_SETTING_CHOICES)
            continue
        value = _parse_one_setting(name, raw, issues, (None, None, None))
        if value is not _MISSING:
            values[name] = value
    try:
        return domain.settings_from(values)
    except (ValueError, KeyError, TypeError) as exc:
        issues.add("bad_setting", key="", value="", detail=str(exc))
        return Settings()


def overrides_from_args(items: Iterable[str] | None) -> dict[str, str]:
    """``--set key=value`` arguments as a mapping; a malformed one raises RosterError."""
    out: dict[str, str] = {}
    bad = []
    for item in items or ():
        key, sep, value = str(item).partition("=")
        if not sep or not key.strip():
            bad.append(Issue("bad_override", params={"value": str(item)}))
            continue
        out[key.strip()] = value.strip()
    if bad:
        raise RosterError(bad)
    return out


# --------------------------------------------------------------------------------------
# Entry point


def _paths(source: Any, issues: _Issues) -> list[Path]:
    if isinstance(source, (str, Path)) or hasattr(source, "__fspath__"):
        items = [source]
    else:
        try:
            items = list(source)
        except TypeError:
            items = [source]
    paths = []
    for item in items:
        try:
            paths.append(Path(item))
        except TypeError:
            issues.add("unreadable_file", detail=f"not a file name: {_show(item)}")
    if not items:
        issues.add("unreadable_file", detail="no file was given")
    return paths


def read_roster(
    source: str | Path | Sequence[str | Path],
    *,
    gazetteer: Gazetteer | None = None,
    overrides: Mapping[str, str] | None = None,
) -> Roster:
    """Read and check a roster; raise RosterError with every problem if it cannot be planned.

    ``source`` is one workbook or a list of files (workbooks, or CSVs named after their
    table). ``overrides`` are ``--set`` settings applied over the Settings sheet.
    """
    issues = _Issues()
    roster = None
    try:
        roster = _read(source, gazetteer, overrides, issues)
    except MemoryError:
        issues.add("unreadable_file", detail="the input is too large to read")
    except Exception as exc:  # noqa: BLE001 - a bug: still a report, never a traceback
        issues.add("internal_error", detail=_describe(exc))
    if roster is None or issues.has_errors:
        raise RosterError(issues.items)
    return roster


def _read(source: Any, gazetteer: Gazetteer | None, overrides: Mapping[str, Any] | None,
          issues: _Issues) -> Roster | None:
    paths = _paths(source, issues)
    tables: list[_Table] = []
    sources: list[SourceFile] = []
    for path in paths:
        found, src = _load(path, issues)
        for table in found:
            table.source = str(path)
        tables.extend(found)
        if src is not None:
            sources.append(src)
    # A table may come from several files (a roster plus a file of new releases): their
    # rows are read together. Two sheets meaning one table in the same file are an error.
    by_sheet: dict[str, list[_Table]] = {}
    vi_votes = en_votes = 0
    for table in tables:
        sheet = _sheet_for(table.title)
        if sheet is None:
            continue
        key = header_key(table.title)
        if key == header_key(sheet.vi):
            vi_votes += 1
        elif key in (header_key(sheet.en), sheet.key):
            en_votes += 1
        same_file = [t for t in by_sheet.get(sheet.key, ()) if t.source == table.source]
        if same_file:
            issues.add("ambiguous_sheet", table.name, sheet=sheet.en, sheet_vi=sheet.vi,
                       names=", ".join(f"'{t.name}'" for t in (same_file[0], table)))
            continue
        by_sheet.setdefault(sheet.key, []).append(table)
    for group in by_sheet.values():
        names = [t.name for t in group]
        for t in group:
            if names.count(t.name) > 1:  # 'Returnees' in two workbooks: say which
                t.name = f"{t.name} ({t.file})"
    vi_default = vi_votes > en_votes
    unreadable = any(i.code in ("unreadable_file", "sheet_too_large", "missing_file")
                     for i in issues.items)
    for sheet in SHEETS:
        if sheet.required and sheet.key not in by_sheet and not unreadable:
            issues.add("missing_sheet", sheet.vi if vi_default else sheet.en,
                       sheet=sheet.en, sheet_vi=sheet.vi)

    bound: dict[str, list[_Bound]] = {}
    for sheet in SHEETS:
        for table in by_sheet.get(sheet.key, ()):
            b = _bind(sheet, table, issues, vi_default)
            if b is not None:
                bound.setdefault(sheet.key, []).append(b)

    settings = _settings(bound.get("settings", []), overrides, issues)
    ctx = _Context(issues, settings)

    if gazetteer is None:
        from matcher.gazetteer import Gazetteer

        gazetteer = Gazetteer.bundled()
    gaz_bounds = [b for b in bound.get("gazetteer", ()) if not b.missing]
    extra = _gazetteer_rows(gaz_bounds, ctx)
    if extra:
        try:
            gazetteer = gazetteer.with_extra(extra)
        except ValueError as exc:
            issues.add("invalid_row", gaz_bounds[0].name, None, None,
                       detail=str(exc)[:300].rstrip("."))
    ctx.places = _Places(gazetteer)

    built: dict[str, list[Any]] = {}
    for key in ("returnees", "mentors", "jobs", "trainings"):
        if key in bound:
            built[key] = _entities(bound[key], ctx)
        else:
            # an absent optional sheet has no ids; an absent required one is reported
            ctx.ids[key] = set() if key not in by_sheet and not _SHEETS_BY_KEY[key].required \
                else None
    pairs = _pairs(bound["pairs"], ctx) if "pairs" in bound else []

    if issues.has_errors:
        return None
    return Roster(
        returnees=tuple(built.get("returnees", ())),
        mentors=tuple(built.get("mentors", ())),
        jobs=tuple(built.get("jobs", ())),
        trainings=tuple(built.get("trainings", ())),
        pairs=tuple(pairs),
        settings=settings,
        warnings=tuple(i for i in issues.items if i.severity == WARNING),
        sources=tuple(sources),
    )
