"""All SQL of the web app, over the standard library's sqlite3.

Every function takes the connection first, so the Flask views (``get_db()``) and the
worker process (``connect(path)``) share the same queries. The schema lives in
``schema.sql`` and is applied on every start. WAL mode lets the worker write progress
while the app reads.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from flask import current_app, g

SCHEMA = Path(__file__).with_name("schema.sql")
ACTIVE = ("queued", "running")
RERUNNABLE = ("ready", "failed", "cancelled")


def database_path(setting: str | Path) -> Path:
    """The file behind the ``DATABASE`` setting: a path or a ``sqlite:///path`` URL."""
    text = str(setting)
    text = text.removeprefix("sqlite:///")
    return Path(text)


def connect(path: str | Path) -> sqlite3.Connection:
    conn = sqlite3.connect(database_path(path), timeout=30)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA busy_timeout = 30000")
    return conn


def init_db(conn: sqlite3.Connection) -> None:
    conn.execute("PRAGMA journal_mode = WAL")
    conn.executescript(SCHEMA.read_text(encoding="utf-8"))
    conn.commit()


def get_db() -> sqlite3.Connection:
    """The request's connection (opened on first use, closed at teardown)."""
    if "db" not in g:
        g.db = connect(current_app.config["DATABASE"])
    return g.db


def close_db(_exc: BaseException | None = None) -> None:
    conn = g.pop("db", None)
    if conn is not None:
        conn.close()


def _write(conn: sqlite3.Connection, sql: str, params: Iterable[Any] = ()) -> sqlite3.Cursor:
    cur = conn.execute(sql, tuple(params))
    conn.commit()
    return cur


# --- users -------------------------------------------------------------------------

