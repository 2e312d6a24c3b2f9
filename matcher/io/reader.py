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
every XML part it will parse is streamed through expat with no DTD or entities, a nesting
limit and a byte budget relative to the rows it really holds (see "Guards" below); absurd
ranges (one stray cell at XFD1048576, however its attributes are quoted or prefixed) are
refused with a ``sheet_too_large`` issue, oversized or bomb-like parts with
``file_too_large``. Files from outside should still be read through
:func:`matcher.io.sandbox.read_roster_bounded`, which runs this reader in a child process
with hard memory and time limits.

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
import posixpath
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.parsers import expat

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
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_SHEETS_BY_KEY = {s.key: s for s in SHEETS}
# issues that mean a file was not read at all (so its sheets are not reported missing)
_UNREAD_CODES = frozenset({"unreadable_file", "sheet_too_large", "missing_file",
                           "file_too_large", "unsafe_xml", "read_limit"})


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
    grid = []
    try:
        for row in reader:
            if len(row) > MAX_COLS:
                raise _too_large(f"line {reader.line_num} of the CSV has {len(row):,} columns "
                                 f"(limit {MAX_COLS:,})",
                                 f"dòng {reader.line_num} của tệp CSV có {len(row):,} cột "
                                 f"(giới hạn {MAX_COLS:,})")
            grid.append(row)
    except csv.Error as exc:
        if "field limit" in str(exc):
            raise _too_large(f"line {reader.line_num} of the CSV holds a value longer than "
                             f"{csv.field_size_limit():,} characters (a quote never closed?)",
                             f"dòng {reader.line_num} của tệp CSV có một giá trị dài hơn "
                             f"{csv.field_size_limit():,} ký tự (thiếu dấu ngoặc kép đóng?)"
                             ) from None
        raise _Unreadable(f"CSV: {exc}") from None
    return _Table(path.name, path.name, _rows_from(grid, 1), title=path.stem)


# --------------------------------------------------------------------------------------
# Guards: what a file may make the reader (and calamine) do
#
# Every XML part calamine will parse is streamed through expat first, in chunks, with no
# DTD and no entities (so no entity expansion, external entities or billion laughs), a
# nesting limit and a byte budget; attributes are read by the parser, so any quoting and
# any namespace prefix count. A sheet's used range is computed from its cells (a
# ``<dimension>`` may lie and is ignored). The uncompressed XML of a sheet may hold
# XML_BASE_BYTES plus XML_BYTES_PER_ROW per row it really has (a generated city sheet holds
# about 800 bytes a row, a national one 80 MB for 150,000 rows), the shared strings
# XML_BASE_BYTES plus SST_BYTES_PER_CELL per cell of the roster sheets. Whatever passes
# these can still be read only within the memory and time limits of the process that
# reads it (matcher.io.sandbox).

MAX_FILE_BYTES = 256 * 2**20  # an input file read into memory (national workbook: 22 MB)
MAX_CSV_BYTES = 256 * 2**20  # a CSV file
MAX_COLS = 16_384  # columns of a sheet or CSV line (Excel's own limit)
MAX_ROWS = 1_048_576  # rows of a sheet (Excel's own limit)
MAX_XML_BYTES = 512 * 2**20  # uncompressed XML of one sheet (national: 83 MB)
MAX_SST_BYTES = 256 * 2**20  # shared strings
MAX_STYLES_BYTES = 32 * 2**20  # styles (real ones are tens of kilobytes)
MAX_PART_BYTES = 16 * 2**20  # workbook.xml, relationships and other small parts
XML_BASE_BYTES = 4 * 2**20
XML_BYTES_PER_ROW = 16 * 2**10
SST_BYTES_PER_CELL = 2 * 2**10
MAX_XML_DEPTH = 64  # nesting (a sheet needs 6 levels)
MAX_SHEETS = 250
MAX_ZIP_MEMBERS = 10_000
_XML_CHUNK = 64 * 2**10
_MB = 2**20


