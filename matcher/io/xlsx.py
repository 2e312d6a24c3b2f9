"""A small, fast writer of Office Open XML workbooks (.xlsx) for the plan workbook.

It writes only what the plan workbook uses: text, number, boolean and date cells with a
handful of cell styles, column widths, row heights, a frozen header row, an autofilter,
print titles, a print area, page setup (paper, orientation, fit to width or a scale),
print gridlines, margins, header and footer, and manual page breaks. Text is always a
shared-string cell: nothing written here is ever a formula.

Why not a general library: a city plan has about 85,000 cells, and a general writer
spends some 15 microseconds per cell on checks and per-cell objects; here each row is
one string join (about 1 microsecond per cell), so the city workbook is written in a
fraction of the time. Files are checked in the tests by reading them back with openpyxl
and the roster reader, and converted with LibreOffice in the printing tests.
"""

from __future__ import annotations

import datetime as dt
import math
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MAX_ROWS = 1_048_576
MAX_COLS = 16_384
_EPOCH = dt.datetime(1899, 12, 30)
_EPOCH_DATE = _EPOCH.date()


def col_letter(i: int) -> str:
    """Spreadsheet column letters of a 0-based column index (0 -> A, 26 -> AA)."""
    out = ""
    i += 1
    while i:
        i, rem = divmod(i - 1, 26)
        out = chr(65 + rem) + out
    return out


def escape(text: str) -> str:
    """XML text escaping (ampersand, angle brackets; carriage returns kept as a
    character reference, which XML would otherwise turn into line feeds)."""
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    if "\r" in text:
        text = text.replace("\r", "&#13;")
    return text


def _attr(text: str) -> str:
    return escape(text).replace('"', "&quot;").replace("\n", "&#10;").replace("\t", "&#9;")


def date_serial(value: dt.date | dt.datetime) -> float | int:
    """Excel's serial number of a date (1900 date system, timezone dropped)."""
    if isinstance(value, dt.datetime):
        delta = value.replace(tzinfo=None) - _EPOCH
        return delta.days + delta.seconds / 86400 + delta.microseconds / 86400e6
    return (value - _EPOCH_DATE).days


