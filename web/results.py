"""Reading a finished run's files into what the result page, CSV and zip downloads show.

Works on the plan JSON (SPEC §7) and ``roster_index.json`` (names and points) only, so it
does not need the solver library.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from web.i18n import _

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def atomic_write_json(path: Path, data: Any) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(data, fh, ensure_ascii=False, default=str)
    os.replace(tmp, path)


def read_json(path: Path) -> Any:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def summarize(plan: dict[str, Any], *, seconds: float | None = None) -> dict[str, Any]:
    """Counts and tier values of a plan: no personal data, safe for the database."""
    rows = plan.get("assignments", [])
    n = len(rows)
    with_mentor = sum(1 for a in rows if a.get("mentor_id"))
    return {
        "returnees": n,
        "with_mentor": with_mentor,
        "coverage": round(100.0 * with_mentor / n, 1) if n else 0.0,
        "with_job": sum(1 for a in rows if a.get("job_id")),
        "with_training": sum(1 for a in rows if a.get("training_id")),
        "unassigned": len(plan.get("unassigned", [])),
        "visits": len(plan.get("visits", [])),
        "tiers": plan.get("tiers", {}),
        "seconds": round(seconds, 1) if seconds is not None else None,
    }


def pick(value: Any, lang: str) -> str:
    """Text in ``lang`` from a plain string or a {"vi": ..., "en": ...} dict."""
    if isinstance(value, dict):
        return str(value.get(lang) or value.get("en") or value.get("vi") or "")
    if value is None:
        return ""
    return str(value)


def _km(value: Any) -> str:
    return "" if value is None else f"{float(value):.1f}"


@dataclass
class Result:
    plan: dict[str, Any]
    index: dict[str, dict[str, dict[str, Any]]]
    summary: dict[str, Any]
    tiers: list[dict[str, Any]] = field(default_factory=list)
    assignments: list[dict[str, Any]] = field(default_factory=list)
    unassigned: list[dict[str, Any]] = field(default_factory=list)
    gaps: list[dict[str, str]] = field(default_factory=list)
    gap_columns: list[str] = field(default_factory=list)
    wards: list[str] = field(default_factory=list)

    def name(self, kind: str, ident: str | None) -> str:
        if not ident:
            return ""
        return str(self.index.get(kind, {}).get(ident, {}).get("name") or "")


def load_index(directory: Path) -> dict[str, dict[str, dict[str, Any]]]:
    path = directory / "roster_index.json"
    return read_json(path) if path.exists() else {}


def load_result(directory: Path, lang: str) -> Result:
    plan = read_json(directory / "plan.json")
    res = Result(plan=plan, index=load_index(directory), summary=summarize(plan))
    for name, tier in plan.get("tiers", {}).items():
        tier = tier or {}
        res.tiers.append({"name": name, "value": tier.get("value"), "bound": tier.get("bound"),
                          "optimal": tier.get("optimal")})
    returnees = res.index.get("returnees", {})
    wards = set()
    for i, a in enumerate(plan.get("assignments", [])):
        rid = a.get("returnee_id")
        ward = str(returnees.get(rid, {}).get("ward") or "")
        wards.add(ward)
        score = a.get("score") or {}
        res.assignments.append({
            "index": i,
            "returnee_id": rid,
            "returnee_name": res.name("returnees", rid),
            "ward": ward,
            "risk": returnees.get(rid, {}).get("risk", ""),
            "mentor_id": a.get("mentor_id") or "",
            "mentor_name": res.name("mentors", a.get("mentor_id")),
            "mentor_km": _km(a.get("mentor_km")),
            "job_id": a.get("job_id") or "",
            "job_name": res.name("jobs", a.get("job_id")),
            "training_id": a.get("training_id") or "",
            "training_name": res.name("trainings", a.get("training_id")),
            "change": a.get("change") or "",
            "reason": pick(a.get("reason"), lang),
            "score": ", ".join(f"{k} {v}" for k, v in score.items()),
        })
    for u in plan.get("unassigned", []):
        rid = u.get("returnee_id")
        res.unassigned.append({
            "returnee_id": rid,
            "returnee_name": res.name("returnees", rid),
            "ward": str(returnees.get(rid, {}).get("ward") or ""),
            "missing": [_("missing." + str(m), default=str(m)) for m in u.get("missing", [])],
            "reasons": [pick(r, lang) for r in u.get("reasons", [])],
        })
    gaps = plan.get("capacity_gaps") or []
    for g in gaps:
        if isinstance(g, dict):
            for key in g:
                if key not in res.gap_columns:
                    res.gap_columns.append(key)
    for g in gaps:
        if isinstance(g, dict):
            row = {k: _cell_text(g.get(k), lang) for k in res.gap_columns}
            if "kind" in row:
                row["kind"] = _("missing." + row["kind"], default=row["kind"])
            res.gaps.append(row)
    res.wards = sorted(w for w in wards if w)
    return res


def _cell_text(value: Any, lang: str) -> str:
    if isinstance(value, list):
        return ", ".join(_cell_text(v, lang) for v in value)
    return pick(value, lang)


# --- downloads ----------------------------------------------------------------------

def safe_cell(value: Any) -> str:
    """Text a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


