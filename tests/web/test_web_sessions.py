"""Server-side sessions: a copied cookie dies with logout, a password change, a disabled
account and "log out everywhere"; Secure cookie and HSTS behind HTTPS; the trusted proxy
setting."""

from __future__ import annotations

import time

from web_helpers import PASSWORD, Browser, query

from web import db

COOKIE = "planner_session"
NEW_PASSWORD = "a brand new passphrase"


def _copy(app, browser: Browser) -> Browser:
    """Another browser holding a copy of ``browser``'s session cookie (a stolen cookie)."""
    thief = Browser(app.test_client())
    thief.client.set_cookie(COOKIE, browser.client.get_cookie(COOKIE).value)
    return thief


def _logged_in(browser: Browser) -> bool:
    response = browser.get("/")
    if response.status_code == 200:
        return True
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    return False


def _user_id(app, name: str) -> int:
    return query(app, "SELECT id FROM users WHERE name = ?", (name,))[0]["id"]


def test_copied_cookie_is_refused_after_logout(app, coord):
    """The copy works while the session lives, and not after POST /logout."""
    thief = _copy(app, coord)
    assert _logged_in(thief)
    assert coord.post("/logout").status_code == 302
    assert not _logged_in(coord)
    assert not _logged_in(thief)
    assert thief.get("/runs/new").status_code == 302
    assert not query(app, "SELECT * FROM sessions")


def test_logout_ends_only_that_session(app, coord):
    """Logging out on one device leaves the user's other devices logged in."""
    laptop = Browser(app.test_client())
    assert laptop.login("coord").status_code == 302
    coord.post("/logout")
    assert _logged_in(laptop)


def test_copied_cookie_is_refused_after_a_password_change(app, coord):
    """Changing one's password ends every other session and copy; the browser that
    changed it stays logged in, on a new session; the old password stops working."""
    thief = _copy(app, coord)
    laptop = Browser(app.test_client())
    laptop.login("coord")
    page = coord.post("/account/password", {"current_password": PASSWORD,
                                            "password": NEW_PASSWORD,
                                            "password2": NEW_PASSWORD}, follow_redirects=True)
    assert "Đã đổi mật khẩu" in page.get_data(as_text=True)
    assert _logged_in(coord)
    assert not _logged_in(thief)
    assert not _logged_in(laptop)
    assert laptop.login("coord").status_code == 200  # the old password is refused
    assert laptop.login("coord", NEW_PASSWORD).status_code == 302
    actions = [r["action"] for r in query(app, "SELECT action FROM audit_log")]
    assert "password_changed" in actions
    rows = query(app, "SELECT password_hash FROM users WHERE name = 'coord'")
    assert NEW_PASSWORD not in rows[0]["password_hash"]


def test_password_change_needs_the_current_password(app, coord):
    """A wrong current password changes nothing and keeps the other sessions."""
    thief = _copy(app, coord)
    page = coord.post("/account/password", {"current_password": "not my password",
                                            "password": NEW_PASSWORD,
                                            "password2": NEW_PASSWORD}, follow_redirects=True)
    assert "Mật khẩu hiện tại không đúng" in page.get_data(as_text=True)
    assert _logged_in(thief)
    page = coord.post("/account/password", {"current_password": PASSWORD,
                                            "password": "short", "password2": "short"},
                      follow_redirects=True)
    assert "Mật khẩu quá ngắn" in page.get_data(as_text=True)
    assert Browser(app.test_client()).login("coord").status_code == 302


def test_copied_cookie_is_refused_after_an_admin_sets_the_password(app, admin, coord):
    """An admin giving a user a new password ends all that user's sessions."""
    thief = _copy(app, coord)
    admin.post(f"/admin/users/{_user_id(app, 'coord')}/password", {"password": NEW_PASSWORD})
    assert not _logged_in(coord) and not _logged_in(thief)
    assert _logged_in(admin)
    assert Browser(app.test_client()).login("coord", NEW_PASSWORD).status_code == 302


def test_copied_cookie_is_refused_after_the_user_is_disabled(app, admin, coord):
    """Disabling a user ends every session; enabling them again does not revive one."""
    thief = _copy(app, coord)
    user_id = _user_id(app, "coord")
    admin.post(f"/admin/users/{user_id}/active", {"active": "0"})
    assert not _logged_in(thief) and not _logged_in(coord)
    assert not query(app, "SELECT * FROM sessions WHERE user_id = ?", (user_id,))
    admin.post(f"/admin/users/{user_id}/active", {"active": "1"})
    assert not _logged_in(thief)
    assert Browser(app.test_client()).login("coord").status_code == 302


def test_admin_logs_a_user_out_everywhere(app, admin, coord):
    """The admin's "log out everywhere" ends all sessions of that user, and only them;
    the users page shows how many sessions each account has."""
    thief = _copy(app, coord)
    laptop = Browser(app.test_client())
    laptop.login("coord")
    other = Browser(app.test_client())
    other.login("other")
    page = admin.get("/admin/users").get_data(as_text=True)
    assert "Đăng xuất mọi nơi" in page
    page = admin.post(f"/admin/users/{_user_id(app, 'coord')}/end-sessions",
                      follow_redirects=True).get_data(as_text=True)
    assert "Đã kết thúc 2 phiên đăng nhập của coord" in page
    assert not any(_logged_in(b) for b in (coord, thief, laptop))
    assert _logged_in(other) and _logged_in(admin)
    assert coord.login("coord").status_code == 302  # a new login works
    audit = query(app, "SELECT detail FROM audit_log WHERE action = 'user_logged_out'")
    assert audit[0]["detail"].endswith("sessions_ended=2")


