"""Flask application factory, security headers, error pages and CLI commands.

``create_app()`` prepares the instance folder (database, uploads, secret key), creates or
upgrades the database schema, marks runs whose worker process is gone as failed and, while
there is no account yet, prints a one-time setup URL for the first administrator.

Deployment settings: ``TRUSTED_PROXIES`` (how many reverse proxies in front of the app set
``X-Forwarded-For``/``X-Forwarded-Proto``; 0, the default, trusts no such header) and
``HTTPS`` (served over https: the session cookie gets ``Secure`` and every response an
HSTS header; off by default for plain http://127.0.0.1).
"""

from __future__ import annotations

import logging
import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app, render_template, request
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter, ValidationError

from matcher import catalog
from web import admin, auth, db, documents_view, i18n, jobs, runs, template_view

PROJECT_ROOT = Path(__file__).resolve().parent.parent
log = logging.getLogger(__name__)
csrf = CSRFProtect()

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}
ERROR_CODES = (400, 403, 404, 405, 413, 429, 500)
HSTS = "max-age=31536000"
SQLITE_MAX_INT = 2**63 - 1


class IdConverter(IntegerConverter):
    """``<int:...>`` in every route: an id SQLite can hold (1 .. 2**63-1); anything else
    (too long, negative, not a number) matches no route, so it is a 404, never a 500."""

    def __init__(self, map, *args, **kwargs):  # noqa: A002 (werkzeug's parameter name)
        kwargs.setdefault("max", SQLITE_MAX_INT)
        super().__init__(map, *args, **kwargs)

    def to_python(self, value: str) -> int:
        if len(value) > len(str(SQLITE_MAX_INT)):
            raise ValidationError()
        return super().to_python(value)


