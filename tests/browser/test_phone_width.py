"""Phone width (issue 18): at 390 px no page scrolls sideways.

A normal run, driven in Chromium at an iPhone-sized viewport with touch: first-run setup,
the administrator's users page, log out, the login page, log in, upload the sample
roster, its validation report, plan (the greedy ``fast_planner``: the pages are what is
tested), the result page with its map, the history. On every page the document is no
wider than the screen; in the history the run's status and actions are on screen;
result tables are cards and the map scrolls inside its own frame with ward names drawn.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from browser_helpers import (
    ARGS,
    CHROMIUM,
    ROOT,
    SCREENSHOTS,
    STEP_MS,
    Server,
    create_admin,
    log_in,
    shot,
    submit,
    wait_for_result,
)

SAMPLE = ROOT / "data" / "sample" / "roster.xlsx"
WIDTH = 390
ADMIN = "chi.huy"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="Debian's Chromium (/usr/bin/chromium) is not installed; "
                              "`make test` installs it as root (apt-get install chromium)"),
    pytest.mark.skipif(not SAMPLE.exists(), reason="no bundled sample roster"),
]


def _fits(page, tmp_path: Path, name: str) -> None:
    """The page is no wider than the screen (nothing to scroll sideways)."""
    page.wait_for_load_state("load")
    widths = page.evaluate("""() => ({scroll: document.documentElement.scrollWidth,
                                       client: document.documentElement.clientWidth})""")
    shot(page, tmp_path, f"phone-{name}")
    assert widths["scroll"] <= widths["client"], (name, page.url, widths)
    assert widths["client"] <= WIDTH


def _on_screen(page, selector: str) -> None:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, selector
    assert box["x"] >= 0 and box["x"] + box["width"] <= WIDTH, (selector, box)


def test_no_page_scrolls_sideways_at_390_px(fast_server: Server, tmp_path: Path):
    from playwright.sync_api import expect, sync_playwright

    base = fast_server.url
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, timeout=30_000)
        try:
            context = browser.new_context(locale="vi-VN", is_mobile=True, has_touch=True,
                                          viewport={"width": WIDTH, "height": 844},
                                          device_scale_factor=2)
            context.set_default_timeout(STEP_MS)
            context.set_default_navigation_timeout(STEP_MS)
            page = context.new_page()
            problems: list[str] = []
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.on("dialog", lambda d: d.accept())

            create_admin(page, fast_server, ADMIN)
            page.goto(f"{base}/admin/users")
            _fits(page, tmp_path, "users")
            _on_screen(page, "table.users td.actions button")
            submit(page, "form[action$='/logout']")
            _fits(page, tmp_path, "login")
            log_in(page, base, ADMIN)
            _fits(page, tmp_path, "history-empty")

            page.goto(f"{base}/runs/new")
            _fits(page, tmp_path, "upload")
            page.set_input_files("main form input[type=file]", str(SAMPLE))
            submit(page, "main form[enctype='multipart/form-data']", timeout=60_000)
            run_id = re.search(r"/runs/(\d+)$", page.url).group(1)
            _fits(page, tmp_path, "validation")

            with page.expect_navigation(wait_until="load"):
                page.locator(f"form[action$='/runs/{run_id}/start'] button").tap()
            wait_for_result(page, run_id, timeout_s=60)
            _fits(page, tmp_path, "result")
            # tables are cards: one row, its cells one under the other, each labelled
            row = page.locator("#assignments tbody tr").first
            assert row.evaluate("r => getComputedStyle(r).display") == "block"
            _on_screen(page, "#assignments tbody tr button.alt-button")
            # the map keeps a readable size and scrolls inside its frame; names are drawn
            assert page.locator("svg.map .ward-label").count() >= 3
            assert page.locator("svg.map .scale-bar").count() == 1
            frame = page.locator(".map-wrap").evaluate(
                "e => ({inner: e.scrollWidth, outer: e.clientWidth})")
            assert frame["inner"] > frame["outer"], frame
            page.locator("#map").screenshot(path=str(tmp_path / "phone-map.png"))
            page.evaluate("document.getElementById('assignments-section').scrollIntoView()")
            page.screenshot(path=str(tmp_path / "phone-cards.png"))  # what the screen shows
            for name in ("phone-map.png", "phone-cards.png"):
                shutil.copy(tmp_path / name, SCREENSHOTS / name)
            # a later page of the assignments, by touch
            page.locator("#t-assignments nav.pager a[rel=next]").tap()
            expect(page.locator("#t-assignments nav.pager")).to_contain_text("Trang 2/")
            _fits(page, tmp_path, "result-page-2")

            page.goto(f"{base}/")
            _fits(page, tmp_path, "history")
            _on_screen(page, f"tr:has(a[href='/runs/{run_id}']) .status")
            _on_screen(page, f"tr:has(a[href='/runs/{run_id}']) form[action$='/delete'] button")
            assert not problems, problems
            context.close()
        finally:
            browser.close()
