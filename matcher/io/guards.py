"""Guards: what a file from outside may make the reader (and calamine) do.

Calamine builds a dense grid of a sheet's used range, and a failed allocation aborts the
process (it is Rust, not a ``MemoryError``), so before a zip workbook is handed to calamine
every XML part it will parse is checked here. Each part is streamed through expat first, in
chunks, with no DTD and no entities (so no entity expansion, external entities or billion
laughs), a nesting limit and a byte budget; attributes are read by the parser, so any
quoting and any namespace prefix count. Parts that look like what spreadsheet programs
write take a quick byte scan with numpy instead (:func:`_fast_scan`), which decides only
when the bytes are plain enough for its counts to be exact.

A sheet's used range is computed from its cells (a ``<dimension>`` may lie and is
ignored); absurd ranges (one stray cell at XFD1048576, however its attributes are quoted
or prefixed) raise :class:`Unreadable` with code ``sheettoo_large``, oversized or
bomb-like parts with ``filetoo_large``. The uncompressed XML of a sheet may hold
XML_BASE_BYTES plus XML_BYTES_PER_ROW per row it really has (a generated city sheet holds
about 800 bytes a row, a national one 80 MB for 150,000 rows), the shared strings
XML_BASE_BYTES plus SST_BYTES_PER_CELL per cell of the roster sheets. Whatever passes
these can still be read only within the memory and time limits of the process that reads
it (:mod:`matcher.io.sandbox`).
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from xml.parsers import expat

import numpy as np

__all__ = ["MAX_COLS", "MAX_CSV_BYTES", "MAX_FILE_BYTES", "OLE_MAGIC", "ZIP_MAGIC",
           "Unreadable", "check_zip", "mb", "too_large"]

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
MAX_CELLS = 20_000_000  # dense grid calamine may allocate for one sheet
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


class Unreadable(Exception):
    """A file (or sheet) that cannot be read; the message is the issue's detail."""

    def __init__(self, detail: str, code: str = "unreadable_file", **params: Any):
        super().__init__(detail)
        self.detail = detail
        self.code = code
        self.params = params


def too_large(detail: str, detail_vi: str) -> Unreadable:
    """A ``file_too_large`` refusal, its detail in English and Vietnamese."""
    exc = Unreadable(detail, code="file_too_large")
    exc.params = {"detail": detail, "detail_vi": detail_vi}
    return exc


