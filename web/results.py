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
import threading
import zipfile
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from matcher import catalog
from matcher.catalog import millions
from matcher.plan import TIER_SENSE, Plan, Visit
from matcher.text import fold
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
        "loans": counts.get("loans", 0),
        "loan_vnd": counts.get("loan_vnd", 0),
        "changes": plan.change_counts(),
        "tiers": {name: tier.to_dict() for name, tier in plan.tiers.items()},
        "seconds": round(seconds, 1) if seconds is not None else None,
    }


def in_lang(english: Any, vietnamese: Any, lang: str) -> Any:
    """What the library wrote in both languages (a reason, a suggestion, a list of
    warnings), in ``lang``: the English where there is no Vietnamese."""
    return vietnamese if lang == "vi" and vietnamese else english


def field_text(obj: dict[str, Any], key: str, lang: str) -> Any:
    """``obj[key]`` in ``lang`` for the plan's parts that stay plain dicts (the change
    list, unscheduled visits, alternatives): the library writes English under ``key`` and,
    where it has one, the Vietnamese twin under ``key + "_vi"``."""
    return in_lang(obj.get(key), obj.get(key + "_vi"), lang)


def pick(value: Any, lang: str) -> str:
    """Text in ``lang`` from a plain string or a {"vi": ..., "en": ...} dict."""
    if isinstance(value, dict):
        return str(value.get(lang) or value.get("en") or value.get("vi") or "")
    if value is None:
        return ""
    return str(value)


def _score_detail(score: dict[str, Any], lang: str) -> str:
    """Where the points come from, in words: "same ward 2; skill fit 1,5"."""
    return "; ".join(f"{_('score.' + k, lang=lang, default=k.replace('_', ' '))} "
                     f"{catalog.number(v, lang)}"
                     for k, v in score.items()
                     if not k.endswith("_km") and isinstance(v, int | float) and v)


def _km(value: Any, lang: str = "en") -> str:
    """A distance to one decimal, the language's way (1,4 in Vietnamese)."""
    return "" if value is None else catalog.number(float(value), lang, 1)


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
    loans: list[dict[str, Any]] = field(default_factory=list)
    employers: list[dict[str, Any]] = field(default_factory=list)

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
                  "bound": t.to_dict()["bound"], "optimal": t.optimal,
                  "sense": TIER_SENSE.get(name, "max")}
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
            "mentor_km": _km(a.mentor_km, lang),
            "job_id": a.job_id or "",
            "job_name": res.name("jobs", a.job_id),
            "training_id": a.training_id or "",
            "training_name": res.name("trainings", a.training_id),
            "change": a.change or "",
            "reason": a.reason_in(lang),
            "score": "" if points is None else catalog.number(points, lang),
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
    _add_loans(res, plan, directory, lang)
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


# loan decisions in the order a coordinator acts on them
LOAN_ORDER = {"granted": 0, "funded": 1, "left_out": 2, "ineligible": 3}


def _add_loans(res: Result, plan: Plan, directory: Path, lang: str) -> None:
    """The loan requests and the employers' referral list as table rows. Pool names come
    from ``report.json`` (written with the plan); an older run shows the pool's id."""
    report = directory / "report.json"
    pools = (read_json(report).get("pools") or {}) if report.exists() else {}
    returnees = res.index.get("returnees", {})
    for d in sorted(plan.loans, key=lambda d: (LOAN_ORDER.get(d.status, 9), d.returnee_id)):
        res.loans.append({
            "returnee_id": d.returnee_id,
            "returnee_name": res.name("returnees", d.returnee_id),
            "ward": str(returnees.get(d.returnee_id, {}).get("ward") or ""),
            "pool_id": d.pool_id or "",
            "pool_name": str(pools.get(d.pool_id) or "") if d.pool_id else "",
            "asked": millions(d.asked, lang) if d.asked else "",
            "amount": millions(d.amount, lang) if d.amount else "",
            "status": d.status,
            "status_text": _("loan." + d.status, lang=lang, default=d.status),
            "reason": in_lang(d.reason, d.reason_vi, lang),
        })
    for e in plan.employer_loans:
        res.employers.append({"employer": e.employer, "workers": number(e.workers, lang),
                              "amount": millions(e.amount, lang)})