def column_width(width: float) -> float:
    """The width stored for a column ``width`` characters wide: Excel stores the
    character width of the column's pixel width, which includes 5 pixels of padding
    (Calibri 11: 7 pixels per digit)."""
    if width <= 0:
        return 0.0
    pixels = int(width * 12 + 0.5) if width < 1 else int(width * 7 + 0.5) + 5
    return (pixels * 256 // 7) / 256.0


@dataclass(frozen=True)
class Style:
    """One cell style. ``num`` is a number format code (None for General)."""
    num: str | None = None
    bold: bool = False
    size: float = 11
    wrap: bool = False
    top: bool = False
    border_color: str | None = None  # thin border on all four sides, "#RRGGBB"
    fill: str | None = None  # solid background, "#RRGGBB"
    quote: bool = False  # the "quote prefix": retyping the cell keeps it text


def _argb(color: str) -> str:
    return "FF" + color.lstrip("#").upper()


class _Styles:
    def __init__(self, font: str) -> None:
        self.font = font
        self.xfs: dict[Style, int] = {Style(): 0}
        self.fonts: dict[tuple, int] = {(False, 11.0): 0}
        self.fills: dict[str | None, int] = {None: 0, "gray125": 1}
        self.borders: dict[str | None, int] = {None: 0}
        self.nums: dict[str, int] = {}

    def index(self, style: Style) -> int:
        i = self.xfs.get(style)
        if i is None:
            i = self.xfs[style] = len(self.xfs)
            self.fonts.setdefault((style.bold, float(style.size)), len(self.fonts))
            self.fills.setdefault(style.fill, len(self.fills))
            self.borders.setdefault(style.border_color, len(self.borders))
            if style.num:
                self.nums.setdefault(style.num, 164 + len(self.nums))
        return i

    def xml(self) -> str:
        out = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
               '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">']
        if self.nums:
            out.append(f'<numFmts count="{len(self.nums)}">')
            out += [f'<numFmt numFmtId="{i}" formatCode="{_attr(code)}"/>'
                    for code, i in self.nums.items()]
            out.append("</numFmts>")
        out.append(f'<fonts count="{len(self.fonts)}">')
        # the theme's minor font (scheme) is Calibri: another font is named without it,
        # and a serif font as family 1 (roman)
        family = "1" if "Times" in self.font or "Serif" in self.font else "2"
        scheme = '<scheme val="minor"/>' if self.font == "Calibri" else ""
        for bold, size in self.fonts:
            out.append(f'<font>{"<b/>" if bold else ""}<sz val="{size:g}"/>'
                       f'<name val="{_attr(self.font)}"/><family val="{family}"/>'
                       f'{scheme}</font>')
        out.append(f'</fonts><fills count="{len(self.fills)}">')
        for fill in self.fills:
            if fill is None:
                out.append('<fill><patternFill patternType="none"/></fill>')
            elif fill == "gray125":
                out.append('<fill><patternFill patternType="gray125"/></fill>')
            else:
                out.append(f'<fill><patternFill patternType="solid"><fgColor rgb="{_argb(fill)}"/>'
                           f'<bgColor indexed="64"/></patternFill></fill>')
        out.append(f'</fills><borders count="{len(self.borders)}">')
        for color in self.borders:
            if color is None:
                out.append("<border><left/><right/><top/><bottom/><diagonal/></border>")
            else:
                side = f'style="thin"><color rgb="{_argb(color)}"/>'
                out.append(f"<border><left {side}</left><right {side}</right>"
                           f"<top {side}</top><bottom {side}</bottom><diagonal/></border>")
        out.append('</borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" '
                   f'borderId="0"/></cellStyleXfs><cellXfs count="{len(self.xfs)}">')
        for s in self.xfs:
            num = self.nums[s.num] if s.num else 0
            attrs = (f'numFmtId="{num}" fontId="{self.fonts[(s.bold, float(s.size))]}" '
                     f'fillId="{self.fills[s.fill]}" borderId="{self.borders[s.border_color]}" '
                     'xfId="0"')
            if num:
                attrs += ' applyNumberFormat="1"'
            if s.bold or s.size != 11:
                attrs += ' applyFont="1"'
            if s.fill:
                attrs += ' applyFill="1"'
            if s.border_color:
                attrs += ' applyBorder="1"'
            if s.quote:
                attrs += ' quotePrefix="1"'
            if s.wrap or s.top:
                align = ('<alignment vertical="top"' + (' wrapText="1"' if s.wrap else "")
                         + "/>")
                out.append(f'<xf {attrs} applyAlignment="1">{align}</xf>')
            else:
                out.append(f"<xf {attrs}/>")
        out.append('</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" '
                   'builtinId="0"/></cellStyles><dxfs count="0"/><tableStyles count="0"/>'
                   "</styleSheet>")
        return "".join(out)


class _Strings:
    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self.count = 0

    def xml(self) -> str:
        parts = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                 '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                 f'count="{self.count}" uniqueCount="{len(self.index)}">']
        for s in self.index:
            if s[:1].isspace() or s[-1:].isspace():
                parts.append(f'<si><t xml:space="preserve">{escape(s)}</t></si>')
            else:
                parts.append(f"<si><t>{escape(s)}</t></si>")
        parts.append("</sst>")
        return "".join(parts)


