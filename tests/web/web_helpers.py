"""Helpers for the web tests: a client that sends CSRF tokens like a browser, tiny CSV
rosters, database queries and waiting for worker processes."""

from __future__ import annotations

import re
import sqlite3
import time
from pathlib import Path

import psutil

from web import db

HERE = Path(__file__).resolve().parent
SECRET_NAME = "Nguyễn Văn Bímật"  # roster content that must never reach logs
SECRET_FILE = "danh_sach_Bimat_2026.csv"
PASSWORD = "correct horse battery"


def roster_csv(*rows: tuple[str, str, str]) -> bytes:
    lines = ["id,full_name,ward"] + [",".join(r) for r in rows]
    return ("\n".join(lines) + "\n").encode("utf-8")


GOOD_ROSTER = roster_csv(("R001", SECRET_NAME, "Phường Hàm Rồng"),
                         ("R002", "Lê Thị Hoa", "Phường Hạc Thành"),
                         ("R003", "Phạm Văn Ba", "Phường Hàm Rồng"))


class Browser:
    """A test client that adds the page's CSRF token to every form post."""

    def __init__(self, client):
        self.client = client

    def token(self) -> str:
        page = self.client.get("/login", follow_redirects=True).get_data(as_text=True)
        return re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)

    def get(self, url: str, **kw):
        return self.client.get(url, **kw)

    def post(self, url: str, data: dict | None = None, **kw):
        data = dict(data or {})
        data.setdefault("csrf_token", self.token())
        return self.client.post(url, data=data, **kw)

    def login(self, name: str, password: str = PASSWORD, **kw):
        return self.post("/login", {"name": name, "password": password}, **kw)

    def upload(self, content: bytes = GOOD_ROSTER, filename: str = SECRET_FILE, **kw):
        from io import BytesIO

        return self.post("/runs/new", {"files": (BytesIO(content), filename)},
                         content_type="multipart/form-data", **kw)


def query(app, sql: str, params=()) -> list[sqlite3.Row]:
    conn = db.connect(app.config["DATABASE"])
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def run_id_from(response) -> int:
    return int(re.search(r"/runs/(\d+)", response.headers["Location"]).group(1))


def wait_status(app, run_id: int, wanted: set[str], timeout: float = 30.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = query(app, "SELECT status FROM runs WHERE id = ?", (run_id,))[0]["status"]
        if status in wanted:
            return status
        time.sleep(0.05)
    raise AssertionError(f"run {run_id} still {status!r} after {timeout}s")


def wait_progress(app, run_id: int, timeout: float = 30.0) -> sqlite3.Row:
    """Wait until the worker has reported some progress; return the run row."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        row = query(app, "SELECT * FROM runs WHERE id = ?", (run_id,))[0]
        if row["status"] == "running" and row["progress"] > 0:
            return row
        time.sleep(0.05)
    raise AssertionError("worker reported no progress")


def wait_gone(pid: int, timeout: float = 10.0) -> None:
    """Wait until the process has exited (reaped or a zombie)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return
        except psutil.NoSuchProcess:
            return
        time.sleep(0.05)
    raise AssertionError(f"process {pid} still alive")
