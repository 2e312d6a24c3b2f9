"""The small OOXML writer behind the plan workbook, read back with openpyxl and calamine."""

from __future__ import annotations

import datetime as dt

import pytest
from openpyxl import load_workbook
from python_calamine import CalamineWorkbook

from matcher.io.xlsx import Style, Workbook, col_letter, column_width, date_serial, escape


def test_column_letters_dates_and_escaping():
    assert [col_letter(i) for i in (0, 25, 26, 51, 701, 702, 16383)] == \
        ["A", "Z", "AA", "AZ", "ZZ", "AAA", "XFD"]
    assert date_serial(dt.date(1900, 3, 1)) == 61 and date_serial(dt.date(2025, 7, 1)) == 45839
    assert date_serial(dt.datetime(2025, 7, 1, 12)) == 45839.5
    assert escape("a & <b> \r") == "a &amp; &lt;b&gt; &#13;"
    assert column_width(10) == pytest.approx(10.71, abs=0.01) and column_width(0) == 0


def test_cells_styles_and_print_setup_read_back(tmp_path):
    wb = Workbook()
    head = wb.style(Style(bold=True, wrap=True, top=True, fill="#DDE4EE",
                          border_color="#808080"))
    date = wb.style(Style(num="DD/MM/YYYY"))
    quote = wb.style(Style(quote=True))
    ws = wb.add_sheet("Phân công & 'x'")
    ws.widths = [12, 30, 8]
    ws.freeze_rows = ws.repeat_rows = 1
    ws.autofilter = (0, 0, 3, 2)
    ws.landscape, ws.paper, ws.fit_width, ws.print_gridlines = True, 9, 1, True
    ws.header, ws.footer = '&L Kế hoạch & "x"&C&"-,Bold"Tên', "&RTrang &P/&N"
    ws.row(0, [(0, "Họ tên", head), (1, "Ngày", head), (2, "Số", head)], 30)
    ws.row(1, [(0, "=HYPERLINK(\"x\")", quote), (1, dt.date(2025, 7, 1), date), (2, 3, 0)])
    ws.row(2, [(0, "  Lê Văn Tám\r\nb", 0), (1, True, 0), (2, 2.5, 0)])
    ws.row(3, [(0, "Nguyễn <A> & B", 0), (2, None, head)])
    ws.page_breaks = [2]
    other = wb.add_sheet("Other")
    other.row(0, [(0, "Họ tên", 0)])  # a shared string used twice
    path = tmp_path / "t.xlsx"
    wb.save(path)
    assert not list(tmp_path.glob("*.part"))
    book = load_workbook(path)
    s = book["Phân công & 'x'"]
    assert s["A2"].value == '=HYPERLINK("x")' and s["A2"].data_type == "s"
    assert s["A2"].quotePrefix and not s["A3"].quotePrefix
    assert s["B2"].value == dt.datetime(2025, 7, 1) and s["B2"].number_format == "DD/MM/YYYY"
    assert s["C2"].value == 3 and s["B3"].value is True and s["C3"].value == 2.5
    assert s["A3"].value == "  Lê Văn Tám\r\nb" and s["A4"].value == "Nguyễn <A> & B"
    assert s["A1"].font.b and s["A1"].alignment.wrap_text and s["A1"].fill.fgColor.rgb == \
        "FFDDE4EE" and s["A1"].border.left.style == "thin"
    assert s["C4"].border.top.style == "thin" and s["C4"].value is None
    assert s.row_dimensions[1].height == 30 and s.column_dimensions["B"].width == \
        pytest.approx(30.71, abs=0.01)
    assert s.freeze_panes == "A2" and s.print_title_rows == "$1:$1"
    assert s.auto_filter.ref == "A1:C4" and s.page_setup.orientation == "landscape"
    assert s.page_setup.paperSize == 9 and s.sheet_properties.pageSetUpPr.fitToPage
    assert s.print_options.gridLines and [b.id for b in s.row_breaks.brk] == [2]
    assert "Kế hoạch & \"x\"" in s.oddHeader.left.text and s.oddFooter.right.text
    assert book["Other"]["A1"].value == "Họ tên"
    cal = CalamineWorkbook.from_path(str(path))
    rows = cal.get_sheet_by_name("Phân công & 'x'").to_python()
    assert rows[0] == ["Họ tên", "Ngày", "Số"] and rows[3][0] == "Nguyễn <A> & B"


def test_rejects_what_a_sheet_cannot_hold_and_leaves_no_partial_file(tmp_path):
    wb = Workbook()
    ws = wb.add_sheet("A")
    with pytest.raises(ValueError, match="increasing column"):
        ws.row(0, [(1, "x", 0), (0, "y", 0)])
    with pytest.raises(ValueError, match="out of order"):
        ws.row(0, [(0, "x", 0)])
    with pytest.raises(TypeError):
        ws.row(5, [(0, object(), 0)])
    with pytest.raises(ValueError, match="duplicate sheet"):
        wb.add_sheet("a")
    with pytest.raises(ValueError, match="at least one sheet"):
        Workbook().save(tmp_path / "empty.xlsx")
    with pytest.raises(OSError):
        wb.save(tmp_path / "missing" / "x.xlsx")
    assert list(tmp_path.iterdir()) == []