@dataclass
class Sheet:
    """One worksheet. Rows are added in increasing order with :meth:`row`."""
    book: Workbook
    name: str
    widths: list[float] = field(default_factory=list)
    freeze_rows: int = 0
    repeat_rows: int = 0  # print these top rows on every page
    autofilter: tuple[int, int, int, int] | None = None  # first row, first col, last row, last col
    landscape: bool = False
    paper: int | None = None
    fit_width: int | None = None  # fit to this many pages wide (height free)
    scale: int | None = None  # print at this percentage (when not fitting to width)
    print_area: tuple[int, int, int, int] | None = None  # first row, first col, last row, last col
    print_gridlines: bool = False
    margins: tuple[float, float, float, float] = (0.7, 0.7, 0.75, 0.75)  # left right top bottom
    header: str = ""
    footer: str = ""
    header_margin: float = 0.3
    page_breaks: list[int] = field(default_factory=list)  # rows that start a new page (0-based)
    _rows: list[str] = field(default_factory=list)
    _last_row: int = -1
    _max_col: int = -1

    def row(self, r: int, cells: Sequence[tuple[int, Any, int]],
            height: float | None = None) -> None:
        """Row ``r`` (0-based) with ``cells`` as (column, value, style index) in increasing
        column order; values are str, bool, int, float, date, datetime or None (a blank
        cell that only carries its style)."""
        if r <= self._last_row or r >= MAX_ROWS:
            raise ValueError(f"row {r} out of order or beyond the sheet")
        if cells:
            last = cells[-1][0]
            if last >= len(self.book._letters):
                self.book._grow_letters(last)
        self._last_row = r
        n = r + 1
        index = self.book._strings.index
        letters = self.book._letters
        sattr = self.book._style_attr
        out = []
        prev = -1
        strings = 0
        for c, v, s in cells:
            if c <= prev:
                raise ValueError(f"row {n}: cells must be in increasing column order")
            prev = c
            t = type(v)
            if t is str:
                i = index.get(v)
                if i is None:
                    i = index[v] = len(index)
                strings += 1
                out.append(f'<c r="{letters[c]}{n}"{sattr(s)} t="s"><v>{i}</v></c>')
            elif t is int or (t is float and math.isfinite(v)):
                out.append(f'<c r="{letters[c]}{n}"{sattr(s)}><v>{v!r}</v></c>')
            elif t is bool:
                out.append(f'<c r="{letters[c]}{n}"{sattr(s)} t="b"><v>{int(v)}</v></c>')
            elif v is None:
                out.append(f'<c r="{letters[c]}{n}"{sattr(s)}/>')
            elif isinstance(v, (dt.date, dt.datetime)):
                out.append(f'<c r="{letters[c]}{n}"{sattr(s)}><v>{date_serial(v)!r}</v></c>')
            elif isinstance(v, (int, float)) and math.isfinite(v):  # numpy and other numbers
                out.append(f'<c r="{letters[c]}{n}"{sattr(s)}><v>{float(v)!r}</v></c>')
            else:
                raise TypeError(f"row {n}: cannot store {v!r} in a cell")
        if prev > self._max_col:
            self._max_col = prev
        self.book._strings.count += strings
        if height is not None:
            self._rows.append(f'<row r="{n}" ht="{height:g}" customHeight="1">'
                              + "".join(out) + "</row>")
        elif out:
            self._rows.append(f'<row r="{n}">' + "".join(out) + "</row>")

    def _ref(self) -> str:
        if self._last_row < 0:
            return "A1"
        return f"A1:{col_letter(max(self._max_col, 0))}{self._last_row + 1}"

    def xml(self, selected: bool) -> str:
        out = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
               '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
               'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">']
        if self.fit_width is not None:
            out.append('<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>')
        out.append(f'<dimension ref="{self._ref()}"/><sheetViews><sheetView')
        if selected:
            out.append(' tabSelected="1"')
        out.append(' workbookViewId="0">')
        if self.freeze_rows:
            top = f"A{self.freeze_rows + 1}"
            out.append(f'<pane ySplit="{self.freeze_rows}" topLeftCell="{top}" '
                       'activePane="bottomLeft" state="frozen"/>'
                       f'<selection pane="bottomLeft" activeCell="{top}" sqref="{top}"/>')
        out.append('</sheetView></sheetViews><sheetFormatPr defaultRowHeight="15"/>')
        if self.widths:
            out.append("<cols>")
            out += [f'<col min="{i + 1}" max="{i + 1}" width="{column_width(w):.16g}" '
                    'customWidth="1"/>' for i, w in enumerate(self.widths)]
            out.append("</cols>")
        if self._rows:
            out.append("<sheetData>")
            out += self._rows
            out.append("</sheetData>")
        else:
            out.append("<sheetData/>")
        if self.autofilter:
            r1, c1, r2, c2 = self.autofilter
            out.append(f'<autoFilter ref="{col_letter(c1)}{r1 + 1}:{col_letter(c2)}{r2 + 1}"/>')
        if self.print_gridlines:
            out.append('<printOptions gridLines="1"/>')
        left, right, top, bottom = self.margins
        hm = self.header_margin
        out.append(f'<pageMargins left="{left:g}" right="{right:g}" top="{top:g}" '
                   f'bottom="{bottom:g}" header="{hm:g}" footer="{hm:g}"/>')
        setup = []
        if self.paper is not None:
            setup.append(f'paperSize="{self.paper}"')
        if self.fit_width is not None:
            if self.fit_width != 1:
                setup.append(f'fitToWidth="{self.fit_width}"')
            setup.append('fitToHeight="0"')
        elif self.scale is not None:
            setup.append(f'scale="{self.scale}"')
        setup.append(f'orientation="{"landscape" if self.landscape else "portrait"}"')
        out.append(f'<pageSetup {" ".join(setup)}/>')
        if self.header or self.footer:
            out.append("<headerFooter>")
            if self.header:
                out.append(f"<oddHeader>{escape(self.header)}</oddHeader>")
            if self.footer:
                out.append(f"<oddFooter>{escape(self.footer)}</oddFooter>")
            out.append("</headerFooter>")
        if self.page_breaks:
            n = len(self.page_breaks)
            out.append(f'<rowBreaks count="{n}" manualBreakCount="{n}">')
            out += [f'<brk id="{r}" max="16383" man="1"/>' for r in self.page_breaks]
            out.append("</rowBreaks>")
        out.append("</worksheet>")
        return "".join(out)


