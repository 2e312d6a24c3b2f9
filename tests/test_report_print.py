"""The plan workbook's committee report (sheet "Báo cáo") prints on one A4 page per group
of wards (issue 19, must-show point 3).

The print setup is read back with openpyxl (A4, landscape, fit to the page's width, the
header row repeated, a manual page break before each group); with LibreOffice the sheet
alone (a copy of the workbook holding only it) is printed to PDF and every group is
checked to be exactly one A4 page that starts with the group's first ward. Besides the
sample (17 wards: one page), the sample's people are spread over 60 made-up wards, with
short rows (groups of WARDS_PER_PAGE wards) and with every ward carrying long main
reasons (taller rows: smaller groups, still one page each)."""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest

from matcher.io import plan_writer, review_sheets
from matcher.io.plan_writer import write_plan_workbook
from matcher.io.reader import read_roster
from matcher.io.review_sheets import WARDS_PER_PAGE
from matcher.plan import Unassigned
from matcher.planner import plan_roster

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample" / "roster.xlsx"
SHEET = "Báo cáo"
A4_LANDSCAPE = (841.89, 595.28)  # points
LONG_VI = ("quy tắc 3: không có cựu chiến binh nào còn nhận thêm người trong vòng 5 km "
           "quanh nơi ở của người này ({rid})",
           "việc làm: không có chỗ làm nào phù hợp kỹ năng, nguyện vọng và giờ giấc trong "
           "tầm đi lại hằng ngày")


@pytest.fixture(scope="module")
def sample():
    roster = read_roster([SAMPLE])
    return roster, plan_roster(roster)


def _many_wards(sample, n_wards: int, long_reasons: bool):
    """The sample's people spread over ``n_wards`` made-up wards (two or so each); with
    ``long_reasons`` one person of every ward has nothing and two long reasons."""
    roster, plan = sample
    people = tuple(dataclasses.replace(r, location=dataclasses.replace(
        r.location, ward=f"Phường Thử Nghiệm Số {(i // 2) % n_wards + 1:02d}"))
        for i, r in enumerate(roster.returnees))
    roster = dataclasses.replace(roster, returnees=people)
    if not long_reasons:
        return roster, plan
    nothing = {r.id for i, r in enumerate(people) if i % 2 == 0}
    plan = dataclasses.replace(
        plan,
        assignments=[dataclasses.replace(a, mentor_id=None, job_id=None, training_id=None)
                     if a.returnee_id in nothing else a for a in plan.assignments],
        unassigned=[Unassigned(rid, ["mentor", "job"], ["no mentor", "no job"],
                               [LONG_VI[0].format(rid=rid), LONG_VI[1]])
                    for rid in sorted(nothing)],
        loans=[d for d in plan.loans if d.returnee_id not in nothing],
        visits=[v for v in plan.visits if v.returnee_id not in nothing])
    return roster, plan


def _report_only(roster, plan, folder: Path) -> Path:
    """The plan workbook, and a copy holding only the report sheet (what is printed)."""
    folder.mkdir(parents=True, exist_ok=True)
    full = folder / "plan.xlsx"
    write_plan_workbook(plan, roster, full, lang="vi")
    book = openpyxl.load_workbook(full)
    for name in book.sheetnames:
        if name != SHEET:
            del book[name]
    path = folder / "bao_cao.xlsx"
    book.save(path)
    return path


def _breaks(ws) -> list[int]:
    """The rows after which a new printed page starts (1-based, the header is row 1)."""
    return sorted(b.id for b in ws.row_breaks.brk)


def _wards(ws) -> list[str]:
    return [row[0] for row in ws.iter_rows(min_row=2, values_only=True)]


def _check_setup(ws) -> None:
    setup = ws.page_setup
    assert int(setup.paperSize) == 9  # A4
    assert setup.orientation == "landscape"
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert setup.fitToWidth in (None, 1) and int(setup.fitToHeight) == 0  # fit to width
    assert ws.print_title_rows == "$1:$1"  # the headers on every page
    # the margins review_sheets lays out the page with are the writer's
    m = ws.page_margins
    assert (m.left, m.right, m.top, m.bottom) == (0.4, 0.4, 0.6, 0.6)


def test_the_layout_estimate_is_the_writers():
    """The report's page breaks use the writer's own row-height estimate, not a copy."""
    assert review_sheets.LINE_POINTS == plan_writer.LINE_POINTS
    assert review_sheets.text_lines is plan_writer.text_lines


def test_sample_report_fits_one_page(sample, tmp_path):
    path = _report_only(*sample, tmp_path)
    ws = openpyxl.load_workbook(path)[SHEET]
    _check_setup(ws)
    wards = _wards(ws)
    assert len(wards) == 18 and wards[-1] == "Tổng cộng"  # 17 wards and the total
    assert _breaks(ws) == []


