"""The benchmark at ward scale (planner, greedy and MIP on one instance, each in its own
process) and the two baselines on hand-made rosters."""

from __future__ import annotations

import json

from builders import job, mentor, pair, returnee, roster

from cli.main import main
from matcher.baselines import greedy_plan, mip_plan
from matcher.bench import TIERS, lex_key, markdown, ratios, run_bench
from matcher.check import assert_plan_ok


def test_bench_ward_planner_beats_or_equals_both_baselines(tmp_path):
    results = run_bench(["ward"], 1, ["planner", "greedy", "mip"], mip_time_limit=10,
                        out=tmp_path, progress=False, say=lambda msg: None)
    assert (tmp_path / "results.json").is_file() and (tmp_path / "results.md").is_file()
    saved = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    runs = {r["method"]: r for r in saved["runs"]}
    assert set(runs) == {"planner", "plain", "full", "greedy", "mip"}
    # the full plan (what `run.py plan --out` does) schedules visits and writes the workbook
    assert runs["full"]["timings"]["workbook"] > 0 and "schedule" in runs["full"]["timings"]
    assert runs["full"]["tiers"]["M1"] == runs["plain"]["tiers"]["M1"]
    for method, run in runs.items():
        assert not run.get("error") and run["check"] == [], (method, run)
        assert run["wall_s"] > 0 and run["peak_mb"] > 10
    planner = runs["planner"]["tiers"]
    for other in ("greedy", "mip", "plain", "full"):
        tiers = runs[other]["tiers"]
        assert lex_key(planner, ("M1", "M2")) >= lex_key(tiers, ("M1", "M2")), other
        assert lex_key(planner, ("J1", "J2")) >= lex_key(tiers, ("J1", "J2")), other
    assert all(planner[n]["optimal"] for n in ("M1", "M2", "J1", "J2"))
    md = (tmp_path / "results.md").read_text(encoding="utf-8")
    assert "| ward | 1 | planner (split, parallel) |" in md and "greedy" in md
    assert results["ratios"][0]["M1_planner_over_greedy"] >= 1