def _quoted(name: str) -> str:
    return "'" + name.replace("'", "''") + "'"


class Workbook:
    """Sheets and styles in memory; :meth:`save` writes the .xlsx (zip) file at once."""

    def __init__(self, font: str = "Calibri") -> None:
        self.sheets: list[Sheet] = []
        self._styles = _Styles(font)
        self._strings = _Strings()
        self._letters = [col_letter(i) for i in range(64)]
        self._style_attrs = [""]

    def _style_attr(self, s: int) -> str:
        try:
            return self._style_attrs[s]
        except IndexError:
            self._style_attrs = [f' s="{i}"' if i else "" for i in range(max(s + 1, 64))]
            return self._style_attrs[s]

    def _grow_letters(self, c: int) -> None:
        if c >= MAX_COLS:
            raise ValueError(f"column {c} beyond the sheet")
        self._letters = [col_letter(i) for i in range(max(c + 1, 2 * len(self._letters)))]

    def style(self, style: Style) -> int:
        """The index of a cell style (created on first use)."""
        return self._styles.index(style)

    def add_sheet(self, name: str) -> Sheet:
        if any(s.name.casefold() == name.casefold() for s in self.sheets):
            raise ValueError(f"duplicate sheet name {name!r}")
        sheet = Sheet(self, name)
        self.sheets.append(sheet)
        return sheet

    def _workbook_xml(self) -> str:
        out = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
               '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
               'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
               '<workbookPr/><bookViews><workbookView activeTab="0"/></bookViews><sheets>']
        names = []
        for i, s in enumerate(self.sheets):
            out.append(f'<sheet name="{_attr(s.name)}" sheetId="{i + 1}" r:id="rId{i + 1}"/>')
            q = _attr(_quoted(s.name))
            if s.autofilter:
                r1, c1, r2, c2 = s.autofilter
                names.append(f'<definedName name="_xlnm._FilterDatabase" localSheetId="{i}" '
                             f'hidden="1">{q}!${col_letter(c1)}${r1 + 1}:'
                             f'${col_letter(c2)}${r2 + 1}</definedName>')
            if s.print_area:
                r1, c1, r2, c2 = s.print_area
                names.append(f'<definedName name="_xlnm.Print_Area" localSheetId="{i}">'
                             f'{q}!${col_letter(c1)}${r1 + 1}:'
                             f'${col_letter(c2)}${r2 + 1}</definedName>')
            if s.repeat_rows:
                names.append(f'<definedName name="_xlnm.Print_Titles" localSheetId="{i}">'
                             f'{q}!$1:${s.repeat_rows}</definedName>')
        out.append("</sheets>")
        if names:
            out += ["<definedNames>", *names, "</definedNames>"]
        out.append('<calcPr calcId="124519" fullCalcOnLoad="1"/></workbook>')
        return "".join(out)

    def _content_types(self) -> str:
        sheets = "".join(
            f'<Override PartName="/xl/worksheets/sheet{i + 1}.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            for i in range(len(self.sheets)))
        return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
                'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
                '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.'
                'openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
                '<Override PartName="/xl/styles.xml" ContentType="application/vnd.'
                'openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
                '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.'
                'openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
                '<Override PartName="/docProps/core.xml" ContentType="application/vnd.'
                'openxmlformats-package.core-properties+xml"/>'
                '<Override PartName="/docProps/app.xml" ContentType="application/vnd.'
                'openxmlformats-officedocument.extended-properties+xml"/>'
                f"{sheets}</Types>")

    def _workbook_rels(self) -> str:
        rels = [f'<Relationship Id="rId{i + 1}" Type="http://schemas.openxmlformats.org/'
                f'officeDocument/2006/relationships/worksheet" '
                f'Target="worksheets/sheet{i + 1}.xml"/>' for i in range(len(self.sheets))]
        n = len(self.sheets)
        rels.append(f'<Relationship Id="rId{n + 1}" Type="http://schemas.openxmlformats.org/'
                    'officeDocument/2006/relationships/styles" Target="styles.xml"/>')
        rels.append(f'<Relationship Id="rId{n + 2}" Type="http://schemas.openxmlformats.org/'
                    'officeDocument/2006/relationships/sharedStrings" '
                    'Target="sharedStrings.xml"/>')
        return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
                'relationships">' + "".join(rels) + "</Relationships>")

    def save(self, path: str | Path, *, compresslevel: int = 1) -> None:
        """Write the workbook. The file is written to a temporary name beside ``path``
        and renamed, so a failure never leaves a half-written workbook behind."""
        if not self.sheets:
            raise ValueError("a workbook needs at least one sheet")
        path = Path(path)
        tmp = path.with_name(path.name + ".part")
        now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        root_rels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                     '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
                     'relationships"><Relationship Id="rId1" Type="http://schemas.'
                     'openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
                     'Target="xl/workbook.xml"/><Relationship Id="rId2" Type="http://schemas.'
                     'openxmlformats.org/package/2006/relationships/metadata/core-properties" '
                     'Target="docProps/core.xml"/><Relationship Id="rId3" Type="http://'
                     'schemas.openxmlformats.org/officeDocument/2006/relationships/'
                     'extended-properties" Target="docProps/app.xml"/></Relationships>')
        core = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/'
                'metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" '
                'xmlns:dcterms="http://purl.org/dc/terms/" '
                'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
                f'<dcterms:created xsi:type="dcterms:W3CDTF">{now}</dcterms:created>'
                f'<dcterms:modified xsi:type="dcterms:W3CDTF">{now}</dcterms:modified>'
                "</cp:coreProperties>")
        app = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
               '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
               'extended-properties"><Application>Microsoft Excel</Application></Properties>')
        try:
            with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED,
                                 compresslevel=compresslevel) as z:
                z.writestr("[Content_Types].xml", self._content_types())
                z.writestr("_rels/.rels", root_rels)
                z.writestr("docProps/core.xml", core)
                z.writestr("docProps/app.xml", app)
                z.writestr("xl/workbook.xml", self._workbook_xml())
                z.writestr("xl/_rels/workbook.xml.rels", self._workbook_rels())
                for i, s in enumerate(self.sheets):
                    z.writestr(f"xl/worksheets/sheet{i + 1}.xml", s.xml(i == 0))
                z.writestr("xl/styles.xml", self._styles.xml())
                z.writestr("xl/sharedStrings.xml", self._strings.xml())
            tmp.replace(path)
        finally:
            tmp.unlink(missing_ok=True)


__all__ = ["Sheet", "Style", "Workbook", "col_letter", "column_width", "date_serial", "escape"]
