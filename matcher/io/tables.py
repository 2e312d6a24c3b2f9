"""File engines: the cells of every table of one workbook or CSV file.

:func:`load_tables` is the one way the project reads a spreadsheet: the roster reader
binds its tables to the schema (:mod:`matcher.io.reader`), the plan read-back takes its
Assignments sheet (:mod:`matcher.io.plan_reader`) and the checked copy of a roster
(:mod:`matcher.io.annotate`) copies their cells. Every zip workbook passes the guards of
:mod:`matcher.io.guards` before calamine opens it.

Reading engine. Workbooks (.xlsx/.xlsm/.xls/.xlsb/.ods) are read with python-calamine;
openpyxl stays the writer. Measured on a 20,000-row x 17-column Returnees sheet (best of
3, this project's dev machine, 2 cores): openpyxl ``load_workbook(read_only=True,
data_only=True)`` + ``iter_rows(values_only=True)`` 8.0 s; ``python_calamine.CalamineWorkbook``
+ ``to_python()`` 0.51 s; ``pandas.read_excel(engine="calamine")`` 0.69 s. Calamine reads
cached formula values (formula errors such as ``#DIV/0!`` come back empty) and reads .ods
itself: odfpy is not needed to read, only to write .ods (the tests do, through pandas).

CSV and tab-separated text files (.csv, .tsv, .txt) are decoded by
:func:`decode_text`: UTF-16 LE/BE with its byte-order mark (Excel's
"Unicode Text" save), UTF-8 with or without BOM, falling back to cp1258 then latin-1; the
delimiter (``,`` ``;`` or tab) is sniffed. A CSV table is titled by its file stem
(``returnees.csv``, ``nguoi tro ve.csv``, ``mentors.csv`` ...).
"""

from __future__ import annotations

import codecs
import csv
import io
import math
import os
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from python_calamine import CalamineWorkbook

from matcher.io.guards import (
    MAX_COLS,
    MAX_CSV_BYTES,
    MAX_FILE_BYTES,
    OLE_MAGIC,
    ZIP_MAGIC,
    Unreadable,
    check_zip,
    mb,
    too_large,
)

__all__ = ["CSV_SUFFIXES", "WORKBOOK_SUFFIXES", "Table", "Unreadable", "decode_text", "is_csv",
           "load_tables", "read_input"]

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")
CSV_SUFFIXES = (".csv", ".tsv", ".txt")

Rows = list[tuple[int, list[Any]]]  # (row number as a spreadsheet shows it, cells)


@dataclass
class Table:
    """One sheet (or CSV file) as read: its non-blank rows, each with the row number a
    spreadsheet program shows. Cells holding only white space are None, text is NFC."""

    name: str  # the sheet name as written; for a CSV, the file name
    rows: Rows = field(default_factory=list)  # blank rows dropped
    first_row: int = 1  # the top-left cell of the used range: cells[0] of each row
    first_col: int = 1  # sits in column first_col (1 = A)
    file: str = ""  # the name of the file it came from
    title: str = ""  # what names the table: the sheet name, or a CSV's file stem
    source: str = ""  # the input path it came from, where the caller knows it

    def __post_init__(self) -> None:
        self.title = self.title or self.name

    def grid(self) -> list[list[Any]]:
        """The rows from ``first_row`` to the last non-blank one, blank ones as ``[]``."""
        if not self.rows:
            return []
        by_number = dict(self.rows)
        return [by_number.get(n, []) for n in range(self.first_row, self.rows[-1][0] + 1)]


def _clean_cell(value: Any) -> Any:
    if isinstance(value, str):
        # NFC: cp1258 files and some Mac tools give decomposed Vietnamese letters
        return unicodedata.normalize("NFC", value) if value.strip() else None
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _rows_from(grid: Iterable[Sequence[Any]], first_row: int) -> Rows:
    rows = []
    for offset, raw in enumerate(grid):
        cells = [_clean_cell(v) for v in raw]
        if any(c is not None for c in cells):
            rows.append((first_row + offset, cells))
    return rows


