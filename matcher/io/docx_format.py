"""The layout of a Vietnamese administrative document (Decree 30/2020/NĐ-CP) in python-docx,
and the placeholders of an editable ``.docx`` template.

Layout: A4 portrait; margins top and bottom 20 mm, left 30 mm, right 15 mm; Times New
Roman 14 (tables 13); the issuing unit top left above a short line, the national motto top
right, the place-and-date line in italics below the motto, the title centred in bold
capitals, the page number centred at the top from the second page on (one number, no
footer), and signature blocks side by side at the end.

Templates: ``{{name}}`` anywhere in the body, a table, a header or a footer, even when
Word has split it over several runs while the coordinator edited it; the replacement takes
the formatting of the run where the placeholder starts. A paragraph that held only
placeholders and comes out empty is dropped (a blank superior body leaves no blank line).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Mapping

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.parser import parse_xml
from docx.shared import Mm, Pt
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph
from lxml import etree

from matcher import catalog

FONT = "Times New Roman"
BODY_PT = 14
TABLE_PT = 13
SMALL_PT = 12
SIGN_LINES = 4  # empty lines kept under a signature block's title for the signature
PAGE_MM = (210, 297)
MARGINS_MM = {"top": 20, "bottom": 20, "left": 30, "right": 15}
TEXT_WIDTH_MM = PAGE_MM[0] - MARGINS_MM["left"] - MARGINS_MM["right"]  # 165

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z0-9_]+)\s*\}\}")
# the parts of a .docx whose text may hold placeholders
TEXT_PART = re.compile(r"^word/(document|header\d*|footer\d*|footnotes|endnotes)\.xml$")


class DocumentTemplateError(ValueError):
    """The assignment template cannot be used (not a .docx, or unknown placeholders). Its
    argument is a :class:`~matcher.text.Bi`: ``str()`` gives the English, ``.vi`` (and
    :meth:`message`) the Vietnamese."""

    def message(self, lang: str) -> str:
        said = self.args[0] if self.args else ""
        return getattr(said, "vi", said) if lang == "vi" else str(said)


# ------------------------------------------------------------------------- dates

def date_line_parts(day: dt.date) -> tuple[str, str, str]:
    """(day, month, year) as Decree 30 writes them: days below 10 and the months January
    and February with a leading zero ("ngày 05 tháng 02 năm 2026", "tháng 12")."""
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"{day.day:02d}", month, str(day.year)


_UNIT_PREFIX = re.compile(r"^(phường|xã|thị trấn|đặc khu)\s+", re.IGNORECASE)


def place_name(ward: str | None) -> str:
    """The place in the date line: the ward's name without "Phường"/"Xã" ("Đông Sơn"),
    except a ward named by a number, which keeps it ("Phường 12")."""
    if not ward:
        return "……"
    short = _UNIT_PREFIX.sub("", ward.split(",")[0].strip())
    return ward.split(",")[0].strip() if short.isdigit() or not short else short


# ------------------------------------------------------------------------- page and styles

def new_document() -> DocxDocument:
    """An empty A4 portrait document with the decree's margins and Times New Roman 14."""
    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(PAGE_MM[0]), Mm(PAGE_MM[1])
    section.top_margin, section.bottom_margin = Mm(MARGINS_MM["top"]), Mm(MARGINS_MM["bottom"])
    section.left_margin, section.right_margin = Mm(MARGINS_MM["left"]), Mm(MARGINS_MM["right"])
    section.header_distance, section.footer_distance = Mm(10), Mm(10)
    for name in ("Normal", "Header", "Footer", "Table Grid"):
        _style_font(doc.styles[name], BODY_PT if name != "Table Grid" else TABLE_PT)
    normal = doc.styles["Normal"].paragraph_format
    normal.space_before, normal.space_after, normal.line_spacing = Pt(0), Pt(0), 1.0
    _document_defaults(doc)
    _drop_unused_parts(doc)
    doc.core_properties.author = ""
    doc.core_properties.title = ""
    return doc


def _set_fonts(rpr) -> None:
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), FONT)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)


