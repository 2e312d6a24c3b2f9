"""All SQL of the web app, over the standard library's sqlite3.

Every function takes the connection first, so the Flask views (``get_db()``) and the
worker process (``connect(path)``) share the same queries. The schema lives in
``schema.sql``; the database carries its version in ``PRAGMA user_version`` and
:func:`init_db` (every start) upgrades an older one step by step (:data:`MIGRATIONS`).
WAL mode lets the worker write progress while the app reads.
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


# --- schema versions ------------------------------------------------------------------
#
# Version 1 is the schema of the first releases (user_version 0, never set). Each step
# below takes a database from version n-1 to n inside one transaction, with foreign keys
# off (a table rebuild must not cascade deletes); schema.sql is the newest version.

def _v2_runs_autoincrement_and_sessions(conn: sqlite3.Connection) -> None:
    """Run ids never reused (AUTOINCREMENT, counter past every id the audit log or a
    rerun names), server-side sessions, indexes for the per-address login throttle."""
    conn.execute("""
        CREATE TABLE runs_v2 (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            user_id INTEGER NOT NULL REFERENCES users (id),
            created_at REAL NOT NULL,
            status TEXT NOT NULL CHECK (status IN
                ('invalid', 'ready', 'queued', 'running', 'done', 'failed', 'cancelled')),
            kind TEXT NOT NULL DEFAULT 'upload'
                CHECK (kind IN ('upload', 'sample', 'additions', 'full')),
            previous_run_id INTEGER,
            roster_json TEXT,
            summary_json TEXT,
            progress REAL NOT NULL DEFAULT 0,
            message TEXT,
            error TEXT,
            pid INTEGER,
            pid_started REAL,
            started_at REAL,
            finished_at REAL
        )""")
    columns = ("id, user_id, created_at, status, kind, previous_run_id, roster_json, "
               "summary_json, progress, message, error, pid, pid_started, started_at, "
               "finished_at")
    conn.execute(f"INSERT INTO runs_v2 ({columns}) SELECT {columns} FROM runs")
    conn.execute("DROP TABLE runs")
    conn.execute("ALTER TABLE runs_v2 RENAME TO runs")
    conn.execute("CREATE INDEX IF NOT EXISTS runs_user ON runs (user_id, created_at)")
    highest = conn.execute(
        "SELECT MAX(COALESCE((SELECT MAX(id) FROM runs), 0), "
        "COALESCE((SELECT MAX(previous_run_id) FROM runs), 0), "
        "COALESCE((SELECT MAX(run_id) FROM audit_log), 0))").fetchone()[0]
    conn.execute("DELETE FROM sqlite_sequence WHERE name = 'runs'")
    conn.execute("INSERT INTO sqlite_sequence (name, seq) VALUES ('runs', ?)", (highest,))
    conn.execute("""
        CREATE TABLE IF NOT EXISTS sessions (
            token_hash TEXT PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            created_at REAL NOT NULL,
            seen_at REAL NOT NULL
        )""")
    conn.execute("CREATE INDEX IF NOT EXISTS sessions_user ON sessions (user_id)")
    conn.execute("CREATE INDEX IF NOT EXISTS login_failures_name "
                 "ON login_failures (name_key, at)")
    conn.execute("CREATE INDEX IF NOT EXISTS login_failures_ip ON login_failures (ip, at)")
    conn.execute("CREATE INDEX IF NOT EXISTS login_failures_at ON login_failures (at)")


# MIGRATIONS[n - 2] upgrades version n-1 to n; add new steps at the end (and the same
# change to schema.sql).
MIGRATIONS = (_v2_runs_autoincrement_and_sessions,)
SCHEMA_VERSION = 1 + len(MIGRATIONS)


def schema_version(conn: sqlite3.Connection) -> int:
    """0 for an empty database, else its version (a first-release database says 0: 1)."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version:
        return version
    has_users = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'users'").fetchone()
    return 1 if has_users else 0


def init_db(conn: sqlite3.Connection) -> None:
    """Create a new database, or upgrade an older one to :data:`SCHEMA_VERSION`. Each step
    commits on its own, so a failed step leaves the database at the previous version.
    A database newer than this code is refused (RuntimeError) rather than touched."""
    conn.execute("PRAGMA journal_mode = WAL")
    conn.commit()
    conn.execute("PRAGMA foreign_keys = OFF")  # no effect inside a transaction: set first
    try:
        while True:
            conn.execute("BEGIN IMMEDIATE")  # one starter migrates, another one waits
            try:
                version = schema_version(conn)
                if version > SCHEMA_VERSION:
                    raise RuntimeError(
                        f"database schema version {version} is newer than this program's "
                        f"({SCHEMA_VERSION}); upgrade the program")
                if version == SCHEMA_VERSION:
                    conn.rollback()
                    break
                if version == 0:
                    _run_script(conn, SCHEMA.read_text(encoding="utf-8"))
                else:
                    MIGRATIONS[version - 1](conn)
                    problems = conn.execute("PRAGMA foreign_key_check").fetchall()
                    if problems:
                        raise RuntimeError(f"schema upgrade to {version + 1} broke "
                                           f"{len(problems)} references")
                new_version = SCHEMA_VERSION if version == 0 else version + 1
                conn.execute(f"PRAGMA user_version = {new_version}")
                conn.commit()
            except BaseException:
                conn.rollback()
                raise
    finally:
        conn.execute("PRAGMA foreign_keys = ON")
    # Idempotent: creates any table or index schema.sql gained without a migration step.
    conn.executescript(SCHEMA.read_text(encoding="utf-8"))
    conn.commit()


