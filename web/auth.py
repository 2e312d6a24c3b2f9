"""Accounts: first-run setup, login with throttling, server-side sessions, logout, the
user's own account page (password, log out everywhere), language switch, audit helper.

Every request passes :func:`load_user` and :func:`require_login` (registered on the app
before CSRF protection), so a new route is private unless its endpoint is listed in
``PUBLIC_ENDPOINTS``.

Sessions: the signed cookie holds a random token whose sha256 is a row of the
``sessions`` table, checked on every request. Logout deletes the row; a password change,
disabling a user and "log out everywhere" delete all the user's rows, so every copy of
the cookie stops working at once.

Login throttling (see :func:`login_wait`), none of which an attacker can turn into a
lock on the owner's right password from the owner's own address or browser:

* per client address across all names: ``LOGIN_IP_MAX_FAILURES`` failures within
  ``LOGIN_WINDOW_SECONDS`` refuse further attempts from that address (guessing many names);
* per name and address, after ``LOGIN_MAX_FAILURES`` failures, and per name across all
  addresses, after ``LOGIN_ACCOUNT_MAX_FAILURES``: a delay since the last failure that
  doubles with each further failure (``LOGIN_DELAY_SECONDS`` up to
  ``LOGIN_MAX_DELAY_SECONDS``), never a hard lock. A browser that has logged in to the
  account before (a signed "known device" cookie) is exempt from both name delays.

Behind a reverse proxy, ``TRUSTED_PROXIES`` (app.py) makes the client address real.
"""

from __future__ import annotations

import hashlib
import math
import secrets
import time
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.security import check_password_hash, generate_password_hash

from web import db
from web.i18n import LANGS, _

bp = Blueprint("auth", __name__)

ROLES = ("admin", "coordinator")
MIN_PASSWORD_LENGTH = 10
MAX_NAME_LENGTH = 60
PUBLIC_ENDPOINTS = frozenset({"auth.login", "auth.setup", "auth.set_language", "static"})
# Compared against when the user name is unknown, so a failed login costs the same time
# (one per hash method: the configured method is what real accounts use).
_DUMMY_HASHES: dict[str, str] = {}
DEVICE_COOKIE = "planner_device"
DEVICE_COOKIE_DAYS = 90
SESSION_TOUCH_SECONDS = 60  # how often a session's last-seen time is written


# --- helpers used by the other blueprints and the CLI --------------------------------

def client_ip() -> str:
    return request.remote_addr or "-"


def audit(action: str, *, run_id: int | None = None, detail: str | None = None,
          user: Any = None) -> None:
    """Write one audit row. ``detail`` must never hold roster contents or file names."""
    user = user if user is not None else g.get("user")
    db.add_audit(
        db.get_db(), action,
        user_id=user["id"] if user else None,
        user_name=user["name"] if user else None,
        run_id=run_id, ip=client_ip(), detail=detail,
    )


def new_user_problems(name: str, role: str, password: str) -> list[str]:
    """Message ids of what is wrong with a new account (empty list: fine)."""
    problems = []
    if not name or len(name) > MAX_NAME_LENGTH or not name.isprintable() or name != name.strip():
        problems.append("users.bad_name")
    if role not in ROLES:
        problems.append("users.bad_role")
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append("users.short_password")
    return problems


def create_user(name: str, role: str, password: str) -> int:
    """Create an account (needs an app context); ValueError if invalid or taken."""
    problems = new_user_problems(name, role, password)
    conn = db.get_db()
    if not problems and db.user_by_name(conn, name) is not None:
        problems.append("users.name_taken")
    if problems:
        raise ValueError("; ".join(_(p, lang="en", n=MIN_PASSWORD_LENGTH) for p in problems))
    method = current_app.config["PASSWORD_HASH_METHOD"]
    return db.insert_user(conn, name, generate_password_hash(password, method=method), role)


def _dummy_hash() -> str:
    method = current_app.config["PASSWORD_HASH_METHOD"]
    if method not in _DUMMY_HASHES:
        _DUMMY_HASHES[method] = generate_password_hash("not a real password", method=method)
    return _DUMMY_HASHES[method]


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def ensure_setup_token(conn) -> str | None:
    """With no account yet, make a fresh one-time setup token and return it."""
    if db.count_users(conn):
        return None
    token = secrets.token_urlsafe(32)
    db.replace_setup_token(conn, _token_hash(token))
    return token


