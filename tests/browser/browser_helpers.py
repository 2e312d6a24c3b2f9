"""What the browser tests share: the real app in a subprocess (``web.app.serve``: waitress
on a free 127.0.0.1 port, instance folder in a temporary directory) and a few steps of
driving it in Debian's Chromium through Playwright."""

from __future__ import annotations

import contextlib
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

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
SCREENSHOTS = ROOT / "test-output" / "screenshots"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PASSWORD = "một mật khẩu dài 2026"
STEP_MS = 15_000  # any single page action or navigation


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


@contextlib.contextmanager
def running_server(instance: Path, env: dict[str, str] | None = None) -> Iterator[Server]:
    """The app serving from ``instance``; ``env`` adds to its environment (e.g. another
    planner adapter: ``PLANNER_PLANNER`` and ``PYTHONPATH``)."""
    port = _free_port()
    env = {**os.environ, "PLANNER_INSTANCE_PATH": str(instance), "PYTHONUNBUFFERED": "1",
           **(env or {})}
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


def fast_planner_env() -> dict[str, str]:
    """The environment that makes the app plan with ``fast_planner`` (this folder)."""
    path = os.pathsep.join(p for p in (str(HERE), os.environ.get("PYTHONPATH", "")) if p)
    return {"PLANNER_PLANNER": "fast_planner", "PYTHONPATH": path}


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


def shot(page, tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, SCREENSHOTS / path.name)
    return path


def submit(page, form_selector: str, timeout: float = STEP_MS) -> None:
    """Click the form's submit button and wait for the page it leads to."""
    with page.expect_navigation(wait_until="load", timeout=timeout):
        page.locator(f"{form_selector} button").last.click()


def log_in(page, base: str, name: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    submit(page, "main form")
    assert not page.url.endswith("/login"), page.locator("main").inner_text()


def create_admin(page, server: Server, name: str) -> None:
    """First-run setup from the console link: the administrator, logged in."""
    assert server.setup_url.startswith(server.url + "/setup/"), server.setup_url
    page.goto(server.setup_url)
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    submit(page, "main form")
    assert name in page.locator(".who").inner_text()


def wait_for_result(page, run_id: str, timeout_s: float) -> None:
    """After "start": wait until the progress page moves to the run's result."""
    deadline = time.monotonic() + timeout_s
    while f"/runs/{run_id}/result" not in page.url:
        assert time.monotonic() < deadline, f"run {run_id} did not finish"
        assert page.locator(".status-failed").count() == 0, page.locator("main").inner_text()
        page.wait_for_timeout(200)
    page.wait_for_load_state("load")