# Byte-order marks of the Unicode text a spreadsheet program saves: Excel's "Unicode Text"
# (.txt, tab-separated) is UTF-16 LE with its mark. UTF-32 first: its LE mark starts with
# UTF-16 LE's.
_TEXT_BOMS = ((codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
              (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"),
              (codecs.BOM_UTF8, "utf-8"))


def decode_text(data: bytes) -> str:
    """The text of a CSV or tab-separated file, or :class:`Unreadable` for binary data.

    A file starting with a byte-order mark is decoded in that encoding (UTF-16 LE/BE,
    UTF-32, UTF-8); otherwise UTF-8, falling back to cp1258 (Vietnamese Windows) then
    latin-1. Binary data is told by a NUL character in the *decoded* text, so the zero
    bytes of UTF-16 letters never count as binary, while a zip, an image or a NUL padded
    file still does."""
    for bom, encoding in _TEXT_BOMS:
        if data.startswith(bom):
            try:
                text = data[len(bom):].decode(encoding)
            except UnicodeDecodeError:
                raise Unreadable(f"the text file is damaged (not valid {encoding.upper()})"
                                 ) from None
            break
    else:
        for encoding in ("utf-8", "cp1258"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            text = data.decode("latin-1")
    if "\x00" in text:
        raise Unreadable("the file holds binary data, not text")
    return text


def _read_csv(data: bytes, path: Path) -> Table:
    text = decode_text(data)
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
                raise too_large(f"line {reader.line_num} of the CSV has {len(row):,} columns "
                                f"(limit {MAX_COLS:,})",
                                f"dòng {reader.line_num} của tệp CSV có {len(row):,} cột "
                                f"(giới hạn {MAX_COLS:,})")
            grid.append(row)
    except csv.Error as exc:
        if "field limit" in str(exc):
            raise too_large(f"line {reader.line_num} of the CSV holds a value longer than "
                            f"{csv.field_size_limit():,} characters (a quote never closed?)",
                            f"dòng {reader.line_num} của tệp CSV có một giá trị dài hơn "
                            f"{csv.field_size_limit():,} ký tự (thiếu dấu ngoặc kép đóng?)"
                            ) from None
        raise Unreadable(f"CSV: {exc}") from None
    return Table(path.name, _rows_from(grid, 1), file=path.name, title=path.stem)


def _read_workbook(data: bytes, file: str, wanted: Callable[[str], bool]) -> list[Table]:
    if data.startswith(ZIP_MAGIC):
        try:
            z = zipfile.ZipFile(io.BytesIO(data))
        except zipfile.BadZipFile:
            raise Unreadable("the file is damaged or is not really a workbook") from None
        with z:
            check_zip(z, wanted)
    elif not data.startswith(OLE_MAGIC):
        raise Unreadable("it is not an Excel or OpenDocument workbook")
    workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
    tables = []
    try:
        for name in workbook.sheet_names:
            if not wanted(name):
                continue
            sheet = workbook.get_sheet_by_name(name)
            start = sheet.start
            grid = sheet.to_python(skip_empty_area=True)
            first_row, first_col = (start[0] + 1, start[1] + 1) if start else (1, 1)
            tables.append(Table(name, _rows_from(grid, first_row), first_row, first_col,
                                file=file))
    finally:
        workbook.close()
    return tables


def is_csv(name: str, data: bytes) -> bool:
    """Whether a file is read as CSV: by its suffix, or, with none the engines know, by
    not starting like a zip or OLE workbook."""
    suffix = Path(name).suffix.lower()
    return suffix in CSV_SUFFIXES or (
        suffix not in WORKBOOK_SUFFIXES and not data.startswith((ZIP_MAGIC, OLE_MAGIC)))


def read_input(path: str | os.PathLike[str]) -> bytes:
    """The bytes of an input file; :class:`Unreadable` (``file_too_large``) over the size
    limit of its kind, OSError when it cannot be opened."""
    path = Path(path)
    size = path.stat().st_size
    limit = MAX_CSV_BYTES if path.suffix.lower() in CSV_SUFFIXES else MAX_FILE_BYTES
    if size > limit:
        raise too_large(f"{mb(size)} MB (limit {mb(limit)} MB)",
                        f"{mb(size)} MB (giới hạn {mb(limit)} MB)")
    return path.read_bytes()


def load_tables(source: str | os.PathLike[str] | bytes, *, name: str = "",
                wanted: Callable[[str], bool] | None = None) -> list[Table]:
    """The tables of one workbook or CSV file: every one, or those whose title ``wanted``
    accepts (a workbook's guards then look only at those sheets).

    ``source`` is a path (read within :func:`read_input`'s size limit) or the file's bytes,
    with ``name`` its file name (whose suffix tells a CSV file). Raises
    :class:`~matcher.io.guards.Unreadable` for a file that cannot or may not be read (its
    ``code`` and ``params`` make the issue), OSError for one that cannot be opened, and
    whatever calamine raises for a workbook it cannot parse."""
    if isinstance(source, bytes):
        data, file, where = source, name, ""
    else:
        data, file, where = read_input(source), name or Path(source).name, str(source)
    want = wanted if wanted is not None else (lambda _title: True)
    if is_csv(file, data):
        table = _read_csv(data, Path(file))
        tables = [table] if want(table.title) else []
    else:
        tables = _read_workbook(data, file, want)
    for table in tables:
        table.source = where
    return tables
