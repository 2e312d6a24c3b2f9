"""Database migrations: a database made with the first releases' schema (copied below
verbatim) is upgraded on start and keeps its users, runs, files and audit rows; run ids
are never given again after a delete, including ids only the audit log still names."""

from __future__ import annotations

import sqlite3
import time

import pytest
from web_helpers import PASSWORD, Browser, query, run_id_from
from werkzeug.security import generate_password_hash

from web import db

# web/schema.sql as of commit eb11b88 (before schema versions), verbatim.
V1_SCHEMA = """\
-- Schema of the web app's SQLite database. Applied on every start (idempotent).
-- Times are Unix seconds (REAL). Nothing here holds roster contents: runs keep
-- counts only; the uploaded files and plans live under instance/uploads/<run_id>/.

CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'coordinator')),
    active INTEGER NOT NULL DEFAULT 1,
    created_at REAL NOT NULL
);

-- One-time first-run setup tokens (sha256 of the token, never the token itself).
CREATE TABLE IF NOT EXISTS setup_tokens (
    token_hash TEXT PRIMARY KEY,
    created_at REAL NOT NULL
);

CREATE TABLE IF NOT EXISTS login_failures (
    id INTEGER PRIMARY KEY,
    name_key TEXT NOT NULL,
    ip TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS login_failures_key ON login_failures (name_key, ip, at);

CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id),
    created_at REAL NOT NULL,
    -- invalid: input errors; ready: validated; queued/running: worker alive;
    -- done / failed / cancelled: finished (failed and cancelled can be re-run).
    status TEXT NOT NULL CHECK (status IN
        ('invalid', 'ready', 'queued', 'running', 'done', 'failed', 'cancelled')),
    kind TEXT NOT NULL DEFAULT 'upload' CHECK (kind IN ('upload', 'sample', 'additions', 'full')),
    previous_run_id INTEGER,          -- no foreign key: the earlier run may be deleted
    roster_json TEXT,                 -- counts from validation (no personal data)
    summary_json TEXT,                -- counts and tiers of the plan (no personal data)
    progress REAL NOT NULL DEFAULT 0,
    message TEXT,
    error TEXT,
    pid INTEGER,
    pid_started REAL,
    started_at REAL,
    finished_at REAL
);
CREATE INDEX IF NOT EXISTS runs_user ON runs (user_id, created_at);

CREATE TABLE IF NOT EXISTS run_files (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('roster', 'addition', 'previous_plan')),
    stored_name TEXT NOT NULL,        -- generated; the only name used on disk
    display_name TEXT NOT NULL,       -- the user's file name, shown to its owner only
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS audit_log (
    id INTEGER PRIMARY KEY,
    at REAL NOT NULL,
    user_id INTEGER,
    user_name TEXT,
    action TEXT NOT NULL,
    run_id INTEGER,
    ip TEXT,
    detail TEXT                       -- never roster contents or file names
);
CREATE INDEX IF NOT EXISTS audit_at ON audit_log (at);
"""


