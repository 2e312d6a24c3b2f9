"""Reading a finished run's files into what the result page, CSV and zip downloads show.

Works on the run's ``plan.json`` read back as a :class:`matcher.plan.Plan` (a data module:
no solver is loaded) and on ``roster_index.json`` (names and points).
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
from types import SimpleNamespace
from typing import Any

from matcher.plan import Plan, Visit
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


def load_plan(directory: Path) -> Plan:
    """The run's ``plan.json`` as the library's :class:`~matcher.plan.Plan`."""
    return Plan.from_json(read_json(directory / "plan.json"))


def summarize(plan: Plan | dict[str, Any], *, seconds: float | None = None) -> dict[str, Any]:
    """Counts and tier values of a plan (a Plan or its JSON form): no personal data, safe
    for the database."""
    if not isinstance(plan, Plan):
        plan = Plan.from_json(plan)
    counts = plan.counts()
    return {
        "returnees": counts["returnees"],
        "with_mentor": counts["with_mentor"],
        "coverage": plan.coverage(),
        "with_job": counts["in_job"],
        "with_training": counts["in_training"],
        "unassigned": counts["unassigned"],
        "visits": counts["visits"],
        "changes": plan.change_counts(),
        "tiers": {name: tier.to_dict() for name, tier in plan.tiers.items()},
        "seconds": round(seconds, 1) if seconds is not None else None,
    }


def field_text(obj: dict[str, Any], key: str, lang: str) -> Any:
    """``obj[key]`` in ``lang`` for the plan's parts that stay plain dicts (the change
    list, unscheduled visits, alternatives): the library writes English under ``key`` and,
    where it has one, the Vietnamese twin under ``key + "_vi"``."""
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


def _score_detail(score: dict[str, Any], lang: str) -> str:
    """Where the points come from, in words: "same ward 2; skill fit 3"."""
    return "; ".join(f"{_('score.' + k, lang=lang, default=k.replace('_', ' '))} {v:g}"
                     for k, v in score.items()
                     if not k.endswith("_km") and isinstance(v, int | float) and v)


def _km(value: Any) -> str:
    return "" if value is None else f"{float(value):.1f}"


@dataclass
class Result:
    """What the result page shows: the plan, the names and points of its people
    (``roster_index.json``) and its rows in the page's language."""

    plan: Plan
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

    def map_source(self) -> SimpleNamespace:
        """What :func:`web.mapsvg.render_map` reads: the index and the mentor of every
        returnee (it takes them in the plan's JSON shape)."""
        pairs = [{"returnee_id": a.returnee_id, "mentor_id": a.mentor_id}
                 for a in self.plan.assignments]
        return SimpleNamespace(index=self.index, plan={"assignments": pairs})


def load_index(directory: Path) -> dict[str, dict[str, dict[str, Any]]]:
    path = directory / "roster_index.json"
    return read_json(path) if path.exists() else {}


KINDS = {"mentor": "mentors", "job": "jobs", "training": "trainings"}
GAP_COLUMNS = ("ward", "kind", "uncovered", "uncovered_female", "more_needed", "suggestion")


