"""Read a coordinator's roster (one workbook, or CSV files one per table) into a :class:`Roster`.

:func:`read_roster` either returns a checked :class:`~matcher.domain.Roster` whose
``warnings`` hold the non-blocking issues, or raises :class:`~matcher.errors.RosterError`
carrying *every* problem found in one pass (errors and warnings), each located by sheet,
the row number Excel shows and the column header as the coordinator wrote it. Nothing
else escapes: unreadable files, library errors and even ``MemoryError`` become issues.
The whole ``read_roster`` of a 20,000-row, 19-column Returnees sheet (with every check,
ward resolution and 20,000 objects built) takes about 2 s on this project's dev machine.

The layers, each importing only the ones before it:

- :mod:`matcher.io.guards`: what a file from outside may make the engines do (zip and
  XML checks, size budgets, the used range of each sheet);
- :mod:`matcher.io.tables`: the file engines (calamine for workbooks, CSV with its
  encodings) and :func:`~matcher.io.tables.load_tables`, the one public way to read a
  spreadsheet's cells;
- :mod:`matcher.io.binding`: headers matched to the schema, cells parsed by kind;
- :mod:`matcher.io.records`: rows as domain objects, the Settings sheet as Settings;
- this module: the files of one roster gathered into its tables (a table may come from
  several files, one file may not hold a table twice) and the Roster built from them.

Files from outside should still be read through
:func:`matcher.io.sandbox.read_roster_bounded`, which runs this reader in a child process
with hard memory and time limits.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from matcher.domain import Roster, SourceFile
from matcher.errors import WARNING, Issue, RosterError
from matcher.gazetteer import Gazetteer
from matcher.io.binding import Bound, Issues, bind, describe, show
from matcher.io.records import (
    SHEETS_BY_KEY,
    Context,
    Places,
    entities,
    gazetteer_rows,
    pair_rules,
    read_settings,
)
from matcher.io.tables import (
    CSV_SUFFIXES,
    WORKBOOK_SUFFIXES,
    Table,
    Unreadable,
    is_csv,
    load_tables,
    read_input,
)
from matcher.schema import SHEETS, Sheet
from matcher.text import Bi, fold, header_key

__all__ = ["CSV_SUFFIXES", "WORKBOOK_SUFFIXES", "overrides_from_args", "read_roster"]

# issues that mean a file was not read at all (so its sheets are not reported missing)
_UNREAD_CODES = frozenset({"unreadable_file", "sheet_too_large", "missing_file",
                           "file_too_large", "unsafe_xml", "read_limit"})


def _sheet_for(name: str) -> Sheet | None:
    key = header_key(name)
    for sheet in SHEETS:
        if key in sheet.names():
            return sheet
    return None


def _wanted(title: str) -> bool:
    return _sheet_for(title) is not None


def _load(path: Path, issues: Issues) -> tuple[list[Table], SourceFile | None]:
    """Read one input file; problems become issues, never exceptions."""
    try:
        data = read_input(path)
    except Unreadable as exc:
        issues.add(exc.code, path.name, **exc.params)
        return [], None
    except FileNotFoundError:
        issues.add("missing_file", path.name, value=str(path))
        return [], None
    except IsADirectoryError:
        issues.add("unreadable_file", path.name, detail="this is a folder, not a file")
        return [], None
    except (OSError, MemoryError, ValueError) as exc:
        issues.add("unreadable_file", path.name, detail=describe(exc))
        return [], None
    source = SourceFile(path.name, hashlib.sha256(data).hexdigest())
    try:
        tables = load_tables(data, name=path.name, wanted=_wanted)
        if not tables and is_csv(path.name, data):  # a CSV named after no table
            issues.warn("ignored_file", path.name, value=path.name)
        return tables, source
    except Unreadable as exc:
        if exc.code == "unreadable_file":
            issues.add("unreadable_file", path.name, detail=exc.detail)
        else:
            issues.add(exc.code, path.name, **exc.params)
    except RecursionError:
        issues.add("unreadable_file", path.name, detail="the file is nested too deeply")
    except Exception as exc:  # noqa: BLE001 - calamine, zip, xml, codec, MemoryError ...
        issues.add("unreadable_file", path.name, detail=describe(exc))
    return [], source


def overrides_from_args(items: Iterable[str] | None) -> dict[str, str]:
    """``--set key=value`` arguments as a mapping; a malformed one raises RosterError."""
    out: dict[str, str] = {}
    bad = []
    for item in items or ():
        key, sep, value = str(item).partition("=")
        if not sep or not key.strip():
            bad.append(Issue("bad_override", params={"value": str(item)}))
            continue
        out[key.strip()] = value.strip()
    if bad:
        raise RosterError(bad)
    return out



# --------------------------------------------------------------------------------------
# Entry point


def _paths(source: Any, issues: Issues) -> list[Path]:
    if isinstance(source, (str, Path)) or hasattr(source, "__fspath__"):
        items = [source]
    else:
        try:
            items = list(source)
        except TypeError:
            items = [source]
    paths = []
    for item in items:
        try:
            paths.append(Path(item))
        except TypeError:
            issues.add("unreadable_file", detail=f"not a file name: {show(item)}")
    if not items:
        issues.add("unreadable_file", detail="no file was given")
    return paths


def read_roster(
    source: str | Path | Sequence[str | Path],
    *,
    gazetteer: Gazetteer | None = None,
    overrides: Mapping[str, str] | None = None,
) -> Roster:
    """Read and check a roster; raise RosterError with every problem if it cannot be planned.

    ``source`` is one workbook or a list of files (workbooks, or CSVs named after their
    table). ``overrides`` are ``--set`` settings applied over the Settings sheet.
    """
    issues = Issues()
    roster = None
    try:
        roster = _read(source, gazetteer, overrides, issues)
    except MemoryError:
        issues.add("unreadable_file", detail="the input is too large to read")
    except Exception as exc:  # noqa: BLE001 - a bug: still a report, never a traceback
        issues.add("internal_error", detail=describe(exc))
    if roster is None or issues.has_errors:
        raise RosterError(issues.items)
    return roster


def _spellings(built: dict[str, list[Any]], written: dict[str, str]) -> dict[str, str]:
    """Folded skill or sector -> as the roster writes it: the openings' and courses'
    sectors first, then the returnees' own skills."""
    out: dict[str, str] = {}
    for item in (*built.get("jobs", ()), *built.get("trainings", ())):
        out.setdefault(fold(item.sector), item.sector)
    for key, text in written.items():
        out.setdefault(key, text)
    return out


