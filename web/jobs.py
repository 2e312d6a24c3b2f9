"""Solver processes: start one per run, tell whether it is alive, stop it.

A solve runs as ``python -m web.worker`` in its own session (on Windows: its own process
group, with no console window), so it survives the user closing the page (and the app being
restarted) and a Ctrl+C in the app's console. The database is the only shared state:
the run row holds the worker's pid and process start time, which together identify the
process even if the pid is later reused.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import psutil

from web import db

log = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# Every read of uploaded files runs in a child process within these memory and time limits
# (matcher.io.sandbox): the upload check in a request, the rerun merge and the roster read
# in the worker. Each can be changed in the app config; so can how many checks run at once
# and how long a request waits for a free one before it gets a "busy" page.
CHECK_DEFAULTS = {"UPLOAD_CHECKS_AT_ONCE": 2, "UPLOAD_CHECK_WAIT_SECONDS": 10.0,
                  "UPLOAD_CHECK_MEM_MB": 1536, "UPLOAD_CHECK_SECONDS": 60.0}
# A queued run has no pid for the instant between spawn and recording it.
STARTUP_GRACE_SECONDS = 30.0
# Windows has no POSIX sessions (start_new_session); read at call time, so a test can switch
# the Windows branch on
WINDOWS = sys.platform == "win32"
_CREATE_NEW_PROCESS_GROUP = 0x00000200  # subprocess's constants, defined only on Windows
_CREATE_NO_WINDOW = 0x08000000


def run_dir(config: Mapping[str, Any], run_id: int) -> Path:
    return Path(config["UPLOAD_FOLDER"]) / str(int(run_id))


def setting(config: Mapping[str, Any], name: str) -> Any:
    return config.get(name, CHECK_DEFAULTS[name])


def read_limits(config: Mapping[str, Any]) -> dict[str, Any]:
    """The memory (MB) and time (s) a bounded read of uploaded files may take."""
    return {"mem_mb": int(setting(config, "UPLOAD_CHECK_MEM_MB")),
            "seconds": float(setting(config, "UPLOAD_CHECK_SECONDS"))}


def worker_env(config: Mapping[str, Any]) -> dict[str, str]:
    """The worker's environment: the app's, with the sandbox's read limits (its
    ``MATCHER_READ_*`` defaults) set to the upload check's."""
    limits = read_limits(config)
    env = {**os.environ, "MATCHER_READ_MEM_MB": str(limits["mem_mb"]),
           "MATCHER_READ_SECONDS": f"{limits['seconds']:g}"}
    if WINDOWS:  # worker.log in UTF-8 (Vietnamese names), not the ANSI code page
        env.setdefault("PYTHONUTF8", "1")
    return env


def detach_options() -> dict[str, Any]:
    """The Popen options that start the worker apart from the app: a new session on POSIX
    (no signal from the app's terminal reaches it); on Windows a new process group (Ctrl+C
    in the app's console does not reach it) and no console window of its own."""
    if WINDOWS:
        flags = (getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", _CREATE_NEW_PROCESS_GROUP)
                 | getattr(subprocess, "CREATE_NO_WINDOW", _CREATE_NO_WINDOW))
        return {"creationflags": flags}
    return {"start_new_session": True}


def start_worker(config: Mapping[str, Any], conn, run_id: int) -> None:
    """Spawn the worker for a run already moved to 'queued'."""
    directory = run_dir(config, run_id)
    cmd = [
        sys.executable, "-m", "web.worker",
        "--database", str(db.database_path(config["DATABASE"])),
        "--uploads", str(config["UPLOAD_FOLDER"]),
        "--planner", config["PLANNER"],
        str(run_id),
    ]
    with open(directory / "worker.log", "ab") as out:
        proc = subprocess.Popen(
            cmd, cwd=PROJECT_ROOT, stdin=subprocess.DEVNULL, stdout=out, stderr=out,
            close_fds=True, env=worker_env(config), **detach_options(),
        )
    try:
        started = psutil.Process(proc.pid).create_time()
    except psutil.NoSuchProcess:  # already finished
        started = 0.0
    db.set_worker(conn, run_id, proc.pid, started)
    # Reap the child when it exits so it does not linger as a zombie.
    threading.Thread(target=proc.wait, name=f"reap-run-{run_id}", daemon=True).start()
    log.info("run %s: worker pid %s started", run_id, proc.pid)


def _process(run) -> psutil.Process | None:
    """The run's live worker process, or None."""
    if run["pid"] is None:
        return None
    try:
        proc = psutil.Process(run["pid"])
        if abs(proc.create_time() - (run["pid_started"] or 0.0)) > 1.0:
            return None  # the pid now belongs to another process
        if proc.status() == psutil.STATUS_ZOMBIE:
            return None
        return proc
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return None


