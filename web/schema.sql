-- Schema of the web app's SQLite database, version 2 (PRAGMA user_version): a new database
-- is made from this file; an older one is upgraded by the steps in db.py (MIGRATIONS),
-- then this file is applied again (idempotent, so a table added here without a step still
-- appears). Times are Unix seconds (REAL). Nothing here holds roster contents: runs keep
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
CREATE INDEX IF NOT EXISTS login_failures_name ON login_failures (name_key, at);
CREATE INDEX IF NOT EXISTS login_failures_ip ON login_failures (ip, at);
CREATE INDEX IF NOT EXISTS login_failures_at ON login_failures (at);

-- Server-side sessions: the signed cookie carries a random token, this table its sha256.
-- Logout, a password change, disabling a user and "log out everywhere" delete rows, which
-- ends every copy of the cookie.
CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at REAL NOT NULL,
    seen_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_user ON sessions (user_id);

-- AUTOINCREMENT: a deleted run's id is never given again (the audit log names runs by id).
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
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