def _add_gaps(res: Result, plan: Plan, lang: str) -> None:
    """The capacity gaps as table rows, in the page's language."""
    res.gap_columns = list(GAP_COLUMNS) if plan.capacity_gaps else []
    for g in plan.capacity_gaps:
        suggestion_vi = g.suggestion_vi
        if not suggestion_vi and g.more_needed > 0:
            # a plan whose suggestion is in English only: say it from the numbers
            suggestion_vi = _("gap.suggest." + g.kind, lang="vi", default=g.suggestion,
                              n=g.more_needed, ward=g.ward)
        row = {"ward": g.ward,
               "kind": _("missing." + g.kind, lang=lang, default=g.kind),
               "uncovered": number(g.uncovered, lang),
               "uncovered_female": number(g.uncovered_female, lang),
               "more_needed": number(g.more_needed, lang),
               "suggestion": in_lang(g.suggestion, suggestion_vi, lang)}
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


def schedules_zip(directory: Path, lang: str | None = None) -> bytes:
    """One schedule CSV per mentor, in a zip (files named in ``lang``: lich-tham-M1.csv)."""
    header = [_("col." + c) for c in SCHEDULE_COLUMNS]
    by_mentor: dict[str, list[list[Any]]] = {}
    for row in _visit_rows(load_plan(directory), load_index(directory)):
        by_mentor.setdefault(str(row[0]), []).append(row)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for mentor_id, rows in by_mentor.items():
            safe_id = re.sub(r"[^A-Za-z0-9_-]+", "_", mentor_id)[:60] or "mentor"
            zf.writestr(_("file.schedule_csv", lang=lang, id=safe_id), _csv_bytes(header, rows))
    return buf.getvalue()


def ics_folder(lang: str = "vi") -> str:
    """The run folder's calendars in ``lang``: ``ics`` (Vietnamese), ``ics_en``."""
    return "ics" if lang == "vi" else f"ics_{lang}"


def ics_files(directory: Path, lang: str = "vi") -> list[Path]:
    folder = directory / ics_folder(lang)
    return sorted(folder.glob("*.ics")) if folder.is_dir() else []


def ics_zip(directory: Path, lang: str = "vi") -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in ics_files(directory, lang):
            zf.write(path, arcname=path.name)
    return buf.getvalue()


# --- tables one page at a time ------------------------------------------------------
# A province plan has 10,000 rows per table: the result page carries the first page of
# each table and the server answers searches and other pages (web.runs.table).

PAGE_SIZE = 50
# table -> the fields its search looks in (ids and names, compared without accents)
SEARCH_FIELDS: dict[str, tuple[str, ...]] = {
    "assignments": ("returnee_id", "returnee_name", "ward", "mentor_id", "mentor_name",
                    "job_id", "job_name", "training_id", "training_name"),
    "unassigned": ("returnee_id", "returnee_name", "ward"),
    "changes": ("returnee_id", "returnee_name", "ward", "old_mentor", "old_mentor_name",
                "new_mentor", "new_mentor_name"),
    "unmet": ("returnee_id", "returnee_name", "target_id", "target_name"),
    "unscheduled": ("mentor_id", "mentor_name", "returnee_id", "returnee_name"),
    "gaps": ("ward", "kind"),
    "loans": ("returnee_id", "returnee_name", "ward", "pool_id", "pool_name", "status_text"),
    "employers": ("employer",),
}
TABLES = tuple(SEARCH_FIELDS)
# tables whose rows have a ward the page can filter on
WARD_TABLES = frozenset({"assignments", "unassigned", "changes", "gaps", "loans"})


