"""`python run.py validate`: the input report, exit codes, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from test_reader import PLANTED, english_sheets, write_planted, write_xlsx

import cli.main as cli
from matcher.errors import MESSAGES

ROOT = Path(__file__).resolve().parents[1]


def run_main(argv, capsys) -> tuple[int, str, str]:
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_planted_roster_exit_2_and_report_mentions_every_problem(tmp_path, capsys):
    """validate on the planted roster exits 2 and its report names every planted problem
    at its row and column under its sheet."""
    path = write_planted(tmp_path / "bad.xlsx")
    code, out, err = run_main(["validate", str(path), "--lang", "en"], capsys)
    assert code == 2
    assert "Traceback" not in out + err
    blocks = {}
    for block in out.split("\n\n"):
        lines = block.strip().splitlines()
        if lines:
            blocks[lines[0]] = "\n".join(lines[1:])
    for sheet, row, column, _code in PLANTED:
        assert f"ERROR row {row}, column '{column}':" in blocks[sheet], (sheet, row, column)
    n_errors = len(PLANTED)
    assert f"{n_errors} errors" in out
    assert out.rstrip().endswith("The roster cannot be planned until the errors are fixed.")
    # Vietnamese is the default
    code, out, _ = run_main(["validate", str(path)], capsys)
    assert code == 2 and f"{n_errors} lỗi" in out and "LỖI dòng 3, cột 'gender'" in out
    assert out.rstrip().endswith("Chưa lập được kế hoạch cho tới khi sửa hết các lỗi.")
    assert "ERROR" not in out and "errors" not in out


def test_planted_roster_json_and_vietnamese(tmp_path, capsys):
    """--json lists every issue with code, sheet, row and column; --lang vi speaks
    Vietnamese."""
    path = write_planted(tmp_path / "bad.xlsx")
    code, out, _ = run_main(["validate", str(path), "--json"], capsys)
    assert code == 2
    data = json.loads(out)
    assert data["ok"] is False
    got = {(i["sheet"], i["row"], i["column"], i["code"]) for i in data["issues"]}
    assert set(PLANTED) <= got
    assert all(i["code"] in MESSAGES and i["message"] for i in data["issues"])
    code, out, _ = run_main(["validate", str(path), "--lang", "vi"], capsys)
    assert code == 2 and "LỖI dòng 3, cột 'gender'" in out and "lỗi" in out.splitlines()[-2]


def test_good_roster_exit_0_with_warnings(tmp_path, capsys):
    """A plannable roster exits 0, says so and lists its warnings."""
    path = write_xlsx(tmp_path / "en.xlsx", english_sheets())
    code, out, _ = run_main(["validate", str(path), "--lang", "en"], capsys)
    assert code == 0
    assert out.startswith("Roster OK: 4 returnees, 2 mentors")
    assert "0 errors" in out and "WARNING" in out
    code, out, _ = run_main(["validate", str(path)], capsys)
    assert code == 0
    assert out.startswith("Danh sách hợp lệ: 4 người trở về, 2 cựu chiến binh")
    assert "0 lỗi" in out and "CẢNH BÁO" in out
    code, out, _ = run_main(["validate", str(path), "--set", "mentor_max_km=abc"], capsys)
    # the setting named by its Vietnamese label, not its code
    assert code == 2 and "Khoảng cách tối đa cựu chiến binh – người trở về (km)" in out
    assert "mentor_max_km" not in out
    code, out, _ = run_main(["validate", str(path), "--set", "oops", "--lang", "en"], capsys)
    assert code == 2 and "key=value" in out


def test_missing_file_and_junk_are_plain_messages(tmp_path, capsys):
    """A missing file or a non-workbook gives a clear message and exit 2."""
    code, out, err = run_main(["validate", str(tmp_path / "nope.xlsx"), "--lang", "en"], capsys)
    assert code == 2 and "was not found" in out and "Traceback" not in out + err
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"\x00\x01garbage")
    code, out, _ = run_main(["validate", str(junk), "--lang", "en"], capsys)
    assert code == 2 and "cannot be read" in out


def test_usage_errors_do_not_raise(capsys):
    """Unknown commands and missing arguments return argparse's exit code 2."""
    assert cli.main(["validate"]) == 2
    assert cli.main(["no-such-command"]) == 2
    assert cli.main(["--help"]) == 0
    capsys.readouterr()