def _read(source: Any, gazetteer: Gazetteer | None, overrides: Mapping[str, Any] | None,
          issues: Issues) -> Roster | None:
    paths = _paths(source, issues)
    tables: list[Table] = []
    sources: list[SourceFile] = []
    for path in paths:
        found, src = _load(path, issues)
        for table in found:
            table.source = str(path)
        tables.extend(found)
        if src is not None:
            sources.append(src)
    # A table may come from several files (a roster plus a file of new releases): their
    # rows are read together. Two sheets meaning one table in the same file are an error.
    by_sheet: dict[str, list[Table]] = {}
    vi_votes = en_votes = 0
    for table in tables:
        sheet = _sheet_for(table.title)
        if sheet is None:
            continue
        key = header_key(table.title)
        if key == header_key(sheet.vi):
            vi_votes += 1
        elif key in (header_key(sheet.en), sheet.key):
            en_votes += 1
        same_file = [t for t in by_sheet.get(sheet.key, ()) if t.source == table.source]
        if same_file:
            issues.add("ambiguous_sheet", table.name, sheet=sheet.en, sheet_vi=sheet.vi,
                       names=", ".join(f"'{t.name}'" for t in (same_file[0], table)))
            continue
        by_sheet.setdefault(sheet.key, []).append(table)
    for group in by_sheet.values():
        names = [t.name for t in group]
        for t in group:
            if names.count(t.name) > 1:  # 'Returnees' in two workbooks: say which
                t.name = f"{t.name} ({t.file})"
    vi_default = vi_votes > en_votes
    unreadable = any(i.code in _UNREAD_CODES for i in issues.items)
    for sheet in SHEETS:
        if sheet.required and sheet.key not in by_sheet and not unreadable:
            issues.add("missing_sheet", sheet.vi if vi_default else sheet.en,
                       sheet=sheet.en, sheet_vi=sheet.vi)

    bound: dict[str, list[Bound]] = {}
    for sheet in SHEETS:
        for table in by_sheet.get(sheet.key, ()):
            b = bind(sheet, table, issues, vi_default)
            if b is not None:
                bound.setdefault(sheet.key, []).append(b)

    settings = read_settings(bound.get("settings", []), overrides, issues)
    ctx = Context(issues, settings)

    if gazetteer is None:
        gazetteer = Gazetteer.bundled()
    gaz_bounds = [b for b in bound.get("gazetteer", ()) if not b.missing]
    extra = gazetteer_rows(gaz_bounds, ctx)
    if extra:
        try:
            gazetteer = gazetteer.with_extra(extra)
        except ValueError as exc:  # its reason in both languages (a Bi)
            said = exc.args[0] if exc.args else None
            issues.add("invalid_row", gaz_bounds[0].name, None, None,
                       detail=said if isinstance(said, Bi) else str(exc)[:300].rstrip("."))
    ctx.places = Places(gazetteer)

    built: dict[str, list[Any]] = {}
    for key in ("returnees", "mentors", "jobs", "trainings"):
        if key in bound:
            built[key] = entities(bound[key], ctx)
        else:
            # an absent optional sheet has no ids; an absent required one is reported
            ctx.ids[key] = set() if key not in by_sheet and not SHEETS_BY_KEY[key].required \
                else None
    pairs = pair_rules(bound["pairs"], ctx) if "pairs" in bound else []
    pools = entities(bound["loan_pools"], ctx) if "loan_pools" in bound else []

    if issues.has_errors:
        return None
    return Roster(
        returnees=tuple(built.get("returnees", ())),
        mentors=tuple(built.get("mentors", ())),
        jobs=tuple(built.get("jobs", ())),
        trainings=tuple(built.get("trainings", ())),
        pairs=tuple(pairs),
        settings=settings,
        loan_pools=tuple(pools),
        spellings=_spellings(built, ctx.spellings),
        warnings=tuple(i for i in issues.items if i.severity == WARNING),
        sources=tuple(sources),
    )
