"""What a user waits for (issue 20): the benchmark's whole-process and web methods.

The in-process methods of :mod:`matcher.bench` time the planner alone; these time what a
coordinator sees, each in fresh processes started exactly as a user starts them:

* ``process``: the generated roster written to an .xlsx
  (:func:`matcher.io.roster_writer.write_roster`), then
  ``python run.py plan ROSTER --out PLAN.xlsx --json PLAN.json --quiet`` (the same
  interpreter); reading, planning, checking and writing the workbook and the JSON;
* ``rerun``: an amnesty — 10 % new returnees appended (:func:`amnesty`) — planned against
  the first plan: ``plan NEW.xlsx --previous PLAN.json --out … --json … --quiet``;
* ``web``: the real app (waitress, ``web.app.serve``) in a subprocess on a free port with
  a temporary instance folder; the administrator is created from the console's setup
  link, then the roster is uploaded and checked (``POST /runs/new`` and the validation
  page it leads to), the run started and its status polled until done, and the result
  page loaded. Each phase is timed, and the total.

Each is repeated ``repeat`` times; the median wall time is reported with every run's.
Peak memory is of the whole process tree (the plan process and its solver workers; the
web server and its run workers): the larger of the sum of proportional set sizes sampled
every 0.1 s and the kernel's peak resident size of the largest single process
(``wait4``'s ``ru_maxrss``, for the plan processes).
"""

from __future__ import annotations

import dataclasses
import http.cookiejar
import json
import os
import queue
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PROCESS_METHODS = ("process", "rerun", "web")
# where the whole-process methods run when --methods is not given (national: only when
# asked, and then only ``process``)
DEFAULT_SCALES = ("city", "province")
AMNESTY_SHARE = 0.10
POLL_S = 0.1
PASSWORD = "một mật khẩu dài cho bench 2026"
LABELS = {"process": "`plan` whole process (read, plan, check, workbook, JSON)",
          "rerun": "`plan --previous` after +10 % new releases",
          "web": "web: upload to result page"}
# issue 20's targets on the 2-core machine: (scale, method) -> seconds, or "first plan"
TARGETS: dict[tuple[str, str], float | str] = {
    ("city", "process"): 1.2, ("province", "process"): 12.0, ("province", "web"): 20.0,
    ("national", "process"): 150.0, ("province", "rerun"): "first plan",
    ("city", "rerun"): "first plan"}
NATIONAL_PEAK_MB = 5 * 1024


# ------------------------------------------------------------------------------ inputs

def write_instance(roster, path: Path) -> Path:
    """The roster as a coordinator's workbook (as ``run.py generate`` writes it)."""
    from matcher.generate import SECTOR_NAMES
    from matcher.io.roster_writer import write_roster

    write_roster(roster, path, lang="en", skill_names=SECTOR_NAMES)
    return path


def amnesty(roster, scale: str, seed: int, share: float = AMNESTY_SHARE):
    """The roster plus ``share`` new returnees released in the same area (the first ones
    of another roster of the same scale, renamed ``A00001``…, their co-offender groups
    renamed too), as tests/test_rerun.py's ``amnesty`` makes one. The Pairs rows stay."""
    from matcher.generate import generate_roster

    extra = max(1, round(len(roster.returnees) * share))
    donor = generate_roster(scale, seed + 1000).returnees[:extra]
    new = tuple(dataclasses.replace(r, id=f"A{i:05d}",
                                    group=None if r.group is None else f"A-{r.group}")
                for i, r in enumerate(donor, 1))
    return dataclasses.replace(roster, returnees=roster.returnees + new)


# ----------------------------------------------------------------------- process trees

def _tree_pss_mb(proc) -> float:
    """Sum of proportional set sizes (MB) of a process and its descendants."""
    import psutil

    total = 0
    try:
        procs = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return 0.0
    for p in procs:
        try:
            info = p.memory_full_info()
            total += getattr(info, "pss", info.rss)
        except psutil.Error:
            pass
    return total / 2**20