def test_bench_cli_prints_table_and_skips_mip_above_its_scale(tmp_path, capsys):
    code = main(["bench", "--scales", "ward", "--methods", "greedy,mip", "--mip-max-scale",
                 "ward", "--mip-time-limit", "5", "--out", str(tmp_path), "--quiet"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "| ward | 1 | greedy |" in out and "results.json" in out
    assert main(["bench", "--scales", "planet", "--out", str(tmp_path)]) == 2


def _run(scale, seed, method, wall, **values):
    tiers = {n: {"value": values.get(n, 1), "bound": values.get(n, 1), "optimal": True}
             for n in TIERS}
    return {"scale": scale, "seed": seed, "method": method, "wall_s": wall, "peak_mb": 100.0,
            "status": "OPTIMAL", "tiers": tiers, "check": []}


def test_ratios_and_tables_from_made_up_runs():
    """Ratios per instance (the split planner, else the one-process one, over greedy; the
    MIP's time over the planner's; a ratio over zero is None) and the tables: runs in
    scale, seed, method order, a skipped MIP, and medians per scale over the seeds."""
    runs = [_run("city", 1, "greedy", 1.0, M1=10, M5=0, J1=4),
            _run("city", 1, "planner", 2.0, M1=12, M5=8, J1=5),
            _run("ward", 1, "mip", 3.0, M1=12),
            _run("ward", 1, "plain", 1.5, M1=12),
            _run("ward", 2, "planner", 0.5),
            _run("city", 2, "greedy", 1.0),
            {"scale": "city", "seed": 2, "method": "mip", "skipped": "MIP not run above ward"}]
    got = ratios(runs)
    assert [(q["scale"], q["seed"]) for q in got] == [("city", 1), ("ward", 1), ("ward", 2)]
    assert got[0]["M1_planner_over_greedy"] == 1.2 and got[0]["M5_planner_over_greedy"] is None
    assert got[1] == {"scale": "ward", "seed": 1, "mip_wall_over_planner": 2.0,
                      "mip_same_M1_M2_J1_J2": True}
    assert got[2] == {"scale": "ward", "seed": 2}
    md = markdown({"date": "today", "machine": {"cpu": "x", "cores": 2, "ram_gb": 4, "os": "L",
                                                "python": "3", "ortools": "9"},
                   "options": {"mip_time_limit_s_per_tier": 60}, "runs": runs, "ratios": got})
    rows = [line.split(" | ")[:3] for line in md.splitlines() if line.startswith("| ward |")
            or line.startswith("| city |")]
    assert rows[:6] == [["| ward", "1", "planner (one process)"], ["| ward", "1", "generic MIP (CP-SAT)"],
                        ["| ward", "2", "planner (split, parallel)"], ["| city", "1", "planner (split, parallel)"],
                        ["| city", "1", "greedy"], ["| city", "2", "greedy"]]
    assert "| city | 1 | planner (split, parallel) | 2.00 | 100 | OPTIMAL | 12 |" in md
    assert "| proved | 1.200 | – | 1.250 |" in md
    assert "| city | 2 | generic MIP (CP-SAT) | – | – | MIP not run above ward |" in md
    assert "Median wall seconds per scale over the seeds:" in md
    # columns: planner (split), planner (one process), greedy, MIP; "–" where none ran
    assert "| ward | 2 | 0.50 | 1.50 | – | 3.00 |" in md
    assert "| city | 2 | 2.00 | – | 1.00 | – |" in md


def _small():
    rs = [returnee("R1", 0, 0, risk=1), returnee("R2", 0.2, 0, risk=3),
          returnee("R3", 0.4, 0, risk=2, group="G"), returnee("R4", 0.6, 0, group="G"),
          returnee("R5", 0, 1, gender="F")]
    ms = [mentor("M1", 0, 0.1, capacity=1), mentor("M2", 3, 0, capacity=2),
          mentor("M3", 0.3, 0.3, capacity=2, hours_per_month=5.0)]
    js = [job("J1", 0, 0, employer="A", entry_level=True, slots=2),
          job("J2", 5, 0, employer="A", entry_level=True, slots=2)]
    prs = [pair("R1", "M1", rule="require", row=2), pair("R5", "M2", rule="require", row=3)]
    return roster(rs, ms, js, (), prs)


def test_greedy_takes_nearest_high_risk_first_and_honours_rules():
    ro = _small()
    plan = greedy_plan(ro)
    assert_plan_ok(ro, plan)  # capacity, hours, groups, employer, required pairs
    got = {a.returnee_id: a for a in plan.assignments}
    assert got["R1"].mentor_id == "M1"  # required, honoured first
    assert got["R2"].mentor_id == "M3"  # M1 is full: the nearest with room
    assert got["R5"].mentor_id is None  # woman: only men in range; the require is noted
    assert any("R5–M2" in w for w in plan.warnings)
    assert [got[r].job_id is not None for r in ("R3", "R4")].count(True) == 1  # rule 12
    assert plan.tiers["M1"].bound == plan.tiers["M1"].value and not plan.tiers["M1"].optimal


def test_mip_proves_the_same_tiers_as_the_planner_on_a_small_roster():
    from matcher.solve import solve

    ro = _small()
    plan = mip_plan(ro, time_limit=10)
    assert_plan_ok(ro, plan)
    assert plan.status == "OPTIMAL"
    ref = solve(ro, schedule=False)
    for name in ("M1", "M2", "M4", "M5", "J1", "J2", "J4", "J5"):
        assert plan.tiers[name].optimal, name
        assert abs(plan.tiers[name].value - ref.tiers[name].value) < 1e-6, name


def test_bench_process_method_times_plan_as_a_whole_process(tmp_path):
    """``process`` (issue 20) at ward scale: ``run.py plan`` on the roster written as a
    workbook, in its own process; a median time, a peak memory of its process tree, and
    the in-process planner's tier values."""
    from matcher.bench_process import TARGETS, markdown_lines

    results = run_bench(["ward"], 1, ["planner", "process"], repeat=2, out=tmp_path,
                        progress=False, say=lambda msg: None)
    (whole,) = results["whole"]
    assert whole["method"] == "process" and not whole.get("error"), whole
    assert len(whole["runs_s"]) == 2 and min(whole["runs_s"]) <= whole["wall_s"] > 0
    assert whole["peak_mb"] > 30  # an interpreter with numpy, scipy and OR-Tools
    assert whole["load"] and whole["in_process_planner_s"] > 0
    planner = next(r for r in results["runs"] if r["method"] == "planner")
    assert whole["tiers_differ"] == []
    for name in TIERS:
        assert abs(whole["tiers"][name]["value"] - planner["tiers"][name]["value"]) < 0.01, name
    md = (tmp_path / "results.md").read_text(encoding="utf-8")
    assert "| ward | 1 | `plan` whole process" in md and "same tiers as the in-process" in md
    assert ("city", "process") in TARGETS and markdown_lines([]) == []


def test_bench_cli_refuses_unknown_whole_process_options(tmp_path):
    assert main(["bench", "--methods", "process,teleport", "--out", str(tmp_path)]) == 2
    assert main(["bench", "--methods", "process", "--repeat", "0", "--out", str(tmp_path)]) == 2
    from matcher.bench_process import plan_methods

    assert plan_methods(None, "province") == ["process", "rerun", "web"]
    assert plan_methods(None, "ward") == [] and plan_methods(None, "national") == []
    assert plan_methods(["planner", "process"], "national") == ["process"]
