"""A stand-in for ``web.planner`` in the web tests (the app's ``PLANNER`` setting).

It reads the tests' tiny CSV rosters (``id,full_name,ward``; a row whose id starts with
``BAD`` is an input error, ``WARN`` a warning) and writes a small plan. The worker
process imports it too (tests put this folder on PYTHONPATH). ``FAKE_PLAN_SECONDS``
makes ``run_plan`` take that long, reporting progress, so tests can cancel or kill it.
"""

from __future__ import annotations

import csv
import json
import os
import time
from pathlib import Path

from web.results import atomic_write_json, summarize


def _rows(paths):
    rows = []
    for path in paths:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            rows.extend(csv.DictReader(fh))
    return rows


def validate(paths, lang="vi", previous=None):
    issues = []
    rows = _rows(paths)
    if previous is not None and json.loads(Path(previous).read_text("utf-8")).get(
            "schema") != "reintegration-plan/1":
        issues.append({"severity": "error", "code": "unreadable_file", "sheet": None,
                       "row": None, "column": None, "origin": "previous_plan",
                       "message": {"vi": "Không đọc được kế hoạch trước.",
                                   "en": "The previous plan cannot be read."}})
    for n, row in enumerate(rows, start=2):
        rid = row.get("id", "")
        if rid.startswith(("BAD", "WARN")):
            severity = "error" if rid.startswith("BAD") else "warning"
            issues.append({"severity": severity, "code": "wrong_type", "sheet": "Returnees",
                           "row": n, "column": "id",
                           "message": {"vi": f"Mã '{rid}' không hợp lệ.",
                                       "en": f"Id '{rid}' is not valid."}})
    ok = not any(i["severity"] == "error" for i in issues)
    return ok, issues, ({"returnees": len(rows), "mentors": 2, "jobs": 1, "trainings": 0,
                         "pairs": 0, "warnings": len(issues)} if ok else None)


def merge_additions(roster_paths, addition_paths):
    return [*roster_paths, *addition_paths]


def run_plan(paths, out_dir, previous_json_path, progress_cb):
    seconds = float(os.environ.get("FAKE_PLAN_SECONDS", "0"))
    steps = max(1, int(seconds / 0.1))
    for i in range(steps):
        progress_cb(i / steps, f"step {i}")
        if seconds:
            time.sleep(seconds / steps)
    rows = _rows(paths)
    out_dir = Path(out_dir)
    assignments, unassigned, visits = [], [], []
    index = {"returnees": {}, "mentors": {
        "M1": {"name": "Trần Văn Cựu", "phone": "0912", "ward": "Phường Hàm Rồng",
               "lat": 19.839, "lon": 105.786},
        "M2": {"name": "=HYPERLINK(\"x\")", "phone": None, "ward": "Phường Hạc Thành",
               "lat": 19.8, "lon": 105.786}},
        "jobs": {"J1": {"name": "Công ty May", "ward": "Phường Hạc Thành"}}, "trainings": {}}
    before = {}
    if previous_json_path is not None:
        earlier = json.loads(Path(previous_json_path).read_text("utf-8"))
        before = {a["returnee_id"]: a.get("mentor_id") for a in earlier["assignments"]}
    for n, row in enumerate(rows):
        rid = row["id"]
        index["returnees"][rid] = {"name": row.get("full_name", ""), "ward": row.get("ward", ""),
                                   "lat": 19.84 + n * 0.001, "lon": 105.79, "risk": 2}
        mentor = None if n % 3 == 2 else ("M1" if n % 2 == 0 else "M2")
        change, reason = "new", ""
        if rid in before:
            change = "kept" if before[rid] == mentor else "changed"
            reason = "" if change == "kept" else f"{before[rid]} moved to cover R010"
        assignments.append({"returnee_id": rid, "mentor_id": mentor,
                            "job_id": "J1" if n == 0 else None, "training_id": None,
                            "mentor_km": 1.25 if mentor else None, "job_km": None,
                            "change": change, "reason": reason, "score": {"same_ward": 2}})
        if mentor is None:
            unassigned.append({"returnee_id": rid, "missing": ["mentor"],
                               "reasons": ["no mentor within 5 km"]})
        else:
            visits.append({"date": "2026-12-03", "slot": "morning", "mentor_id": mentor,
                           "returnee_id": rid, "kind": "first"})
    plan = {"schema": "reintegration-plan/1", "plan_date": "2026-12-01", "settings": {},
            "tiers": {"M1": {"value": len(assignments) - len(unassigned),
                             "bound": len(assignments) - len(unassigned), "optimal": True},
                      "M4": {"value": 7, "bound": 9, "optimal": False}},
            "assignments": assignments, "unassigned": unassigned, "visits": visits,
            "capacity_gaps": [{"ward": "Phường Hàm Rồng", "kind": "mentor", "uncovered": 1,
                               "suggestion": "1 more mentor"}],
            "changes": {} if previous_json_path is None else {
                "counts": {k: sum(a["change"] == k for a in assignments)
                           for k in ("new", "kept", "changed", "ended")},
                "list": [{"returnee_id": a["returnee_id"], "change": a["change"],
                          "old_mentor": before.get(a["returnee_id"]),
                          "new_mentor": a["mentor_id"], "reason": a["reason"]}
                         for a in assignments if a["change"] != "new" or a["mentor_id"]],
                "previous": "plan.json", "warnings": []},
            "previous_used": previous_json_path is not None and json.loads(
                Path(previous_json_path).read_text("utf-8"))["schema"] == "reintegration-plan/1"}
    (out_dir / "plan_vi.xlsx").write_bytes(b"PK\x03\x04 fake vi workbook")
    (out_dir / "plan_en.xlsx").write_bytes(b"PK\x03\x04 fake en workbook")
    (out_dir / "ics").mkdir(exist_ok=True)
    (out_dir / "ics" / "M1.ics").write_text("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")
    atomic_write_json(out_dir / "roster_index.json", index)
    atomic_write_json(out_dir / "plan.json", plan)
    progress_cb(1.0, "done")
    return summarize(plan, seconds=seconds)


def alternatives(run_dir, returnee_id, k=5):
    return [{"mentor_id": "M2", "full_name": "Lê Thị Khác", "km": 2.5, "score_diff": -1,
             "available": True, "note": ""}]