def _too_large(detail: str, detail_vi: str) -> _Unreadable:
    exc = _Unreadable(detail, code="file_too_large")
    exc.params = {"detail": detail, "detail_vi": detail_vi}
    return exc


def _mb(n: int) -> str:
    return f"{n / _MB:,.0f}" if n >= 10 * _MB else f"{n / _MB:,.1f}"


def _local(name: str) -> str:
    return name.rpartition("}")[2]


def _scan_xml(z: zipfile.ZipFile, part: str, *, limit: int,
              budget: Callable[[], int] | None = None,
              budget_text: Callable[[int], tuple[str, str]] | None = None,
              start: Callable[[str, dict[str, str]], None] | None = None,
              end: Callable[[str], None] | None = None) -> int:
    """Stream one zip member through expat; return the bytes read. ``start``/``end`` get
    each element's local name (``start`` its attributes too, keys without namespace
    prefixes resolved to ``uri}name``). Raises _Unreadable when the part is over ``limit``
    bytes (declared or read), over ``budget()`` bytes at any chunk, nested deeper than
    MAX_XML_DEPTH, has a DTD or entity declarations, or is not well-formed."""
    info = z.getinfo(part)
    if info.file_size > limit:
        raise _too_large(f"part '{part}' unpacks to {_mb(info.file_size)} MB "
                         f"(limit {_mb(limit)} MB)",
                         f"phần '{part}' khi giải nén là {_mb(info.file_size)} MB "
                         f"(giới hạn {_mb(limit)} MB)")
    parser = expat.ParserCreate(namespace_separator="}")
    depth = 0

    def forbid(*_args: Any) -> None:
        raise _Unreadable(f"XML declarations in '{part}'", code="unsafe_xml", part=part)

    def on_start(name: str, attrs: dict[str, str]) -> None:
        nonlocal depth
        depth += 1
        if depth > MAX_XML_DEPTH:
            raise _too_large(f"the XML of '{part}' is nested more than {MAX_XML_DEPTH} deep",
                             f"XML của '{part}' lồng nhau sâu hơn {MAX_XML_DEPTH} mức")
        if start is not None:
            start(_local(name), attrs)

    def on_end(name: str) -> None:
        nonlocal depth
        depth -= 1
        if end is not None:
            end(_local(name))

    parser.StartElementHandler = on_start
    parser.EndElementHandler = on_end
    parser.StartDoctypeDeclHandler = forbid
    parser.EntityDeclHandler = forbid
    parser.UnparsedEntityDeclHandler = forbid
    parser.ExternalEntityRefHandler = forbid  # type: ignore[assignment]
    read = 0
    try:
        with z.open(info) as fh:
            while chunk := fh.read(_XML_CHUNK):
                read += len(chunk)
                if read > limit:  # the declared size lied
                    raise _too_large(f"part '{part}' unpacks to more than {_mb(limit)} MB",
                                     f"phần '{part}' khi giải nén lớn hơn {_mb(limit)} MB")
                if budget is not None and read > budget():
                    en, vi = budget_text(read) if budget_text else ("", "")
                    raise _too_large(en, vi)
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except expat.ExpatError as exc:
        raise _Unreadable(f"the XML of '{part}' is damaged "
                          f"({expat.ErrorString(exc.code)}, line {exc.lineno})") from None
    return read


def _zip_names(z: zipfile.ZipFile) -> set[str]:
    infos = z.infolist()
    if len(infos) > MAX_ZIP_MEMBERS:
        raise _too_large(f"the workbook holds {len(infos):,} parts",
                         f"tệp chứa {len(infos):,} phần")
    names = [i.filename for i in infos]
    if len(set(names)) != len(names):  # two parts of one name: which one a reader takes varies
        raise _Unreadable("the file is damaged (two parts have the same name)")
    return set(names)


def _part_path(base: str, target: str) -> str:
    """A relationship target as a zip member name."""
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(base), target))


