"""Login wall, CSRF, security headers, error pages and ownership of runs."""

from __future__ import annotations

import logging

from web_helpers import SECRET_NAME, Browser, run_id_from
from werkzeug.routing import IntegerConverter

from web.auth import PUBLIC_ENDPOINTS

PUBLIC = {"auth.login", "auth.setup", "auth.set_language", "static"}


def _sample_url(rule) -> str:
    values = {}
    for arg in rule.arguments:
        converter = rule._converters[arg]
        values[arg] = 1 if isinstance(converter, IntegerConverter) else "x"
    return rule.build(values)[1]


def test_public_endpoints_are_only_login_setup_static_and_language(app):
    """The login wall's exception list is exactly login, setup, static and language."""
    assert set(PUBLIC_ENDPOINTS) == PUBLIC
    assert {r.endpoint for r in app.url_map.iter_rules()} >= PUBLIC


def test_every_route_redirects_anonymous_users_to_login(app):
    """Every rule in url_map, for every method, sends an anonymous request to /login
    (CSRF protection is on, so POSTs prove the login check runs first)."""
    client = app.test_client()
    checked = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC:
            continue
        url = _sample_url(rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method)
            assert response.status_code == 302, (method, url, response.status_code)
            assert response.headers["Location"].startswith("/login"), (method, url)
            checked += 1
    assert checked >= 20


def test_unknown_url_also_redirects_anonymous_users(app):
    """A URL that matches no route reveals nothing to an anonymous user."""
    response = app.test_client().get("/no/such/page")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_post_without_csrf_token_is_refused(coord):
    """A logged-in POST without the CSRF token is a 400 page and changes nothing."""
    response = coord.client.post("/logout")
    assert response.status_code == 400
    assert "Biểu mẫu đã hết hạn" in response.get_data(as_text=True)
    assert coord.get("/").status_code == 200  # still logged in
    response = coord.client.post("/runs/new", data={"files": []})
    assert response.status_code == 400


def test_login_post_without_csrf_token_is_refused(browser):
    """Even the login form needs its CSRF token."""
    response = browser.client.post("/login", data={"name": "coord", "password": "x" * 12})
    assert response.status_code == 400


def test_security_headers_on_every_response(coord):
    """Pages, JSON, static files and error pages all carry the security headers."""
    for url in ("/", "/login", "/static/app.js", "/runs/999", "/runs/999/status"):
        response = coord.get(url)
        headers = response.headers
        assert headers["Content-Security-Policy"].startswith("default-src 'self'"), url
        assert "unsafe-inline" not in headers["Content-Security-Policy"]
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"] == "no-referrer"
        response.close()


def test_templates_have_no_inline_scripts_or_styles(app):
    """CSP forbids inline scripts and style attributes, so the templates have none."""
    from pathlib import Path

    for path in Path(app.root_path, "templates").rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert "<script>" not in text and "<script " not in text.replace(
            '<script src="{{ url_for(\'static\', filename=\'app.js\') }}" defer>', ""), path
        assert " style=" not in text and " on" + "click=" not in text, path


def test_coordinator_cannot_open_another_coordinators_run(app, coord):
    """Every page and action of another coordinator's run is a 404; admins may open it."""
    run_id = run_id_from(coord.upload())
    other = Browser(app.test_client())
    other.login("other")
    for url in (f"/runs/{run_id}", f"/runs/{run_id}/status", f"/runs/{run_id}/result",
                f"/runs/{run_id}/rerun", f"/runs/{run_id}/download/json",
                f"/runs/{run_id}/checked-roster",
                f"/runs/{run_id}/alternatives/0"):
        assert other.get(url).status_code == 404, url
    for url in (f"/runs/{run_id}/start", f"/runs/{run_id}/cancel", f"/runs/{run_id}/delete"):
        assert other.post(url).status_code == 404, url
    assert f"/runs/{run_id}\"" not in other.get("/").get_data(as_text=True)
    assert coord.get(f"/runs/{run_id}").status_code == 200  # the delete above did nothing
    admin = Browser(app.test_client())
    admin.login("admin")
    assert admin.get(f"/runs/{run_id}").status_code == 200


def test_unknown_run_is_a_friendly_404(coord):
    """An unknown run id gives the translated 404 page, not a traceback."""
    response = coord.get("/runs/424242")
    assert response.status_code == 404
    assert "Không tìm thấy" in response.get_data(as_text=True)


def test_unexpected_error_is_a_friendly_500_and_logs_no_content(make_app, caplog):
    """An exception in a view gives the 500 page; the log names the error type and place
    but not its message (which could quote roster cells)."""
    app = make_app()

    def boom():
        raise RuntimeError(SECRET_NAME)

    app.add_url_rule("/boom", "boom", boom)
    with app.app_context():
        from web.auth import create_user

        create_user("u", "coordinator", "p" * 12)
    b = Browser(app.test_client())
    b.login("u", "p" * 12)
    with caplog.at_level(logging.INFO):
        response = b.get("/boom")
    text = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Đã có lỗi" in text and "Traceback" not in text and SECRET_NAME not in text
    assert "RuntimeError" in caplog.text and SECRET_NAME not in caplog.text


BAD_IDS = ("99999999999999999999999", "9223372036854775808", "1" * 5000, "abc", "-1", "1.5",
           "0x10", "%20", "0", "9223372036854775807")


def test_unparsable_or_out_of_range_run_ids_are_404(app, coord, admin):
    """Any run id that is not a number SQLite can hold, or no run, is a 404 page (or JSON
    404 for the pages' fetch calls), never a 500, on every run route."""
    for bad in BAD_IDS:
        for url in (f"/runs/{bad}", f"/runs/{bad}/status", f"/runs/{bad}/result",
                    f"/runs/{bad}/checked-roster", f"/runs/{bad}/download/json",
                    f"/runs/{bad}/alternatives/{bad}", f"/runs/1/alternatives/{bad}"):
            response = coord.get(url)
            assert response.status_code == 404, (url[:60], response.status_code)
        response = coord.get(f"/runs/{bad}/status", headers={"Accept": "application/json"})
        assert response.status_code == 404 and "error" in response.get_json()
        assert "Không tìm thấy" in coord.get(f"/runs/{bad}").get_data(as_text=True)
        for url in (f"/runs/{bad}/start", f"/runs/{bad}/cancel", f"/runs/{bad}/delete"):
            assert coord.post(url).status_code == 404, url[:60]
        for url in (f"/admin/users/{bad}/active", f"/admin/users/{bad}/role",
                    f"/admin/users/{bad}/end-sessions", f"/admin/users/{bad}/password"):
            assert admin.post(url, {"active": "0", "role": "admin",
                                    "password": "x" * 12}).status_code == 404, url[:60]
