"""Fixtures for the web tests: an app on a temporary instance folder, users and
logged-in clients.

The planner is replaced by ``web_fake_planner`` (this folder), in the app and in the
worker processes it starts (through PYTHONPATH).
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import psutil
import pytest
from web_helpers import HERE, PASSWORD, Browser

from web.app import create_app
from web.auth import create_user


@pytest.fixture
def instance(tmp_path) -> Path:
    return tmp_path / "instance"


@pytest.fixture
def make_app(instance, monkeypatch):
    """Build an app (again, to simulate a restart) on the same instance folder."""
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        p for p in (str(HERE), os.environ.get("PYTHONPATH", "")) if p))
    monkeypatch.setenv("FAKE_PLAN_SECONDS", "0")

    def factory(**overrides):
        config = {"INSTANCE_PATH": instance, "SECRET_KEY": "test-secret", "TESTING": True,
                  "PLANNER": "web_fake_planner",
                  "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"}
        config.update(overrides)
        return create_app(config)

    yield factory
    _stop_workers(instance)


def _stop_workers(instance: Path) -> None:
    """End any worker a test left running (only our own, by pid and start time)."""
    path = instance / "planner.sqlite"
    if not path.exists():
        return
    conn = sqlite3.connect(path)
    rows = conn.execute("SELECT pid, pid_started FROM runs WHERE pid IS NOT NULL").fetchall()
    conn.close()
    for pid, started in rows:
        try:
            proc = psutil.Process(pid)
            if abs(proc.create_time() - (started or 0)) < 1:
                proc.kill()
                proc.wait(5)
        except (psutil.NoSuchProcess, psutil.TimeoutExpired):
            pass


@pytest.fixture
def app(make_app):
    app = make_app()
    with app.app_context():
        create_user("admin", "admin", PASSWORD)
        create_user("coord", "coordinator", PASSWORD)
        create_user("other", "coordinator", PASSWORD)
    return app


@pytest.fixture
def browser(app) -> Browser:
    return Browser(app.test_client())


@pytest.fixture
def coord(app) -> Browser:
    b = Browser(app.test_client())
    assert b.login("coord").status_code == 302
    return b


@pytest.fixture
def admin(app) -> Browser:
    b = Browser(app.test_client())
    assert b.login("admin").status_code == 302
    return b