def test_commands_are_registered_in_one_table():
    """validate and generate are entries of cli.COMMANDS, each with its own parser."""
    assert {"validate", "generate"} <= set(cli.COMMANDS)
    parser = cli.build_parser()
    args = parser.parse_args(["generate", "--scale", "city", "--seed", "3", "--out", "x.xlsx"])
    assert (args.scale, args.seed, args.out, args.lang) == ("city", 3, "x.xlsx", "vi")
    for name in cli.COMMANDS:  # every command speaks Vietnamese unless --lang en
        assert "--lang" in cli.build_parser()._subparsers._group_actions[0].choices[
            name].format_help(), name


def test_run_py_subprocess_never_prints_a_traceback(tmp_path):
    """`python run.py validate` as a real process: exit 2 on the planted roster, the report
    on stdout, no traceback."""
    path = write_planted(tmp_path / "bad.xlsx")
    proc = subprocess.run([sys.executable, str(ROOT / "run.py"), "validate", str(path), "--lang",
                           "en"], check=False,
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stdout + proc.stderr
    assert "Returnees" in proc.stdout and "Unknown setting 'colour'" in proc.stdout


def test_generate_calls_the_generator(monkeypatch, tmp_path, capsys):
    """`generate` passes scale, seed, output file and language to matcher.generate."""
    import matcher.generate

    calls = []

    def fake(scale, seed, out, *, lang="en"):
        calls.append((scale, seed, out, lang))
        return {"returnees": 40}

    monkeypatch.setattr(matcher.generate, "generate", fake)
    out_file = str(tmp_path / "g.xlsx")
    code, out, _ = run_main(["generate", "--scale", "ward", "--seed", "7", "--out", out_file,
                             "--lang", "vi"], capsys)
    assert code == 0 and calls == [("ward", 7, out_file, "vi")]
    assert out.strip() == f"Đã ghi {out_file}: 40 người trở về"
    code, out, _ = run_main(["generate", "--out", out_file, "--lang", "en"], capsys)
    assert code == 0 and out.strip() == f"Wrote {out_file}: 40 returnees"


def test_no_arguments_without_web_app(monkeypatch, capsys):
    """With no arguments and no web app installed, run.py says so and exits 1."""
    monkeypatch.setattr("importlib.util.find_spec", lambda name: None)
    code, _, err = run_main([], capsys)
    assert code == 1 and "Chưa cài đặt ứng dụng web" in err


def test_hostile_files_exit_2_with_a_message_not_134(tmp_path):
    """Issue 16: the single-quoted stray cell (calamine would abort the process: exit 134)
    and the sheet unpacking to 1.2 GB get `validate`'s report and exit 2, in both
    languages; `plan` refuses them the same way and writes nothing."""
    from test_hostile_files import bomb_xlsx, stray_cell_xlsx

    stray = stray_cell_xlsx(tmp_path / "stray.xlsx")
    bomb = bomb_xlsx(tmp_path / "bomb.xlsx")
    expected = {stray: ("XFD1048576", "Delete the stray cells", "Hãy xóa các ô thừa"),
                bomb: ("1,144 MB", "too large or too complex", "quá lớn hoặc quá phức tạp")}
    for path, (where, en, vi) in expected.items():
        for lang, words in (("en", en), ("vi", vi)):
            proc = subprocess.run([sys.executable, str(ROOT / "run.py"), "validate", "--lang",
                                   lang, str(path)], check=False, capture_output=True,
                                  text=True, cwd=ROOT, timeout=120)
            assert proc.returncode == 2, (proc.returncode, proc.stderr[-2000:])
            assert "Traceback" not in proc.stdout + proc.stderr
            assert path.name in proc.stdout and where in proc.stdout and words in proc.stdout
    out = tmp_path / "plan.json"
    proc = subprocess.run([sys.executable, str(ROOT / "run.py"), "plan", str(stray), "--json",
                           str(out), "--quiet"], check=False, capture_output=True, text=True,
                          cwd=ROOT, timeout=120)
    assert proc.returncode == 2 and "XFD1048576" in proc.stdout and not out.exists()