def _find_part(names: set[str], part: str) -> str | None:
    if part in names:
        return part
    folded = part.casefold()
    return next((n for n in sorted(names) if n.casefold() == folded), None)


@dataclass
class _XlsxParts:
    sheets: dict[str, str]  # sheet name -> worksheet part (those that exist in the zip)
    shared_strings: str | None
    styles: str | None


def _xlsx_parts(z: zipfile.ZipFile, names: set[str]) -> _XlsxParts:
    """Sheets, shared strings and styles, from workbook.xml and its relationships."""
    wb_part = _find_part(names, "xl/workbook.xml") or "xl/workbook.xml"
    rels: dict[str, tuple[str, str]] = {}  # id -> (type, part)
    rel_part = _find_part(names, "xl/_rels/workbook.xml.rels")
    if rel_part is not None:
        def on_rel(name: str, attrs: dict[str, str]) -> None:
            if name == "Relationship" and attrs.get("TargetMode") != "External":
                rels[attrs.get("Id") or ""] = (
                    (attrs.get("Type") or "").rpartition("/")[2],
                    _part_path(wb_part, attrs.get("Target") or ""))

        _scan_xml(z, rel_part, limit=MAX_PART_BYTES, start=on_rel)
    sheets: list[tuple[str, str]] = []

    def on_sheet(name: str, attrs: dict[str, str]) -> None:
        if name != "sheet":
            return
        rid = next((v for k, v in attrs.items() if "}" in k and _local(k) == "id"), "")
        sheets.append((attrs.get("name") or "", rid))
        if len(sheets) > MAX_SHEETS:
            raise _too_large(f"the workbook has more than {MAX_SHEETS} sheets",
                             f"tệp có hơn {MAX_SHEETS} trang tính")

    _scan_xml(z, wb_part, limit=MAX_PART_BYTES, start=on_sheet)
    out = {}
    for sheet, rid in sheets:
        part = _find_part(names, rels.get(rid, ("", ""))[1])
        if part is not None:
            out[sheet] = part

    def by_type(kind: str, default: str) -> str | None:
        for rtype, part in rels.values():
            if rtype == kind and _find_part(names, part):
                return _find_part(names, part)
        return _find_part(names, default)

    return _XlsxParts(out, by_type("sharedStrings", "xl/sharedStrings.xml"),
                      by_type("styles", "xl/styles.xml"))