def count_users(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT COUNT(*) FROM users").fetchone()[0]


def insert_user(conn: sqlite3.Connection, name: str, password_hash: str, role: str) -> int:
    cur = _write(
        conn,
        "INSERT INTO users (name, password_hash, role, active, created_at) VALUES (?, ?, ?, 1, ?)",
        (name, password_hash, role, time.time()),
    )
    return cur.lastrowid


def user_by_id(conn: sqlite3.Connection, user_id: int) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM users WHERE id = ?", (user_id,)).fetchone()


def user_by_name(conn: sqlite3.Connection, name: str) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM users WHERE name = ?", (name,)).fetchone()


def list_users(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    return conn.execute("SELECT * FROM users ORDER BY name").fetchall()


def set_user_role(conn: sqlite3.Connection, user_id: int, role: str) -> None:
    _write(conn, "UPDATE users SET role = ? WHERE id = ?", (role, user_id))


def set_user_active(conn: sqlite3.Connection, user_id: int, active: bool) -> None:
    _write(conn, "UPDATE users SET active = ? WHERE id = ?", (int(active), user_id))


def count_active_admins(conn: sqlite3.Connection) -> int:
    return conn.execute(
        "SELECT COUNT(*) FROM users WHERE role = 'admin' AND active = 1"
    ).fetchone()[0]


# --- first-run setup tokens ---------------------------------------------------------

def replace_setup_token(conn: sqlite3.Connection, token_hash: str) -> None:
    conn.execute("DELETE FROM setup_tokens")
    conn.execute(
        "INSERT INTO setup_tokens (token_hash, created_at) VALUES (?, ?)", (token_hash, time.time())
    )
    conn.commit()


def setup_token_exists(conn: sqlite3.Connection, token_hash: str) -> bool:
    row = conn.execute("SELECT 1 FROM setup_tokens WHERE token_hash = ?", (token_hash,))
    return row.fetchone() is not None


def take_setup_token(conn: sqlite3.Connection, token_hash: str) -> bool:
    """Consume the token; True only for the one caller that deleted it."""
    cur = _write(conn, "DELETE FROM setup_tokens WHERE token_hash = ?", (token_hash,))
    return cur.rowcount == 1


# --- login rate limit ---------------------------------------------------------------

def add_login_failure(conn: sqlite3.Connection, name_key: str, ip: str) -> None:
    _write(conn, "INSERT INTO login_failures (name_key, ip, at) VALUES (?, ?, ?)",
           (name_key, ip, time.time()))


def count_login_failures(conn: sqlite3.Connection, name_key: str, ip: str, since: float) -> int:
    return conn.execute(
        "SELECT COUNT(*) FROM login_failures WHERE name_key = ? AND ip = ? AND at >= ?",
        (name_key, ip, since),
    ).fetchone()[0]


def clear_login_failures(conn: sqlite3.Connection, name_key: str, ip: str,
                         before: float) -> None:
    """Forget this user+IP's failures, and everyone's failures older than ``before``."""
    conn.execute("DELETE FROM login_failures WHERE name_key = ? AND ip = ?", (name_key, ip))
    conn.execute("DELETE FROM login_failures WHERE at < ?", (before,))
    conn.commit()


# --- runs ---------------------------------------------------------------------------

def create_run(conn: sqlite3.Connection, user_id: int, *, kind: str,
               previous_run_id: int | None = None) -> int:
    cur = _write(
        conn,
        "INSERT INTO runs (user_id, created_at, status, kind, previous_run_id) "
        "VALUES (?, ?, 'invalid', ?, ?)",
        (user_id, time.time(), kind, previous_run_id),
    )
    return cur.lastrowid


def add_run_file(conn: sqlite3.Connection, run_id: int, *, role: str, stored_name: str,
                 display_name: str, size: int, sha256: str) -> None:
    _write(
        conn,
        "INSERT INTO run_files (run_id, role, stored_name, display_name, size, sha256) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (run_id, role, stored_name, display_name, size, sha256),
    )


def run_files(conn: sqlite3.Connection, run_id: int) -> list[sqlite3.Row]:
    return conn.execute("SELECT * FROM run_files WHERE run_id = ? ORDER BY id",
                        (run_id,)).fetchall()


def get_run(conn: sqlite3.Connection, run_id: int) -> sqlite3.Row | None:
    return conn.execute(
        "SELECT runs.*, users.name AS user_name FROM runs JOIN users ON users.id = runs.user_id "
        "WHERE runs.id = ?",
        (run_id,),
    ).fetchone()


def list_runs(conn: sqlite3.Connection, user_id: int | None) -> list[sqlite3.Row]:
    """Runs of one user (newest first), or of everyone when ``user_id`` is None."""
    sql = ("SELECT runs.*, users.name AS user_name FROM runs "
           "JOIN users ON users.id = runs.user_id")
    if user_id is None:
        return conn.execute(sql + " ORDER BY runs.id DESC").fetchall()
    return conn.execute(sql + " WHERE runs.user_id = ? ORDER BY runs.id DESC",
                        (user_id,)).fetchall()


def set_validation(conn: sqlite3.Connection, run_id: int, *, ok: bool,
                   roster: dict[str, Any] | None) -> None:
    _write(conn, "UPDATE runs SET status = ?, roster_json = ? WHERE id = ?",
           ("ready" if ok else "invalid", json.dumps(roster) if roster else None, run_id))


def queue_run(conn: sqlite3.Connection, run_id: int) -> bool:
    """Move a ready/failed/cancelled run to 'queued'; False if it was not in such a state."""
    marks = ",".join("?" * len(RERUNNABLE))
    cur = _write(
        conn,
        "UPDATE runs SET status = 'queued', progress = 0, message = NULL, error = NULL, "
        "summary_json = NULL, pid = NULL, pid_started = NULL, started_at = ?, finished_at = NULL "
        f"WHERE id = ? AND status IN ({marks})",
        (time.time(), run_id, *RERUNNABLE),
    )
    return cur.rowcount == 1


def set_worker(conn: sqlite3.Connection, run_id: int, pid: int, pid_started: float) -> None:
    _write(conn, "UPDATE runs SET pid = ?, pid_started = ? WHERE id = ?",
           (pid, pid_started, run_id))


def mark_running(conn: sqlite3.Connection, run_id: int) -> bool:
    cur = _write(conn, "UPDATE runs SET status = 'running' WHERE id = ? AND status = 'queued'",
                 (run_id,))
    return cur.rowcount == 1


def set_progress(conn: sqlite3.Connection, run_id: int, fraction: float, message: str) -> None:
    _write(conn, "UPDATE runs SET progress = ?, message = ? WHERE id = ? AND status = 'running'",
           (fraction, message, run_id))


def finish_run(conn: sqlite3.Connection, run_id: int, status: str, *,
               summary: dict[str, Any] | None = None, error: str | None = None) -> bool:
    """End an active run; a no-op (False) if it was already ended, e.g. cancelled."""
    cur = _write(
        conn,
        "UPDATE runs SET status = ?, summary_json = ?, error = ?, finished_at = ?, "
        "progress = CASE WHEN ? = 'done' THEN 1 ELSE progress END "
        "WHERE id = ? AND status IN ('queued', 'running')",
        (status, json.dumps(summary) if summary else None, error, time.time(), status, run_id),
    )
    return cur.rowcount == 1


def active_runs(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    return conn.execute("SELECT * FROM runs WHERE status IN ('queued', 'running')").fetchall()


def delete_run(conn: sqlite3.Connection, run_id: int) -> None:
    conn.execute("DELETE FROM run_files WHERE run_id = ?", (run_id,))
    conn.execute("DELETE FROM runs WHERE id = ?", (run_id,))
    conn.commit()


# --- audit log ----------------------------------------------------------------------

def add_audit(conn: sqlite3.Connection, action: str, *, user_id: int | None,
              user_name: str | None, run_id: int | None, ip: str | None,
              detail: str | None) -> None:
    _write(
        conn,
        "INSERT INTO audit_log (at, user_id, user_name, action, run_id, ip, detail) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (time.time(), user_id, user_name, action, run_id, ip, detail),
    )


def count_audit(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT COUNT(*) FROM audit_log").fetchone()[0]


def list_audit(conn: sqlite3.Connection, *, limit: int, offset: int) -> list[sqlite3.Row]:
    return conn.execute("SELECT * FROM audit_log ORDER BY id DESC LIMIT ? OFFSET ?",
                        (limit, offset)).fetchall()
