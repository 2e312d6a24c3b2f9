"""The Windows path (issue 18): with the POSIX-only features switched off as on Windows
(``matcher.forked.WINDOWS``, ``web.jobs.WINDOWS``: no fork, no resource limits, no POSIX
session) the web worker, the visit scheduler, the split planner and the bounded reader give
the same results; a script without an ``if __name__ == "__main__":`` guard does not crash;
and every command and script the README's Windows section names exists."""

from __future__ import annotations

import dataclasses
import json
import os
import random
import re
import shlex
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from builders import job, mentor, returnee, roster
from test_schedule import evaluate, random_problem

import matcher.schedule as sched
from cli.main import COMMANDS
from matcher import forked, visit_model
from matcher.io import sandbox
from matcher.split import solve_split

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample" / "roster.xlsx"
PASSWORD = "correct horse battery"


@pytest.fixture
def as_windows(monkeypatch):
    """Every Windows branch on: no fork, no rlimit, a process group instead of a session."""
    from web import jobs

    monkeypatch.setattr(forked, "WINDOWS", True)
    monkeypatch.setattr(jobs, "WINDOWS", True)
    assert not forked.can_fork() and not forked.available()
    assert sandbox._context().get_start_method() == "spawn"


# ------------------------------------------------------------------ capability switches

def test_the_worker_starts_in_a_process_group_on_windows(monkeypatch):
    from web import jobs

    assert jobs.detach_options() == {"start_new_session": True}
    monkeypatch.setattr(jobs, "WINDOWS", True)
    options = jobs.detach_options()
    assert "start_new_session" not in options
    assert options["creationflags"] & 0x200  # CREATE_NEW_PROCESS_GROUP
    assert options["creationflags"] & 0x08000000  # CREATE_NO_WINDOW
    assert jobs.worker_env({})["PYTHONUTF8"] == "1"


def _script(tmp_path: Path, name: str, body: str) -> subprocess.CompletedProcess:
    path = tmp_path / name
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return subprocess.run([sys.executable, str(path)], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)})


def test_spawn_safe_sees_the_main_guard(tmp_path):
    probe = "import matcher.forked as f\nprint(f.spawn_safe())\n"
    guarded = _script(tmp_path, "guarded.py",
                      "def main():\n    " + probe.replace("\n", "\n    ")
                      + "\nif __name__ == '__main__':\n    main()\n")
    unguarded = _script(tmp_path, "unguarded.py", probe)
    assert guarded.stdout.split() == ["True"], guarded.stderr
    assert unguarded.stdout.split() == ["False"], unguarded.stderr
    inline = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True,
                            text=True, timeout=60)
    assert inline.stdout.split() == ["True"]  # -c: a spawned child re-runs nothing


# ------------------------------------------------------------------ scheduler and split

def test_visit_scheduler_pool_as_on_windows_gives_the_same_visits(as_windows, monkeypatch):
    rnd = random.Random(11)
    problems = [dataclasses.replace(random_problem(rnd, 3), mid=f"M{i}") for i in range(4)]
    serial = [visit_model.solve_exact(p) for p in problems]
    want = [(m, evaluate(p, ev)) for p, (m, ev, _) in zip(problems, serial)]
    monkeypatch.setattr(sched, "PARALLEL_MIN", 2)
    monkeypatch.setattr(sched.os, "cpu_count", lambda: 2)
    pooled = list(sched._run_cpsat(problems))  # spawned pool (pytest's main is guarded)
    assert [(m, evaluate(p, ev)) for p, (m, ev, _) in zip(problems, pooled)] == want
    # where children may not start (an unguarded script), the same in this process
    monkeypatch.setattr(forked, "spawn_safe", lambda: False)

    def no_pool(*a, **k):
        raise AssertionError("no process pool where children may not start")

    monkeypatch.setattr(sched, "ProcessPoolExecutor", no_pool)
    here = list(sched._run_cpsat(problems))
    assert [(m, evaluate(p, ev)) for p, (m, ev, _) in zip(problems, here)] == want


def _three_towns():
    """Three towns 60 km apart: three independent regions."""
    rs, ms, js = [], [], []
    for t in range(3):
        x = 60.0 * t
        for k in range(3):
            rs.append(returnee(f"R{t}{k}", x + k * 0.3, gender="F" if k == 1 else "M",
                               skills=frozenset({"may mac"})))
        ms.append(mentor(f"M{t}0", x, capacity=2))
        ms.append(mentor(f"M{t}1", x + 0.5, gender="F", capacity=2))
        js.append(job(f"J{t}", x + 0.2, employer=f"Công ty {t}", slots=2))
    return roster(rs, ms, js)


def _outcome(plan):
    return ({k: (t.value, t.optimal) for k, t in plan.tiers.items()},
            [(a.returnee_id, a.mentor_id, a.job_id, a.training_id) for a in plan.assignments])


