"""The one planning path of the CLI, the web and the benchmark (issue 20).

A roster is first cut into independent regions (connected components of the feasible
pairs, :mod:`matcher.split`). A roster of a few thousand returnees or more is solved
region by region in parallel — on the local cores, or on an existing Dask cluster when a
``scheduler`` address is given — and merged; a smaller one is solved in one process
(which still uses a second core for the placements). The visit schedule, the loans and
the review of the last plan's visits are then made on the whole plan. The tiers and
their proofs do not depend on which way it ran (tests/test_planner.py).
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import os
from collections.abc import Callable
from pathlib import Path

from matcher import forked
from matcher.domain import Roster
from matcher.plan import Plan, PreviousPlan, as_previous
from matcher.review import review_visits
from matcher.schedule import previous_visits_from, schedule_part
from matcher.solve import solve

Progress = Callable[[float, str], None]
# below this many returnees one process (with a forked placement child) is as fast as
# cutting into regions: the split costs a connected-components pass and a merge
SPLIT_MIN_RETURNEES = 3000


# roster files of this many bytes or more are likely to hold SPLIT_MIN_RETURNEES
# returnees (a generated city roster of 1,000 is 0.3 MB as a workbook)
REGIONS_LIKELY_BYTES = 800_000


def regions_likely(paths) -> bool:
    """Whether the roster in ``paths`` is likely planned by regions (its files' size: the
    number of returnees is known only once they are read), for :func:`preload`."""
    total = 0
    for path in paths:
        with contextlib.suppress(OSError):
            total += os.path.getsize(path)
    return total >= REGIONS_LIKELY_BYTES


def preload(workbook: bool = False, regions: bool = False) -> None:
    """Import what planning (and, with ``workbook``, the plan workbook; with ``regions``,
    the regions' path and the scipy it uses) imports on first use — CP-SAT and pandas, the
    workbook writer — so a front end can do it while the roster is read in its bounded
    child (city: about 0.3 s of a 1.5 s plan; province: the regions' 0.3 s)."""
    import ortools.sat.python.cp_model  # noqa: F401 - the hour repair, schedule, loans

    import matcher.check  # noqa: F401
    if workbook:
        import matcher.io.plan_writer  # noqa: F401
    if regions:
        import matcher.split  # noqa: F401


class WorkbookJob:
    """The plan workbook written by a forked child, into a file beside ``path``, while the
    caller checks the plan and writes its JSON (province: the workbook takes 2-2.5 s, the
    check and the JSON 0.6 s); :meth:`commit` waits for it and moves it into place. A job
    never committed (the check failed: nothing may be written) is stopped and its file
    removed when the process exits. Where no child can run, ``commit`` writes it."""

    def __init__(self, plan: Plan, roster: Roster, path: str | os.PathLike, lang: str):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = self.path.with_name(f".{self.path.stem}.{os.getpid()}.partial"
                                       f"{self.path.suffix}")
        self.done = False
        self.job = forked.start(functools.partial(_write_workbook, plan, roster, self.tmp,
                                                  lang))
        atexit.register(self.discard)

    def commit(self) -> Path:
        self.job.result()
        os.replace(self.tmp, self.path)
        self.done = True
        atexit.unregister(self.discard)
        return self.path

    def discard(self) -> None:
        """Stop the child and remove its file (nothing is written)."""
        if not self.done:
            self.done = True
            atexit.unregister(self.discard)
            self.job.cancel()
            self.tmp.unlink(missing_ok=True)


def _write_workbook(plan: Plan, roster: Roster, path: Path, lang: str) -> None:
    from matcher.io.plan_writer import write_plan_workbook

    write_plan_workbook(plan, roster, path, lang=lang)


def plan_roster(roster: Roster, *, previous: Plan | PreviousPlan | None = None,
                scheduler: str | None = None, progress: Progress | None = None,
                time_limit: float | None = None, schedule: bool = True,
                workers: int | None = None) -> Plan:
    """Plan ``roster`` the way every front end does. ``scheduler``: the address of a Dask
    scheduler (``tcp://host:8786``) to solve the regions on; ``previous``: a rerun."""
    say = progress or (lambda f, msg: None)
    if scheduler is None and len(roster.returnees) < SPLIT_MIN_RETURNEES:
        return solve(roster, progress=say, time_limit=time_limit, schedule=schedule,
                     previous=previous)
    from matcher.split import solve_split  # here: it brings scipy (0.25 s), which a
    # roster solved in one process does without

    prev = as_previous(previous) if previous is not None else None
    say(0.05, "regions")
    last = previous_visits_from(prev, roster.settings.plan_date) if prev else None
    plan = solve_split(roster, executor="dask" if scheduler else "local",
                       scheduler=scheduler, workers=workers, time_limit=time_limit,
                       previous=prev, progress=say,
                       schedule=functools.partial(schedule_part, roster, previous_visits=last)
                       if schedule else None)
    if prev is not None:
        plan.visit_review = review_visits(prev, roster.settings.plan_date)
    say(1.0, "done")
    return plan
