"""The ``plan`` command end to end, and the solver's proofs on generated rosters."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli.main import main
from matcher.check import assert_plan_ok

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample" / "roster.xlsx"


def test_plan_sample_writes_json_with_proved_tiers(tmp_path, capsys):
    """`plan data/sample/roster.xlsx --json` exits 0, prints a summary and writes a JSON with
    one assignment per returnee and M1, M2, J1, J2 proved optimal."""
    out = tmp_path / "plan.json"
    code = main(["plan", str(SAMPLE), "--json", str(out), "--quiet", "--lang", "en"])
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert "proved optimal" in printed and "with a mentor" in printed
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["schema"] == "reintegration-plan/1"
    from matcher.io.reader import read_roster

    roster = read_roster(SAMPLE)
    assert [a["returnee_id"] for a in data["assignments"]] == [r.id for r in roster.returnees]
    for name in ("M1", "M2", "J1", "J2"):
        assert data["tiers"][name]["optimal"] is True
        assert data["tiers"][name]["value"] == data["tiers"][name]["bound"]


def test_plan_bad_roster_exit_2_and_nothing_written(tmp_path, capsys):
    """A roster that cannot be read gives exit 2, the report, and no output file."""
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"not a spreadsheet")
    out = tmp_path / "plan.json"
    code = main(["plan", str(bad), "--json", str(out), "--quiet"])
    captured = capsys.readouterr()
    assert code == 2
    assert "Traceback" not in captured.out + captured.err
    assert not out.exists()


def test_a_bad_previous_plan_is_reported_after_the_rosters_problems(tmp_path, capsys):
    """The previous plan is read while the roster is: an unreadable one still gives exit 2
    and its own message, and a roster that cannot be read is what is reported first."""
    previous = tmp_path / "old plan.json"
    previous.write_text("{not json", encoding="utf-8")
    out = tmp_path / "plan.json"
    code = main(["plan", str(SAMPLE), "--previous", str(previous), "--json", str(out),
                 "--quiet", "--lang", "en"])
    printed = capsys.readouterr().out
    assert code == 2 and "old plan.json" in printed and "not a plan JSON" in printed
    assert not out.exists()
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"not a spreadsheet")
    code = main(["plan", str(bad), "--previous", str(previous), "--json", str(out),
                 "--quiet", "--lang", "en"])
    printed = capsys.readouterr().out
    assert code == 2 and "bad.xlsx" in printed and "old plan.json" not in printed
    assert not out.exists()


def test_plan_that_fails_the_check_writes_no_workbook(tmp_path, monkeypatch, capsys):
    """The workbook is written by a child while the plan is checked: when the check fails
    neither it nor its partial file is left, and the exit code is 1."""
    from matcher.errors import PlanCheckError

    def fails(*_args, **_kwargs):
        raise PlanCheckError(["a hard rule broken on purpose"])

    monkeypatch.setattr("matcher.check.assert_plan_ok", fails)
    out = tmp_path / "out" / "plan.xlsx"
    code = main(["plan", str(SAMPLE), "--out", str(out), "--quiet", "--lang", "en"])
    capsys.readouterr()
    assert code == 1
    assert not out.parent.exists() or list(out.parent.iterdir()) == []


@pytest.mark.parametrize("scale,seed", [("ward", 1), ("ward", 2), ("ward", 3), ("city", 1),
                                        ("city", 2)])
def test_generated_rosters_pass_checker_with_proofs(scale, seed):
    """On generated rosters the plan passes the independent checker and M1, M2, J1, J2 are
    proved optimal (value equals the proved bound)."""
    from matcher.generate import generate_roster
    from matcher.solve import solve

    roster = generate_roster(scale, seed)
    plan = solve(roster, schedule=False)
    assert_plan_ok(roster, plan)
    assert len(plan.assignments) == len(roster.returnees)
    for name in ("M1", "M2", "J1", "J2"):
        tier = plan.tiers[name]
        assert tier.optimal and tier.value == tier.bound, (name, tier)


def test_plan_speaks_vietnamese_by_default_with_progress_and_details(tmp_path, capsys):
    """Without --lang the summary is Vietnamese (objectives in the glossary's words,
    Vietnamese numbers and dates, no tier codes or solver words); the progress goes to
    standard error one line per stage in Vietnamese; --details adds the best reachable
    value of each objective on a line of its own; --quiet silences the progress."""
    from matcher import catalog

    out = tmp_path / "plan.json"
    assert main(["plan", str(SAMPLE), "--json", str(out)]) == 0
    printed, err = capsys.readouterr()
    assert "người trở về" in printed and "ngày lập kế hoạch 01/12/2026" in printed
    assert "không thể tốt hơn (đã kiểm chứng)" in printed
    assert "mức tốt nhất có thể đạt" not in printed
    assert f"Đã ghi {out}" in printed
    for word in ("optimal", "bound", "Plan for", "M1", "J1", "status", "Wrote"):
        assert word not in printed, word
    stages = {catalog.text(k, "vi") for k in catalog.all_keys() if k.startswith("progress.")}
    lines = err.strip().splitlines()
    assert lines and all(line.split("] ", 1)[1] in stages for line in lines), lines
    assert lines[0].endswith("Đang đọc danh sách") and lines[-1] == "[100\u00a0%] Xong"
    assert main(["plan", str(SAMPLE), "--json", str(out), "--quiet", "--details"]) == 0
    printed, err = capsys.readouterr()
    assert err == ""
    n_objectives = len(json.loads(out.read_text(encoding="utf-8"))["tiers"])
    assert printed.count("mức tốt nhất có thể đạt") == n_objectives


def test_summary_plurals_and_numbers_follow_the_language():
    """The summary's counts agree with their nouns in English ("1 returnee", "2 returnees")
    and numbers are written the language's way."""
    import datetime as dt

    from cli.plan import summary_lines
    from matcher.plan import Assignment, Plan, Tier

    plan = Plan(plan_date=dt.date(2026, 12, 1), settings={}, assignments=[Assignment("R1", "M1")],
                tiers={"M5": Tier("M5", 12345.5, 12345.5, True),
                       "J1": Tier("J1", 3, 4, False)})
    en = "\n".join(summary_lines(plan, "en", details=True))
    assert "Plan for 1 returnee," in en and "12,345.5" in en and "not proved optimal" in en
    assert "best value that could be reached: 4" in en
    vi = "\n".join(summary_lines(plan, "vi", details=True))
    assert "Kế hoạch cho 1 người trở về" in vi and "12.345,5" in vi
    assert "đạt yêu cầu, chưa kiểm chứng được là tốt nhất" in vi
    assert "mức tốt nhất có thể đạt: 4" in vi
    plan.assignments.append(Assignment("R2", None))
    assert "Plan for 2 returnees," in summary_lines(plan, "en")[0]


def test_the_collector_is_tuned_only_for_a_small_roster_in_its_own_process(tmp_path,
                                                                            monkeypatch):
    """`run.py plan` on a small roster sets the cyclic collector aside (a city plan's 4 %);
    never when the command runs inside another program (these tests) nor for a roster
    planned by regions, whose peak memory bounds it."""
    import cli.base
    import cli.plan
    import matcher.planner

    calls = []
    monkeypatch.setattr(cli.plan, "_collect_less", lambda: calls.append(1))
    out = tmp_path / "plan.json"
    assert main(["plan", str(SAMPLE), "--json", str(out), "--quiet"]) == 0
    assert calls == []  # inside the tests' process: untouched
    monkeypatch.setattr(cli.base, "WHOLE_PROCESS", True)
    assert main(["plan", str(SAMPLE), "--json", str(out), "--quiet"]) == 0
    assert calls == [1]
    monkeypatch.setattr(matcher.planner, "REGIONS_LIKELY_BYTES", 1)  # "a large roster"
    assert main(["plan", str(SAMPLE), "--json", str(out), "--quiet"]) == 0
    assert calls == [1]
