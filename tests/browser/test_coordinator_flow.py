"""The coordinator's whole day in a real browser (Playwright driving Debian's Chromium).

The real app runs in a subprocess (``web.app.serve``: waitress on a free 127.0.0.1 port,
instance folder in a temporary directory) with the real planner and solver workers:

first-run setup link from the console → the admin creates a coordinator → log out →
the coordinator logs in → uploads the sample roster → reads the validation report →
runs it and watches the progress bar → result page (screenshots in Vietnamese and
English) → downloads the workbook (opens with openpyxl, has the Assignments sheet) →
uploads 30 new returnees for "rerun with new releases" → runs them against the first
plan → reads the change report → deletes the first run (gone from the history).

Screenshots go to pytest's tmp dir and are copied to ``test-output/screenshots/``.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
import time
from pathlib import Path

import pytest
from browser_helpers import (
    ARGS,
    CHROMIUM,
    PASSWORD,
    ROOT,
    SCREENSHOTS,
    STEP_MS,
    Server,
)
from browser_helpers import log_in as _log_in
from browser_helpers import shot as _shot
from browser_helpers import submit as _submit

SAMPLE = ROOT / "data" / "sample" / "roster.xlsx"
ADMIN, COORD = "chief", "lan.nguyen"
SOLVE_MS = 90_000  # a solve, from the click to the result page

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="Debian's Chromium (/usr/bin/chromium) is not installed; "
                              "`make test` installs it as root (apt-get install chromium)"),
]


# --- the data -------------------------------------------------------------------------

def _new_returnees_workbook(path: Path, n: int = 30) -> list[str]:
    """A workbook holding only the Returnees sheet (Vietnamese headers, as coordinators
    keep it) with ``n`` generated people under new ids; returns the ids."""
    import openpyxl

    from matcher.domain import Roster
    from matcher.generate import generate_roster
    from matcher.io.roster_writer import write_roster

    city = generate_roster("city", 5)
    people = tuple(dataclasses.replace(r, id=f"MOI{i:03d}", group=None)
                   for i, r in enumerate(city.returnees[:n], start=1))
    write_roster(Roster(returnees=people, mentors=()), path, lang="vi")
    book = openpyxl.load_workbook(path)
    for name in book.sheetnames[1:]:
        del book[name]
    book.save(path)
    assert openpyxl.load_workbook(path, read_only=True).sheetnames == ["Người trở về"]
    return [r.id for r in people]


# --- the browser ----------------------------------------------------------------------

def _run_and_watch(page, run_id: str) -> list[float]:
    """Start the run, watch the progress bar until the page moves to the result; return
    the progress values seen."""
    with page.expect_navigation(wait_until="load"):
        page.locator(f"form[action$='/runs/{run_id}/start'] button").click()
    seen: list[float] = []
    bar = page.locator("#progress progress")
    assert bar.count() == 1, "no progress bar after starting the run"
    deadline = time.monotonic() + SOLVE_MS / 1000
    while f"/runs/{run_id}/result" not in page.url:
        assert time.monotonic() < deadline, f"run {run_id} did not finish: {seen}"
        try:
            value = bar.get_attribute("value", timeout=1000)
        except Exception:  # noqa: BLE001 - the page is navigating to the result
            value = None
        if value is not None:
            seen.append(float(value))
        failed = page.locator(".status-failed")
        assert failed.count() == 0, page.locator("main").inner_text()
        page.wait_for_timeout(200)
    page.wait_for_load_state("load")
    return seen


def test_coordinator_flow_in_chromium(server: Server, tmp_path: Path):
    import openpyxl
    from playwright.sync_api import expect, sync_playwright

    started = time.monotonic()
    laps: list[tuple[str, float]] = []

    def lap(step: str) -> None:  # seconds per step, printed at the end (pytest -s)
        laps.append((step, time.monotonic()))

    base = server.url
    additions = tmp_path / "nguoi_moi_ve.xlsx"
    new_ids = _new_returnees_workbook(additions)

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, timeout=30_000)
        try:
            context = browser.new_context(accept_downloads=True, locale="vi-VN",
                                          viewport={"width": 1280, "height": 900})
            context.set_default_timeout(STEP_MS)
            context.set_default_navigation_timeout(STEP_MS)
            page = context.new_page()
            problems: list[str] = []
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.on("dialog", lambda d: d.accept())  # "delete this run?" confirmation

            lap("1")
            # 1. First-run setup from the console link: the administrator.
            assert server.setup_url.startswith(base + "/setup/"), server.setup_url
            page.goto(server.setup_url)
            expect(page.locator("h1")).to_have_text("Tạo tài khoản quản trị đầu tiên")
            page.fill("input[name=name]", ADMIN)
            page.fill("input[name=password]", PASSWORD)
            page.fill("input[name=password2]", PASSWORD)
            _submit(page, "main form")
            expect(page.locator(".who")).to_contain_text(ADMIN)

            lap("2")
            # 2. The admin creates a coordinator, then logs out.
            page.click("header nav a[href='/admin/users']")
            page.fill("form.card[action$='/admin/users'] input[name=name]", COORD)
            page.select_option("form.card[action$='/admin/users'] select[name=role]",
                               "coordinator")
            page.fill("form.card[action$='/admin/users'] input[name=password]", PASSWORD)
            _submit(page, "form.card[action$='/admin/users']")
            expect(page.locator("table.data")).to_contain_text(COORD)
            _submit(page, "form[action$='/logout']")
            assert "/login" in page.url

            lap("3")
            # 3. The coordinator logs in and uploads the sample roster.
            _log_in(page, base, COORD)
            expect(page.locator(".who")).to_contain_text(COORD)
            expect(page.locator("header nav")).not_to_contain_text("Tài khoản")  # no admin
            page.click("header nav a[href='/runs/new']")
            page.set_input_files("main form input[type=file]", str(SAMPLE))
            _submit(page, "main form[enctype='multipart/form-data']")

            lap("4")
            # 4. The validation report: no errors, the run is ready.
            first = re.search(r"/runs/(\d+)$", page.url).group(1)
            expect(page.locator("section.report h2")).to_have_text("Kết quả kiểm tra dữ liệu")
            expect(page.locator("h1 .status")).to_have_text("sẵn sàng")
            expect(page.locator("main")).to_contain_text("120 người trở về")
            _shot(page, tmp_path, "report-vi")

            lap("5")
            # 5. Run, watching the progress bar, until the result page.
            progress = _run_and_watch(page, first)
            assert progress and all(0 <= v <= 1 for v in progress), progress
            expect(page.locator("h1")).to_have_text(f"Kết quả kế hoạch #{first}")
            # the first page of the assignments; the pager says how many there are
            expect(page.locator("#assignments tbody tr")).to_have_count(50)
            expect(page.locator("#t-assignments nav.pager .count")).to_contain_text("120")
            expect(page.locator("svg.map .pair-line").first).to_be_attached()
            assert page.locator("#changes").count() == 0  # a first plan changes nothing

            lap("alternatives")
            # Top-5 alternatives for one returnee, on click.
            page.locator("#assignments button.alt-button").first.click()
            expect(page.locator("#alt-panel table tbody tr").first).to_be_visible()
            assert 1 <= page.locator("#alt-panel table tbody tr").count() <= 5
            expect(page.locator("#alt-panel thead")).to_contain_text("Mã cựu chiến binh")
            page.locator("#alt-panel").screenshot(path=str(tmp_path / "alternatives-vi.png"))
            shutil.copy(tmp_path / "alternatives-vi.png", SCREENSHOTS / "alternatives-vi.png")

            lap("6")
            # 6. Screenshots of the result page in Vietnamese and in English.
            _shot(page, tmp_path, "result-vi")
            with page.expect_navigation(wait_until="load"):
                page.click("header .lang button[value=en]")
            expect(page.locator("h1")).to_have_text(f"Plan #{first}")
            expect(page.locator("main")).to_contain_text("Objectives of the plan, in order of priority")
            _shot(page, tmp_path, "result-en")
            with page.expect_navigation(wait_until="load"):
                page.click("header .lang button[value=vi]")
            expect(page.locator("h1")).to_have_text(f"Kết quả kế hoạch #{first}")

            lap("7")
            # 7. Download the workbook; it opens and has the Assignments sheet.
            for kind, sheet in (("xlsx-vi", "Phân công"), ("xlsx-en", "Assignments")):
                with page.expect_download(timeout=STEP_MS) as info:
                    page.click(f"a[href$='/runs/{first}/download/{kind}']")
                saved = tmp_path / info.value.suggested_filename
                info.value.save_as(saved)
                book = openpyxl.load_workbook(saved, read_only=True)
                try:
                    assert sheet in book.sheetnames, (kind, book.sheetnames)
                    cells = [c for row in book[sheet].iter_rows(values_only=True)
                             for c in row if isinstance(c, str)]
                    assert sum(re.fullmatch(r"R\d{5}", c) is not None for c in cells) == 120
                finally:
                    book.close()

            lap("loans")
            # The loans: the summary's loan line, every request with its decision, and a
            # person the pool's capital did not reach, with a reason naming the pool.
            expect(page.locator("#loan-summary")).to_have_text(
                re.compile(r"^\d+ người, [\d.,]+ triệu đồng$"))
            loans = page.locator("#loan-list")
            loans.scroll_into_view_if_needed()
            expect(loans.locator("tbody tr").first).to_be_visible()
            expect(loans.locator("tr.loan-funded").first).to_contain_text("triệu đồng")
            left_out = loans.locator("tr.loan-left_out").first
            expect(left_out).to_be_visible()
            expect(left_out).to_contain_text("nguồn vốn không đủ")
            expect(left_out).to_contain_text(re.compile(r"nguồn vốn Điểm giao dịch .+ còn .+ triệu "
                                                        r"đồng, người này xin"))
            expect(page.locator("#employer-list tbody tr").first).to_contain_text("triệu đồng")
            expect(page.locator(f"a[href$='/runs/{first}/documents.zip']")).to_have_text(
                "Tài liệu để ký (Word)")
            page.locator("#loans").screenshot(path=str(tmp_path / "loans-vi.png"))
            shutil.copy(tmp_path / "loans-vi.png", SCREENSHOTS / "loans-vi.png")

            lap("report")
            # The steering committee's report: figures per ward and in total, the bar chart
            # drawn (bars with a size on screen), the CSV; at phone width the chart scrolls
            # inside its frame and nothing else is wider than the screen.
            with page.expect_navigation(wait_until="load"):
                page.click(f"a[href$='/runs/{first}/report']")
            expect(page.locator("h1")).to_have_text(f"Báo cáo Ban Chỉ đạo – kế hoạch #{first}")
            total = page.locator("table.report tr.total")
            expect(total.locator("td[data-col=ward]")).to_have_text("Tổng cộng")
            expect(total.locator("td[data-col=under_management]")).to_have_text("120")
            expect(total.locator("td[data-col=loans_referred_vnd]")).to_have_text(
                re.compile(r"^\d{1,3}(\.\d{3})+$"))  # 790.000.000: the Vietnamese way
            first_ward = page.locator("table.report tbody tr td[data-col=ward]").first
            chart = page.locator("#report-chart svg.chart")
            expect(chart).to_be_visible()
            expect(chart.locator(".ward-name").first).to_have_text(first_ward.inner_text())
            expect(chart.locator(".legend")).to_contain_text("Có việc làm")
            bars = chart.locator("rect.bar")
            assert bars.count() >= 5 * 10, bars.count()
            box = chart.locator("rect.bar-under_management").first.bounding_box()
            assert box and box["width"] > 10 and box["height"] > 3, box
            _shot(page, tmp_path, "report-vi")
            with page.expect_download(timeout=STEP_MS) as info:
                page.click(f"a[href$='/runs/{first}/report.csv']")
            saved = tmp_path / "report.csv"
            info.value.save_as(saved)
            body = saved.read_bytes()
            assert body.startswith(b"\xef\xbb\xbf") and "Tổng cộng" in body.decode("utf-8-sig")
            page.set_viewport_size({"width": 390, "height": 844})
            widths = page.evaluate("""() => {
                const frame = document.querySelector('#report-chart .chart-wrap');
                return [document.documentElement.scrollWidth, frame.clientWidth,
                        frame.scrollWidth];
            }""")
            assert widths[0] <= 390 and widths[1] < widths[2], widths
            _shot(page, tmp_path, "report-phone-vi")
            page.set_viewport_size({"width": 1280, "height": 900})
            with page.expect_navigation(wait_until="load"):
                page.click(f"main a[href$='/runs/{first}/result']")

            lap("8")
            # 8. Rerun with 30 new releases against the first plan.
            page.click(f"main a[href$='/runs/{first}/rerun']")
            expect(page.locator("h1")).to_contain_text(f"#{first}")
            page.check("input[name=mode][value=additions]")
            page.set_input_files("main form input[type=file]", str(additions))
            _submit(page, "main form")
            second = re.search(r"/runs/(\d+)$", page.url).group(1)
            assert second != first
            expect(page.locator("h1 .status")).to_have_text("sẵn sàng")
            expect(page.locator("main")).to_contain_text("150 người trở về")
            expect(page.locator("main .meta")).to_contain_text(f"#{first}")
            _run_and_watch(page, second)

            lap("9")
            # 9. The change report: counts, and the list with the new people.
            expect(page.locator("#changes h2")).to_have_text("Thay đổi so với kế hoạch trước")
            counts = {k: int(page.locator(f"#changes [data-change={k}]").inner_text())
                      for k in ("new", "kept", "changed", "ended")}
            assert counts["new"] >= 30, counts
            assert counts["kept"] + counts["changed"] + counts["ended"] >= 100, counts
            page.fill("#t-changes input[name=q]", "MOI0")  # the server searches the list
            expect(page.locator("#t-changes nav.pager .count")).to_contain_text("tìm thấy")
            listed = page.locator("#change-list tbody").inner_text()
            assert sum(rid in listed for rid in new_ids) >= 25, counts
            expect(page.locator("#assignments thead")).to_contain_text("Thay đổi")
            expect(page.locator("#assignments .tag.change-kept").first).to_have_text(
                "giữ nguyên")
            _shot(page, tmp_path, "rerun-changes-vi")

            lap("10")
            # 10. Delete the first run from the history; it is gone, the rerun stays.
            page.click("header nav a[href='/']")
            row = page.locator(f"tr:has(a[href='/runs/{first}'])")
            expect(row).to_have_count(1)
            with page.expect_navigation(wait_until="load"):
                row.locator("form[action$='/delete'] button").click()
            expect(page.locator(f"a[href='/runs/{first}']")).to_have_count(0)
            expect(page.locator(f"tr:has(a[href='/runs/{second}'])")).to_have_count(1)
            _shot(page, tmp_path, "history-vi")
            assert not problems, problems  # no script errors, no CSP violations
            assert page.goto(f"{base}/runs/{first}").status == 404
            assert page.goto(f"{base}/runs/{second}/result").status == 200
            context.close()
        finally:
            browser.close()
    lap("end")
    print("browser flow, seconds per step:", ", ".join(
        f"{a[0]} {b[1] - a[1]:.1f}" for a, b in zip(laps, laps[1:])))
    assert server.proc.poll() is None, "\n".join(server.lines)
    assert time.monotonic() - started < 120, "the browser flow took too long"
