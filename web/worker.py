"""The solver process of one run: ``python -m web.worker --database DB --uploads DIR RUN_ID``.

Started by :func:`web.jobs.start_worker`. It reads the run's inputs, calls the planner
adapter's ``run_plan`` and writes progress and the outcome into the run row. Its
stdout/stderr go to ``worker.log`` inside the run's own folder (deleted with the run),
never to the app log.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
import threading
import time
import traceback

from matcher.io.sandbox import run_bounded
from web import db, jobs

log = logging.getLogger("web.worker")
PROGRESS_INTERVAL_S = 0.25
TICK_S = 1.0  # how often the bar moves within a long stage
TICK_HALF_S = 15.0  # within a stage, half of the way to its end after this many seconds
# the planner's stages (web.planner, matcher.planner, matcher.solve) -> the fraction where
# the next one starts; the pages name the stage in words (web.runs.progress_text)
STAGE_ENDS = {"reading roster": 0.02, "reading previous plan": 0.05, "regions": 0.85,
              "candidates": 0.25, "mentors": 0.55, "jobs and training": 0.7,
              "explanations": 0.85, "visit schedule": 0.95, "writing plan": 1.0}


class Progress:
    """The run's progress row, written by the planner's callback and, while one stage
    takes long (solving a province's mentors), moved on every ``TICK_S`` towards the
    stage's end (never past it), so the coordinator sees the bar move. ``write(fraction,
    message)`` stores it (each thread passes a writer on its own connection)."""

    def __init__(self, write):
        self.write = write
        self.lock = threading.Lock()
        self.fraction, self.message, self.end = 0.0, "", 0.0
        self.started = self.last = time.monotonic()
        self.shown = -1.0

    def __call__(self, fraction: float, message: str = "") -> None:
        if message == "done":
            # the library's end of planning: the files are still to be written (the
            # run's end, db.finish_run, sets 100 %)
            return
        fraction = max(0.0, min(1.0, float(fraction)))
        message = str(message)[:200]
        with self.lock:
            now = time.monotonic()
            new_stage = message != self.message
            if new_stage:
                self.started = now
                self.end = max(fraction, STAGE_ENDS.get(message, fraction))
            self.fraction, self.message = fraction, message
            if new_stage or now - self.last >= PROGRESS_INTERVAL_S or fraction >= 1.0:
                # within a stage the bar never goes back below where the ticks took it
                self._put(fraction if new_stage else max(fraction, self.shown), now,
                          self.write)

    def tick(self, write) -> None:
        """Move the bar within the current stage (the ticking thread, its own writer)."""
        with self.lock:
            now = time.monotonic()
            if self.end <= self.fraction or not self.message:
                return
            share = 1.0 - 0.5 ** ((now - self.started) / TICK_HALF_S)
            shown = self.fraction + (self.end - self.fraction) * 0.9 * share
            if shown >= self.shown + 0.005:
                self._put(shown, now, write)

    def _put(self, fraction: float, now: float, write) -> None:
        self.last, self.shown = now, fraction
        write(fraction, self.message)


def _ticking(progress: Progress, database: str, run_id: int, stop: threading.Event) -> None:
    conn = db.connect(database)
    try:
        write = _writer(conn, run_id)
        while not stop.wait(TICK_S):
            progress.tick(write)
    finally:
        conn.close()


def _writer(conn, run_id: int):
    return lambda fraction, message: db.set_progress(conn, run_id, fraction, message)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m web.worker")
    parser.add_argument("--database", required=True)
    parser.add_argument("--uploads", required=True)
    parser.add_argument("--planner", default="web.planner")
    parser.add_argument("run_id", type=int)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")

    config = {"UPLOAD_FOLDER": args.uploads, "DATABASE": args.database}
    conn = db.connect(args.database)
    run_id = args.run_id
    if not db.mark_running(conn, run_id):
        log.info("run %s is not queued; nothing to do", run_id)
        return 1

    progress = Progress(_writer(conn, run_id))
    stop = threading.Event()
    ticking = threading.Thread(target=_ticking, args=(progress, args.database, run_id, stop),
                               name="progress", daemon=True)
    ticking.start()
    try:
        planner = importlib.import_module(args.planner)
        # the rerun's merge reads the uploaded new releases: in a bounded child (its limits
        # are the upload check's, set in this process's environment by jobs.start_worker)
        files = [dict(row) for row in db.run_files(conn, run_id)]
        paths, previous = run_bounded(jobs.reader_inputs, files, config, run_id, args.planner)
        summary = planner.run_plan(paths, jobs.run_dir(config, run_id), previous, progress)
    except Exception as exc:  # noqa: BLE001 - any failure ends the run as 'failed'
        traceback.print_exc()  # into worker.log, inside the run's folder
        db.finish_run(conn, run_id, "failed", error=type(exc).__name__)
        return 1
    finally:
        stop.set()
        ticking.join(TICK_S * 5)
    db.finish_run(conn, run_id, "done", summary=summary)
    log.info("run %s done", run_id)
    return 0


if __name__ == "__main__":
    sys.exit(main())