class _Sampler:
    """Samples a process tree's memory every ``POLL_S`` in a thread; ``peak_mb``."""

    def __init__(self, pid: int):
        import psutil

        self.proc = psutil.Process(pid)
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-sampler", daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_mb = max(self.peak_mb, _tree_pss_mb(self.proc))
            self._stop.wait(POLL_S)

    def __enter__(self) -> _Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def run_process(argv: Sequence[str], log: Path, timeout: float = 3600.0) -> dict[str, Any]:
    """Run ``argv`` from the project folder; wall time, peak memory of its tree, exit
    code (its output goes to ``log``)."""
    with open(log, "wb") as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen(list(argv), cwd=ROOT, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT)
        with _Sampler(proc.pid) as sampler:
            status, usage = 0, None
            while usage is None:
                pid, status, ru = os.wait4(proc.pid, os.WNOHANG)
                if pid:
                    usage = ru
                    break
                if time.perf_counter() - t0 > timeout:
                    proc.kill()
                time.sleep(0.02)
        wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    maxrss_mb = usage.ru_maxrss / 1024  # kB on Linux: the largest process of the tree
    res = {"wall_s": round(wall, 3), "peak_mb": round(max(sampler.peak_mb, maxrss_mb), 1),
           "returncode": proc.returncode}
    if proc.returncode:
        res["error"] = (f"exit {proc.returncode}: "
                        + log.read_text(encoding="utf-8", errors="replace")[-1500:])
    return res


def _plan_argv(roster: Path, out: Path, previous: Path | None = None) -> list[str]:
    argv = [sys.executable, str(ROOT / "run.py"), "plan", str(roster),
            "--out", str(out.with_suffix(".xlsx")), "--json", str(out.with_suffix(".json")),
            "--quiet"]
    if previous is not None:
        argv += ["--previous", str(previous)]
    return argv


