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
        "changes": (plan.get("changes") or {}).get("counts"),
        "tiers": plan.get("tiers", {}),
        "seconds": round(seconds, 1) if seconds is not None else None,
    }


def field_text(obj: dict[str, Any], key: str, lang: str) -> Any:
    """``obj[key]`` in ``lang``: the library writes English under ``key`` and, where it
    has one, the Vietnamese twin under ``key + "_vi"``."""
    if lang == "vi" and obj.get(key + "_vi"):
        return obj[key + "_vi"]
    return obj.get(key)


def pick(value: Any, lang: str) -> str:
    """Text in ``lang`` from a plain string or a {"vi": ..., "en": ...} dict."""
    if isinstance(value, dict):
        return str(value.get(lang) or value.get("en") or value.get("vi") or "")
    if value is None:
        return ""
    return str(value)


def _score_total(score: dict[str, Any]) -> str:
    """The suitability points of a row (distances are shown in their own column)."""
    terms = [float(v) for k, v in score.items()
             if not k.endswith("_km") and isinstance(v, int | float)]
    return f"{sum(terms):g}" if terms else ""


def _score_detail(score: dict[str, Any], lang: str) -> str:
    """Where the points come from, in words: "same ward 2; skill fit 3"."""
    return "; ".join(f"{_('score.' + k, lang=lang, default=k.replace('_', ' '))} {v:g}"
                     for k, v in score.items()
                     if not k.endswith("_km") and isinstance(v, int | float) and v)


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
    changes: dict[str, Any] | None = None  # rerun: counts and rows of the change report
    unscheduled: list[dict[str, Any]] = field(default_factory=list)
    unmet_requires: list[dict[str, Any]] = field(default_factory=list)

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
            "risk": _("risk." + str(returnees.get(rid, {}).get("risk", "")), lang=lang,
                      default=str(returnees.get(rid, {}).get("risk", ""))),
            "mentor_id": a.get("mentor_id") or "",
            "mentor_name": res.name("mentors", a.get("mentor_id")),
            "mentor_km": _km(a.get("mentor_km")),
            "job_id": a.get("job_id") or "",
            "job_name": res.name("jobs", a.get("job_id")),
            "training_id": a.get("training_id") or "",
            "training_name": res.name("trainings", a.get("training_id")),
            "change": a.get("change") or "",
            "reason": pick(field_text(a, "reason", lang), lang),
            "score": _score_total(score),
            "score_detail": _score_detail(score, lang),
        })
    for u in plan.get("unassigned", []):
        rid = u.get("returnee_id")
        res.unassigned.append({
            "returnee_id": rid,
            "returnee_name": res.name("returnees", rid),
            "ward": str(returnees.get(rid, {}).get("ward") or ""),
            "missing": [_("missing." + str(m), lang=lang, default=str(m))
                        for m in u.get("missing", [])],
            "reasons": [pick(r, lang) for r in field_text(u, "reasons", lang) or []],
        })
    kinds = {"mentor": "mentors", "job": "jobs", "training": "trainings"}
    for u in plan.get("unmet_requires") or []:
        if isinstance(u, dict):
            rid, kind = u.get("returnee_id"), str(u.get("kind") or "")
            res.unmet_requires.append({
                "row": u.get("row") or "",
                "returnee_id": rid or "",
                "returnee_name": res.name("returnees", rid),
                "kind": _("missing." + kind, lang=lang, default=kind),
                "target_id": u.get("target_id") or "",
                "target_name": res.name(kinds.get(kind, ""), u.get("target_id")),
                "reason": pick(field_text(u, "reason", lang), lang),
            })
    gaps = plan.get("capacity_gaps") or []
    for g in gaps:
        if isinstance(g, dict):
            for key in g:
                if key not in res.gap_columns and not key.endswith("_vi"):
                    res.gap_columns.append(key)
    for g in gaps:
        if isinstance(g, dict):
            row = {k: _cell_text(field_text(g, k, lang), lang) for k in res.gap_columns}
            if "kind" in row:
                row["kind"] = _("missing." + row["kind"], lang=lang, default=row["kind"])
            if lang == "vi" and _gap_number(g.get("more_needed")) and not g.get(
                    "suggestion_vi") and not isinstance(g.get("suggestion"), dict):
                # the library words its suggestion in English only; say it from the numbers
                row["suggestion"] = _("gap.suggest." + str(g.get("kind")), lang="vi",
                                      default=row.get("suggestion", ""),
                                      n=_gap_number(g.get("more_needed")),
                                      ward=str(g.get("ward") or ""))
            res.gaps.append(row)
    res.wards = sorted(w for w in wards if w)
    res.changes = _change_report(plan, res, lang)
    for u in plan.get("unscheduled") or []:
        if isinstance(u, dict):
            res.unscheduled.append({
                "mentor_id": u.get("mentor_id") or "",
                "mentor_name": res.name("mentors", u.get("mentor_id")),
                "returnee_id": u.get("returnee_id") or "",
                "returnee_name": res.name("returnees", u.get("returnee_id")),
                "due": str(u.get("due") or ""),
                "kind": _("visit." + str(u.get("kind")), lang=lang,
                          default=str(u.get("kind") or "")),
                "reason": pick(field_text(u, "reason", lang), lang),
            })
    return res


CHANGE_ORDER = {"changed": 0, "ended": 1, "new": 2, "kept": 3}


def _change_report(plan: dict[str, Any], res: Result, lang: str) -> dict[str, Any] | None:
    """The rerun's change report: counts of new / kept / changed / ended and one row per
    returnee the library lists (changed and ended first, kept last), or None for a first
    plan."""
    changes = plan.get("changes") or {}
    counts = changes.get("counts")
    if not isinstance(counts, dict):
        return None
    returnees = res.index.get("returnees", {})
    rows = []
    for item in changes.get("list") or []:
        if not isinstance(item, dict):
            continue
        rid = item.get("returnee_id")
        rows.append({
            "returnee_id": rid or "",
            "returnee_name": res.name("returnees", rid),
            "ward": str(returnees.get(rid, {}).get("ward") or ""),
            "change": str(item.get("change") or ""),
            "old_mentor": item.get("old_mentor") or "",
            "old_mentor_name": res.name("mentors", item.get("old_mentor")),
            "new_mentor": item.get("new_mentor") or "",
            "new_mentor_name": res.name("mentors", item.get("new_mentor")),
            "reason": pick(field_text(item, "reason", lang), lang),
        })
    rows.sort(key=lambda r: (CHANGE_ORDER.get(r["change"], 9), r["returnee_id"]))
    return {
        "counts": {k: int(counts.get(k) or 0) for k in ("new", "kept", "changed", "ended")},
        "rows": rows,
        "warnings": [pick(w, lang) for w in field_text(changes, "warnings", lang) or []],
    }


def _gap_number(value: Any) -> int:
    return int(value) if isinstance(value, int | float) and value > 0 else 0


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
                     r.get("ward"), _("visit." + str(v.get("kind")), default=v.get("kind"))])
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