def _xlsx_sheet_parts(z: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> worksheet XML part, from workbook.xml and its relationships."""
    return _xlsx_parts(z, _zip_names(z)).sheets


_CELL_REF = re.compile(r"([A-Za-z]{1,3})([0-9]{1,7})")


def _col_number(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def _col_letters(n: int) -> str:
    out = ""
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


class _Extent:
    """The used range of a sheet's cells that hold something."""

    def __init__(self) -> None:
        self.rmin = self.cmin = 10**12
        self.rmax = self.cmax = 0
        self.cells = 0

    def add(self, row: int, col: int, rows: int = 1, cols: int = 1) -> None:
        self.rmin, self.rmax = min(self.rmin, row), max(self.rmax, row + rows - 1)
        self.cmin, self.cmax = min(self.cmin, col), max(self.cmax, col + cols - 1)
        self.cells += rows * cols

    def check(self, sheet: str) -> None:
        if not self.rmax:
            return
        rows, cols = self.rmax - self.rmin + 1, self.cmax - self.cmin + 1
        if rows * cols > MAX_CELLS or self.rmax > MAX_ROWS or self.cmax > MAX_COLS:
            ref = f"{_col_letters(min(self.cmax, 18_278))}{self.rmax}"
            raise _Unreadable("sheet too large", code="sheet_too_large", rows=rows, cols=cols,
                              cell=f"'{sheet}'!{ref}" if sheet else ref)


def _rows_budget(part: str, rows: Callable[[], int]) -> tuple[Callable[[], int],
                                                               Callable[[int], tuple[str, str]]]:
    def budget() -> int:
        return XML_BASE_BYTES + XML_BYTES_PER_ROW * rows()

    def text(read: int) -> tuple[str, str]:
        return _rows_text(part, read, rows())

    return budget, text


_FAST_CARRY = 4 * _MB
_WS = (32, 9, 10, 13)


@dataclass
class _FastScan:
    """What the quick scan of a part saw: its row tags and the used range of every cell
    tag (holding a value or not: an upper bound of what calamine allocates)."""

    rows: int = 0
    extent: _Extent = field(default_factory=lambda: _Extent())


def _isin(values: Any, codes: tuple[int, ...]) -> Any:
    out = values == codes[0]
    for code in codes[1:]:
        out |= values == code
    return out


def _fast_cells(np: Any, a: Any, starts: Any, ext: _Extent) -> int | None:
    """Rows tags in this piece, with every cell tag's reference added to ``ext``; None when
    a cell tag has no plain ``r`` attribute first or there are other ``r`` attributes."""
    delim = (32, 9, 10, 13, 47, 62)
    first = a[starts + 1]
    is_cell = (first == 99) & _isin(a[starts + 2], delim)
    is_row = ((first == 114) & (a[starts + 2] == 111) & (a[starts + 3] == 119)
              & _isin(a[starts + 4], delim))
    cells = starts[is_cell]
    rows = starts[is_row]
    # every '=' of an attribute sits right after its name; an attribute named r has
    # whitespace before it
    eq = np.flatnonzero(a == 61)
    eq = eq[eq >= 2]
    if _isin(a[eq - 1], _WS).any():
        return None
    n_r = int(((a[eq - 1] == 114) & _isin(a[eq - 2], _WS)).sum())
    row_r = int(((a[rows + 4] == 32) & (a[rows + 5] == 114) & (a[rows + 6] == 61)).sum())
    if n_r != len(cells) + row_r:
        return None
    if not len(cells):
        return len(rows)
    # <c r="A1" or <c r='A1'
    if not ((a[cells + 2] == 32) & (a[cells + 3] == 114) & (a[cells + 4] == 61)).all():
        return None
    quote = a[cells + 5]
    if not _isin(quote, (34, 39)).all():
        return None
    width = 11  # up to 3 letters, 7 digits and the closing quote
    idx = np.minimum(cells[:, None] + 6 + np.arange(width), len(a) - 1)
    ch = a[idx]
    closing = ch == quote[:, None]
    if not closing.any(axis=1).all():
        return None
    length = closing.argmax(axis=1)  # characters before the closing quote
    pos = np.arange(width)[None, :]
    inside = pos < length[:, None]
    letter = (ch >= 65) & (ch <= 90) & inside
    digit = (ch >= 48) & (ch <= 57) & inside
    n_letters = letter.sum(axis=1)
    n_digits = digit.sum(axis=1)
    if not (((n_letters + n_digits) == length).all() and (n_letters >= 1).all()
            and (n_letters <= 3).all() and (n_digits >= 1).all() and (n_digits <= 7).all()
            and (letter == (pos < n_letters[:, None])).all()):
        return None
    col = np.zeros(len(cells), np.int64)
    for k in range(3):
        has = k < n_letters
        col = np.where(has, col * 26 + (ch[:, k].astype(np.int64) - 64), col)
    row = np.zeros(len(cells), np.int64)
    dvals = ch.astype(np.int64) - 48
    for k in range(width):
        take = digit[:, k]
        row = np.where(take, row * 10 + dvals[:, k], row)
    ext.rmin, ext.rmax = min(ext.rmin, int(row.min())), max(ext.rmax, int(row.max()))
    ext.cmin, ext.cmax = min(ext.cmin, int(col.min())), max(ext.cmax, int(col.max()))
    ext.cells += len(cells)
    return len(rows)


def _fast_scan(z: zipfile.ZipFile, part: str, *, limit: int, cells: bool = False,
               per_row: bool = False) -> _FastScan | None:
    """The quick scan of a part that looks like what spreadsheet programs write: byte
    counts and numpy over the raw bytes, about as fast as unzipping.

    It takes the part only when the bytes are plain enough for the counts to be exact: no
    ``<!`` (so no DTD, entity declaration, comment or CDATA), no character reference, a
    processing instruction only at the start, exactly one ``>`` per ``<`` (so no ``>`` in
    text or attribute values: each tag ends at the first ``>``), no namespace prefix on a
    tag name, and (``cells``) every cell tag starting ``<c r="A1"`` with no other ``r``
    attribute anywhere but on rows. Then the nesting depth is exact (start tags +1, end tags
    -1, self-closing 0) and the cell references are exactly those calamine reads. Anything
    else returns None and :func:`_scan_xml` reads the part with expat instead. Raises
    _Unreadable for what is refused either way (size, row budget, depth)."""
    import numpy as np

    info = z.getinfo(part)
    if info.file_size > limit:
        _scan_xml(z, part, limit=limit)  # raises with the message
    out = _FastScan()
    depth = 0
    read = 0
    carry = b""
    with z.open(info) as fh:
        while True:
            chunk = fh.read(_MB)
            first_piece = read == 0
            read += len(chunk)
            if read > limit:
                return None
            buf = carry + chunk
            cut = buf.rfind(b">") + 1 if chunk else len(buf)
            piece, carry = buf[:cut], buf[cut:]
            if len(carry) > _FAST_CARRY:
                return None
            if piece:
                if b"<!" in piece or b"&#" in piece:
                    return None
                if piece.count(b"<?") > (1 if first_piece and piece.startswith(b"<?") else 0):
                    return None
                a = np.frombuffer(piece + bytes(16), np.uint8)  # room to look ahead
                lt = np.flatnonzero(a == 60)
                gt = np.flatnonzero(a == 62)
                if len(lt) != len(gt):
                    return None
                if len(lt):
                    if not ((lt < gt).all() and (gt[:-1] < lt[1:]).all()):
                        return None
                    nxt = a[lt + 1]
                    prv = a[gt - 1]
                    delta = np.where(nxt == 47, -1, np.where((prv == 47) | (nxt == 63), 0, 1))
                    path = np.cumsum(delta) + depth
                    if path.min() < 0:
                        return None
                    if path.max() > MAX_XML_DEPTH:
                        raise _too_large(
                            f"the XML of '{part}' is nested more than {MAX_XML_DEPTH} deep",
                            f"XML của '{part}' lồng nhau sâu hơn {MAX_XML_DEPTH} mức")
                    depth = int(path[-1])
                    starts = lt[(nxt != 47) & (nxt != 63)]
                    # a prefixed tag name (<x:c>): a colon before the name's end
                    colon = np.flatnonzero(a == 58)
                    if len(colon) and len(starts):
                        ends = np.flatnonzero(_isin(a, (32, 9, 10, 13, 47, 62)))
                        name_end = ends[np.searchsorted(ends, starts + 1)]
                        k = np.searchsorted(colon, starts + 1)
                        has = k < len(colon)
                        if (colon[np.minimum(k, len(colon) - 1)][has] < name_end[has]).any():
                            return None
                    if cells:
                        n_rows = _fast_cells(np, a, starts, out.extent)
                        if n_rows is None:
                            return None
                        out.rows += n_rows
                if per_row and read > XML_BASE_BYTES + XML_BYTES_PER_ROW * out.rows:
                    raise _too_large(*_rows_text(part, read, out.rows))
            if not chunk:
                break
    if carry.strip() or depth:
        return None
    return out


def _rows_text(part: str, read: int, rows: int) -> tuple[str, str]:
    return (f"part '{part}' holds over {_mb(read)} MB of XML for only {rows:,} rows",
            f"phần '{part}' chứa hơn {_mb(read)} MB XML cho chỉ {rows:,} dòng")


def _check_xlsx_extent(z: zipfile.ZipFile, part: str, sheet: str) -> int:
    """Refuse a worksheet whose cells span an absurd range or whose XML is far larger than
    its rows need; return how many cells hold something."""
    fast = _fast_scan(z, part, limit=MAX_XML_BYTES, cells=True, per_row=True)
    if fast is not None:
        try:
            fast.extent.check(sheet)
            return fast.extent.cells
        except _Unreadable:
            pass  # perhaps only empty formatted cells out there: the exact scan decides
    extent = _Extent()
    st = {"rows": 0, "row": 0, "col": 0, "crow": 0, "cell": False, "value": False}

    def on_start(name: str, attrs: dict[str, str]) -> None:
        if name == "row":
            st["rows"] += 1
            r = attrs.get("r") or ""
            st["row"] = int(r) if r.isdigit() and len(r) <= 8 else st["row"] + 1
            st["col"] = 0
        elif name == "c":
            m = _CELL_REF.fullmatch(attrs.get("r") or "")
            if m:
                st["col"], st["crow"] = _col_number(m.group(1)), int(m.group(2))
            else:
                st["col"], st["crow"] = st["col"] + 1, st["row"]
            st["cell"], st["value"] = True, False
        elif st["cell"] and name in ("v", "is", "f"):
            st["value"] = True

    def on_end(name: str) -> None:
        if name == "c":
            if st["value"]:
                extent.add(st["crow"], st["col"])
            st["cell"] = False

    budget, text = _rows_budget(part, lambda: st["rows"])
    _scan_xml(z, part, limit=MAX_XML_BYTES, budget=budget, budget_text=text,
              start=on_start, end=on_end)
    extent.check(sheet)
    return extent.cells


def _check_xlsx(z: zipfile.ZipFile, names: set[str], wanted: Callable[[str], bool]) -> None:
    parts = _xlsx_parts(z, names)
    cells = 0
    for sheet, part in parts.sheets.items():
        if wanted(sheet):
            cells += _check_xlsx_extent(z, part, sheet)
    if parts.shared_strings:
        sst = parts.shared_strings

        def sst_budget() -> int:
            return XML_BASE_BYTES + SST_BYTES_PER_CELL * cells

        def sst_text(read: int) -> tuple[str, str]:
            return (f"the shared strings hold over {_mb(read)} MB for {cells:,} cells",
                    f"bảng chuỗi dùng chung chứa hơn {_mb(read)} MB cho {cells:,} ô")

        fast = _fast_scan(z, sst, limit=MAX_SST_BYTES)
        if fast is None or z.getinfo(sst).file_size > sst_budget():
            _scan_xml(z, sst, limit=MAX_SST_BYTES, budget=sst_budget, budget_text=sst_text)
    if parts.styles and _fast_scan(z, parts.styles, limit=MAX_STYLES_BYTES) is None:
        _scan_xml(z, parts.styles, limit=MAX_STYLES_BYTES)


_ODS_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_ODS_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0}"