def worker_alive(run) -> bool:
    if run["pid"] is None:
        return time.time() - (run["started_at"] or 0.0) < STARTUP_GRACE_SECONDS
    return _process(run) is not None


def fail_if_orphaned(conn, run) -> bool:
    """Mark an active run whose worker is gone as failed; True if it did."""
    if run["status"] not in db.ACTIVE or worker_alive(run):
        return False
    if db.finish_run(conn, run["id"], "failed", error="worker_gone"):
        db.add_audit(conn, "run_failed", user_id=None, user_name=None, run_id=run["id"],
                     ip=None, detail="worker process gone")
        log.warning("run %s: worker process gone, marked failed", run["id"])
        return True
    return False


def recover(conn) -> list[int]:
    """On start: every 'queued'/'running' run whose worker is gone becomes 'failed'."""
    return [run["id"] for run in db.active_runs(conn) if fail_if_orphaned(conn, run)]


def stop_worker(run, *, timeout: float = 5.0) -> None:
    """Terminate the run's worker and anything it started."""
    proc = _process(run)
    if proc is None:
        return
    try:
        procs = [proc, *proc.children(recursive=True)]
    except psutil.NoSuchProcess:
        return
    for p in procs:
        with contextlib.suppress(psutil.NoSuchProcess):
            p.terminate()
    _gone, alive = psutil.wait_procs(procs, timeout=timeout)
    for p in alive:
        with contextlib.suppress(psutil.NoSuchProcess):
            p.kill()
    log.info("run %s: worker pid %s stopped", run["id"], run["pid"])


def input_paths(conn, config: Mapping[str, Any], run_id: int,
                planner) -> tuple[list[Path], Path | None]:
    """The roster files to read for a run (earlier files merged with additions by the
    planner adapter) and the previous plan's JSON, if the run has one.

    Uploads are stored under generated names, but the reader names a CSV file's table by
    the file's name (``Người trở về.csv``, ``mentors.csv``). So a file whose name the
    adapter's ``reader_file_name`` says the reader needs is shown to it under that name:
    a link in ``inputs/named/<n>/`` (the stored file stays where it is). Other names,
    which may say something about people, never reach the disk."""
    return input_paths_from(db.run_files(conn, run_id), config, run_id, planner)


def input_paths_from(files, config: Mapping[str, Any], run_id: int,
                     planner) -> tuple[list[Path], Path | None]:
    """:func:`input_paths` from the run's file rows (database rows or plain dicts with
    ``role``, ``stored_name`` and ``display_name``): what a bounded child process is given,
    since it must not touch the parent's database connection."""
    inputs = run_dir(config, run_id) / "inputs"
    name_for = getattr(planner, "reader_file_name", None)
    roster = [_for_reader(inputs, n, f, name_for) for n, f in enumerate(files)
              if f["role"] == "roster"]
    additions = [_for_reader(inputs, n, f, name_for) for n, f in enumerate(files)
                 if f["role"] == "addition"]
    previous = [inputs / f["stored_name"] for f in files if f["role"] == "previous_plan"]
    paths = planner.merge_additions(roster, additions) if additions else roster
    return paths, (previous[0] if previous else None)


def reader_inputs(files: list[dict[str, Any]], config: Mapping[str, Any], run_id: int,
                  planner_name: str) -> tuple[list[Path], Path | None]:
    """:func:`input_paths_from` with the planner adapter named (what a bounded child is
    given: the merge of new releases reads untrusted files)."""
    return input_paths_from(files, config, run_id, importlib.import_module(planner_name))


def _for_reader(inputs: Path, n: int, row, name_for) -> Path:
    stored = inputs / row["stored_name"]
    name = name_for(row["display_name"] or "", row["stored_name"]) if name_for else None
    if not name or name == row["stored_name"] or Path(name).name != name:
        return stored
    folder = inputs / "named" / str(n)
    target = folder / name
    if not target.exists():
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            os.link(stored, target)
        except OSError:  # no hard links on this file system
            shutil.copyfile(stored, target)
    return target


def reader_names(conn, run_id: int, planner) -> dict[str, str]:
    """File names the reader may quote in its messages -> the coordinator's names."""
    name_for = getattr(planner, "reader_file_name", None)
    out = {}
    for f in db.run_files(conn, run_id):
        out[f["stored_name"]] = f["display_name"]
        if name_for:
            out[name_for(f["display_name"] or "", f["stored_name"])] = f["display_name"]
    return out


# the inputs and what was computed from them alone: the validation report and the checked
# roster downloads (web.runs stores them once instead of reading the files on every view)
KEEP_ON_RERUN = frozenset({"inputs", "validation.json", "checked"})


def clear_outputs(directory: Path) -> None:
    """Remove a previous attempt's outputs, keeping the inputs and validation report."""
    for child in directory.iterdir():
        if child.name in KEEP_ON_RERUN:
            continue
        if child.is_dir():
            shutil.rmtree(child)
        else:
            child.unlink()
