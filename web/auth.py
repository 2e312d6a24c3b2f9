"""Accounts: first-run setup, login with rate limit, logout, language switch, audit helper.

Every request passes :func:`load_user` and :func:`require_login` (registered on the app
before CSRF protection), so a new route is private unless its endpoint is listed in
``PUBLIC_ENDPOINTS``.
"""

from __future__ import annotations

import hashlib
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
from werkzeug.security import check_password_hash, generate_password_hash

from web import db
from web.i18n import LANGS, _

bp = Blueprint("auth", __name__)

ROLES = ("admin", "coordinator")
MIN_PASSWORD_LENGTH = 10
MAX_NAME_LENGTH = 60
PUBLIC_ENDPOINTS = frozenset({"auth.login", "auth.setup", "auth.set_language", "static"})
# Compared against when the user name is unknown, so a failed login costs the same time.
_DUMMY_HASH = generate_password_hash("not a real password")


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


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def ensure_setup_token(conn) -> str | None:
    """With no account yet, make a fresh one-time setup token and return it."""
    if db.count_users(conn):
        return None
    token = secrets.token_urlsafe(32)
    db.replace_setup_token(conn, _token_hash(token))
    return token


def load_user() -> None:
    g.user = None
    if request.endpoint == "static":
        return  # public files: no database work
    user_id = session.get("user_id")
    if user_id is not None:
        user = db.user_by_id(db.get_db(), user_id)
        if user is not None and user["active"]:
            g.user = user
        else:
            lang = session.get("lang")
            session.clear()
            if lang:
                session["lang"] = lang


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
    lang = session.get("lang")
    session.clear()  # a fresh session on login
    session.permanent = True
    session["user_id"] = user["id"]
    if lang:
        session["lang"] = lang


# --- views --------------------------------------------------------------------------

@bp.route("/login", methods=["GET", "POST"])
def login():
    if g.user is not None:
        return redirect(url_for("runs.index"))
    if request.method == "POST":
        name = request.form.get("name", "").strip()
        password = request.form.get("password", "")
        conn = db.get_db()
        key, ip, now = name.casefold()[:MAX_NAME_LENGTH], client_ip(), time.time()
        window = current_app.config["LOGIN_WINDOW_SECONDS"]
        user = db.user_by_name(conn, name) if name else None
        if db.count_login_failures(conn, key, ip, now - window) >= current_app.config[
                "LOGIN_MAX_FAILURES"]:
            audit("login_blocked", user=user)
            abort(429)
        ok = check_password_hash(user["password_hash"] if user else _DUMMY_HASH, password)
        if user is not None and user["active"] and ok:
            db.clear_login_failures(conn, key, ip, before=now - window)
            _start_session(user)
            g.user = user
            audit("login")
            return redirect(_local_path(request.args.get("next")) or url_for("runs.index"))
        db.add_login_failure(conn, key, ip)
        # The attempted name is recorded only when it is an existing account.
        audit("login_failed", user=user)
        flash(_("auth.bad_login"), "error")
    return render_template("auth/login.html")


@bp.post("/logout")
def logout():
    audit("logout")
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
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