def _repeat(attrs: dict[str, str], key: str) -> int:
    raw = attrs.get(_ODS_TABLE + key) or "1"
    return min(int(raw), 10**9) if raw.isdigit() and len(raw) <= 10 else 1


def _scan_ods(z: zipfile.ZipFile) -> dict[str, _Extent]:
    """Table name -> used range of the cells holding something (repeats included)."""
    tables: dict[str, _Extent] = {}
    st: dict[str, Any] = {"rows": 0, "row": 0, "col": 0, "rrep": 1, "cell": None,
                          "table": None, "depth": 0}

    def on_start(name: str, attrs: dict[str, str]) -> None:
        if st["cell"] is not None:  # something inside a cell: it holds content
            st["cell"][2] = True
            return
        if name == "table":
            if len(tables) >= MAX_SHEETS:
                raise _too_large(f"the workbook has more than {MAX_SHEETS} sheets",
                                 f"tệp có hơn {MAX_SHEETS} trang tính")
            st["table"] = tables.setdefault(attrs.get(_ODS_TABLE + "name") or "", _Extent())
            st["row"] = 0
        elif name == "table-row":
            st["rows"] += 1
            st["col"], st["rrep"] = 0, _repeat(attrs, "number-rows-repeated")
        elif name in ("table-cell", "covered-table-cell"):
            filled = bool(attrs.get(_ODS_OFFICE + "value-type"))
            st["cell"] = [_repeat(attrs, "number-columns-repeated"), attrs, filled]

    def on_end(name: str) -> None:
        if name in ("table-cell", "covered-table-cell") and st["cell"] is not None:
            repeat, _attrs, filled = st["cell"]
            if filled and st["table"] is not None:
                st["table"].add(st["row"] + 1, st["col"] + 1, st["rrep"], repeat)
            st["col"] += repeat
            st["cell"] = None
        elif name == "table-row":
            st["row"] += st["rrep"]

    budget, text = _rows_budget("content.xml", lambda: st["rows"])
    _scan_xml(z, "content.xml", limit=MAX_XML_BYTES, budget=budget, budget_text=text,
              start=on_start, end=on_end)
    return tables


