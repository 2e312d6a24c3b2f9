"""Records: the bound rows of each sheet as domain objects (returnees, mentors, jobs,
training courses, pair rules, extra gazetteer places) and the Settings sheet with its
``--set`` overrides as :class:`~matcher.domain.Settings`.

Ids are unique across every sheet or file that holds one table; pair rules must name ids
that exist; wards resolve through the gazetteer (cached per distinct text) unless the row
gives coordinates. A row with any error is reported and left out; a domain object's own
check (a ``ValueError``) or any surprise is an issue too, never a traceback.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from matcher import catalog, domain
from matcher.availability import check_availability
from matcher.domain import Job, Location, Mentor, PairRule, Returnee, Settings, Training
from matcher.errors import ERROR, WARNING
from matcher.gazetteer import Gazetteer, Resolution
from matcher.io.binding import Bad, Bound, Issues, RowReader, describe, show
from matcher.schema import SHEETS
from matcher.text import Bi, fold, join_bi
from matcher.values import ImpossibleDate, is_blank, parse_text

__all__ = ["SHEETS_BY_KEY", "Context", "Places", "entities", "gazetteer_rows", "pair_rules",
           "read_settings"]

SHEETS_BY_KEY = {s.key: s for s in SHEETS}
_MISSING = object()


# --------------------------------------------------------------------------------------
# Locations


class Places:
    """Ward resolution through the gazetteer, cached per distinct text."""

    def __init__(self, gazetteer: Gazetteer) -> None:
        self.gazetteer = gazetteer
        self._cache: dict[str, Resolution] = {}

    def resolve(self, text: str) -> Resolution:
        if text not in self._cache:
            self._cache[text] = self.gazetteer.resolve(text)
        return self._cache[text]


def _location(r: RowReader, places: Places) -> Location | None:
    failed_before = r.failed
    r.failed = False
    ward = r.opt("ward")
    lat = r.opt("lat")
    lon = r.opt("lon")
    has_lat, has_lon = not is_blank(r.raw("lat")), not is_blank(r.raw("lon"))
    if has_lat != has_lon:
        r.issue("half_coordinates", "lon" if has_lat else "lat")
    coords = has_lat and has_lon
    point = None
    if ward:
        res = places.resolve(ward)
        severity = WARNING if coords else ERROR
        if res.status == "ok" and res.point is not None:
            point = res.point
            if res.old_name:
                r.issue("old_ward_name", "ward", severity=WARNING, value=ward, ward=point.name)
        elif res.status == "ambiguous":
            candidates = list(res.candidates)
            r.issue("ambiguous_ward", "ward", severity=severity, value=ward,
                     candidates="; ".join(candidates[:8]),
                     example=candidates[0].split(" (")[0] if candidates else ward)
        else:
            hint = f" ({'; '.join(list(res.candidates)[:5])}?)" if res.candidates else ""
            r.issue("unknown_ward", "ward", severity=severity, value=ward, hint=hint)
    elif not has_lat and not has_lon and "ward" not in r.bound.missing:
        r.issue("no_location", "ward")
    elif "ward" in r.bound.missing and not coords:
        r.failed = True
    failed = r.failed
    r.failed = failed or failed_before
    if failed:
        return None
    if coords:
        return Location(lat, lon, ward=point.name if point is not None else ward)
    if point is None:
        return None
    if failed_before:  # the row is not used: its errors are what matters
        return None
    r.issue("ward_point", "ward", severity=WARNING, ward=point.name)
    if point.note:
        r.issue("unreliable_point", "ward", severity=WARNING, ward=point.name, note=point.note)
    return Location(point.lat, point.lon, ward=point.name, from_ward_point=True,
                    unreliable=bool(point.note))


# --------------------------------------------------------------------------------------
# Sheets -> domain objects


@dataclass
class Context:
    issues: Issues
    settings: Settings
    places: Places | None = None
    ids: dict[str, set[str] | None] = field(default_factory=dict)
    pool_of_ward: dict[str, tuple[str, int]] = field(default_factory=dict)  # ward -> pool, row
    spellings: dict[str, str] = field(default_factory=dict)  # folded skill -> as written

    @property
    def plan_year(self) -> int:
        return self.settings.plan_date.year


def _values(r: RowReader, defaults: Mapping[str, Any]) -> dict[str, Any]:
    return {key: r.opt(key, default) for key, default in defaults.items()}


# the same availability text recurs across rows (a mentor pool's "Mon-Fri 8-17")
_availability_problem = functools.lru_cache(maxsize=8192)(check_availability)


def _check_availability(r: RowReader, text: str | None) -> None:
    if not text:
        return
    reason = _availability_problem(text)
    if reason:
        r.issue("bad_availability", "availability", value=show(text), detail=reason)


def _years_from(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _returnee(r: RowReader, ctx: Context) -> Returnee | None:
    v = _values(r, {"id": None, "full_name": None, "gender": None, "birth_year": None,
                    "release_date": None, "offense": None, "risk": None,
                    "skills": frozenset(), "wants_job": True, "wants_training": False,
                    "max_commute_km": None, "work_away_from_home": False,
                    "availability": None, "group": None, "needs_loan": False,
                    "loan_amount": None, "loan_purpose": "business", "poor_household": False,
                    "follow_up_end": None})
    release = v["release_date"]
    if release is not None:
        plan = ctx.settings.plan_date
        if release < _years_from(plan, -60):
            r.issue("implausible_date", "release_date", value=show(release),
                     why="it is more than 60 years before the plan date",
                     why_vi="sớm hơn ngày lập kế hoạch quá 60 năm")
        elif release > _years_from(plan, 5):
            r.issue("implausible_date", "release_date", value=show(release),
                     why="it is more than 5 years after the plan date",
                     why_vi="muộn hơn ngày lập kế hoạch quá 5 năm")
        elif v["birth_year"] is not None and release.year < v["birth_year"]:
            r.issue("implausible_date", "release_date", value=show(release),
                     why=f"it is before the birth year {v['birth_year']}",
                     why_vi=f"trước năm sinh {v['birth_year']}")
    _check_availability(r, v["availability"])
    raw = r.raw("skills")
    if v["skills"] and isinstance(raw, str):
        for item in re.split(r"[,;/|]", raw):
            if item.strip():
                ctx.spellings.setdefault(fold(item), item.strip())
    location = _location(r, ctx.places)
    if r.failed:
        return None
    return Returnee(location=location, row=r.row, extra=r.extra(), **v)


def _mentor(r: RowReader, ctx: Context) -> Mentor | None:
    v = _values(r, {"id": None, "full_name": None, "gender": None, "birth_year": None,
                    "phone": None, "capacity": 2, "hours_per_month": None, "max_risk": 3,
                    "specialties": frozenset(), "max_km": None, "availability": None,
                    "active": True})
    label = v["id"] or v["full_name"] or f"row {r.row}"
    if v["capacity"] == 0:
        r.issue("zero_capacity", "capacity", severity=WARNING, value=label)
    if v["active"] is False:
        r.issue("inactive_mentor", "active", severity=WARNING, value=label)
    _check_availability(r, v["availability"])
    location = _location(r, ctx.places)
    if r.failed:
        return None
    return Mentor(location=location, row=r.row, extra=r.extra(), **v)


def _job(r: RowReader, ctx: Context) -> Job | None:
    v = _values(r, {"id": None, "employer": None, "sector": None, "slots": None,
                    "min_age": None, "max_age": None, "shift": "day",
                    "excluded_offenses": frozenset(), "entry_level": False,
                    "start_date": None})
    if v["min_age"] is not None and v["max_age"] is not None and v["min_age"] > v["max_age"]:
        r.issue("age_limits", "max_age", low=v["min_age"], high=v["max_age"])
    location = _location(r, ctx.places)
    if r.failed:
        return None
    return Job(location=location, row=r.row, extra=r.extra(), **v)


def _training(r: RowReader, ctx: Context) -> Training | None:
    v = _values(r, {"id": None, "provider": None, "sector": None, "seats": None,
                    "start_date": None, "schedule": "day"})
    location = _location(r, ctx.places)
    if r.failed:
        return None
    return Training(location=location, row=r.row, extra=r.extra(), **v)


def _loan_pool(r: RowReader, ctx: Context) -> domain.LoanPool | None:
    """A capital pool: the wards it covers are resolved like any ward, and a ward belongs
    to one pool only."""
    v = _values(r, {"id": None, "name": "", "wards": None, "capital": None})
    wards = set()
    for text in v["wards"] or ():
        res = ctx.places.resolve(text)
        if res.status == "ok" and res.point is not None:
            ward = res.point.name
            other = ctx.pool_of_ward.get(ward)
            if other is not None and other[0] != v["id"]:
                r.issue("ward_in_two_pools", "wards", value=ward, pool=other[0],
                        first_row=other[1])
            else:
                ctx.pool_of_ward[ward] = (v["id"], r.row)
                wards.add(ward)
        elif res.status == "ambiguous":
            candidates = list(res.candidates)
            r.issue("ambiguous_ward", "wards", value=text,
                    candidates="; ".join(candidates[:8]),
                    example=candidates[0].split(" (")[0] if candidates else text)
        else:
            hint = f" ({'; '.join(list(res.candidates)[:5])}?)" if res.candidates else ""
            r.issue("unknown_ward", "wards", value=text, hint=hint)
    if r.failed:
        return None
    return domain.LoanPool(v["id"], v["name"] or v["id"], frozenset(wards), v["capital"],
                           row=r.row)


_BUILDERS: dict[str, Callable[[RowReader, Context], Any]] = {
    "returnees": _returnee, "mentors": _mentor, "jobs": _job, "trainings": _training,
    "loan_pools": _loan_pool,
}


def _rows(bound: Bound, ctx: Context) -> Iterable[RowReader]:
    for row, cells in bound.data:
        yield RowReader(bound, row, cells, ctx.issues, ctx.plan_year)


def _guarded(r: RowReader, build: Callable[[], Any]) -> Any:
    """Run a row builder; a ValueError from a domain check (or any surprise) is an issue."""
    try:
        return build()
    except Bad:
        return None
    except ValueError as exc:  # a domain object's own check (its argument a Bi)
        r.failed = True
        said = exc.args[0] if exc.args else None
        r.issues.add("invalid_row", r.bound.name, r.row, None,
                     detail=said if isinstance(said, Bi) else str(exc)[:200].rstrip("."))
    except Exception as exc:  # noqa: BLE001 - a bug: still a report, never a traceback
        r.failed = True
        r.issues.add("internal_error", r.bound.name, r.row, None, detail=describe(exc))
    return None


def entities(bounds: list[Bound], ctx: Context) -> list[Any]:
    """The objects of one table, read from every sheet/file that holds it (ids unique
    across all of them)."""
    out = []
    first: dict[str, tuple[int, str]] = {}
    for bound in bounds:
        build = _BUILDERS[bound.sheet.key]
        for r in _rows(bound, ctx):
            if "id" not in bound.missing:
                raw = r.raw("id")
                if not is_blank(raw):
                    rid = parse_text(raw)
                    if rid in first:
                        row, where = first[rid]
                        shown = str(row) if where == bound.name else f"{row}, {where}"
                        r.issue("duplicate_id", "id", value=rid, first_row=shown)
                    else:
                        first[rid] = (r.row, bound.name)
            obj = _guarded(r, lambda r=r, build=build: build(r, ctx))
            if obj is not None and not r.failed:
                out.append(obj)
    missing_ids = any("id" in b.missing for b in bounds)
    ctx.ids[bounds[0].sheet.key] = None if missing_ids else set(first)
    return out


_REFS = {
    "returnee_id": ("returnees", "Returnee", "Người trở về"),
    "mentor_id": ("mentors", "Mentor", "Cựu chiến binh"),
    "job_id": ("jobs", "Job", "Việc làm"),
    "training_id": ("trainings", "Training course", "Khóa học nghề"),
}


def pair_rules(bounds: list[Bound], ctx: Context) -> list[PairRule]:
    out = []
    # (returnee, kind, target) -> rule -> [(bound, row)]
    rules: dict[tuple[str, str, str], dict[str, list[tuple[Bound, int]]]] = {}
    for r in (r for bound in bounds for r in _rows(bound, ctx)):
        def build(r: RowReader = r) -> PairRule | None:
            v = _values(r, {"returnee_id": None, "mentor_id": None, "job_id": None,
                            "training_id": None, "rule": None, "reason": "", "affinity": 0,
                            "travel_minutes": None, "visit_hours_per_month": None})
            for key, (target, kind, kind_vi) in _REFS.items():
                known = ctx.ids.get(target)
                if v[key] is not None and known is not None and v[key] not in known:
                    sheet = SHEETS_BY_KEY[target]
                    r.issue("unknown_reference", key, kind=kind, kind_vi=kind_vi,
                             value=v[key], target=sheet.en, target_vi=sheet.vi)
            named = [k for k in ("mentor_id", "job_id", "training_id") if v[k] is not None]
            if not named:
                r.issue("pair_needs_target", "mentor_id")
            elif len(named) > 1:
                r.issue("pair_two_targets", named[1])
            elif v["returnee_id"] is not None and v["rule"] is not None:
                target = (named[0][:-3], v[named[0]])
                rules.setdefault((v["returnee_id"], *target), {}).setdefault(
                    v["rule"], []).append((r.bound, r.row))
            if r.failed:
                return None
            return PairRule(row=r.row, **v)

        obj = _guarded(r, build)
        if obj is not None and not r.failed:
            out.append(obj)
    for (returnee, _kind, target), by_rule in rules.items():
        if "require" in by_rule and "forbid" in by_rule:
            seen = sorted(by_rule["require"] + by_rule["forbid"],
                          key=lambda br: (bounds.index(br[0]), br[1]))
            last_bound, last_row = seen[-1]
            rows = ", ".join(str(row) if b is last_bound else f"{row} ({b.name})"
                             for b, row in seen)
            ctx.issues.add("conflicting_rules", last_bound.name, last_row,
                           last_bound.header("rule"), returnee=returnee, target=target,
                           rows=rows)
    return out


def gazetteer_rows(bounds: list[Bound], ctx: Context) -> list[tuple[str, float, float]]:
    out = []
    for bound in bounds:
        for r in _rows(bound, ctx):
            v = _values(r, {"name": None, "lat": None, "lon": None})
            if not r.failed:
                out.append((v["name"], v["lat"], v["lon"]))
    return out


# --------------------------------------------------------------------------------------
# Settings


def _label(name: str) -> Any:
    """A setting's label in both languages, for the messages (never its code)."""
    return catalog.bi(f"setting.{name}.label")


