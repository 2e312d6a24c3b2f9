"""First-run setup, login, rate limit, sessions, user management and the language switch."""

from __future__ import annotations

import re

from web_helpers import PASSWORD, Browser, query

from web.auth import create_user


def _setup_token(capsys) -> str:
    out = capsys.readouterr().out
    return re.search(r"/setup/([A-Za-z0-9_-]+) ", out).group(1)


def test_setup_token_works_once(make_app, capsys):
    """The printed setup URL creates the first admin once; then it is a 404."""
    app = make_app()
    token = _setup_token(capsys)
    b = Browser(app.test_client())
    assert b.get("/setup/wrong-token").status_code == 404
    assert b.get(f"/setup/{token}").status_code == 200
    response = b.post(f"/setup/{token}", {"name": "chief", "password": PASSWORD,
                                          "password2": PASSWORD})
    assert response.status_code == 302
    assert b.get("/").status_code == 200  # logged in as the new admin
    rows = query(app, "SELECT name, role, password_hash FROM users")
    assert [(r["name"], r["role"]) for r in rows] == [("chief", "admin")]
    assert PASSWORD not in rows[0]["password_hash"]
    other = Browser(app.test_client())
    assert other.get(f"/setup/{token}").status_code == 404
    assert other.post(f"/setup/{token}", {"name": "evil", "password": PASSWORD,
                                          "password2": PASSWORD}).status_code == 404
    assert len(query(app, "SELECT * FROM users")) == 1
    make_app()  # a restart with an admin present prints no new setup URL
    assert "/setup/" not in capsys.readouterr().out


def test_setup_rejects_short_or_mismatched_password_and_keeps_token(make_app, capsys):
    """Bad setup input shows messages and leaves the token usable."""
    app = make_app()
    token = _setup_token(capsys)
    b = Browser(app.test_client())
    page = b.post(f"/setup/{token}", {"name": "chief", "password": "short",
                                      "password2": "other"}, follow_redirects=True)
    text = page.get_data(as_text=True)
    assert "Mật khẩu quá ngắn" in text and "Hai mật khẩu không giống nhau" in text
    assert b.get(f"/setup/{token}").status_code == 200


def test_restart_without_users_replaces_the_setup_token(make_app, capsys):
    """Each start without accounts prints a fresh token and the old one stops working."""
    make_app()
    first = _setup_token(capsys)
    app = make_app()
    second = _setup_token(capsys)
    assert first != second
    b = Browser(app.test_client())
    assert b.get(f"/setup/{first}").status_code == 404
    assert b.get(f"/setup/{second}").status_code == 200


def test_login_logout_and_audit(app, browser):
    """A good login starts a session; logout ends it; both are audited, with the IP."""
    assert browser.login("coord", "wrong password").status_code == 200
    assert browser.get("/").status_code == 302
    response = browser.login("coord")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert browser.get("/").status_code == 200
    assert browser.post("/logout").status_code == 302
    assert browser.get("/").status_code == 302
    actions = [(r["action"], r["user_name"], r["ip"]) for r in
               query(app, "SELECT * FROM audit_log ORDER BY id")]
    assert actions == [("login_failed", "coord", "127.0.0.1"), ("login", "coord", "127.0.0.1"),
                       ("logout", "coord", "127.0.0.1")]


def test_login_redirects_only_to_local_next(browser):
    """The next parameter cannot send the user to another site."""
    response = browser.post("/login?next=//evil.example/x", {"name": "coord",
                                                             "password": PASSWORD})
    assert response.headers["Location"] == "/"
    browser.post("/logout")
    response = browser.post("/login?next=/runs/new", {"name": "coord", "password": PASSWORD})
    assert response.headers["Location"] == "/runs/new"


