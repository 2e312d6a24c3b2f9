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
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample" / "roster.xlsx"
SCREENSHOTS = ROOT / "test-output" / "screenshots"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ADMIN, COORD = "chief", "lan.nguyen"
PASSWORD = "một mật khẩu dài 2026"
STEP_MS = 15_000  # any single page action or navigation
SOLVE_MS = 90_000  # a solve, from the click to the result page

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="Debian's Chromium (/usr/bin/chromium) is not installed; "
                              "`make test` installs it as root (apt-get install chromium)"),
]


# --- the server -----------------------------------------------------------------------

class Server:
    def __init__(self, proc: subprocess.Popen, url: str, setup_url: str, lines: list[str]):
        self.proc, self.url, self.setup_url, self.lines = proc, url, setup_url, lines


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_port(port: int, proc: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"the server exited with code {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"nothing listens on port {port} after {timeout}s")


@pytest.fixture
def server(tmp_path) -> Iterator[Server]:
    port = _free_port()
    env = {**os.environ, "PLANNER_INSTANCE_PATH": str(tmp_path / "instance"),
           "PYTHONUNBUFFERED": "1"}
    code = f"from web.app import serve; serve(host='127.0.0.1', port={port})"
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    lines: list[str] = []
    found: queue.Queue[str] = queue.Queue()

    def read() -> None:  # keep draining the pipe so the server never blocks on it
        for line in proc.stdout:
            lines.append(line.rstrip("\n"))
            match = re.search(r"(http://\S+/setup/[A-Za-z0-9_-]+)", line)
            if match:
                found.put(match.group(1))

    reader = threading.Thread(target=read, name="server-stdout", daemon=True)
    reader.start()
    try:
        try:
            setup_url = found.get(timeout=30)
        except queue.Empty:
            raise AssertionError("no setup link printed:\n" + "\n".join(lines)) from None
        _wait_for_port(port, proc, timeout=30)
        yield Server(proc, f"http://127.0.0.1:{port}", setup_url, lines)
    finally:
        _stop(proc)
        reader.join(timeout=5)
        proc.stdout.close()


def _stop(proc: subprocess.Popen) -> None:
    """Stop the server we started (its own process group: waitress and nothing else;
    solver workers run in their own sessions and have finished by now)."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


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

def _shot(page, tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, SCREENSHOTS / path.name)
    return path


def _submit(page, form_selector: str) -> None:
    """Click the form's submit button and wait for the page it leads to."""
    with page.expect_navigation(wait_until="load"):
        page.locator(f"{form_selector} button").last.click()


def _log_in(page, base: str, name: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    _submit(page, "main form")
    assert not page.url.endswith("/login"), page.locator("main").inner_text()


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
            expect(page.locator("#assignments tbody tr")).to_have_count(120)
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
            expect(page.locator("main")).to_contain_text("Objectives and proof")
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