def _check_ods_extent(z: zipfile.ZipFile, wanted: set[str] | Callable[[str], bool]) -> None:
    """Refuse ODS tables whose non-empty cells span an absurd range (repeats included)."""
    names = _zip_names(z)
    if "content.xml" not in names:
        return
    want = wanted if callable(wanted) else wanted.__contains__
    for name, extent in _scan_ods(z).items():
        if want(name):
            extent.check(name)
    for part in ("styles.xml", "meta.xml", "settings.xml"):
        if part in names:
            _scan_xml(z, part, limit=MAX_STYLES_BYTES)


def _check_zip(z: zipfile.ZipFile, wanted: Callable[[str], bool]) -> None:
    names = _zip_names(z)
    if _find_part(names, "xl/workbook.xml"):
        _check_xlsx(z, names, wanted)
    elif "content.xml" in names:
        _check_ods_extent(z, wanted)
    else:  # .xlsb or something else calamine may open: no part may unpack to absurd sizes
        for info in z.infolist():
            if info.file_size > MAX_XML_BYTES:
                raise _too_large(f"part '{info.filename}' unpacks to "
                                 f"{_mb(info.file_size)} MB",
                                 f"phần '{info.filename}' khi giải nén là "
                                 f"{_mb(info.file_size)} MB")