def _run_script(conn: sqlite3.Connection, script: str) -> None:
    """Run a multi-statement SQL script inside the current transaction (executescript
    would commit it first)."""
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                conn.execute(buffer)
            buffer = ""
    if buffer.strip() and not buffer.strip().startswith("--"):
        conn.execute(buffer)


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


def set_user_password(conn: sqlite3.Connection, user_id: int, password_hash: str) -> None:
    _write(conn, "UPDATE users SET password_hash = ? WHERE id = ?", (password_hash, user_id))


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


# --- login throttle -----------------------------------------------------------------

def add_login_failure(conn: sqlite3.Connection, name_key: str, ip: str,
                      forget_before: float) -> None:
    """Record a failure; everyone's failures older than ``forget_before`` are dropped."""
    conn.execute("DELETE FROM login_failures WHERE at < ?", (forget_before,))
    _write(conn, "INSERT INTO login_failures (name_key, ip, at) VALUES (?, ?, ?)",
           (name_key, ip, time.time()))


def login_failures(conn: sqlite3.Connection, since: float, *, name_key: str | None = None,
                   ip: str | None = None) -> tuple[int, float | None]:
    """How many failures since ``since`` for a name, an address or both, and the latest."""
    where, params = ["at >= ?"], [since]
    if name_key is not None:
        where.append("name_key = ?")
        params.append(name_key)
    if ip is not None:
        where.append("ip = ?")
        params.append(ip)
    row = conn.execute(f"SELECT COUNT(*), MAX(at) FROM login_failures WHERE "
                       f"{' AND '.join(where)}", params).fetchone()
    return row[0], row[1]


def nth_latest_failure_from(conn: sqlite3.Connection, ip: str, n: int) -> float | None:
    """Time of the address's n-th most recent failure (1 = the latest)."""
    row = conn.execute("SELECT at FROM login_failures WHERE ip = ? ORDER BY at DESC "
                       "LIMIT 1 OFFSET ?", (ip, max(n - 1, 0))).fetchone()
    return row[0] if row else None


def clear_login_failures(conn: sqlite3.Connection, name_key: str, ip: str,
                         before: float) -> None:
    """Forget this user+IP's failures, and everyone's failures older than ``before``."""
    conn.execute("DELETE FROM login_failures WHERE name_key = ? AND ip = ?", (name_key, ip))
    conn.execute("DELETE FROM login_failures WHERE at < ?", (before,))
    conn.commit()


# --- sessions -----------------------------------------------------------------------

def add_session(conn: sqlite3.Connection, token_hash: str, user_id: int,
                forget_before: float) -> None:
    """Store a new session; everyone's sessions started before ``forget_before`` go."""
    now = time.time()
    conn.execute("DELETE FROM sessions WHERE created_at < ?", (forget_before,))
    _write(conn, "INSERT INTO sessions (token_hash, user_id, created_at, seen_at) "
                 "VALUES (?, ?, ?, ?)", (token_hash, user_id, now, now))


def get_session(conn: sqlite3.Connection, token_hash: str) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM sessions WHERE token_hash = ?",
                        (token_hash,)).fetchone()


def touch_session(conn: sqlite3.Connection, token_hash: str) -> None:
    _write(conn, "UPDATE sessions SET seen_at = ? WHERE token_hash = ?",
           (time.time(), token_hash))


def delete_session(conn: sqlite3.Connection, token_hash: str) -> None:
    _write(conn, "DELETE FROM sessions WHERE token_hash = ?", (token_hash,))


def delete_user_sessions(conn: sqlite3.Connection, user_id: int) -> int:
    """End every session of a user; how many there were."""
    return _write(conn, "DELETE FROM sessions WHERE user_id = ?", (user_id,)).rowcount


def session_counts(conn: sqlite3.Connection, since: float) -> dict[int, int]:
    """Sessions started since ``since`` (still valid), per user id."""
    rows = conn.execute("SELECT user_id, COUNT(*) FROM sessions WHERE created_at >= ? "
                        "GROUP BY user_id", (since,)).fetchall()
    return {row[0]: row[1] for row in rows}


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