def _v1_database(path) -> None:
    """A first-release database: two users, three runs (run 4 was deleted, but the audit
    log still names it), a run file, audit rows and a login failure."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path)
    conn.executescript(V1_SCHEMA)
    pw = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
    now = time.time() - 3600
    conn.executemany(
        "INSERT INTO users (id, name, password_hash, role, active, created_at) "
        "VALUES (?, ?, ?, ?, 1, ?)",
        [(1, "admin", pw, "admin", now), (2, "coord", pw, "coordinator", now)])
    conn.executemany(
        "INSERT INTO runs (id, user_id, created_at, status, kind, previous_run_id, "
        "roster_json, summary_json, progress) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(1, 2, now, "done", "upload", None, '{"returnees": 3}', '{"assigned": 3}', 1.0),
         (2, 2, now + 1, "invalid", "sample", None, None, None, 0.0),
         (3, 1, now + 2, "ready", "full", 1, '{"returnees": 4}', None, 0.0)])
    conn.execute(
        "INSERT INTO run_files (run_id, role, stored_name, display_name, size, sha256) "
        "VALUES (1, 'roster', 'f0.csv', 'roster.csv', 120, 'ab')")
    conn.executemany(
        "INSERT INTO audit_log (at, user_id, user_name, action, run_id, ip, detail) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(now, 2, "coord", "login", None, "127.0.0.1", None),
         (now, 2, "coord", "upload", 1, "127.0.0.1", "kind=upload; files=1"),
         (now, 2, "coord", "upload", 4, "127.0.0.1", "kind=upload; files=1"),
         (now, 2, "coord", "delete", 4, "127.0.0.1", None)])
    conn.execute("INSERT INTO login_failures (name_key, ip, at) VALUES ('coord', '1.2.3.4', ?)",
                 (now,))
    conn.commit()
    conn.close()


def _dump(path, tables=("users", "runs", "run_files", "audit_log", "login_failures")):
    conn = sqlite3.connect(path)
    try:
        return {t: conn.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall() for t in tables}
    finally:
        conn.close()


def _shape(path) -> dict:
    """Tables with their columns (name, type, not null, default, primary key), indexes
    with their columns, and which tables are AUTOINCREMENT."""
    conn = sqlite3.connect(path)
    try:
        shape = {}
        for (name, sql) in conn.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' ORDER BY name"):
            columns = [tuple(r[1:]) for r in conn.execute(f"PRAGMA table_info({name})")]
            indexes = sorted(
                (r[1], tuple(c[2] for c in conn.execute(f"PRAGMA index_info({r[1]})")))
                for r in conn.execute(f"PRAGMA index_list({name})"))
            keys = [tuple(r[2:]) for r in conn.execute(f"PRAGMA foreign_key_list({name})")]
            shape[name] = (columns, indexes, keys, "AUTOINCREMENT" in sql.upper())
        return shape
    finally:
        conn.close()


def test_first_release_database_is_upgraded_and_keeps_everything(make_app, instance):
    """Start the app on a version-1 database: it is upgraded to the current version, every
    row is kept, its shape is the same as a new database's, the old accounts log in and
    see their runs, and the new schema works (sessions; run ids above every id used)."""
    path = instance / "planner.sqlite"
    _v1_database(path)
    before = _dump(path)
    app = make_app()
    assert _dump(path) == before
    conn = db.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == db.SCHEMA_VERSION
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    fresh = instance.parent / "fresh" / "planner.sqlite"
    make_app(INSTANCE_PATH=fresh.parent)
    assert _shape(path) == _shape(fresh)
    assert _shape(path)["runs"][3]  # AUTOINCREMENT

    coord = Browser(app.test_client())
    assert coord.login("coord").status_code == 302  # old password hash, new session table
    page = coord.get("/").get_data(as_text=True)
    assert "/runs/1" in page and "/runs/2" in page and "/runs/3" not in page
    assert query(app, "SELECT COUNT(*) AS n FROM sessions")[0]["n"] == 1
    new_id = run_id_from(coord.upload())
    assert new_id == 5  # 4 was deleted before the upgrade: the audit log names it
    coord.post(f"/runs/{new_id}/delete")
    assert run_id_from(coord.upload()) == 6
    audit = query(app, "SELECT action, run_id FROM audit_log ORDER BY id")
    assert [tuple(r) for r in audit[:4]] == [("login", None), ("upload", 1), ("upload", 4),
                                             ("delete", 4)]

    kept = _dump(path)
    make_app()  # a second start changes nothing
    assert _dump(path) == kept


def test_upgrade_of_an_empty_first_release_database(make_app, instance):
    """A version-1 database with no rows at all upgrades too, and run ids start at 1."""
    path = instance / "planner.sqlite"
    path.parent.mkdir(parents=True)
    conn = sqlite3.connect(path)
    conn.executescript(V1_SCHEMA)
    conn.close()
    app = make_app()
    with app.app_context():
        from web.auth import create_user

        create_user("coord", "coordinator", PASSWORD)
    coord = Browser(app.test_client())
    coord.login("coord")
    assert run_id_from(coord.upload()) == 1


def test_database_newer_than_the_program_is_refused(make_app, instance):
    """A database from a newer release is left alone and the start fails plainly."""
    make_app()
    conn = sqlite3.connect(instance / "planner.sqlite")
    conn.execute(f"PRAGMA user_version = {db.SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(RuntimeError, match="newer"):
        make_app()


def test_run_ids_are_never_reused_after_a_delete(app, coord):
    """Deleting the newest run does not free its id for the next upload."""
    first = run_id_from(coord.upload())
    second = run_id_from(coord.upload())
    coord.post(f"/runs/{second}/delete")
    assert not query(app, "SELECT * FROM runs WHERE id = ?", (second,))
    third = run_id_from(coord.upload())
    assert first < second < third
    assert coord.get(f"/runs/{second}").status_code == 404