def _read_workbook(data: bytes, path: Path, wanted: Callable[[str], bool]) -> list[_Table]:
    from python_calamine import CalamineWorkbook

    if data.startswith(_ZIP_MAGIC):
        try:
            z = zipfile.ZipFile(io.BytesIO(data))
        except zipfile.BadZipFile:
            raise _Unreadable("the file is damaged or is not really a workbook") from None
        with z:
            _check_zip(z, wanted)
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


def _sheet_for(name: str) -> Sheet | None:
    key = header_key(name)
    for sheet in SHEETS:
        if key in sheet.names():
            return sheet
    return None


def _load(path: Path, issues: _Issues) -> tuple[list[_Table], SourceFile | None]:
    """Read one input file; problems become issues, never exceptions."""
    suffix = path.suffix.lower()
    try:
        size = path.stat().st_size
        limit = MAX_CSV_BYTES if suffix in CSV_SUFFIXES else MAX_FILE_BYTES
        if size > limit:
            issues.add("file_too_large", path.name,
                       detail=f"{_mb(size)} MB (limit {_mb(limit)} MB)",
                       detail_vi=f"{_mb(size)} MB (giới hạn {_mb(limit)} MB)")
            return [], None
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
    unreadable = any(i.code in _UNREAD_CODES for i in issues.items)
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