def _style_font(style, size: int) -> None:
    style.font.name = FONT
    style.font.size = Pt(size)
    _set_fonts(style.element.get_or_add_rPr())
    lang = style.element.get_or_add_rPr().find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        style.element.get_or_add_rPr().append(lang)
    lang.set(qn("w:val"), "vi-VN")


def _document_defaults(doc: DocxDocument) -> None:
    """Times New Roman in the document defaults too (python-docx's blank document names
    the theme's Calibri there), so no text anywhere falls back to another font."""
    styles = doc.styles.element
    for rpr in styles.iter(qn("w:rPr")):
        if rpr.find(qn("w:rFonts")) is not None:
            _set_fonts(rpr)
    defaults = styles.find(qn("w:docDefaults"))
    if defaults is not None:
        rpr_default = defaults.find(qn("w:rPrDefault"))
        if rpr_default is not None:
            rpr = rpr_default.find(qn("w:rPr"))
            if rpr is not None:
                _set_fonts(rpr)


# parts of python-docx's blank document a signed paper has no use for: Word 2010's copy of
# the styles (Calibri), sample custom XML and the thumbnail of an empty page (which file
# managers would show as the document's preview); a tenth of the size of each paper
_UNUSED = ("/stylesWithEffects", "/customXml", "/metadata/thumbnail")


def _drop_unused_parts(doc: DocxDocument) -> None:
    for rels in (doc.part.rels, doc.part.package.rels):
        for rid, rel in list(rels.items()):
            if rel.reltype.endswith(_UNUSED):
                rels.pop(rid)


def page_number_from_second_page(doc: DocxDocument) -> None:
    """The page number centred at the top of every page but the first (Decree 30)."""
    section = doc.sections[0]
    section.different_first_page_header_footer = True
    p = section.header.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "2"
    run.append(text)
    field.append(run)
    p._p.append(field)


# ------------------------------------------------------------------------- building blocks

def para(container, text: str = "", *, bold: bool = False, italic: bool = False,
         size: int | None = None, align: str = "left", upper: bool = False,
         space_before: float = 0, space_after: float = 0, indent_first_mm: float = 0,
         keep_with_next: bool = False) -> Paragraph:
    """A paragraph with one run (``container``: the document or a table cell)."""
    p = container.add_paragraph()
    if text:
        add_run(p, text.upper() if upper else text, bold=bold, italic=italic, size=size)
    fmt = p.paragraph_format
    p.alignment = {"left": WD_ALIGN_PARAGRAPH.LEFT, "center": WD_ALIGN_PARAGRAPH.CENTER,
                   "right": WD_ALIGN_PARAGRAPH.RIGHT,
                   "justify": WD_ALIGN_PARAGRAPH.JUSTIFY}[align]
    fmt.space_before, fmt.space_after = Pt(space_before), Pt(space_after)
    if indent_first_mm:
        fmt.first_line_indent = Mm(indent_first_mm)
    if keep_with_next:
        fmt.keep_with_next = True
    return p


def add_run(p: Paragraph, text: str, *, bold: bool = False, italic: bool = False,
            size: int | None = None):
    run = p.add_run(text)
    run.bold, run.italic = bold or None, italic or None
    if size:
        run.font.size = Pt(size)
    return run


def short_rule(cell_or_doc, width_mm: float, container_mm: float) -> Paragraph:
    """The short centred line under the issuing unit, the motto and the title: an empty
    paragraph with a top border, indented to ``width_mm``."""
    p = para(cell_or_doc, size=2, space_before=3)
    side = max(0.0, (container_mm - width_mm) / 2)
    p.paragraph_format.left_indent = p.paragraph_format.right_indent = Mm(side)
    ppr = p._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    top = OxmlElement("w:top")
    for k, v in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "000000")):
        top.set(qn(k), v)
    borders.append(top)
    ppr.append(borders)
    run = p.add_run("")
    run.font.size = Pt(2)
    return p