def test_coordinators_cannot_end_other_users_sessions(app, coord):
    """The admin session actions are admin-only."""
    other = Browser(app.test_client())
    other.login("other")
    assert coord.post(f"/admin/users/{_user_id(app, 'other')}/end-sessions").status_code == 403
    assert coord.post(f"/admin/users/{_user_id(app, 'other')}/password",
                      {"password": NEW_PASSWORD}).status_code == 403
    assert _logged_in(other)


def test_user_logs_out_everywhere_from_the_account_page(app, coord):
    """The account page's button ends this and every other session of the account."""
    thief = _copy(app, coord)
    assert "Đổi mật khẩu" in coord.get("/account").get_data(as_text=True)
    assert coord.post("/account/logout-everywhere").status_code == 302
    assert not _logged_in(coord) and not _logged_in(thief)


def test_sessions_expire_on_the_server(app, coord):
    """A session older than PERMANENT_SESSION_LIFETIME is refused even if the cookie is
    kept (e.g. a cookie copied with its expiry removed)."""
    thief = _copy(app, coord)
    conn = db.connect(app.config["DATABASE"])
    conn.execute("UPDATE sessions SET created_at = ?", (time.time() - 8 * 3600 - 1,))
    conn.commit()
    conn.close()
    assert not _logged_in(thief) and not _logged_in(coord)


def test_cookie_without_a_server_session_is_refused(app, coord):
    """A validly signed cookie that names a user but no stored session (e.g. one made
    before sessions were stored) does not log anyone in."""
    forged = Browser(app.test_client())
    serializer = app.session_interface.get_signing_serializer(app)
    forged.client.set_cookie(COOKIE, serializer.dumps({"user_id": _user_id(app, "admin")}))
    assert not _logged_in(forged)
    forged.client.set_cookie(COOKIE, serializer.dumps({"user_id": _user_id(app, "admin"),
                                                       "sid": "guessed"}))
    assert not _logged_in(forged)


def test_plain_http_has_no_secure_flag_or_hsts(app, browser):
    """By default (http://127.0.0.1) the cookies are not Secure and there is no HSTS."""
    cookies = browser.login("coord").headers.getlist("Set-Cookie")
    assert any(c.startswith(COOKIE + "=") for c in cookies)
    assert not any("Secure" in c for c in cookies)
    assert "Strict-Transport-Security" not in browser.get("/").headers


def test_https_setting_turns_on_secure_cookie_and_hsts(make_app):
    """HTTPS=True: the session (and known-device) cookies are Secure and every response
    carries HSTS; forms still work without a Referer (the pages send no-referrer)."""
    import re

    app = make_app(HTTPS=True)
    with app.app_context():
        from web.auth import create_user

        create_user("coord", "coordinator", PASSWORD)
    client = app.test_client()
    https = {"base_url": "https://localhost"}
    page = client.get("/login", **https).get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    response = client.post("/login", data={"name": "coord", "password": PASSWORD,
                                           "csrf_token": token}, **https)
    assert response.status_code == 302
    cookies = response.headers.getlist("Set-Cookie")
    assert any(c.startswith(COOKIE + "=") for c in cookies)
    assert all("Secure" in c for c in cookies), cookies
    assert client.get("/", **https).status_code == 200
    for url in ("/", "/login", "/static/app.js"):
        response = client.get(url, **https)
        assert response.headers["Strict-Transport-Security"].startswith("max-age="), url
        response.close()


def test_trusted_proxy_setting_gives_the_real_client_address(make_app, caplog):
    """With TRUSTED_PROXIES=1 the audit log records the address the proxy forwarded;
    without it, X-Forwarded-For is ignored (a client cannot choose its address) and the
    log says once that the setting is probably missing."""
    for hops, expected in ((1, "203.0.113.7"), (0, "10.0.0.1")):
        app = make_app(TRUSTED_PROXIES=hops)
        with app.app_context():
            from web.auth import create_user

            create_user(f"u{hops}", "coordinator", PASSWORD)
        b = Browser(app.test_client())
        b.post("/login", {"name": f"u{hops}", "password": PASSWORD},
               environ_base={"REMOTE_ADDR": "10.0.0.1"},
               headers={"X-Forwarded-For": "198.51.100.1, 203.0.113.7"})
        row = query(app, "SELECT ip FROM audit_log WHERE user_name = ?", (f"u{hops}",))[0]
        assert row["ip"] == expected
        assert ("TRUSTED_PROXIES is 0" in caplog.text) == (hops == 0)
    assert caplog.text.count("TRUSTED_PROXIES is 0") == 1


def test_bad_trusted_proxy_setting_is_refused(make_app):
    """A hop count that is not a whole number stops the start with a clear error."""
    import pytest

    with pytest.raises(ValueError, match="TRUSTED_PROXIES"):
        make_app(TRUSTED_PROXIES="yes")
