"""Hostile files (issue 16): each gets a clear Vietnamese/English message within the limits.

The corpus is built here, not committed: the sample roster with one stray single-quoted
cell at XFD1048576, a sheet that unpacks to 1.2 GB (written in about a second: the
repeated part is deflated once and its bytes repeated, see :func:`_repeating_member`),
zip bombs in the shared strings and the styles, a billion-laughs DTD, a lying
``<dimension>`` with namespace-prefixed tags, thousands of sheets, deeply nested XML, and
the .ods and .csv equivalents. Every one is read through
:func:`matcher.io.sandbox.read_roster_bounded` (the path the CLI and the web app take).
"""

from __future__ import annotations

import re
import time
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from unittest import mock

import pytest

from matcher.errors import RosterError
from matcher.io import guards, reader
from matcher.io.sandbox import LimitExceeded, read_roster_bounded, run_bounded

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample" / "roster.xlsx"
SHEET1 = "xl/worksheets/sheet1.xml"  # the sample's Returnees sheet
GB12 = 1_200_000_000
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


# --- building the corpus --------------------------------------------------------------

class _RepeatingDeflate:
    """A compressor for zipfile that deflates ``chunk`` once and repeats its bytes: after a
    full flush deflate output does not depend on what came before, so the same input gives
    the same bytes."""

    def __init__(self, chunk: bytes):
        self._z = zlib.compressobj(9, zlib.DEFLATED, -15)
        self._chunk = chunk
        self._block: bytes | None = None

    def compress(self, data: bytes) -> bytes:
        if data is self._chunk:
            if self._block is None:
                self._block = self._z.compress(data) + self._z.flush(zlib.Z_FULL_FLUSH)
            return self._block
        return self._z.compress(data) + self._z.flush(zlib.Z_FULL_FLUSH)

    def flush(self) -> bytes:
        return self._z.flush()