def _clear_session() -> None:
    """Empty the cookie session, keeping only the language choice."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


def _session_lifetime() -> float:
    return current_app.permanent_session_lifetime.total_seconds()


def load_user() -> None:
    """``g.user`` from the session cookie, if its server-side session is still there."""
    g.user = None
    g.session_hash = None
    if request.endpoint == "static":
        return  # public files: no database work
    token = session.get("sid")
    if token is None and session.get("user_id") is None:
        return
    conn = db.get_db()
    row = db.get_session(conn, _token_hash(str(token))) if isinstance(token, str) else None
    now = time.time()
    user = None
    if (row is not None and row["user_id"] == session.get("user_id")
            and row["created_at"] > now - _session_lifetime()):
        user = db.user_by_id(conn, row["user_id"])
    if user is None or not user["active"]:
        _clear_session()  # a cookie of an ended session (or from before sessions)
        return
    g.user = user
    g.session_hash = row["token_hash"]
    if now - row["seen_at"] > SESSION_TOUCH_SECONDS:
        db.touch_session(conn, row["token_hash"])


def require_login():
    if request.endpoint in PUBLIC_ENDPOINTS or g.user is not None:
        return None
    return redirect(url_for("auth.login", next=_local_path(request.full_path)))


def _local_path(target: str | None) -> str | None:
    """``target`` if it is a path on this site (no open redirect), else None."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target:
        return None
    return target.rstrip("?") or "/"


def _start_session(user) -> None:
    """A fresh cookie session (new token, new CSRF secret) backed by a sessions row."""
    _clear_session()
    session.permanent = True
    token = secrets.token_urlsafe(32)
    db.add_session(db.get_db(), _token_hash(token), user["id"],
                   forget_before=time.time() - _session_lifetime())
    session["sid"] = token
    session["user_id"] = user["id"]
    g.session_hash = _token_hash(token)


def end_user_sessions(user_id: int) -> int:
    """End every session of a user (all devices, all copies of their cookies)."""
    return db.delete_user_sessions(db.get_db(), user_id)


# --- login throttle -------------------------------------------------------------------

def _device_signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="planner-known-device")


def _known_device(user) -> bool:
    """True if this browser has logged in to ``user``'s account before."""
    value = request.cookies.get(DEVICE_COOKIE)
    if user is None or not value:
        return False
    try:
        ids = _device_signer().loads(value, max_age=DEVICE_COOKIE_DAYS * 86400)
    except BadSignature:
        return False
    return isinstance(ids, list) and user["id"] in ids


def _remember_device(response, user) -> None:
    ids = []
    value = request.cookies.get(DEVICE_COOKIE)
    if value:
        try:
            ids = _device_signer().loads(value, max_age=DEVICE_COOKIE_DAYS * 86400)
        except BadSignature:
            ids = []
    ids = [i for i in ids if isinstance(i, int) and i != user["id"]][-9:] + [user["id"]]
    response.set_cookie(DEVICE_COOKIE, _device_signer().dumps(ids),
                        max_age=DEVICE_COOKIE_DAYS * 86400, httponly=True, samesite="Lax",
                        secure=bool(current_app.config["SESSION_COOKIE_SECURE"]))


def _growing_delay(failures: int, free: int) -> float:
    """Seconds to wait after the last failure: none below ``free`` failures, then
    LOGIN_DELAY_SECONDS doubling with each further failure, capped."""
    if failures < free:
        return 0.0
    config = current_app.config
    base, cap = config["LOGIN_DELAY_SECONDS"], config["LOGIN_MAX_DELAY_SECONDS"]
    return min(base * 2 ** min(failures - free, 40), cap)


def login_wait(conn, key: str, ip: str, *, known_device: bool) -> float:
    """Seconds before a login attempt for name ``key`` from ``ip`` is allowed (0: now)."""
    config = current_app.config
    now = time.time()
    window = config["LOGIN_WINDOW_SECONDS"]
    since = now - window
    wait = 0.0
    limit = config["LOGIN_IP_MAX_FAILURES"]
    count, _latest = db.login_failures(conn, since, ip=ip)
    if count >= limit:  # wait until the limit-th latest failure leaves the window
        at = db.nth_latest_failure_from(conn, ip, limit)
        wait = max(wait, (at or now) + window - now)
    if not known_device:
        for count, latest, free in (
                (*db.login_failures(conn, since, name_key=key, ip=ip),
                 config["LOGIN_MAX_FAILURES"]),
                (*db.login_failures(conn, since, name_key=key),
                 config["LOGIN_ACCOUNT_MAX_FAILURES"])):
            if latest is not None:
                wait = max(wait, latest + _growing_delay(count, free) - now)
    return max(wait, 0.0)


def _too_many(wait: float, user):
    seconds = max(1, math.ceil(wait))
    audit("login_blocked", user=user, detail=f"retry_after={seconds}")
    response = current_app.make_response((render_template(
        "error.html", code=429, key="429",
        message=_("auth.throttled", seconds=seconds)), 429))
    response.headers["Retry-After"] = str(seconds)
    return response