def layout_table(container, widths_mm: Iterable[float], *, rows: int = 1,
                 borders: bool = False, indent_mm: float = 0) -> Table:
    """A table with fixed column widths (in mm), with or without grid lines."""
    widths = list(widths_mm)
    table = container.add_table(rows=rows, cols=len(widths))
    if borders:
        table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.LEFT if indent_mm else WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    tblpr = table._tbl.tblPr
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    tblpr.append(layout)
    if borders:  # 1 mm inside each cell's sides: a phone number fits on one line
        margins = OxmlElement("w:tblCellMar")
        for side in ("left", "right"):
            m = OxmlElement(f"w:{side}")
            m.set(qn("w:w"), "57")
            m.set(qn("w:type"), "dxa")
            margins.append(m)
        tblpr.append(margins)
    if indent_mm:
        ind = OxmlElement("w:tblInd")
        ind.set(qn("w:w"), str(round(indent_mm * 56.7)))
        ind.set(qn("w:type"), "dxa")
        tblpr.append(ind)
    for col, width in zip(table.columns, widths):
        col.width = Mm(width)
    for row in table.rows:
        for cell, width in zip(row.cells, widths):
            cell.width = Mm(width)
    if not borders:
        for row in table.rows:
            for cell in row.cells:
                _no_borders(cell)
    return table


def _no_borders(cell: _Cell) -> None:
    tcpr = cell._tc.get_or_add_tcPr()
    borders = OxmlElement("w:tcBorders")
    for side in ("top", "left", "bottom", "right"):
        b = OxmlElement(f"w:{side}")
        b.set(qn("w:val"), "nil")
        borders.append(b)
    tcpr.append(borders)


def repeat_header_row(table: Table) -> None:
    """The table's first row is printed again at the top of each page; no row splits."""
    trpr = table.rows[0]._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    trpr.append(header)
    for row in table.rows:
        cant = OxmlElement("w:cantSplit")
        cant.set(qn("w:val"), "true")
        row._tr.get_or_add_trPr().append(cant)


def cell_text(cell: _Cell, text: str, *, bold: bool = False, italic: bool = False,
              align: str = "left", size: int = TABLE_PT) -> None:
    """Write ``text`` into the cell's first paragraph (lines split on newlines)."""
    p = cell.paragraphs[0]
    p.alignment = {"left": WD_ALIGN_PARAGRAPH.LEFT, "center": WD_ALIGN_PARAGRAPH.CENTER,
                   "right": WD_ALIGN_PARAGRAPH.RIGHT}[align]
    add_run(p, text, bold=bold, italic=italic, size=size)


def heading_block(doc: DocxDocument, unit_lines: list[str], motto: tuple[str, str],
                  date_line: str, number_line: str | None = None, *,
                  upper: bool = True) -> None:
    """The top of the first page: the issuing unit (the superior body first, the issuing
    unit in bold, a short line under it; ``upper=False`` keeps template placeholders as
    they are) on the left; the motto (with its short line) and
    the place-and-date line on the right."""
    left_mm, right_mm = 70.0, 105.0
    table = layout_table(doc, (left_mm, right_mm), indent_mm=-5)
    left, right = table.rows[0].cells
    left.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    for i, line in enumerate(unit_lines):
        p = left.paragraphs[0] if i == 0 else para(left, align="center")
        add_run(p, line.upper() if upper else line, bold=i == len(unit_lines) - 1, size=13)
    short_rule(left, 25, left_mm - 4)
    if number_line:
        para(left, number_line, size=13, align="center", space_before=4)
    right.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    add_run(right.paragraphs[0], motto[0], bold=True, size=13)
    para(right, motto[1], bold=True, size=BODY_PT, align="center")
    short_rule(right, 60, right_mm - 4)
    para(right, date_line, italic=True, size=BODY_PT, align="center", space_before=4)


