"""Admin pages: user accounts (create, change role, set a password, disable/enable, log
out everywhere) and the audit log. Disabling a user, setting their password and "log out
everywhere" end every session of that user at once."""

from __future__ import annotations

import time

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.security import generate_password_hash

from matcher import catalog
from web import db
from web.auth import (
    MIN_PASSWORD_LENGTH,
    ROLES,
    audit,
    create_user,
    end_user_sessions,
    new_user_problems,
)
from web.i18n import _, _n

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
def require_admin():
    if g.user is None or g.user["role"] != "admin":
        abort(403)


@bp.get("/users")
def users():
    conn = db.get_db()
    since = time.time() - current_app.permanent_session_lifetime.total_seconds()
    return render_template("admin/users.html", users=db.list_users(conn), roles=ROLES,
                           sessions=db.session_counts(conn, since))


@bp.post("/users")
def create():
    name = request.form.get("name", "").strip()
    role = request.form.get("role", "")
    password = request.form.get("password", "")
    problems = new_user_problems(name, role, password)
    if name and db.user_by_name(db.get_db(), name) is not None:
        problems.append("users.name_taken")
    if problems:
        for p in problems:
            flash(_(p, n=MIN_PASSWORD_LENGTH), "error")
    else:
        user_id = create_user(name, role, password)
        audit("user_created", detail=f"user_id={user_id}; role={role}")
        flash(_("users.created", name=name), "info")
    return redirect(url_for("admin.users"))


def _target(user_id: int):
    user = db.user_by_id(db.get_db(), user_id)
    if user is None:
        abort(404)
    return user


def _is_last_admin(user) -> bool:
    return (user["role"] == "admin" and user["active"]
            and db.count_active_admins(db.get_db()) <= 1)


@bp.post("/users/<int:user_id>/role")
def set_role(user_id: int):
    user = _target(user_id)
    role = request.form.get("role", "")
    if role not in ROLES:
        abort(400)
    if role != "admin" and _is_last_admin(user):
        flash(_("users.last_admin"), "error")
    elif role != user["role"]:
        db.set_user_role(db.get_db(), user_id, role)
        audit("user_role_changed", detail=f"user_id={user_id}; role={role}")
        flash(_("users.updated", name=user["name"]), "info")
    return redirect(url_for("admin.users"))


@bp.post("/users/<int:user_id>/active")
def set_active(user_id: int):
    user = _target(user_id)
    active = request.form.get("active") == "1"
    if not active and (user["id"] == g.user["id"] or _is_last_admin(user)):
        flash(_("users.cannot_disable"), "error")
    elif bool(user["active"]) != active:
        db.set_user_active(db.get_db(), user_id, active)
        detail = f"user_id={user_id}"
        if not active:
            detail += f"; sessions_ended={end_user_sessions(user_id)}"
        audit("user_enabled" if active else "user_disabled", detail=detail)
        flash(_("users.updated", name=user["name"]), "info")
    return redirect(url_for("admin.users"))


@bp.post("/users/<int:user_id>/password")
def set_password(user_id: int):
    """Give a user a new password (e.g. a forgotten one); their sessions all end."""
    user = _target(user_id)
    password = request.form.get("password", "")
    problems = new_user_problems(user["name"], user["role"], password)
    if problems:
        for p in problems:
            flash(_(p, n=MIN_PASSWORD_LENGTH), "error")
        return redirect(url_for("admin.users"))
    method = current_app.config["PASSWORD_HASH_METHOD"]
    db.set_user_password(db.get_db(), user_id, generate_password_hash(password, method=method))
    ended = end_user_sessions(user_id)
    audit("user_password_set", detail=f"user_id={user_id}; sessions_ended={ended}")
    flash(_("users.password_set", name=user["name"]), "info")
    if user_id == g.user["id"]:
        return redirect(url_for("auth.login"))
    return redirect(url_for("admin.users"))


@bp.post("/users/<int:user_id>/end-sessions")
def logout_everywhere(user_id: int):
    """End every session of a user (a lost phone, a shared computer)."""
    user = _target(user_id)
    ended = end_user_sessions(user_id)
    audit("user_logged_out", detail=f"user_id={user_id}; sessions_ended={ended}")
    flash(_n("users.logged_out", ended, name=user["name"]), "info")
    if user_id == g.user["id"]:
        return redirect(url_for("auth.login"))
    return redirect(url_for("admin.users"))


# audit detail "key=value" -> where the value's words are (catalogue prefixes, in order)
DETAIL_VALUES = {"kind": ("kind.", "download.", "audit.file."), "after": ("status.",),
                 "role": ("role.",)}


def audit_detail(detail: str | None) -> str:
    """An audit row's detail ("kind=upload; files=1", written by the code) in the page's
    language; a part without words stays as it is."""
    shown = []
    for part in (detail or "").split("; "):
        key, sep, value = part.partition("=")
        if not sep:
            shown.append(_("audit.first_run") if part == "first-run setup" else part)
            continue
        for prefix in DETAIL_VALUES.get(key, ()):
            if catalog.has(prefix + value):
                value = _(prefix + value)
                break
        label = "audit.detail." + key
        shown.append(_(label, value=value) if catalog.has(label) else part)
    return "; ".join(p for p in shown if p)


@bp.get("/audit")
def audit_log():
    size = current_app.config["AUDIT_PAGE_SIZE"]
    conn = db.get_db()
    total = db.count_audit(conn)
    pages = max(1, -(-total // size))
    page = min(max(request.args.get("page", 1, type=int), 1), pages)
    rows = db.list_audit(conn, limit=size, offset=(page - 1) * size)
    return render_template("admin/audit.html", rows=rows, page=page, pages=pages, total=total,
                           detail=audit_detail)