def create_app(test_config: dict[str, Any] | None = None, *,
               base_url: str = "http://127.0.0.1:5000") -> Flask:
    """Build the app. ``test_config`` replaces the instance config; its optional
    ``INSTANCE_PATH`` puts the whole instance folder (database, uploads, secret key)
    elsewhere, as does the ``PLANNER_INSTANCE_PATH`` environment variable. ``base_url`` is
    where the server listens: the first-run setup link printed on the console uses it."""
    test_config = dict(test_config or {})
    instance_path = (test_config.pop("INSTANCE_PATH", None)
                     or os.environ.get("PLANNER_INSTANCE_PATH") or None)
    app = Flask(__name__, instance_relative_config=True,
                instance_path=str(instance_path) if instance_path else None)
    app.config.from_mapping(
        DATABASE=os.path.join(app.instance_path, "planner.sqlite"),
        UPLOAD_FOLDER=os.path.join(app.instance_path, "uploads"),
        MAX_CONTENT_LENGTH=20 * 1024 * 1024,
        MAX_FILES=10,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=8),
        SESSION_COOKIE_NAME="planner_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=8 * 3600,
        # Over https Flask-WTF would also demand a same-site Referer, which browsers never
        # send here (Referrer-Policy: no-referrer): every form would fail. The token bound
        # to the session, SameSite=Lax and HSTS protect the forms.
        WTF_CSRF_SSL_STRICT=False,
        PASSWORD_HASH_METHOD="scrypt",  # werkzeug's strong default; tests use a cheap one
        LOGIN_MAX_FAILURES=5,            # per name and address, then growing delays
        LOGIN_ACCOUNT_MAX_FAILURES=10,   # per name from all addresses, then growing delays
        LOGIN_IP_MAX_FAILURES=20,        # per address across all names, then refused
        LOGIN_WINDOW_SECONDS=15 * 60,    # failures older than this are forgotten
        LOGIN_DELAY_SECONDS=15,          # first delay; doubles with each further failure
        LOGIN_MAX_DELAY_SECONDS=5 * 60,
        TRUSTED_PROXIES=0,               # reverse proxies in front (X-Forwarded-For hops)
        HTTPS=False,                     # served over https: Secure cookie and HSTS
        PLANNER="web.planner",
        SAMPLE_ROSTER=str(PROJECT_ROOT / "data" / "sample" / "roster.xlsx"),
        AUDIT_PAGE_SIZE=50,
        MAP_MAX_LINES=5000,
    )
    if test_config:
        app.config.from_mapping(test_config)
    else:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env("PLANNER")
    os.makedirs(app.instance_path, mode=0o700, exist_ok=True)
    os.makedirs(app.config["UPLOAD_FOLDER"], mode=0o700, exist_ok=True)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(Path(app.instance_path) / "secret_key")
    _deployment(app)

    _prepare_database(app, base_url)

    app.teardown_appcontext(db.close_db)
    i18n.init_app(app)
    # Login check first, so no route (present or future) is reachable without a session;
    # CSRF protection runs right after it for every POST.
    app.before_request(auth.load_user)
    app.before_request(auth.require_login)
    csrf.init_app(app)
    app.url_map.converters["int"] = IdConverter  # before any route is added
    app.register_blueprint(auth.bp)
    app.register_blueprint(runs.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(template_view.bp)
    app.register_blueprint(documents_view.bp)
    app.after_request(_security_headers)
    for code in ERROR_CODES:
        app.register_error_handler(code, _error_page)
    app.register_error_handler(CSRFError, _error_page)
    app.register_error_handler(Exception, _unexpected_error)
    _register_cli(app)
    return app


def _secret_key(path: Path) -> str:
    """The instance's session signing key, made once and kept readable only by us."""
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


def _deployment(app: Flask) -> None:
    """Trusted reverse proxies and HTTPS, from the settings."""
    hops = app.config["TRUSTED_PROXIES"]
    if isinstance(hops, bool) or not isinstance(hops, int) or hops < 0:
        raise ValueError(f"TRUSTED_PROXIES must be a whole number >= 0, not {hops!r}")
    if hops:
        # Only the last ``hops`` X-Forwarded-For entries (added by our own proxies) count;
        # whatever a client writes in front of them is ignored.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    else:
        warned = []

        @app.before_request
        def _warn_untrusted_proxy():
            # Behind a proxy the setting matters: every client would share its address.
            if not warned and "X-Forwarded-For" in request.headers:
                warned.append(True)
                log.warning("requests carry X-Forwarded-For but TRUSTED_PROXIES is 0: the "
                            "audit log and the login throttle see the proxy's address; set "
                            "PLANNER_TRUSTED_PROXIES to the number of proxies in front")
    if app.config["HTTPS"]:
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["PREFERRED_URL_SCHEME"] = "https"


def _prepare_database(app: Flask, base_url: str) -> None:
    conn = db.connect(app.config["DATABASE"])
    try:
        db.init_db(conn)
        failed = jobs.recover(conn)
        if failed:
            log.warning("runs marked failed because their worker is gone: %s", failed)
        token = auth.ensure_setup_token(conn)
    finally:
        conn.close()
    if token:
        # The one console line of the first start: how to create the first admin.
        print(catalog.text("web.setup_link", catalog.DEFAULT_LANG, token=token,
                           url=f"{base_url.rstrip('/')}/setup/{token}"), flush=True)


def _security_headers(response):
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if request.endpoint != "static":
        response.headers["Cache-Control"] = "no-store"
    if current_app.config["HTTPS"]:
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def _error_page(exc: HTTPException):
    code = exc.code or 500
    key = "csrf" if isinstance(exc, CSRFError) else str(code)
    if key not in ("csrf", *map(str, ERROR_CODES)):
        key = "500"
    if request.accept_mimetypes.best == "application/json":  # the pages' fetch() calls
        return {"error": i18n._("error." + key + ".text")}, code
    return render_template("error.html", code=code, key=key), code


def _unexpected_error(exc: Exception):
    if isinstance(exc, HTTPException):
        return _error_page(exc)
    runs.log_failure(f"request {request.endpoint}", exc)
    return _error_page(InternalServerError())


def _register_cli(app: Flask) -> None:
    @app.cli.command("init-db")
    def init_db_command():
        """Create or upgrade the database tables (also done on every start)."""
        conn = db.connect(app.config["DATABASE"])
        db.init_db(conn)
        conn.close()
        click.echo(catalog.text("web.db_ready", catalog.DEFAULT_LANG))
    # Accounts are made by `python run.py create-user` (cli/users.py), the one command
    # for them, or on the admin page.


def serve(host: str = "127.0.0.1", port: int = 5000) -> None:
    """Serve the app with waitress (what ``python run.py`` starts)."""
    from waitress import serve as waitress_serve

    url = f"http://{host}:{port}"
    app = create_app(base_url=url)
    print(catalog.text("cli.web.serving", catalog.DEFAULT_LANG, url=url), flush=True)
    waitress_serve(app, host=host, port=port, threads=8)
