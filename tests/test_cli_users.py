"""`python run.py create-user`: accounts for scripts, password from standard input."""

from __future__ import annotations

import io

from cli.main import main


def test_create_user_from_stdin_then_refuses_duplicates_and_short_passwords(
        tmp_path, monkeypatch, capsys):
    """The account is created with a hashed password; a taken name and a short password are
    refused with exit 2 and a plain message."""
    monkeypatch.setenv("PLANNER_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-enough-secret\n"))
    assert main(["create-user", "lan", "--role", "admin"]) == 0
    assert "Đã tạo tài khoản quản trị 'lan'" in capsys.readouterr().out
    from web import db
    from web.app import create_app

    app = create_app()
    with app.app_context():
        row = db.user_by_name(db.get_db(), "lan")
    assert row is not None and row["role"] == "admin"
    assert "a-long-enough-secret" not in str(dict(row))
    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-enough-secret\n"))
    assert main(["create-user", "lan"]) == 2
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["create-user", "minh"]) == 2
    err = capsys.readouterr().err
    assert "đã có" in err and "quá ngắn" in err and "Traceback" not in err
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["create-user", "minh", "--lang", "en"]) == 2
    assert "too short" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO("another-long-secret\n"))
    assert main(["create-user", "minh", "--lang", "en"]) == 0
    assert "Created coordinator 'minh'" in capsys.readouterr().out