def _parse_one_setting(name: str, raw: Any, issues: Issues,
                       where: tuple[str | None, int | None, str | None]) -> Any:
    try:
        return domain.parse_setting(name, raw)
    except ImpossibleDate:
        issues.add("impossible_date", *where, value=show(raw))
    except Exception as exc:  # noqa: BLE001 - ValueError with a plain reason
        said = exc.args[0] if isinstance(exc, ValueError) and exc.args else None
        detail = said if isinstance(said, Bi) else (
            str(exc) if isinstance(exc, ValueError) else describe(exc)).rstrip(".")
        issues.add("bad_setting", *where, key=_label(name), value=show(raw), detail=detail)
    return _MISSING


@functools.cache
def _setting_choices() -> Bi:
    return join_bi([_label(s.name) for s in domain.SETTING_SPECS], ", ")


def read_settings(bounds: list[Bound], overrides: Mapping[str, Any] | None,
              issues: Issues) -> Settings:
    values: dict[str, Any] = {}
    first_row: dict[str, str] = {}
    for bound in bounds:
        if bound.missing:
            continue
        for row, cells in bound.data:
            r = RowReader(bound, row, cells, issues, dt.date.today().year)
            key_raw, value_raw = r.raw("key"), r.raw("value")
            if is_blank(key_raw):
                if not is_blank(value_raw):
                    col = bound.sheet.column("key")
                    r.issue("empty_required", "key", column=col.en, column_vi=col.vi)
                continue
            name = domain.setting_name(key_raw)
            if name is None:
                r.issue("unknown_setting", "key", value=show(key_raw),
                        choices=_setting_choices())
                continue
            if name in first_row:
                r.issue("duplicate_setting", "key", value=_label(name),
                        first_row=first_row[name])
                continue
            first_row[name] = str(row) if len(bounds) == 1 else f"{row}, {bound.name}"
            if is_blank(value_raw):
                continue
            where = (bound.name, row, bound.header("value"))
            value = _parse_one_setting(name, value_raw, issues, where)
            if value is not _MISSING:
                values[name] = value
    for key, raw in (overrides or {}).items():
        name = domain.setting_name(key)
        if name is None:
            issues.add("unknown_setting", value=str(key), choices=_setting_choices())
            continue
        value = _parse_one_setting(name, raw, issues, (None, None, None))
        if value is not _MISSING:
            values[name] = value
    try:
        return domain.settings_from(values)
    except (ValueError, KeyError, TypeError) as exc:
        said = exc.args[0] if exc.args else None
        issues.add("bad_setting", key="", value="",
                   detail=said if isinstance(said, Bi) else str(exc))
        return Settings()