@dataclass
class Page:
    """One page of a table: its rows and where it stands."""

    name: str
    rows: list[dict[str, Any]]
    page: int
    pages: int
    total: int  # rows that match the search
    count: int  # rows of the whole table
    size: int = PAGE_SIZE
    q: str = ""
    ward: str = ""

    @property
    def first(self) -> int:
        """Number of the first row shown (1-based; 0 when nothing matches)."""
        return (self.page - 1) * self.size + 1 if self.rows else 0

    @property
    def last(self) -> int:
        return self.first + len(self.rows) - 1 if self.rows else 0

    def args(self, **extra: Any) -> dict[str, Any]:
        """The query arguments that show this table's search (for links)."""
        out = {"table": self.name, **extra}
        if self.q:
            out["q"] = self.q
        if self.ward:
            out["ward"] = self.ward
        return out


def number(n: int, lang: str) -> str:
    """A whole number as each language writes it: 1.000 (vi), 1,000 (en)."""
    return catalog.number(int(n), lang, grouping=True)


def page_of(name: str, rows: list[dict[str, Any]], keys: list[str] | None = None, *,
            q: str = "", ward: str = "", page: int = 1, size: int = PAGE_SIZE) -> Page:
    """Rows ``(page - 1) * size`` … of those matching ``q`` (folded text, found anywhere
    in the row's ``keys``) and ``ward`` (exact); a page past the end gives the last."""
    q = (q or "").strip()[:100]
    ward = (ward or "").strip()[:200]
    needle = fold(q)
    matched = rows
    if needle or ward:
        if keys is None:
            keys = [fold(" ".join(str(v) for v in r.values() if isinstance(v, str)))
                    for r in rows]
        matched = [r for r, k in zip(rows, keys, strict=True)
                   if (not needle or needle in k) and (not ward or r.get("ward") == ward)]
    size = max(1, int(size))
    pages = max(1, -(-len(matched) // size))
    page = min(max(1, int(page)), pages)
    start = (page - 1) * size
    return Page(name=name, rows=matched[start:start + size], page=page, pages=pages,
                total=len(matched), count=len(rows), size=size, q=q, ward=ward)


def table_rows(res: Result, name: str) -> list[dict[str, Any]]:
    """All rows of the result page's table ``name`` (KeyError for an unknown table)."""
    if name not in SEARCH_FIELDS:
        raise KeyError(name)
    if name == "changes":
        return res.changes["rows"] if res.changes else []
    if name == "unmet":
        return res.unmet_requires
    return getattr(res, name)


def search_keys(res: Result, name: str) -> list[str]:
    """The folded search text of every row of ``name``, made once per loaded result."""
    keys = res.__dict__.setdefault("_search_keys", {})
    if name not in keys:
        fields = SEARCH_FIELDS[name]
        keys[name] = [fold(" ".join(str(r.get(f) or "") for f in fields))
                      for r in table_rows(res, name)]
    return keys[name]


def table_page(res: Result, name: str, *, q: str = "", ward: str = "",
               page: int = 1) -> Page:
    """One page of the result's table ``name`` (KeyError for an unknown table)."""
    rows = table_rows(res, name)
    return page_of(name, rows, search_keys(res, name), q=q,
                   ward=ward if name in WARD_TABLES else "", page=page)


# A loaded result is kept for the next page or search of the same run: reading a
# province plan and its index takes about a second (and holds about 100 MB, hence only
# two). Keyed by the plan file's path, size and time, so a new plan is read afresh; a
# deleted run is forgotten.
CACHE_SIZE = 2
_cache: OrderedDict[tuple, Result] = OrderedDict()
_cache_lock = threading.Lock()


def cached_result(directory: Path, lang: str) -> Result:
    stat = (directory / "plan.json").stat()
    key = (str(directory), lang, stat.st_mtime_ns, stat.st_size)
    with _cache_lock:
        res = _cache.get(key)
        if res is not None:
            _cache.move_to_end(key)
            return res
    res = load_result(directory, lang)
    with _cache_lock:
        _cache[key] = res
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return res


def forget(directory: Path) -> None:
    """Drop a run's loaded results (the run is deleted)."""
    with _cache_lock:
        for key in [k for k in _cache if k[0] == str(directory)]:
            del _cache[key]