SCHEDULE_COLUMNS = ("mentor_id", "mentor_name", "mentor_phone", "date", "slot",
                    "returnee_id", "returnee_name", "ward", "kind")


def _visit_rows(plan: dict[str, Any], index: dict[str, Any]) -> list[list[str]]:
    mentors, returnees = index.get("mentors", {}), index.get("returnees", {})
    slot_order = {"morning": 0, "afternoon": 1, "evening": 2}
    visits = sorted(plan.get("visits", []), key=lambda v: (
        str(v.get("mentor_id")), str(v.get("date")), slot_order.get(v.get("slot"), 9)))
    rows = []
    for v in visits:
        m = mentors.get(v.get("mentor_id"), {})
        r = returnees.get(v.get("returnee_id"), {})
        rows.append([v.get("mentor_id"), m.get("name"), m.get("phone"), v.get("date"),
                     _("slot." + str(v.get("slot"))), v.get("returnee_id"), r.get("name"),
                     r.get("ward"), v.get("kind")])
    return rows


def _csv_bytes(header: list[str], rows: list[list[Any]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    for row in rows:
        writer.writerow([safe_cell(c) for c in row])
    return buf.getvalue().encode("utf-8-sig")  # BOM: Excel opens Vietnamese text right


def schedule_csv(directory: Path) -> bytes:
    """Every visit, grouped by mentor, with headers in the current language."""
    plan = read_json(directory / "plan.json")
    header = [_("col." + c) for c in SCHEDULE_COLUMNS]
    return _csv_bytes(header, _visit_rows(plan, load_index(directory)))


def schedules_zip(directory: Path) -> bytes:
    """One schedule CSV per mentor, in a zip."""
    plan = read_json(directory / "plan.json")
    header = [_("col." + c) for c in SCHEDULE_COLUMNS]
    by_mentor: dict[str, list[list[Any]]] = {}
    for row in _visit_rows(plan, load_index(directory)):
        by_mentor.setdefault(str(row[0]), []).append(row)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for mentor_id, rows in by_mentor.items():
            safe_id = re.sub(r"[^A-Za-z0-9_-]+", "_", mentor_id)[:60] or "mentor"
            zf.writestr(f"schedule-{safe_id}.csv", _csv_bytes(header, rows))
    return buf.getvalue()


def ics_files(directory: Path) -> list[Path]:
    folder = directory / "ics"
    return sorted(folder.glob("*.ics")) if folder.is_dir() else []


def ics_zip(directory: Path) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in ics_files(directory):
            zf.write(path, arcname=path.name)
    return buf.getvalue()