def mb(n: int) -> str:
    """A byte count in megabytes, as the messages show it."""
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
    prefixes resolved to ``uri}name``). Raises Unreadable when the part is over ``limit``
    bytes (declared or read), over ``budget()`` bytes at any chunk, nested deeper than
    MAX_XML_DEPTH, has a DTD or entity declarations, or is not well-formed."""
    info = z.getinfo(part)
    if info.file_size > limit:
        raise too_large(f"part '{part}' unpacks to {mb(info.file_size)} MB "
                        f"(limit {mb(limit)} MB)",
                        f"phần '{part}' khi giải nén là {mb(info.file_size)} MB "
                        f"(giới hạn {mb(limit)} MB)")
    parser = expat.ParserCreate(namespace_separator="}")
    depth = 0

    def forbid(*_args: Any) -> None:
        raise Unreadable(f"XML declarations in '{part}'", code="unsafe_xml", part=part)

    def on_start(name: str, attrs: dict[str, str]) -> None:
        nonlocal depth
        depth += 1
        if depth > MAX_XML_DEPTH:
            raise too_large(f"the XML of '{part}' is nested more than {MAX_XML_DEPTH} deep",
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
                    raise too_large(f"part '{part}' unpacks to more than {mb(limit)} MB",
                                    f"phần '{part}' khi giải nén lớn hơn {mb(limit)} MB")
                if budget is not None and read > budget():
                    en, vi = budget_text(read) if budget_text else ("", "")
                    raise too_large(en, vi)
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except expat.ExpatError as exc:
        raise Unreadable(f"the XML of '{part}' is damaged "
                         f"({expat.ErrorString(exc.code)}, line {exc.lineno})") from None
    return read


def _zip_names(z: zipfile.ZipFile) -> set[str]:
    infos = z.infolist()
    if len(infos) > MAX_ZIP_MEMBERS:
        raise too_large(f"the workbook holds {len(infos):,} parts",
                        f"tệp chứa {len(infos):,} phần")
    names = [i.filename for i in infos]
    if len(set(names)) != len(names):  # two parts of one name: which one a reader takes varies
        raise Unreadable("the file is damaged (two parts have the same name)")
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
            raise too_large(f"the workbook has more than {MAX_SHEETS} sheets",
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
            raise Unreadable("sheet too large", code="sheet_too_large", rows=rows, cols=cols,
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


def _fast_cells(a: Any, starts: Any, ext: _Extent) -> int | None:
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
    ``<!`` (so no DTD, entity declaration, comment or CDATA), no character reference
    inside a tag (in text, where writers put accented letters as ``&#7877;``, it stands
    for characters of the text only, never markup), a
    processing instruction only at the start, exactly one ``>`` per ``<`` (so no ``>`` in
    text or attribute values: each tag ends at the first ``>``), no namespace prefix on a
    tag name, and (``cells``) every cell tag starting ``<c r="A1"`` with no other ``r``
    attribute anywhere but on rows. Then the nesting depth is exact (start tags +1, end tags
    -1, self-closing 0) and the cell references are exactly those calamine reads. Anything
    else returns None and :func:`_scan_xml` reads the part with expat instead. Raises
    Unreadable for what is refused either way (size, row budget, depth)."""
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
                if b"<!" in piece:
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
                    if b"&#" in piece:  # character references in text only, none in a tag
                        amp = np.flatnonzero((a[:-1] == 38) & (a[1:] == 35))
                        k = np.searchsorted(lt, amp, side="right") - 1
                        if ((k >= 0) & (gt[np.maximum(k, 0)] > amp)).any():
                            return None
                    nxt = a[lt + 1]
                    prv = a[gt - 1]
                    delta = np.where(nxt == 47, -1, np.where((prv == 47) | (nxt == 63), 0, 1))
                    path = np.cumsum(delta) + depth
                    if path.min() < 0:
                        return None
                    if path.max() > MAX_XML_DEPTH:
                        raise too_large(
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
                        n_rows = _fast_cells(a, starts, out.extent)
                        if n_rows is None:
                            return None
                        out.rows += n_rows
                if per_row and read > XML_BASE_BYTES + XML_BYTES_PER_ROW * out.rows:
                    raise too_large(*_rows_text(part, read, out.rows))
            if not chunk:
                break
    if carry.strip() or depth:
        return None
    return out


def _rows_text(part: str, read: int, rows: int) -> tuple[str, str]:
    return (f"part '{part}' holds over {mb(read)} MB of XML for only {rows:,} rows",
            f"phần '{part}' chứa hơn {mb(read)} MB XML cho chỉ {rows:,} dòng")


def _check_xlsx_extent(z: zipfile.ZipFile, part: str, sheet: str) -> int:
    """Refuse a worksheet whose cells span an absurd range or whose XML is far larger than
    its rows need; return how many cells hold something."""
    fast = _fast_scan(z, part, limit=MAX_XML_BYTES, cells=True, per_row=True)
    if fast is not None:
        try:
            fast.extent.check(sheet)
            return fast.extent.cells
        except Unreadable:
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
            return (f"the shared strings hold over {mb(read)} MB for {cells:,} cells",
                    f"bảng chuỗi dùng chung chứa hơn {mb(read)} MB cho {cells:,} ô")

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
                raise too_large(f"the workbook has more than {MAX_SHEETS} sheets",
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


def check_zip(z: zipfile.ZipFile, wanted: Callable[[str], bool]) -> None:
    """Raise :class:`Unreadable` for a zip workbook (xlsx, ods, anything else calamine may
    open) that would make calamine read or allocate absurd amounts for the sheets
    ``wanted`` picks; return when it may be handed to calamine."""
    names = _zip_names(z)
    if _find_part(names, "xl/workbook.xml"):
        _check_xlsx(z, names, wanted)
    elif "content.xml" in names:
        _check_ods_extent(z, wanted)
    else:  # .xlsb or something else calamine may open: no part may unpack to absurd sizes
        for info in z.infolist():
            if info.file_size > MAX_XML_BYTES:
                raise too_large(f"part '{info.filename}' unpacks to "
                                f"{mb(info.file_size)} MB",
                                f"phần '{info.filename}' khi giải nén là "
                                f"{mb(info.file_size)} MB")