def test_many_wards_break_every_wards_per_page_rows(sample, tmp_path):
    path = _report_only(*_many_wards(sample, 60, long_reasons=False), tmp_path)
    ws = openpyxl.load_workbook(path)[SHEET]
    _check_setup(ws)
    assert len(_wards(ws)) == 61
    # a page per WARDS_PER_PAGE wards; the total joins the last group
    assert _breaks(ws) == [1 + k * WARDS_PER_PAGE for k in range(1, -(-60 // WARDS_PER_PAGE))]


def test_tall_rows_make_smaller_groups_that_fit_a_page(sample, tmp_path):
    path = _report_only(*_many_wards(sample, 60, long_reasons=True), tmp_path)
    ws = openpyxl.load_workbook(path)[SHEET]
    _check_setup(ws)
    breaks = _breaks(ws)
    starts = [2, *(b + 1 for b in breaks), ws.max_row + 1]
    widths = [ws.column_dimensions[c].width - 0.7109375
              for c in "ABCDEFGHIJKLMNO"]  # openpyxl adds the cell padding back
    room = (review_sheets.PAGE_HEIGHT_PT / review_sheets.page_scale(widths))
    header = ws.row_dimensions[1].height
    for a, b in zip(starts, starts[1:]):
        assert 0 < b - a <= WARDS_PER_PAGE + 1
        heights = [ws.row_dimensions[r].height or 15.0 for r in range(a, b)]
        assert header + sum(heights) <= room, (a, b)
    assert len(breaks) > 60 // WARDS_PER_PAGE  # more pages than with short rows


# --- printed by LibreOffice --------------------------------------------------------------

def _tools_or_skip() -> None:
    missing = [t for t in ("soffice", "pdfinfo", "pdftotext") if shutil.which(t) is None]
    if missing:
        reason = f"{', '.join(missing)} not installed (make system-deps installs them as root)"
        if os.environ.get("CI"):
            pytest.fail(reason + " — required under CI")
        pytest.skip(reason)


def _pdf(xlsx: Path) -> Path:
    folder = xlsx.parent
    proc = subprocess.run(
        ["soffice", f"-env:UserInstallation={(folder / 'lo-profile').as_uri()}", "--headless",
         "--convert-to", "pdf", "--outdir", str(folder), str(xlsx)],
        capture_output=True, text=True, timeout=300, env={**os.environ, "HOME": str(folder)})
    pdf = xlsx.with_suffix(".pdf")
    assert pdf.is_file(), (proc.stdout, proc.stderr)
    return pdf


def _pages(pdf: Path) -> list[tuple[float, float]]:
    info = subprocess.run(["pdfinfo", "-f", "1", "-l", "999", str(pdf)], capture_output=True,
                          text=True, check=True).stdout
    return [(float(w), float(h)) for w, h in
            re.findall(r"^Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts", info, re.M)]


def _page_text(pdf: Path, page: int) -> str:
    return subprocess.run(["pdftotext", "-layout", "-f", str(page), "-l", str(page), str(pdf),
                           "-"], capture_output=True, text=True, check=True).stdout


@pytest.mark.parametrize("case", ["sample", "60 wards", "60 wards, long reasons"])
def test_each_ward_group_prints_on_one_a4_page(sample, tmp_path, case):
    _tools_or_skip()
    if case == "sample":
        roster, plan = sample
    else:
        roster, plan = _many_wards(sample, 60, long_reasons="long" in case)
    path = _report_only(roster, plan, tmp_path)
    ws = openpyxl.load_workbook(path)[SHEET]
    wards = _wards(ws)
    cuts = [0, *(b - 1 for b in _breaks(ws)), len(wards)]  # row b + 1 starts a page
    groups = [wards[a:b] for a, b in zip(cuts, cuts[1:])]
    pdf = _pdf(path)
    pages = _pages(pdf)
    assert len(pages) == len(groups), (case, len(pages), [g[0] for g in groups])
    for w, h in pages:
        assert abs(w - A4_LANDSCAPE[0]) < 1.5 and abs(h - A4_LANDSCAPE[1]) < 1.5, (w, h)
    for n, group in enumerate(groups, start=1):
        text = _page_text(pdf, n)
        assert "Phường/Xã" in text and "Đang quản" in text  # the headers on every page
        assert all(ward in text for ward in group), (n, group)
        if case != "sample":  # and no ward of another page
            shown = set(re.findall(r"Phường Thử Nghiệm Số \d+", text))
            assert shown == set(group) - {"Tổng cộng"}, (n, sorted(shown))
    assert "Tổng cộng" in _page_text(pdf, len(pages))