def _summary(method: str, runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Median wall time over the runs, every run's time, the largest peak; the first
    failure if any run failed."""
    bad = [r for r in runs if r.get("error")]
    if bad:
        return {"method": method, "error": bad[0]["error"], "runs": runs}
    walls = [r["wall_s"] for r in runs]
    return {"method": method, "wall_s": round(statistics.median(walls), 3),
            "runs_s": walls, "peak_mb": max(r["peak_mb"] for r in runs), "runs": runs}


def _tiers(plan_json: Path) -> dict[str, dict[str, Any]]:
    data = json.loads(plan_json.read_text(encoding="utf-8"))
    return data["tiers"]


def measure_plan(roster_xlsx: Path, folder: Path, repeat: int, *,
                 previous: Path | None = None, method: str = "process") -> dict[str, Any]:
    """``run.py plan`` as a whole process, ``repeat`` times; the plan of the last run
    stays in ``folder`` (``<method>.json``) with its tiers in the result."""
    runs = []
    out = folder / method
    for i in range(repeat):
        runs.append(run_process(_plan_argv(roster_xlsx, out, previous),
                                folder / f"{method}-{i}.log"))
        if runs[-1].get("error"):
            break
    res = _summary(method, runs)
    if not res.get("error"):
        res["tiers"] = _tiers(out.with_suffix(".json"))
        res["plan_json"] = str(out.with_suffix(".json"))
        if previous is not None:
            changes = json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))
            res["changes"] = (changes.get("changes") or {}).get("counts", {})
    return res


# ---------------------------------------------------------------------------------- web

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Server:
    """The real app (waitress) in a subprocess on a free port and a temporary instance
    folder; ``setup_url`` is the first-run link it prints."""

    def __init__(self, instance: Path):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "PLANNER_INSTANCE_PATH": str(instance), "PYTHONUNBUFFERED": "1"}
        code = f"from web.app import serve; serve(host='127.0.0.1', port={self.port})"
        self.proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True,
                                     start_new_session=True)
        self.lines: list[str] = []
        self._found: queue.Queue[str] = queue.Queue()
        self._reader = threading.Thread(target=self._read, name="bench-server", daemon=True)
        self._reader.start()

    def _read(self) -> None:  # drain the pipe so the server never blocks on it
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))
            match = re.search(r"(http://\S+/setup/[A-Za-z0-9_-]+)", line)
            if match:
                self._found.put(match.group(1))

    def wait_ready(self, timeout: float = 60.0) -> str:
        try:
            setup_url = self._found.get(timeout=timeout)
        except queue.Empty:
            raise RuntimeError("the web server printed no setup link:\n"
                               + "\n".join(self.lines[-20:])) from None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the web server exited with code {self.proc.returncode}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return setup_url
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"nothing listens on port {self.port}")

    def stop(self) -> None:
        """Stop the server we started (its own process group, and nothing else)."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self._reader.join(timeout=5)
        self.proc.stdout.close()


class _Client:
    """A browser-like client: cookies, redirects, the page's CSRF token on every post."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self.csrf = ""

    def _open(self, url: str, data: bytes | None = None,
              headers: dict[str, str] | None = None) -> tuple[str, bytes]:
        request = urllib.request.Request(url if url.startswith("http") else self.base + url,
                                         data, headers or {})
        with self.opener.open(request, timeout=3600) as resp:
            body = resp.read()
        match = re.search(rb'name="csrf-token" content="([^"]+)"', body)
        if match:
            self.csrf = match.group(1).decode()
        return resp.url, body

    def get(self, url: str) -> tuple[str, bytes]:
        return self._open(url)

    def post(self, url: str, fields: dict[str, str]) -> tuple[str, bytes]:
        body = urllib.parse.urlencode({"csrf_token": self.csrf, **fields}).encode()
        return self._open(url, body)

    def upload(self, url: str, path: Path) -> tuple[str, bytes]:
        boundary = uuid.uuid4().hex
        body = b"".join([
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n'
            f"{self.csrf}\r\n".encode(),
            f'--{boundary}\r\nContent-Disposition: form-data; name="files"; '
            f'filename="{path.name}"\r\nContent-Type: application/octet-stream\r\n\r\n'
            .encode(), path.read_bytes(), f"\r\n--{boundary}--\r\n".encode()])
        return self._open(url, body,
                          {"Content-Type": f"multipart/form-data; boundary={boundary}"})

    def json(self, url: str) -> dict[str, Any]:
        return json.loads(self._open(url)[1])


def _web_once(client: _Client, roster_xlsx: Path, folder: Path,
              timeout: float) -> dict[str, Any]:
    """Upload, check, start, poll, load the result page: one run's phases."""
    client.get("/runs/new")
    t0 = time.perf_counter()
    url, _page = client.upload("/runs/new", roster_xlsx)  # stored, checked, then its page
    upload_s = time.perf_counter() - t0
    match = re.search(r"/runs/(\d+)$", url.split("?")[0])
    if not match:
        raise RuntimeError(f"the upload did not lead to a run page: {url}")
    run_id = int(match.group(1))
    status = client.json(f"/runs/{run_id}/status")
    if status["status"] != "ready":
        raise RuntimeError(f"run {run_id} is {status['status']} after the check")
    t1, started = time.perf_counter(), time.time()
    client.post(f"/runs/{run_id}/start", {})
    while True:
        status = client.json(f"/runs/{run_id}/status")
        if status["status"] not in ("ready", "queued", "running"):
            break
        if time.perf_counter() - t1 > timeout:
            raise RuntimeError(f"run {run_id} did not finish in {timeout:.0f} s")
        time.sleep(0.2)
    solve_s = time.perf_counter() - t1
    if status["status"] != "done":
        raise RuntimeError(f"run {run_id} {status['status']}: {status.get('error')}")
    t2 = time.perf_counter()
    _url, page = client.get(f"/runs/{run_id}/result")
    result_s = time.perf_counter() - t2
    return {"run_id": run_id, "upload_check_s": round(upload_s, 3),
            "solve_s": round(solve_s, 3), "result_page_s": round(result_s, 3),
            "result_page_kb": round(len(page) / 1024, 1),
            "wall_s": round(upload_s + solve_s + result_s, 3),
            "worker_files_s": _written(folder / "instance" / "uploads" / str(run_id), started)}


def _written(run_dir: Path, started: float) -> dict[str, float]:
    """When the run's worker finished writing each output, in seconds after "start" (file
    times: where the worker's time goes without instrumenting it). A folder counts at its
    newest file."""
    out = {}
    for path in sorted(run_dir.iterdir()) if run_dir.is_dir() else ():
        if path.name in ("inputs", "validation.json", "worker.log"):
            continue
        files = [f for f in path.iterdir()] if path.is_dir() else [path]
        newest = max((f.stat().st_mtime for f in files), default=None)
        if newest is not None and newest >= started:
            out[path.name] = round(newest - started, 2)
    return dict(sorted(out.items(), key=lambda kv: kv[1]))


def measure_web(roster_xlsx: Path, folder: Path, repeat: int,
                timeout: float = 3600.0) -> dict[str, Any]:
    """The web app's upload-to-result time, ``repeat`` uploads of the roster to one
    server; the median of each phase and of the total, and the peak memory of the server
    and its workers."""
    server = _Server(folder / "instance")
    runs: list[dict[str, Any]] = []
    try:
        setup_url = server.wait_ready()
        client = _Client(server.url)
        client.get(setup_url)
        client.post(setup_url, {"name": "bench", "password": PASSWORD,
                                "password2": PASSWORD})
        with _Sampler(server.proc.pid) as sampler:
            for _ in range(repeat):
                runs.append(_web_once(client, roster_xlsx, folder, timeout))
        peak = sampler.peak_mb
    except (RuntimeError, OSError, urllib.error.URLError, KeyError, ValueError) as exc:
        return {"method": "web", "error": f"{type(exc).__name__}: {exc}\n"
                + "\n".join(server.lines[-10:]), "runs": runs}
    finally:
        server.stop()
    res = _summary("web", [{**r, "peak_mb": round(peak, 1)} for r in runs])
    for phase in ("upload_check_s", "solve_s", "result_page_s", "result_page_kb"):
        res[phase] = round(statistics.median(r[phase] for r in runs), 3)
    names = set.intersection(*(set(r["worker_files_s"]) for r in runs))
    res["worker_files_s"] = dict(sorted(
        ((n, round(statistics.median(r["worker_files_s"][n] for r in runs), 2))
         for n in names), key=lambda kv: kv[1]))
    return res


# --------------------------------------------------------------------------- the runs

def plan_methods(methods: Sequence[str] | None, scale: str) -> list[str]:
    """The whole-process methods to run at ``scale``: the ones asked for, or by default
    all three at city and province scale and none elsewhere."""
    if methods is None:
        return list(PROCESS_METHODS) if scale in DEFAULT_SCALES else []
    return [m for m in PROCESS_METHODS if m in methods]


class Instance:
    """The files of one generated instance in ``folder``: the roster workbook, and the
    amnesty's when a rerun is asked for (written while the roster is in memory)."""

    def __init__(self, roster, scale: str, seed: int, folder: Path, methods: Sequence[str]):
        self.scale, self.seed, self.folder = scale, seed, folder
        folder.mkdir(parents=True, exist_ok=True)
        self.xlsx = write_instance(roster, folder / "roster.xlsx")
        self.amnesty_xlsx = self.added = None
        if "rerun" in methods:
            wave = amnesty(roster, scale, seed)
            self.added = len(wave.returnees) - len(roster.returnees)
            self.amnesty_xlsx = write_instance(wave, folder / "amnesty.xlsx")
        self.first: dict[str, Any] | None = None

    def run(self, method: str, repeat: int) -> dict[str, Any]:
        base = {"scale": self.scale, "seed": self.seed}
        if method == "process":
            self.first = measure_plan(self.xlsx, self.folder, repeat)
            return {**base, **self.first}
        if method == "rerun":
            if self.first is None or self.first.get("error"):  # the plan to rerun against
                self.first = measure_plan(self.xlsx, self.folder, 1)
            if self.first.get("error"):
                return {**base, "method": "rerun", "error": "first plan: "
                        + self.first["error"]}
            res = measure_plan(self.amnesty_xlsx, self.folder, repeat,
                               previous=Path(self.first["plan_json"]), method="rerun")
            res.update(added=self.added, first_plan_s=self.first["wall_s"])
            return {**base, **res}
        if method == "web":
            return {**base, **measure_web(self.xlsx, self.folder / "web", repeat)}
        raise ValueError(f"unknown method {method!r}")


def same_tiers(a: dict[str, dict[str, Any]], b: dict[str, dict[str, Any]]) -> list[str]:
    """Tiers whose values differ (beyond rounding) between two plans."""
    return sorted(n for n in set(a) & set(b)
                  if abs(float(a[n]["value"]) - float(b[n]["value"]))
                  > 1e-6 * max(1.0, abs(float(a[n]["value"]))) + 0.01)


def compare_with_planner(whole: list[dict[str, Any]], runs: list[dict[str, Any]]) -> None:
    """Beside each whole-process ``plan``: the in-process planner's wall time on the same
    instance and the tiers where the two differ (``tiers_differ``)."""
    planner = {(r["scale"], r["seed"]): r for r in runs
               if r.get("method") == "planner" and r.get("tiers")}
    for w in whole:
        p = planner.get((w["scale"], w["seed"]))
        if p is None or w.get("error"):
            continue
        if w["method"] != "rerun":  # the in-process planner plans the first roster
            w["in_process_planner_s"] = round(p["wall_s"], 3)
        if w["method"] == "process":
            w["tiers_differ"] = same_tiers(w["tiers"], p["tiers"])


def load_average() -> str:
    """The 1, 5 and 15 minute load averages, as ``uptime`` shows them."""
    try:
        return " / ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:  # pragma: no cover - not on Linux
        return "?"


def target_text(scale: str, method: str, res: dict[str, Any]) -> str:
    target = TARGETS.get((scale, method))
    if target is None or res.get("error"):
        return ""
    if target == "first plan":
        first = res.get("first_plan_s")
        if not first:
            return ""
        ok = res["wall_s"] <= first
        return f"≤ first plan ({first:.2f} s): {'met' if ok else 'missed'}"
    ok = res["wall_s"] <= target
    text = f"≤ {target:g} s"
    if scale == "national":
        ok = ok and res.get("peak_mb", 0) <= NATIONAL_PEAK_MB
        text += ", ≤ 5 GB"
    return f"{text}: {'met' if ok else 'missed'}"


def markdown_lines(whole: list[dict[str, Any]]) -> list[str]:
    """The table of whole-process and web times for results.md."""
    if not whole:
        return []
    lines = ["", "## Whole-process and web times (what a user waits for)", "",
             "| scale | seed | what | median wall s | runs s | peak MB | in-process planner s "
             "| detail | target (issue 20) | load 1/5/15 min |",
             "|---|---|---|--:|---|--:|--:|---|---|---|"]
    order = {m: i for i, m in enumerate(PROCESS_METHODS)}
    for w in sorted(whole, key=lambda w: (w["scale"], w["seed"], order[w["method"]])):
        label = LABELS[w["method"]]
        if w.get("error"):
            err = w["error"].splitlines()[0][:200].replace("|", "/")
            lines.append(f"| {w['scale']} | {w['seed']} | {label} | – | – | – | – | "
                         f"FAILED: {err} | | {w.get('load', '')} |")
            continue
        detail = []
        if w["method"] == "process" and "tiers_differ" in w:
            detail.append("same tiers as the in-process planner" if not w["tiers_differ"]
                          else f"tiers differ from in-process: {', '.join(w['tiers_differ'])}")
        if w["method"] == "rerun":
            detail.append(f"+{w['added']:,} returnees; changes "
                          + ", ".join(f"{k} {v}" for k, v in w.get("changes", {}).items()))
        if w["method"] == "web":
            detail.append(f"upload + check {w['upload_check_s']:.2f} s, solve "
                          f"{w['solve_s']:.2f} s, result page {w['result_page_s']:.2f} s "
                          f"({w['result_page_kb']:,.0f} KB)")
            files = w.get("worker_files_s") or {}
            if files:
                detail.append("worker's outputs done at (s after start): " + ", ".join(
                    f"{n} {t:.1f}" for n, t in files.items()))
        inproc = w.get("in_process_planner_s")
        lines.append(
            f"| {w['scale']} | {w['seed']} | {label} | {w['wall_s']:.2f} | "
            f"{', '.join(f'{x:.2f}' for x in w['runs_s'])} | {w['peak_mb']:,.0f} | "
            f"{'–' if inproc is None else f'{inproc:.2f}'} | {'; '.join(detail)} | "
            f"{target_text(w['scale'], w['method'], w)} | {w.get('load', '')} |")
    lines += ["", "Whole-process methods: `python run.py plan ROSTER.xlsx --out PLAN.xlsx "
              "--json PLAN.json --quiet` in a fresh process (the same interpreter), median "
              "of the runs; the rerun adds 10 % new returnees and plans with `--previous "
              "PLAN.json`; the web time is the real app (waitress) from the upload (stored "
              "and checked, its page loaded) through the solve (status polled every 0.2 s) "
              "to the result page loaded. Peak memory: the process tree (plan process and "
              "its solver workers; web server and its run workers), sampled every 0.1 s, "
              "or the largest process's peak resident size if larger. Load: the 1, 5 and 15 "
              "minute load averages when the method finished."]
    return lines


def run_all(tasks: Sequence[tuple[str, int, str]], instances: dict[tuple[str, int], Instance],
            repeat: int, say: Callable[[str], None]) -> list[dict[str, Any]]:
    """Run the whole-process tasks (scale, seed, method) on their instances."""
    out = []
    for scale, seed, method in tasks:
        res = instances[(scale, seed)].run(method, repeat)
        res["load"] = load_average()
        if res.get("error"):
            say(f"{scale} seed {seed} {method} FAILED: {res['error'][:500]}")
        out.append(res)
    return out