def test_login_rate_limit_per_user_and_ip(app, browser):
    """Five failures for one user from one IP make that pair wait (429 with Retry-After,
    even with the right password, which is not checked); another IP and another user are
    not held up; failures older than the window are forgotten."""
    for _ in range(5):
        assert browser.login("coord", "wrong password").status_code == 200
    response = browser.login("coord")
    assert response.status_code == 429
    assert "Quá nhiều lần thử" in response.get_data(as_text=True)
    assert 1 <= int(response.headers["Retry-After"]) <= 15
    elsewhere = Browser(app.test_client())
    response = elsewhere.post("/login", {"name": "coord", "password": PASSWORD},
                              environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert response.status_code == 302
    assert browser.login("other").status_code == 302  # another user from the same IP
    assert len(query(app, "SELECT * FROM login_failures")) == 5
    assert query(app, "SELECT COUNT(*) AS n FROM audit_log WHERE action = 'login_blocked'")[0][
        "n"] == 1
    # Failures older than the window no longer count.
    from web import db

    conn = db.connect(app.config["DATABASE"])
    conn.execute("UPDATE login_failures SET at = at - 16 * 60")
    conn.commit()
    conn.close()
    browser.post("/logout")
    assert browser.login("coord").status_code == 302


def test_session_cookie_is_httponly_lax_and_expires_in_8_hours(app, browser):
    """The session cookie is HttpOnly, SameSite=Lax and permanent for 8 hours."""
    response = browser.login("coord")
    cookie = next(v for k, v in response.headers.items() if k == "Set-Cookie"
                  and v.startswith("planner_session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Expires=" in cookie
    assert app.permanent_session_lifetime.total_seconds() == 8 * 3600


def test_admin_manages_users_and_coordinators_cannot(app, admin, coord):
    """Admins create users, change roles and disable accounts (a disabled user's
    session ends); coordinators get 403 on admin pages."""
    assert coord.get("/admin/users").status_code == 403
    assert coord.post("/admin/users", {"name": "x", "role": "admin",
                                       "password": PASSWORD}).status_code == 403
    assert admin.post("/admin/users", {"name": "newbie", "role": "coordinator",
                                       "password": PASSWORD}).status_code == 302
    newbie = Browser(app.test_client())
    assert newbie.login("newbie").status_code == 302
    user_id = query(app, "SELECT id FROM users WHERE name = 'newbie'")[0]["id"]
    admin.post(f"/admin/users/{user_id}/role", {"role": "admin"})
    assert newbie.get("/admin/users").status_code == 200
    admin.post(f"/admin/users/{user_id}/active", {"active": "0"})
    assert newbie.get("/").status_code == 302  # session no longer valid
    assert newbie.login("newbie").status_code == 200  # and no new login
    actions = {r["action"] for r in query(app, "SELECT action FROM audit_log")}
    assert {"user_created", "user_role_changed", "user_disabled"} <= actions


def test_admin_cannot_remove_the_last_admin(app, admin):
    """The only active admin can neither be demoted nor disabled."""
    admin_id = query(app, "SELECT id FROM users WHERE name = 'admin'")[0]["id"]
    page = admin.post(f"/admin/users/{admin_id}/role", {"role": "coordinator"},
                      follow_redirects=True).get_data(as_text=True)
    assert "ít nhất một tài khoản quản trị" in page
    admin.post(f"/admin/users/{admin_id}/active", {"active": "0"})
    row = query(app, "SELECT role, active FROM users WHERE id = ?", (admin_id,))[0]
    assert (row["role"], row["active"]) == ("admin", 1)


def test_create_user_rejects_bad_input(app, admin):
    """Short passwords, taken names and unknown roles are refused with messages."""
    page = admin.post("/admin/users", {"name": "coord", "role": "coordinator",
                                       "password": "short"}, follow_redirects=True)
    text = page.get_data(as_text=True)
    assert "Mật khẩu quá ngắn" in text and "Tên đăng nhập này đã có" in text
    admin.post("/admin/users", {"name": "z", "role": "root", "password": PASSWORD})
    assert not query(app, "SELECT * FROM users WHERE name = 'z'")


def test_create_user_cli(app, instance, monkeypatch, capsys):
    """`python run.py create-user` (the one create-user command) makes an account that
    can log in to the app on the same instance folder."""
    import io

    from cli.main import main

    monkeypatch.setenv("PLANNER_INSTANCE_PATH", str(instance))
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{PASSWORD}\n"))
    assert main(["create-user", "cli-user", "--role", "coordinator"]) == 0
    assert "Đã tạo tài khoản cán bộ điều phối 'cli-user'" in capsys.readouterr().out
    assert Browser(app.test_client()).login("cli-user").status_code == 302


def test_language_switch_is_kept_in_the_session(browser):
    """Vietnamese by default; the header switch changes the language for the session."""
    page = browser.get("/login").get_data(as_text=True)
    assert 'lang="vi"' in page and "Đăng nhập" in page
    response = browser.post("/lang", {"lang": "en", "next": "/login"})
    assert response.headers["Location"] == "/login"
    page = browser.get("/login").get_data(as_text=True)
    assert 'lang="en"' in page and "Log in" in page
    browser.login("coord")
    assert 'lang="en"' in browser.get("/").get_data(as_text=True)  # kept across login


# --- throttling behind a proxy (issue 16) ---------------------------------------------

PROXY = "10.0.0.1"
ATTACKER, OWNER = "203.0.113.66", "198.51.100.7"


def _from(browser: Browser, address: str, name: str, password: str = PASSWORD,
          spoofed: str | None = None):
    """A login through the reverse proxy for a client at ``address`` (the proxy appends
    it to whatever X-Forwarded-For the client sent)."""
    forwarded = f"{spoofed}, {address}" if spoofed else address
    return browser.post("/login", {"name": name, "password": password},
                        environ_base={"REMOTE_ADDR": PROXY},
                        headers={"X-Forwarded-For": forwarded})


def _proxied_app(make_app, **settings):
    app = make_app(TRUSTED_PROXIES=1, **settings)
    with app.app_context():
        create_user("coord", "coordinator", PASSWORD)
    return app


def _shift_failures(app, seconds: float) -> None:
    """Move every recorded failure ``seconds`` into the past (time passing)."""
    from web import db

    conn = db.connect(app.config["DATABASE"])
    conn.execute("UPDATE login_failures SET at = at - ?", (seconds,))
    conn.commit()
    conn.close()


def test_five_wrong_passwords_behind_the_proxy_do_not_lock_the_owner_out(make_app):
    """Behind a trusted proxy, five wrong passwords for a name from one address hold up
    that address only: the owner logs in at once from another address, and the audit log
    shows both real addresses (not the proxy's)."""
    app = _proxied_app(make_app)
    attacker = Browser(app.test_client())
    for _ in range(5):
        assert _from(attacker, ATTACKER, "coord", "wrong password").status_code == 200
    assert _from(attacker, ATTACKER, "coord").status_code == 429
    owner = Browser(app.test_client())
    assert _from(owner, OWNER, "coord").status_code == 302
    assert owner.get("/").status_code == 200
    rows = query(app, "SELECT action, ip FROM audit_log ORDER BY id")
    assert {r["ip"] for r in rows} == {ATTACKER, OWNER}
    assert (rows[-1]["action"], rows[-1]["ip"]) == ("login", OWNER)


def test_guessing_many_names_from_one_address_is_throttled(make_app):
    """50 different names guessed from one address: after LOGIN_IP_MAX_FAILURES (20)
    failures every further attempt from it is refused unchecked, whatever name, even
    with a forged X-Forwarded-For in front; other addresses are not affected."""
    app = _proxied_app(make_app)
    attacker = Browser(app.test_client())
    codes = [_from(attacker, ATTACKER, f"guess{i}", "wrong password",
                   spoofed=f"192.0.2.{i}").status_code for i in range(50)]
    assert codes == [200] * 20 + [429] * 30
    assert _from(attacker, ATTACKER, "coord").status_code == 429  # not even a right one
    assert len(query(app, "SELECT * FROM login_failures WHERE ip = ?", (ATTACKER,))) == 20
    assert {r["ip"] for r in query(app, "SELECT ip FROM login_failures")} == {ATTACKER}
    assert _from(Browser(app.test_client()), OWNER, "coord").status_code == 302
    _shift_failures(app, 15 * 60 + 1)  # the window passes
    assert _from(attacker, ATTACKER, "coord").status_code == 302


def test_per_account_delay_grows_and_is_never_a_hard_lock(make_app):
    """Failures for one name spread over many addresses (so no address limit applies)
    give the account a delay that doubles with each failure past
    LOGIN_ACCOUNT_MAX_FAILURES, capped; after the delay the right password works from a
    new address; a browser that logged in to the account before is never held up."""
    app = _proxied_app(make_app, LOGIN_DELAY_SECONDS=10, LOGIN_MAX_DELAY_SECONDS=40)
    known = Browser(app.test_client())
    assert _from(known, OWNER, "coord").status_code == 302  # gets the known-device cookie
    known.post("/logout")
    bot = Browser(app.test_client())
    for i in range(10):
        assert _from(bot, f"192.0.2.{i}", "coord", "wrong").status_code == 200
    newcomer = Browser(app.test_client())
    response = _from(newcomer, "198.51.100.99", "coord")
    assert response.status_code == 429
    assert 9 <= int(response.headers["Retry-After"]) <= 10
    assert "10 giây" in response.get_data(as_text=True)
    assert _from(known, "198.51.100.50", "coord").status_code == 302  # known device
    known.post("/logout")
    waits = []
    for i in range(10, 14):  # each further failure doubles the wait, up to 40 s
        _shift_failures(app, 41)
        assert _from(bot, f"192.0.2.{i}", "coord", "wrong").status_code == 200
        waits.append(int(_from(bot, f"192.0.2.{i}", "coord", "wrong").headers["Retry-After"]))
    assert waits == [20, 40, 40, 40]
    assert _from(newcomer, "198.51.100.99", "coord").status_code == 429
    _shift_failures(app, 41)
    assert _from(newcomer, "198.51.100.99", "coord").status_code == 302
    blocked = query(app, "SELECT COUNT(*) AS n FROM audit_log WHERE action = 'login_blocked'")
    assert blocked[0]["n"] == 6
