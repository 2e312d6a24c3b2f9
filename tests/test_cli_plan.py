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
    code = main(["plan", str(SAMPLE), "--json", str(out), "--quiet"])
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