def test_split_planner_as_on_windows_gives_the_same_plan(monkeypatch):
    ro = _three_towns()
    posix = solve_split(ro, executor="local", workers=2, batches=3)
    assert len(posix.stats["parts"]) == 3
    monkeypatch.setattr(forked, "WINDOWS", True)
    windows = solve_split(ro, executor="local", workers=2, batches=3)  # spawned workers
    assert _outcome(windows) == _outcome(posix)
    monkeypatch.setattr(forked, "spawn_safe", lambda: False)  # an unguarded script
    assert _outcome(solve_split(ro, executor="local", workers=2, batches=3)) == \
        _outcome(posix)


def test_bounded_reader_as_on_windows(as_windows, monkeypatch):
    """Spawned (not forked) and without an address-space cap, the bounded read gives the
    roster; where no child may start it reads in this process."""
    if not SAMPLE.exists():
        pytest.skip("no bundled sample roster")
    from matcher.io.reader import read_roster

    limits = []
    monkeypatch.setattr(sandbox, "_address_space", lambda: limits.append(1) or 0)
    direct = read_roster(SAMPLE)
    assert sandbox.read_roster_bounded(SAMPLE, seconds=120) == direct
    assert limits == []  # in this process nothing was measured for a cap
    monkeypatch.setattr(forked, "spawn_safe", lambda: False)
    assert sandbox.run_bounded(os.getpid) == os.getpid()  # in process
    assert sandbox.read_roster_bounded(SAMPLE) == direct


# ------------------------------------------------------------------ the web worker

SHIM = '''
"""The real planner adapter; in the worker process every Windows branch is switched on."""
import sys

import matcher.forked
import web.planner

if getattr(sys.modules["__main__"].__spec__, "name", None) == "web.worker":
    matcher.forked.WINDOWS = True
    print("worker as on Windows", flush=True)
sys.modules[__name__] = web.planner
'''


def _web_run(tmp_path: Path, planner: str, monkeypatch) -> tuple[dict, str]:
    from web import jobs
    from web.app import create_app
    from web.auth import create_user

    app = create_app({"INSTANCE_PATH": tmp_path / planner, "SECRET_KEY": "t",
                      "TESTING": True, "WTF_CSRF_ENABLED": False, "PLANNER": planner,
                      "SAMPLE_ROSTER": str(SAMPLE),
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    with app.app_context():
        create_user("coord", "coordinator", PASSWORD)
    client = app.test_client()
    client.post("/login", data={"name": "coord", "password": PASSWORD})
    run_id = int(re.search(r"/runs/(\d+)", client.post("/runs/sample")
                           .headers["Location"]).group(1))
    client.post(f"/runs/{run_id}/start")
    folder = jobs.run_dir(app.config, run_id)
    deadline = time.monotonic() + 300
    from web import db

    while time.monotonic() < deadline:
        conn = db.connect(app.config["DATABASE"])
        status = conn.execute("SELECT status FROM runs WHERE id = ?", (run_id,)
                              ).fetchone()["status"]
        conn.close()
        if status in ("done", "failed"):
            break
        time.sleep(0.1)
    log = (folder / "worker.log").read_text(encoding="utf-8", errors="replace")
    assert status == "done", log
    return json.loads((folder / "plan.json").read_text(encoding="utf-8")), log


@pytest.mark.skipif(not SAMPLE.exists(), reason="no bundled sample roster")
def test_web_worker_as_on_windows_gives_the_same_plan(tmp_path, monkeypatch):
    """The app starts the worker with Windows' process options (a process group, no
    session: Linux cannot take ``creationflags``, so they are checked and then dropped),
    and the worker runs with fork and resource limits off; the plan is the POSIX one."""
    from web import jobs

    (tmp_path / "windows_planner.py").write_text(SHIM, encoding="utf-8")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(tmp_path), str(ROOT)]))
    monkeypatch.syspath_prepend(str(tmp_path))  # the app imports the adapter too
    posix, _ = _web_run(tmp_path, "web.planner", monkeypatch)

    seen = []
    real_popen = subprocess.Popen

    def popen(cmd, **kw):
        seen.append(kw)
        assert "start_new_session" not in kw and kw.pop("creationflags") & 0x200
        return real_popen(cmd, **kw)

    monkeypatch.setattr(jobs, "WINDOWS", True)
    monkeypatch.setattr(jobs.subprocess, "Popen", popen)
    windows, log = _web_run(tmp_path, "windows_planner", monkeypatch)
    assert len(seen) == 1 and "worker as on Windows" in log
    assert not forked.WINDOWS  # only the worker took the Windows branches
    keys = ("assignments", "visits", "unscheduled")
    assert {k: windows.get(k) for k in keys} == {k: posix.get(k) for k in keys}
    assert {k: (t["value"], t["optimal"]) for k, t in windows["tiers"].items()} == \
        {k: (t["value"], t["optimal"]) for k, t in posix["tiers"].items()}