def signature_block(doc: DocxDocument, left: list[tuple[str, str]],
                    right: list[tuple[str, str]], *, space_before: float = 12) -> Table:
    """Two signature blocks side by side; each line is (style, text) where style is "b"
    (bold), "i" (italic), "small" (the recipients' list) or "" (plain)."""
    para(doc, space_before=space_before, keep_with_next=True)
    table = layout_table(doc, (TEXT_WIDTH_MM * 0.45, TEXT_WIDTH_MM * 0.55))
    for cell, lines in zip(table.rows[0].cells, (left, right)):
        for i, (style, text) in enumerate(lines):
            small = style.startswith("small")
            p = cell.paragraphs[0] if i == 0 else cell.add_paragraph()
            p.alignment = WD_ALIGN_PARAGRAPH.LEFT if small else WD_ALIGN_PARAGRAPH.CENTER
            add_run(p, text, bold="b" in style.replace("small", ""),
                    italic="i" in style.replace("small", ""),
                    size=(12 if style == "small-bi" else 11) if small else
                    (BODY_PT if "b" in style or not style else 13))
        if not lines[-1][0].startswith("small"):
            for _ in range(SIGN_LINES):  # room to sign (and stamp) on the same page
                cell.add_paragraph()
    cant = OxmlElement("w:cantSplit")
    cant.set(qn("w:val"), "true")
    table.rows[0]._tr.get_or_add_trPr().append(cant)
    return table


def to_bytes(doc: DocxDocument) -> bytes:
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


# ------------------------------------------------------------------------- templates

def template_parts(data: bytes) -> list[tuple[zipfile.ZipInfo, bytes]]:
    """The parts of a .docx template, checked to be a Word document."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            parts = [(info, zf.read(info)) for info in zf.infolist()]
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise DocumentTemplateError(catalog.bi("doc.template.not_docx")) from exc
    if not any(info.filename == "word/document.xml" for info, _ in parts):
        raise DocumentTemplateError(catalog.bi("doc.template.no_document"))
    return parts


def template_fields(parts: list[tuple[zipfile.ZipInfo, bytes]]) -> set[str]:
    """Every placeholder name the template uses."""
    found: set[str] = set()
    for info, data in parts:
        if TEXT_PART.match(info.filename):
            for p in _paragraphs(_parse(data)):
                found.update(PLACEHOLDER.findall("".join(r.text for r in p.runs)))
    return found


def render_template(parts: list[tuple[zipfile.ZipInfo, bytes]],
                    values: Mapping[str, str]) -> bytes:
    """The template with every placeholder replaced, as .docx bytes."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
        for info, data in parts:
            if TEXT_PART.match(info.filename):
                root = _parse(data)
                for p in list(_paragraphs(root)):
                    _fill(p, values)
                data = etree.tostring(root, xml_declaration=True, encoding="UTF-8",
                                      standalone=True)
            out.writestr(info.filename, data, compress_type=zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def _parse(data: bytes):
    try:
        return parse_xml(data)
    except etree.XMLSyntaxError as exc:
        raise DocumentTemplateError(catalog.bi("doc.template.damaged")) from exc


def _paragraphs(root) -> Iterator[Paragraph]:
    for p in root.iter(qn("w:p")):
        yield Paragraph(p, None)


def _fill(p: Paragraph, values: Mapping[str, str]) -> None:
    runs = p.runs
    texts = [r.text for r in runs]
    text = "".join(texts)
    matches = [m for m in PLACEHOLDER.finditer(text) if m.group(1) in values]
    if not matches:
        return
    spans, pos = [], 0
    for t in texts:
        spans.append((pos, pos + len(t)))
        pos += len(t)
    only_fields = not PLACEHOLDER.sub("", text).strip()
    for m in reversed(matches):  # right to left: earlier offsets stay valid
        start, end = m.span()
        first = True
        for i, (rs, re_) in enumerate(spans):
            if re_ <= start or rs >= end:
                continue
            a, b = max(start, rs) - rs, min(end, re_) - rs
            current = runs[i].text
            runs[i].text = current[:a] + (values[m.group(1)] if first else "") + current[b:]
            first = False
    if only_fields and not "".join(r.text for r in p.runs).strip():
        parent = p._p.getparent()
        if parent is not None and not (parent.tag == qn("w:tc")
                                       and len(parent.findall(qn("w:p"))) == 1):
            parent.remove(p._p)
