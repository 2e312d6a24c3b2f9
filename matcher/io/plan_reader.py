"""Reading a plan workbook back: the Assignments sheet (headers in either language, stable
ids, the hand-filled ``confirmed`` and ``hired`` columns) for reruns, with located issues
for anything that cannot be used."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from matcher import catalog
from matcher.domain import CHOICES, choice_label
from matcher.errors import ERROR, WARNING, Issue, RosterError
from matcher.io.plan_text import TEXT
from matcher.io.tables import load_tables
from matcher.plan import Assignment, Plan, PreviousPlan, PrevRow, Visit, previous_from_plan
from matcher.text import Bi, fold, header_key
from matcher.values import is_blank, parse_bool, parse_date, parse_text

READ_COLUMNS = ("returnee_id", "mentor_id", "job_id", "training_id", "change", "confirmed",
                "hired")
REQUIRED_READ = ("returnee_id", "mentor_id", "job_id", "training_id", "confirmed")


def _keys_for(key: str) -> set[str]:
    en, vi = TEXT[key]
    return {header_key(en), header_key(vi), header_key(key.split(":", 1)[1])}


_CHANGE_WORDS = {fold(w): code for code in ("new", "kept", "changed", "ended")
                 for w in (code, *TEXT[f"word:{code}"])}


def _words(kind: str) -> Bi:
    """The accepted words of a choice, in both languages ("mới, giữ nguyên, ...")."""
    codes = (True, False) if kind == "bool" else CHOICES[kind]
    return Bi(", ".join(choice_label(kind, c, "en") for c in codes),
              ", ".join(choice_label(kind, c, "vi") for c in codes))


def _issue(code: str, sheet: str | None = None, row: int | None = None,
           column: str | None = None, /, **params: Any) -> Issue:
    return Issue(code, sheet, row, column, params, ERROR)


def _find_sheet(names: list[str], key: str) -> str | None:
    wanted = _keys_for(f"sheet:{key}")
    return next((n for n in names if header_key(n) in wanted), None)


Grid = list[tuple[int, list[Any]]]  # (row number as Excel shows it, cells), blank rows dropped


def _sheet_grids(path: Path, wanted: Any) -> dict[str, Grid]:
    """The non-blank rows of the wanted sheets, read by the roster reader's engine
    (calamine, behind the guards against hostile workbooks)."""
    return {t.name: t.rows for t in load_tables(path, wanted=wanted)}


def _read_rows(path: Path, issues: list[Issue]) -> tuple[list[dict[str, Any]], dt.date | None]:
    keys = _keys_for("sheet:assignments") | _keys_for("sheet:summary")
    grids = _sheet_grids(path, lambda name: header_key(name) in keys)
    names = list(grids)
    sheet = _find_sheet(names, "assignments")
    if sheet is None:
        en, vi = TEXT["sheet:assignments"]
        issues.append(_issue("missing_sheet", vi, sheet=en, sheet_vi=vi))
        return [], None
    rows = _read_assignment_sheet(grids[sheet], sheet, issues)
    summary = _find_sheet(names, "summary")
    plan_date = _read_plan_date(grids[summary]) if summary is not None else None
    return rows, plan_date


def _read_plan_date(grid: Grid) -> dt.date | None:
    wanted = _keys_for("sum:plan_date")
    for _n, row in grid:
        if len(row) > 1 and header_key(row[0]) in wanted and not is_blank(row[1]):
            try:
                return parse_date(row[1])
            except ValueError:
                return None
    return None


def _read_assignment_sheet(grid: Grid, sheet: str, issues: list[Issue]) -> list[dict[str, Any]]:
    head_row, header = grid[0] if grid else (1, [])
    lookup = {}
    for key in READ_COLUMNS:
        for k in _keys_for(f"col:{key}"):
            lookup[k] = key
    where: dict[str, int] = {}
    shown: dict[str, str] = {}
    for i, text in enumerate(header):
        key = lookup.get(header_key(text)) if not is_blank(text) else None
        if key is None:
            continue
        if key in where:
            en, vi = TEXT[f"col:{key}"]
            issues.append(_issue("duplicate_column", sheet, head_row, str(text), column=en,
                                 column_vi=vi))
            continue
        where[key] = i
        shown[key] = str(text)
    vi_sheet = header_key(sheet) == header_key(TEXT["sheet:assignments"][1])
    for key in REQUIRED_READ:
        if key not in where:
            en, vi = TEXT[f"col:{key}"]
            issues.append(_issue("missing_column", sheet, head_row, vi if vi_sheet else en,
                                 column=en, column_vi=vi))
    if any(i.severity == ERROR for i in issues):
        return []
    out: list[dict[str, Any]] = []
    first_row: dict[str, int] = {}
    for n, cells in grid[1:]:
        values = tuple(cells)
        if all(is_blank(v) for v in values):
            continue

        def raw(key: str, values: tuple[Any, ...] = values) -> Any:
            i = where.get(key)
            return values[i] if i is not None and i < len(values) else None

        def text(key: str, values: tuple[Any, ...] = values) -> str | None:
            v = raw(key, values)
            return None if is_blank(v) else parse_text(v)

        rid = text("returnee_id")
        if rid is None:
            en, vi = TEXT["col:returnee_id"]
            issues.append(_issue("empty_required", sheet, n, shown["returnee_id"], column=en,
                                 column_vi=vi))
            continue
        if rid in first_row:
            issues.append(_issue("duplicate_id", sheet, n, shown["returnee_id"], value=rid,
                                 first_row=first_row[rid]))
            continue
        first_row[rid] = n
        flags = {}
        for key in ("confirmed", "hired"):
            v = raw(key)
            if is_blank(v):
                flags[key] = False
                continue
            try:
                flags[key] = parse_bool(v)
            except ValueError:
                issues.append(_issue("wrong_type", sheet, n, shown[key], value=str(v)[:60],
                                     expected=catalog.text("plan_back.yes_no", "en"),
                                     expected_vi=catalog.text("plan_back.yes_no", "vi"),
                                     example=catalog.bi("plan_back.yes_no_example")))
                flags[key] = False
        change = "new"
        if not is_blank(raw("change")):
            word = fold(raw("change"))
            if word in _CHANGE_WORDS:
                change = _CHANGE_WORDS[word]
            else:
                issues.append(_issue("bad_choice", sheet, n, shown["change"],
                                     value=str(raw("change"))[:60], choices=_words("change")))
        out.append({"returnee_id": rid, "mentor_id": text("mentor_id"),
                    "job_id": text("job_id"), "training_id": text("training_id"),
                    "change": change, "confirmed": flags["confirmed"],
                    "hired": flags["hired"], "row": n})
    return out


def _load_back(path: Any) -> tuple[list[dict[str, Any]], dt.date | None]:
    issues: list[Issue] = []
    rows: list[dict[str, Any]] = []
    plan_date = None
    name = Path(path).name if isinstance(path, (str, Path)) else None
    try:
        rows, plan_date = _read_rows(Path(path), issues)
    except FileNotFoundError:
        issues.append(_issue("missing_file", name, value=str(path)))
    except Exception as exc:  # noqa: BLE001 - a damaged file is a report, never a traceback
        code = getattr(exc, "code", None)
        params = getattr(exc, "params", None)
        if isinstance(code, str) and code != "unreadable_file" and isinstance(params, dict):
            issues.append(_issue(code, name, **params))  # e.g. the reader's sheet_too_large
        else:
            detail = getattr(exc, "detail", None) or f"{type(exc).__name__}: {exc}"
            issues.append(_issue("unreadable_file", name, detail=str(detail)[:200]))
    if any(i.severity == ERROR for i in issues):
        raise RosterError(issues)
    return rows, plan_date


def read_plan_workbook(path: str | Path) -> list[dict[str, Any]]:
    """The Assignments sheet of a plan workbook (headers in either language): one dict per
    row with returnee_id, mentor_id, job_id, training_id, change, confirmed, hired and the
    sheet row. Raises :class:`RosterError` listing every problem, never anything else."""
    return _load_back(path)[0]


def read_plan_back(path: str | Path) -> tuple[list[dict[str, Any]], dt.date | None]:
    """:func:`read_plan_workbook` plus the plan date from the Summary sheet (or None)."""
    return _load_back(path)


def plan_from_workbook(path: str | Path) -> Plan:
    """A minimal :class:`Plan` (assignments only, plan date from the Summary sheet or
    today) from a plan workbook, for reruns."""
    rows, plan_date = _load_back(path)
    assignments = [Assignment(returnee_id=r["returnee_id"], mentor_id=r["mentor_id"],
                              job_id=r["job_id"], training_id=r["training_id"],
                              change=r["change"], confirmed=r["confirmed"], hired=r["hired"])
                   for r in rows]
    return Plan(plan_date=plan_date or dt.date.today(), settings={}, tiers={},
                assignments=assignments, status="")


_SLOT_WORDS = {fold(w): code for code in ("morning", "afternoon", "evening")
               for w in (code, *TEXT[f"word:{code}"])}
_KIND_WORDS = {fold(w): code for code in ("first", "follow-up")
               for w in (code, *TEXT[f"word:{code}"])}


def _keyed_rows(path: str | Path, sheet_key: str, keys: tuple[str, ...],
                required: tuple[str, ...]) -> tuple[str, list[Any], dict, list] | None:
    """A sheet of the plan workbook read back by column key: (sheet name, header, column
    index per key, [(row number, {key: cell})]), or None when the sheet or a required
    column is missing."""
    wanted = _keys_for(f"sheet:{sheet_key}")
    grids = _sheet_grids(Path(path), lambda name: header_key(name) in wanted)
    if not grids:
        return None
    sheet, grid = next(iter(grids.items()))
    _head_row, header = grid[0]
    where = {key: next((i for i, h in enumerate(header)
                        if not is_blank(h) and header_key(h) in _keys_for(f"col:{key}")), None)
             for key in keys}
    if any(where[k] is None for k in required):
        return None
    rows = [(n, {k: cells[i] if i is not None and i < len(cells) else None
                 for k, i in where.items()}) for n, cells in grid[1:]]
    return sheet, header, where, rows


def read_visits_back(path: str | Path) -> list[Visit]:
    """The visits of the plan workbook's Schedule sheet with the coordinator's ``done``
    marks (yes / no; blank: not marked). A cell that cannot be read raises RosterError
    with its sheet, row and column."""
    found = _keyed_rows(path, "schedule", ("date", "slot", "mentor_id", "returnee_id",
                                           "kind", "done"),
                        ("date", "mentor_id", "returnee_id"))
    if found is None:
        return []
    sheet, header, where, rows = found
    out, issues = [], []
    for n, cell in rows:
        if is_blank(cell["mentor_id"]) or is_blank(cell["returnee_id"]):
            continue
        column = "date"
        try:
            day = parse_date(cell["date"])
            column = "done"
            done = None if is_blank(cell["done"]) else parse_bool(cell["done"])
        except ValueError:
            issues.append(_issue("bad_choice", sheet, n, str(header[where[column]]),
                                 value=str(cell[column]),
                                 choices=catalog.bi("plan_back.date") if column == "date"
                                 else _words("bool")))
            continue
        out.append(Visit(day, _SLOT_WORDS.get(fold(cell["slot"]), "morning"),
                         parse_text(cell["mentor_id"]), parse_text(cell["returnee_id"]),
                         _KIND_WORDS.get(fold(cell["kind"]), "follow-up"), done))
    if issues:
        raise RosterError(issues)
    return out


def read_granted_loans(path: str | Path) -> dict[str, int]:
    """Loans marked granted in the plan workbook's loan sheet (its ``granted`` column,
    filled in by the coordinator): returnee id -> the amount (VND). A cell that is not a
    yes/no raises RosterError with its sheet, row and column."""
    found = _keyed_rows(path, "loans", ("returnee_id", "amount_vnd", "asked_vnd", "granted"),
                        ("returnee_id", "granted"))
    if found is None:
        return {}
    sheet, header, where, rows = found
    out, issues = {}, []
    for n, cell in rows:
        if is_blank(cell["granted"]) or is_blank(cell["returnee_id"]):
            continue
        try:
            if not parse_bool(cell["granted"]):
                continue
            amount = cell["asked_vnd"] if is_blank(cell["amount_vnd"]) else cell["amount_vnd"]
            out[parse_text(cell["returnee_id"])] = int(float(amount))
        except (TypeError, ValueError):
            issues.append(_issue("bad_choice", sheet, n, str(header[where["granted"]]),
                                 value=str(cell["granted"]), choices=_words("bool")))
    if issues:
        raise RosterError(issues)
    return out


def load_previous(path: Path, roster=None) -> PreviousPlan:
    """Read a previous plan from JSON or from the plan workbook (Assignments sheet, with the
    hand-filled ``confirmed`` and ``hired`` columns). Problems raise RosterError with sheet,
    row and column; ids unknown to the new roster become warnings (those pairs end)."""
    path = Path(path)
    name = path.name
    if not path.is_file():
        raise RosterError([Issue("missing_file", name, params={"value": name})])
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            prev = previous_from_plan(Plan.from_json(data), name)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise RosterError([Issue("unreadable_file", name,
                                     params={"detail": f"not a plan JSON: {exc}"})]) from None
    else:
        rows, plan_date = read_plan_back(path)  # raises RosterError with located issues
        prev = PreviousPlan({}, plan_date, name, granted=read_granted_loans(path),
                            visits=read_visits_back(path))
        for r in rows:
            rid = r.get("returnee_id")
            if not rid:
                continue
            prev.rows[rid] = PrevRow(rid, r.get("mentor_id"), r.get("job_id"),
                                     r.get("training_id"), bool(r.get("confirmed")),
                                     bool(r.get("hired")), r.get("row"))
    if roster is not None:
        bind_previous(prev, roster)
    return prev


def bind_previous(prev: PreviousPlan, roster) -> PreviousPlan:
    """``prev`` (read by :func:`load_previous` without a roster, e.g. while the roster was
    still being read) told about the new roster: ids it no longer has become warnings."""
    prev.issues += _unknown_ids(prev, roster)
    return prev


def _unknown_ids(prev: PreviousPlan, roster) -> list[Issue]:
    mentors = {m.id for m in roster.mentors}
    jobs = {j.id for j in roster.jobs}
    courses = {t.id for t in roster.trainings}
    out = []
    for row in prev.rows.values():
        for col, value, known, kind in (("mentor_id", row.mentor_id, mentors, "mentor"),
                                        ("job_id", row.job_id, jobs, "job"),
                                        ("training_id", row.training_id, courses, "training")):
            if value and value not in known:
                ref, target = f"plan_back.ref.{kind}", "plan_back.new_roster"
                out.append(Issue("unknown_reference", prev.source, row.row, col,
                                 {"kind": catalog.text(ref, "en"),
                                  "kind_vi": catalog.text(ref, "vi"), "value": value,
                                  "target": catalog.text(target, "en"),
                                  "target_vi": catalog.text(target, "vi")},
                                 severity=WARNING))
    return out