# --- views --------------------------------------------------------------------------

@bp.route("/login", methods=["GET", "POST"])
def login():
    if g.user is not None:
        return redirect(url_for("runs.index"))
    if request.method == "POST":
        name = request.form.get("name", "").strip()
        password = request.form.get("password", "")
        conn = db.get_db()
        key, ip = name.casefold()[:MAX_NAME_LENGTH], client_ip()
        user = db.user_by_name(conn, name) if name else None
        wait = login_wait(conn, key, ip, known_device=_known_device(user))
        if wait > 0:
            return _too_many(wait, user)  # refused unchecked: no guess gets through
        ok = check_password_hash(user["password_hash"] if user else _dummy_hash(), password)
        window = current_app.config["LOGIN_WINDOW_SECONDS"]
        if user is not None and user["active"] and ok:
            db.clear_login_failures(conn, key, ip, before=time.time() - window)
            _start_session(user)
            g.user = user
            audit("login")
            response = redirect(_local_path(request.args.get("next")) or url_for("runs.index"))
            _remember_device(response, user)
            return response
        db.add_login_failure(conn, key, ip, forget_before=time.time() - window)
        # The attempted name is recorded only when it is an existing account.
        audit("login_failed", user=user)
        flash(_("auth.bad_login"), "error")
    return render_template("auth/login.html")


@bp.post("/logout")
def logout():
    audit("logout")
    if g.session_hash:
        db.delete_session(db.get_db(), g.session_hash)
    _clear_session()
    return redirect(url_for("auth.login"))


@bp.get("/account")
def account():
    return render_template("auth/account.html", min_length=MIN_PASSWORD_LENGTH)


@bp.post("/account/password")
def change_password():
    """Change one's own password: every other session of the account ends, this browser
    gets a fresh one."""
    user = g.user
    conn = db.get_db()
    key, ip = user["name"].casefold()[:MAX_NAME_LENGTH], client_ip()
    wait = login_wait(conn, key, ip, known_device=False)
    if wait > 0:
        return _too_many(wait, user)
    current = request.form.get("current_password", "")
    new = request.form.get("password", "")
    if not check_password_hash(user["password_hash"], current):
        db.add_login_failure(conn, key, ip,
                             forget_before=time.time() - current_app.config["LOGIN_WINDOW_SECONDS"])
        audit("password_change_failed")
        flash(_("account.wrong_password"), "error")
        return redirect(url_for("auth.account"))
    problems = new_user_problems(user["name"], user["role"], new)
    if new != request.form.get("password2", ""):
        problems.append("users.passwords_differ")
    if problems:
        for p in problems:
            flash(_(p, n=MIN_PASSWORD_LENGTH), "error")
        return redirect(url_for("auth.account"))
    method = current_app.config["PASSWORD_HASH_METHOD"]
    db.set_user_password(conn, user["id"], generate_password_hash(new, method=method))
    ended = end_user_sessions(user["id"])
    audit("password_changed", detail=f"sessions_ended={ended}")
    _start_session(db.user_by_id(conn, user["id"]))
    flash(_("account.password_changed"), "info")
    return redirect(url_for("auth.account"))


@bp.post("/account/logout-everywhere")
def logout_everywhere():
    """End every session of one's own account, this one included."""
    ended = end_user_sessions(g.user["id"])
    audit("logout_everywhere", detail=f"sessions_ended={ended}")
    _clear_session()
    return redirect(url_for("auth.login"))


@bp.route("/setup/<token>", methods=["GET", "POST"])
def setup(token: str):
    conn = db.get_db()
    digest = _token_hash(token)
    if db.count_users(conn) or not db.setup_token_exists(conn, digest):
        abort(404)
    if request.method == "POST":
        name = request.form.get("name", "").strip()
        password = request.form.get("password", "")
        problems = new_user_problems(name, "admin", password)
        if password != request.form.get("password2", ""):
            problems.append("users.passwords_differ")
        if not problems:
            if not db.take_setup_token(conn, digest):
                abort(404)
            user = db.user_by_id(conn, create_user(name, "admin", password))
            _start_session(user)
            g.user = user
            audit("user_created", detail="role=admin; first-run setup")
            audit("login")
            flash(_("setup.done"), "info")
            return redirect(url_for("runs.index"))
        for p in problems:
            flash(_(p, n=MIN_PASSWORD_LENGTH), "error")
    return render_template("auth/setup.html", token=token)


@bp.post("/lang")
def set_language():
    lang = request.form.get("lang")
    if lang in LANGS:
        session["lang"] = lang
    return redirect(_local_path(request.form.get("next")) or url_for("runs.index"))
