"""A planner adapter for the browser tests at province scale (the app's ``PLANNER``
setting, ``PLANNER_PLANNER=fast_planner`` with this folder on ``PYTHONPATH``).

Reading and checking the roster are the real adapter's (:mod:`web.planner`); the plan is
the library's greedy baseline (:func:`matcher.baselines.greedy_plan`, a few seconds for
10,000 returnees instead of minutes of proofs), written as the real adapter writes a
finished run: ``roster_index.json`` and then ``plan.json``. The pages under test only read
those files, so they are shown exactly as after a real solve.
"""

from __future__ import annotations

import time
from pathlib import Path

from web.planner import (  # noqa: F401 - the adapter's interface, re-exported
    _index,
    _read_roster,
    alternatives,
    merge_additions,
    reader_file_name,
    validate,
)
from web.results import atomic_write_json, summarize


def run_plan(paths, out_dir, previous_json_path, progress_cb):
    from matcher.baselines import greedy_plan

    started = time.monotonic()
    progress_cb(0.0, "đọc danh sách")
    roster = _read_roster(list(paths))
    progress_cb(0.3, "ghép cặp")
    plan = greedy_plan(roster)
    out_dir = Path(out_dir)
    atomic_write_json(out_dir / "roster_index.json", _index(roster))
    atomic_write_json(out_dir / "plan.json", plan.to_json())  # last: it means complete
    progress_cb(1.0, "xong")
    return summarize(plan, seconds=time.monotonic() - started)