def _write_repeated(zf: zipfile.ZipFile, name: str, head: bytes, chunk: bytes, total: int,
                    tail: bytes) -> None:
    info = zipfile.ZipInfo(name, (2026, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    with mock.patch.object(zipfile, "_get_compressor",
                           lambda *_a, **_k: _RepeatingDeflate(chunk)), \
            zf.open(info, "w", force_zip64=True) as fh:
        fh.write(head)
        for _ in range(max(1, (total - len(head) - len(tail)) // len(chunk))):
            fh.write(chunk)
        fh.write(tail)


def rewrite(src: Path, out: Path, change: dict[str, bytes | Callable[[bytes], bytes] | None],
            *, big: dict[str, tuple[bytes, bytes, int, bytes]] | None = None) -> Path:
    """A copy of the workbook ``src`` with parts replaced (bytes), edited (a function),
    dropped (None) or added, and ``big`` parts written as head + chunk repeated to about
    the given size + tail."""
    big = big or {}
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        names = zin.namelist()
        for name in names:
            if name in big:
                continue
            action = change.get(name, b"")
            if action is None:
                continue
            data = zin.read(name)
            if callable(action):
                data = action(data)
            elif action:
                data = action
            zout.writestr(name, data)
        for name, data in change.items():
            if name not in names and isinstance(data, bytes):
                zout.writestr(name, data)
        for name, (head, chunk, total, tail) in big.items():
            _write_repeated(zout, name, head, chunk, total, tail)
    return out


def stray_cell_xlsx(path: Path) -> Path:
    """Issue 16, point 1: the sample with one value at XFD1048576, attributes in single
    quotes (39 KB; calamine would allocate 512 GB for it)."""
    return rewrite(SAMPLE, path, {SHEET1: lambda d: d.replace(
        b"</sheetData>",
        b"<row r='1048576'><c r='XFD1048576' t='n'><v>1</v></c></row></sheetData>")})


def _sheet_head() -> bytes:
    with zipfile.ZipFile(SAMPLE) as z:
        data = z.read(SHEET1)
    return data[:data.index(b"</sheetData>")]


def bomb_xlsx(path: Path, size: int = GB12) -> Path:
    """Issue 16, point 2: the sample whose Returnees sheet unpacks to ``size`` bytes of
    repeated rows (about 4 MB on disk)."""
    row = (b"<row><c t=\"inlineStr\"><is><t>" + b"x" * 64 + b"</t></is></c>"
           b"<c t=\"n\"><v>1</v></c></row>")
    return rewrite(SAMPLE, path, {}, big={
        SHEET1: (_sheet_head(), row * 8000, size, b"</sheetData></worksheet>")})


def padded_xlsx(path: Path) -> Path:
    """Under the part cap but far larger than its rows need: 300 MB of blanks in one sheet."""
    return rewrite(SAMPLE, path, {}, big={
        SHEET1: (_sheet_head(), b" " * 2**20, 300 * 2**20, b"</sheetData></worksheet>")})


def shared_strings_bomb(path: Path, size: int = GB12) -> Path:
    head = f'<sst xmlns="{MAIN_NS}">'.encode()
    return rewrite(SAMPLE, path, {}, big={
        "xl/sharedStrings.xml": (head, (b"<si><t>" + b"a" * 120 + b"</t></si>") * 4000,
                                 size, b"</sst>")})


def shared_strings_small_bomb(path: Path) -> Path:
    """Under the shared strings cap (100 MB) but far more than the roster's cells need."""
    head = f'<sst xmlns="{MAIN_NS}">'.encode()
    return rewrite(SAMPLE, path, {}, big={
        "xl/sharedStrings.xml": (head, (b"<si><t>" + b"a" * 120 + b"</t></si>") * 4000,
                                 100 * 2**20, b"</sst>")})


def styles_bomb(path: Path) -> Path:
    head = f'<styleSheet xmlns="{MAIN_NS}"><numFmts>'.encode()
    chunk = b'<numFmt numFmtId="164" formatCode="0.00"/>' * 20000
    return rewrite(SAMPLE, path, {}, big={
        "xl/styles.xml": (head, chunk, GB12, b"</numFmts></styleSheet>")})


BILLION_LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                  + b"".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">'.encode()
                             for i in range(1, 10))
                  + b"]>")


def billion_laughs_xlsx(path: Path) -> Path:
    def edit(data: bytes) -> bytes:
        body = re.sub(rb"^<\?xml[^>]*\?>", b"", data)
        return BILLION_LAUGHS + body.replace(
            b"</sheetData>", b"<row r='999'><c r='A999' t='inlineStr'><is><t>&lol9;</t></is>"
                             b"</c></row></sheetData>")
    return rewrite(SAMPLE, path, {SHEET1: edit})


def lying_dimension_xlsx(path: Path) -> Path:
    """Namespace-prefixed tags (x:), a <dimension> that claims A1:R121, and a stray value
    at XFD1048576 whose reference is written with a character reference (&#88; = X)."""
    def edit(data: bytes) -> bytes:
        data = re.sub(rb"<(/?)(?=[A-Za-z])", rb"<\1x:", data)
        data = data.replace(b'<x:worksheet xmlns="', b'<x:worksheet xmlns:x="')
        data = data.replace(b"<x:sheetViews>", b'<x:dimension ref="A1:R121"/><x:sheetViews>')
        return data.replace(b"</x:sheetData>",
                            b'<x:row r="1048576"><x:c r="&#88;FD1048576"><x:v>1</x:v></x:c>'
                            b"</x:row></x:sheetData>")
    return rewrite(SAMPLE, path, {SHEET1: edit})


def many_sheets_xlsx(path: Path, n: int = 3000) -> Path:
    def edit(data: bytes) -> bytes:
        # each sheet declares the relationships namespace itself, as openpyxl writes them:
        # the file must stay well-formed XML so the guard, not the parser, refuses it
        ns = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
        extra = b"".join(f'<sheet {ns} name="Extra {i}" sheetId="{100 + i}" r:id="rIdX{i}"/>'
                         .encode() for i in range(n))
        return data.replace(b"</sheets>", extra + b"</sheets>")
    return rewrite(SAMPLE, path, {"xl/workbook.xml": edit})


def deeply_nested_xlsx(path: Path, depth: int = 100_000) -> Path:
    return rewrite(SAMPLE, path, {SHEET1: lambda d: d.replace(
        b"</sheetData>", b"<row r='500'><c r='A500' t='inlineStr'><is><t>"
        + b"<t>" * depth + b"</t>" * depth + b"</t></is></c></row></sheetData>")})


ODS_NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
          'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
          'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"')


def _ods(path: Path, content: bytes | None = None,
         big: tuple[bytes, bytes, int, bytes] | None = None) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("META-INF/manifest.xml", '<?xml version="1.0"?><manifest:manifest xmlns:'
                   'manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"/>')
        if content is not None:
            z.writestr("content.xml", content)
        if big is not None:
            _write_repeated(z, "content.xml", *big)
    return path


def _ods_body(rows: str) -> bytes:
    return (f'<?xml version="1.0"?><office:document-content {ODS_NS}><office:body>'
            f'<office:spreadsheet><table:table table:name="Returnees">{rows}</table:table>'
            f"</office:spreadsheet></office:body></office:document-content>").encode()


HEADER_ODS = ('<table:table-row>' + "".join(
    f'<table:table-cell office:value-type="string"><text:p>{h}</text:p></table:table-cell>'
    for h in ("id", "full_name", "ward")) + "</table:table-row>")


def ods_stray(path: Path) -> Path:
    """A value repeated over 16,384 columns of a row repeated a million times (prefix 't:'
    for the table namespace)."""
    body = _ods_body(HEADER_ODS + '<table:table-row table:number-rows-repeated="1048000">'
                     '<table:table-cell office:value-type="float" office:value="1" '
                     'table:number-columns-repeated="16384"/></table:table-row>')
    body = re.sub(rb"(</?| )table:", rb"\1t:", body).replace(b"xmlns:table=", b"xmlns:t=")
    return _ods(path, body)


def ods_bomb(path: Path) -> Path:
    head = _ods_body(HEADER_ODS).split(b"</table:table>")[0]
    row = (b'<table:table-row><table:table-cell office:value-type="string"><text:p>'
           + b"y" * 64 + b"</text:p></table:table-cell></table:table-row>")
    return _ods(path, big=(head, row * 8000, GB12,
                           b"</table:table></office:spreadsheet></office:body>"
                           b"</office:document-content>"))


def ods_billion_laughs(path: Path) -> Path:
    body = re.sub(rb"^<\?xml[^>]*\?>", b"", _ods_body(
        HEADER_ODS + '<table:table-row><table:table-cell office:value-type="string">'
        "<text:p>&lol9;</text:p></table:table-cell></table:table-row>"))
    return _ods(path, BILLION_LAUGHS + body)


def csv_huge_line(path: Path) -> Path:
    path.write_bytes(b"id,full_name,ward\nR1,\"" + b"a" * (8 * 2**20) + b"\n")
    return path


def csv_binary(path: Path) -> Path:
    path.write_bytes(b"id,full_name,ward\nR1,An,Phuong Ham Rong\n" + b"\x00\x01\xff" * 4000)
    return path


def csv_wide(path: Path) -> Path:
    path.write_bytes(b"id,full_name,ward\n" + b"," * 50_000 + b"\n")
    return path


# name -> (builder, file name, expected issue code)
CORPUS: dict[str, tuple[Callable[[Path], Path], str, str]] = {
    "stray_cell_single_quotes": (stray_cell_xlsx, "stray.xlsx", "sheet_too_large"),
    "sheet_bomb_1_2_gb": (bomb_xlsx, "bomb.xlsx", "file_too_large"),
    "sheet_padded_300_mb": (padded_xlsx, "padded.xlsx", "file_too_large"),
    "shared_strings_bomb": (shared_strings_bomb, "sst.xlsx", "file_too_large"),
    "shared_strings_over_budget": (shared_strings_small_bomb, "sst-small.xlsx",
                                   "file_too_large"),
    "styles_bomb": (styles_bomb, "styles.xlsx", "file_too_large"),
    "billion_laughs": (billion_laughs_xlsx, "laughs.xlsx", "unsafe_xml"),
    "lying_dimension_prefixed": (lying_dimension_xlsx, "dimension.xlsx", "sheet_too_large"),
    "thousands_of_sheets": (many_sheets_xlsx, "sheets.xlsx", "file_too_large"),
    "deeply_nested": (deeply_nested_xlsx, "nested.xlsx", "file_too_large"),
    "ods_stray_repeats": (ods_stray, "stray.ods", "sheet_too_large"),
    "ods_bomb": (ods_bomb, "bomb.ods", "file_too_large"),
    "ods_billion_laughs": (ods_billion_laughs, "laughs.ods", "unsafe_xml"),
    "csv_huge_line": (csv_huge_line, "returnees.csv", "file_too_large"),
    "csv_binary": (csv_binary, "returnees.csv", "unreadable_file"),
    "csv_wide": (csv_wide, "returnees.csv", "file_too_large"),
}


@pytest.fixture(scope="session")
def corpus(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("hostile")
    out = {}
    for name, (build, file_name, _code) in CORPUS.items():
        (folder / name).mkdir()
        out[name] = build(folder / name / file_name)
    return out


# --- the tests ------------------------------------------------------------------------

def test_corpus_files_are_small_and_what_they_claim(corpus):
    assert corpus["stray_cell_single_quotes"].stat().st_size < 60_000
    bomb = corpus["sheet_bomb_1_2_gb"]
    assert bomb.stat().st_size < 20 * 2**20  # fits the web upload limit
    with zipfile.ZipFile(bomb) as z:
        info = z.getinfo(SHEET1)
        assert info.file_size >= GB12 * 0.99
        with z.open(info) as fh:  # a real deflate stream of the repeated rows
            head = fh.read(2**20)
            fh.seek(info.file_size - 2**20)
            tail = fh.read()
        assert head.startswith(b"<worksheet") and tail.endswith(b"</sheetData></worksheet>")


@pytest.mark.parametrize("name", list(CORPUS))
def test_each_hostile_file_gets_a_clear_message_within_the_limits(corpus, name):
    _build, file_name, code = CORPUS[name]
    started = time.monotonic()
    with pytest.raises(RosterError) as info:
        read_roster_bounded(corpus[name], mem_mb=1024, seconds=60)
    seconds = time.monotonic() - started
    issues = info.value.issues
    assert [i.code for i in issues if i.severity == "error"] == [code], \
        [i.format() for i in issues]
    issue = issues[0]
    assert issue.sheet == file_name  # says which file
    vi, en = issue.message("vi"), issue.message("en")
    assert vi != en and "{" not in vi + en and "Traceback" not in vi + en
    assert seconds < 30, seconds


def test_real_rosters_pass_the_guards_unchanged(tmp_path):
    roster = read_roster_bounded(SAMPLE)
    assert roster == reader.read_roster(SAMPLE)
    assert len(roster.returnees) == 120


def test_single_quotes_and_prefixes_are_read_like_double_quotes(tmp_path):
    """The exact (expat) scan and the quick byte scan agree on the used range."""
    path = rewrite(SAMPLE, tmp_path / "q.xlsx", {SHEET1: lambda d: d.replace(b'"', b"'")})
    with zipfile.ZipFile(path) as z:
        assert guards._check_xlsx_extent(z, SHEET1, "R") == guards._check_xlsx_extent(
            zipfile.ZipFile(SAMPLE), SHEET1, "R")
    assert len(read_roster_bounded(path).returnees) == 120


def test_character_references_take_the_quick_scan_only_in_text(tmp_path):
    """Accented letters written as character references (as openpyxl writes them) leave
    the quick scan exact: it takes the part. A character reference inside a tag (a cell
    reference written &#88;FD1048576) sends the part to expat, which refuses the cell."""
    def accented(data: bytes) -> bytes:
        return data.replace(b"</sheetData>", b"<row r='500'><c r='A500' t='inlineStr'><is>"
                            b"<t>Nguy&#7877;n &#60;x&#62;</t></is></c></row></sheetData>")

    path = rewrite(SAMPLE, tmp_path / "refs.xlsx", {SHEET1: accented})
    with zipfile.ZipFile(path) as z:
        fast = guards._fast_scan(z, SHEET1, limit=guards.MAX_XML_BYTES, cells=True)
        assert fast is not None and fast.extent.rmax == 500
    stray = rewrite(SAMPLE, tmp_path / "stray-ref.xlsx", {SHEET1: lambda d: d.replace(
        b"</sheetData>", b'<row r="1048576"><c r="&#88;FD1048576"><v>1</v></c></row>'
                         b"</sheetData>")})
    with zipfile.ZipFile(stray) as z:
        assert guards._fast_scan(z, SHEET1, limit=guards.MAX_XML_BYTES, cells=True) is None
    with pytest.raises(RosterError) as info:
        read_roster_bounded(stray, mem_mb=1024, seconds=60)
    assert [i.code for i in info.value.issues if i.severity == "error"] == ["sheet_too_large"]


def test_limits_stop_a_reader_that_would_take_the_process_down(tmp_path):
    """Bypassing the guards, calamine aborts on the stray cell: the child dies, the caller
    gets a read_limit issue; memory and time limits work the same way."""
    stray = stray_cell_xlsx(tmp_path / "stray.xlsx")
    with pytest.raises(LimitExceeded) as info:
        run_bounded(_calamine_reads, str(stray), mem_mb=512, seconds=30)
    assert info.value.kind == "memory"
    issue = info.value.issue("stray.xlsx")
    assert issue.code == "read_limit" and "512" in issue.message("vi")
    with pytest.raises(LimitExceeded) as info:
        run_bounded(_allocate, 2 * 2**30, mem_mb=256, seconds=30)
    assert info.value.kind == "memory"
    started = time.monotonic()
    with pytest.raises(LimitExceeded) as info:
        run_bounded(time.sleep, 30, mem_mb=256, seconds=1)
    assert info.value.kind == "time" and time.monotonic() - started < 10


def _calamine_reads(path: str) -> None:
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(path)
    book.get_sheet_by_name(book.sheet_names[0]).to_python()


def _allocate(n: int) -> int:
    return len(bytearray(n))
