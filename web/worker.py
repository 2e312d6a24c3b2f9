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
import time
import traceback

from matcher.io.sandbox import run_bounded
from web import db, jobs

log = logging.getLogger("web.worker")
PROGRESS_INTERVAL_S = 0.25


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

    last = 0.0

    def progress(fraction: float, message: str = "") -> None:
        nonlocal last
        now = time.monotonic()
        if now - last >= PROGRESS_INTERVAL_S or fraction >= 1.0:
            last = now
            db.set_progress(conn, run_id, max(0.0, min(1.0, float(fraction))), str(message)[:200])

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
    db.finish_run(conn, run_id, "done", summary=summary)
    log.info("run %s done", run_id)
    return 0


if __name__ == "__main__":
    sys.exit(main())