def load_result(directory: Path, lang: str) -> Result:
    plan = load_plan(directory)
    res = Result(plan=plan, index=load_index(directory), summary=summarize(plan))
    res.tiers = [{"name": name, "value": t.to_dict()["value"],
                  "bound": t.to_dict()["bound"], "optimal": t.optimal}
                 for name, t in plan.tiers.items()]
    returnees = res.index.get("returnees", {})
    for i, a in enumerate(plan.assignments):
        person = returnees.get(a.returnee_id, {})
        points = a.points()
        res.assignments.append({
            "index": i,
            "returnee_id": a.returnee_id,
            "returnee_name": res.name("returnees", a.returnee_id),
            "ward": str(person.get("ward") or ""),
            "risk": _("risk." + str(person.get("risk", "")), lang=lang,
                      default=str(person.get("risk", ""))),
            "mentor_id": a.mentor_id or "",
            "mentor_name": res.name("mentors", a.mentor_id),
            "mentor_km": _km(a.mentor_km),
            "job_id": a.job_id or "",
            "job_name": res.name("jobs", a.job_id),
            "training_id": a.training_id or "",
            "training_name": res.name("trainings", a.training_id),
            "change": a.change or "",
            "reason": a.reason_in(lang),
            "score": "" if points is None else f"{points:g}",
            "score_detail": _score_detail(a.score, lang),
        })
    res.wards = sorted({row["ward"] for row in res.assignments if row["ward"]})
    for u in plan.unassigned:
        res.unassigned.append({
            "returnee_id": u.returnee_id,
            "returnee_name": res.name("returnees", u.returnee_id),
            "ward": str(returnees.get(u.returnee_id, {}).get("ward") or ""),
            "missing": [_("missing." + str(m), lang=lang, default=str(m)) for m in u.missing],
            "reasons": [pick(r, lang) for r in u.reasons_in(lang)],
        })
    for u in plan.unmet_requires:
        res.unmet_requires.append({
            "row": u.row or "",
            "returnee_id": u.returnee_id or "",
            "returnee_name": res.name("returnees", u.returnee_id),
            "kind": _("missing." + u.kind, lang=lang, default=u.kind),
            "target_id": u.target_id or "",
            "target_name": res.name(KINDS.get(u.kind, ""), u.target_id),
            "reason": u.reason_in(lang),
        })
    _add_gaps(res, plan, lang)
    res.changes = _change_report(plan, res, lang)
    for u in plan.unscheduled:
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


def _add_gaps(res: Result, plan: Plan, lang: str) -> None:
    """The capacity gaps as table rows, in the page's language."""
    res.gap_columns = list(GAP_COLUMNS) if plan.capacity_gaps else []
    for g in plan.capacity_gaps:
        row = {"ward": g.ward,
               "kind": _("missing." + g.kind, lang=lang, default=g.kind),
               "uncovered": str(g.uncovered), "uncovered_female": str(g.uncovered_female),
               "more_needed": str(g.more_needed),
               "suggestion": (g.suggestion_vi or g.suggestion) if lang == "vi" else g.suggestion}
        if lang == "vi" and g.more_needed > 0 and not g.suggestion_vi:
            # the library words its suggestion in English only; say it from the numbers
            row["suggestion"] = _("gap.suggest." + g.kind, lang="vi", default=g.suggestion,
                                  n=g.more_needed, ward=g.ward)
        res.gaps.append({c: row[c] for c in res.gap_columns})


CHANGE_ORDER = {"changed": 0, "ended": 1, "new": 2, "kept": 3}


def _change_report(plan: Plan, res: Result, lang: str) -> dict[str, Any] | None:
    """The rerun's change report: counts of new / kept / changed / ended and one row per
    returnee the library lists (changed and ended first, kept last), or None for a first
    plan."""
    counts = plan.change_counts()
    if counts is None:
        return None
    changes = plan.changes
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


# --- downloads ----------------------------------------------------------------------

def safe_cell(value: Any) -> str:
    """Text a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


SCHEDULE_COLUMNS = ("mentor_id", "mentor_name", "mentor_phone", "date", "slot",
                    "returnee_id", "returnee_name", "ward", "kind")


def _visit_rows(plan: Plan, index: dict[str, Any]) -> list[list[str]]:
    mentors, returnees = index.get("mentors", {}), index.get("returnees", {})
    slot_order = {"morning": 0, "afternoon": 1, "evening": 2}

    def order(v: Visit) -> tuple:
        return str(v.mentor_id), v.date.isoformat(), slot_order.get(v.slot, 9)

    rows = []
    for v in sorted(plan.visits, key=order):
        m = mentors.get(v.mentor_id, {})
        r = returnees.get(v.returnee_id, {})
        rows.append([v.mentor_id, m.get("name"), m.get("phone"), v.date.isoformat(),
                     _("slot." + str(v.slot)), v.returnee_id, r.get("name"),
                     r.get("ward"), _("visit." + str(v.kind), default=v.kind)])
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
    header = [_("col." + c) for c in SCHEDULE_COLUMNS]
    return _csv_bytes(header, _visit_rows(load_plan(directory), load_index(directory)))


def schedules_zip(directory: Path) -> bytes:
    """One schedule CSV per mentor, in a zip."""
    header = [_("col." + c) for c in SCHEDULE_COLUMNS]
    by_mentor: dict[str, list[list[Any]]] = {}
    for row in _visit_rows(load_plan(directory), load_index(directory)):
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