@pytest.mark.skipif(not SAMPLE.exists(), reason="no bundled sample roster")
def test_the_web_worker_plans_as_the_command_line_does(tmp_path, monkeypatch):
    """One planning path (issue 20): the web worker's plan of the sample roster has the
    tiers — values, bounds, proofs — and the pairs, visits and loans of `run.py plan`."""
    from cli.main import main

    web_plan, _ = _web_run(tmp_path, "web.planner", monkeypatch)
    out = tmp_path / "cli.json"
    assert main(["plan", str(SAMPLE), "--json", str(out), "--quiet"]) == 0
    cli_plan = json.loads(out.read_text(encoding="utf-8"))
    assert web_plan["tiers"] == cli_plan["tiers"]
    for key in ("assignments", "visits", "unscheduled", "loans", "unassigned"):
        assert web_plan[key] == cli_plan[key], key


# ------------------------------------------------------------------ the README

def _readme() -> str:
    return (ROOT / "README.md").read_text(encoding="utf-8")


def _library_example() -> str:
    text = _readme()
    start = text.index("Library use:")
    return re.search(r"```python\n(.*?)```", text[start:], re.S).group(1)


@pytest.mark.skipif(not SAMPLE.exists(), reason="no bundled sample roster")
def test_the_readme_library_example_runs_with_and_without_its_guard(tmp_path):
    """The example shows the guard; without it, on a roster whose visit schedule takes the
    process pool (forced here: every mentor solved by CP-SAT), the script still runs and
    prints the same, because the library then schedules in its own process."""
    example = _library_example()
    assert 'if __name__ == "__main__":' in example
    force = ("import matcher.schedule as s\n"
             "s.solve_fast = lambda p: None\n"
             "s.PARALLEL_MIN = 2\n")
    guarded = _script(tmp_path, "guarded.py", force + example)
    body = example.replace('if __name__ == "__main__":', "if True:")
    unguarded = _script(tmp_path, "unguarded.py", force + body)
    assert guarded.returncode == 0, guarded.stderr
    assert unguarded.returncode == 0, unguarded.stderr
    assert guarded.stdout == unguarded.stdout and "M1" in guarded.stdout


def _windows_section() -> str:
    text = _readme()
    return re.search(r"^## Windows\n(.*?)(?=^## )", text, re.S | re.M).group(1)


def test_every_command_and_script_of_the_readme_windows_section_exists():
    section = _windows_section()
    blocks = re.findall(r"```bat\n(.*?)```", section, re.S)
    lines = [ln.strip() for b in blocks for ln in b.splitlines() if ln.strip()]
    assert lines, "the Windows section shows its commands"
    code = " ".join(re.findall(r"`([^`\n]+)`", section)) + " " + " ".join(lines)
    # the scripts it names exist at the root and do what make run / make test do
    scripts = sorted(set(re.findall(r"\b[\w-]+\.(?:bat|ps1)\b", code)))
    assert scripts == ["run.bat", "run.ps1", "test.bat", "test.ps1"]
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    extras = re.search(r"pip install --quiet -e '(\.\[[\w,]+\])'", makefile).group(1)
    for name in scripts:
        text = (ROOT / name).read_text(encoding="utf-8")
        if name.startswith("test"):  # the set-up is run.*'s, called first
            setup = "run.bat" if name.endswith(".bat") else "run.ps1"
            assert re.search(rf"{re.escape(setup)}\"?\)? --setup-only", text), name
            text += (ROOT / setup).read_text(encoding="utf-8")
        assert "py -3.11 -m venv .venv" in text, name
        assert f'-e "{extras}"' in text, name
        if name.startswith("run"):
            assert re.search(r"python\S* run\.py", text), name
        else:
            assert "ruff" in text and "check matcher web cli tests run.py" in text, name
            assert "-m pytest -q -p no:cacheprovider" in text, name
    assert f'-e "{extras}"' in section
    # every command line: the venv's python or ruff, run.py commands that exist, files
    # that exist (an --out file is written, not read)
    for line in lines:
        words = shlex.split(line.replace("\\", "/"), posix=True)
        if words[:2] == ["py", "-3.11"]:
            assert words[2:] == ["-m", "venv", ".venv"]
            continue
        if words[0] in ("run.bat", "test.bat"):
            assert (ROOT / words[0]).exists()
            continue
        assert words[0] in (".venv/Scripts/python", ".venv/Scripts/ruff"), line
        if words[0].endswith("ruff"):
            assert words[1] == "check" and all((ROOT / w).exists() for w in words[2:])
            continue
        if words[1] == "-m":
            assert words[2] in ("pip", "pytest"), line
            continue
        assert words[1] == "run.py" and (ROOT / "run.py").exists()
        args = words[2:]
        if args:
            assert args[0] in COMMANDS, line
        outputs = {args[i + 1] for i, a in enumerate(args[:-1]) if a == "--out"}
        for arg in args[1:]:
            if "." in arg and not arg.startswith("-") and arg not in outputs:
                assert (ROOT / arg).exists(), (line, arg)
    # file paths named in the prose too (run.bat validate data\sample\roster.xlsx)
    for path in re.findall(r"\bdata\\[\w\\.]+", section):
        assert (ROOT / path.replace("\\", "/")).exists(), path
