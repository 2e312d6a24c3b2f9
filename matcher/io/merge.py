"""Merging a file of new releases into a roster ("rerun with new releases").

The reader accepts each table once, so a file holding only the new returnees cannot simply
be read beside the earlier roster: :func:`merge_new_releases` writes one workbook holding
every table of the roster file that has the Returnees table, with the new rows added under
its header (columns matched by header, in English or Vietnamese), and hands back the file
list to read. Used by the web app's rerun; reads untrusted files, so callers run it inside
:func:`matcher.io.sandbox.run_bounded`.

The coordinator never sees that workbook: beside it the merge writes where each of its
rows came from (``merged-<hash>.map.json``, a :class:`RowMap`), and :func:`own_places`
turns the issues the reader finds in the merge back into the file, sheet, row and column
header the coordinator uploaded (the roster's rows keep their numbers; the new releases'
rows are the rows of their own file).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from python_calamine import CalamineError

from matcher.errors import Issue
from matcher.io.tables import Unreadable, load_tables
from matcher.schema import RETURNEES, Sheet
from matcher.text import header_key

TableRows = tuple[str, list[list[Any]]]  # (title, rows from A1)
# what reading a file to merge may raise: the reader then reads it itself and says why
READ_ERRORS = (Unreadable, CalamineError, OSError)

__all__ = ["RowMap", "merge_new_releases", "merged_name", "own_places", "row_map"]
MAP_SUFFIX = ".map.json"


def merged_name(roster_paths: Sequence[Path], addition_paths: Sequence[Path]) -> str:
    """``merged-<hash>.xlsx``: the name is a hash of every input, so the merge of one set
    of files is made once."""
    digest = hashlib.sha256()
    for path in [*roster_paths, *addition_paths]:
        digest.update(Path(path).read_bytes())
    return f"merged-{digest.hexdigest()[:16]}.xlsx"


def merge_new_releases(roster_paths: Sequence[Path], addition_paths: Sequence[Path],
                       out_dir: Path | None = None) -> list[Path]:
    """The files to read for a roster plus new releases: ``roster_paths`` with the file
    that holds the Returnees table replaced by a merged workbook (written into ``out_dir``,
    by default the folder of the first additions file) whose Returnees table also holds
    the rows of ``addition_paths``. An additions file with one table is taken as returnees
    whatever its name. With no additions the roster is returned as it is. With no Returnees
    table to merge into, or a file that cannot be read, roster and additions are returned
    together, unmerged: the reader then reports the missing sheet or the unreadable file
    with its own issue. Beside the merged workbook goes its :class:`RowMap`
    (:func:`row_map` reads it back)."""
    roster_paths = [Path(p) for p in roster_paths]
    addition_paths = [Path(p) for p in addition_paths]
    if not addition_paths:
        return roster_paths
    unmerged = [*roster_paths, *addition_paths]
    try:
        base = _returnees_file(roster_paths)
        if base is None:
            return unmerged
        folder = Path(out_dir) if out_dir is not None else addition_paths[0].parent
        merged = folder / merged_name(roster_paths, addition_paths)
        if not (merged.exists() and _map_path(merged).exists()):
            _merge(base, addition_paths, merged)
    except READ_ERRORS:
        return unmerged
    return [merged if p == base[0] else p for p in roster_paths]


def _merge(base: tuple[Path, list[Named]], addition_paths: list[Path], merged: Path) -> None:
    """Write the merged workbook and, first, its row map."""
    base_path, base_tables = base
    new_rows: list[list[Any]] = []
    parts: list[dict[str, Any]] = []
    added: list[list[int]] = []  # per new row: [part, the row number in its own file]
    for path in addition_paths:
        tables = _named_tables(path)
        picked = [t for t in tables if _is_returnees(t[0], RETURNEES)]
        if not picked and len(tables) == 1:
            picked = tables
        for _title, name, rows in picked:
            rows_in, numbers, columns = _under_header(rows, base_tables, RETURNEES)
            parts.append({"file": str(path), "sheet": name, "columns": columns})
            new_rows.extend(rows_in)
            added.extend([len(parts) - 1, n] for n in numbers)
    sheets = []
    for title, name, rows in base_tables:
        entry: dict[str, Any] = {"title": title[:31], "file": str(base_path), "sheet": name,
                                 "rows": len(rows)}
        if _is_returnees(title, RETURNEES):
            entry.update(parts=parts, added=added)
        sheets.append(entry)
    _write_json(_map_path(merged), {"merged": merged.name, "sheets": sheets})
    _write_tables(merged, [
        (title, rows + new_rows if _is_returnees(title, RETURNEES) else rows)
        for title, _name, rows in base_tables])


Named = tuple[str, str, list[list[Any]]]  # (title, the name the reader gives it, rows)


def _returnees_file(paths: Sequence[Path]) -> tuple[Path, list[Named]] | None:
    """The first file holding a Returnees table, with its tables."""
    for path in paths:
        tables = _named_tables(path)
        if any(_is_returnees(title, RETURNEES) for title, _name, _rows in tables):
            return path, tables
    return None


def read_tables(path: Path) -> list[TableRows]:
    """(title, rows) of every table of a workbook or CSV file, read through the guards of
    :func:`matcher.io.tables.load_tables`; each table's rows start at A1, as the sheet
    shows them, so the merged workbook keeps the roster's row numbers."""
    return [(title, rows) for title, _name, rows in _named_tables(path)]


def _named_tables(path: Path) -> list[Named]:
    """:func:`read_tables` with the name the reader's issues give each table (the sheet's
    name, or a CSV's file name)."""
    out = []
    for table in load_tables(Path(path)):
        pad = [None] * (table.first_col - 1)
        rows = [[] for _ in range(table.first_row - 1)]
        rows += [pad + list(row) if row else [] for row in table.grid()]
        out.append((table.title, table.name, rows))
    return out


def _is_returnees(title: str, sheet: Sheet) -> bool:
    return header_key(title) in sheet.names()


def _column_of(sheet: Sheet, text: Any) -> str:
    """The column a header names (its key), or the header's own key for no column."""
    key = header_key(text)
    for col in sheet.columns:
        if key in col.keys():  # noqa: SIM118 - Column.keys() is a method, not a dict
            return col.key
    return key


def _header(rows: list[list[Any]], sheet: Sheet) -> tuple[int, list[Any]]:
    """(index, cells) of the table's header: the first row naming two of the sheet's
    columns (a title may stand above it), else the first row with any text."""
    known = {col.key for col in sheet.columns}
    first = None
    for i, row in enumerate(rows):
        texts = [c for c in row if c is not None and str(c).strip()]
        if not texts:
            continue
        if first is None:
            first = (i, row)
        if len({_column_of(sheet, c) for c in texts} & known) >= 2:
            return i, row
    return first if first is not None else (0, [])


def _under_header(rows: list[list[Any]], base_tables: list[Named], sheet: Sheet
                  ) -> tuple[list[list[Any]], list[int], dict[str, str]]:
    """The data rows of an additions table, rearranged into the base table's columns; the
    row number of each in its own sheet; and each base header (folded) with the header the
    additions table has for it."""
    base_rows = next(r for t, _n, r in base_tables if _is_returnees(t, sheet))
    _i, base_head = _header(base_rows, sheet)

    def column_of(text: Any) -> str:
        return _column_of(sheet, text)

    where = {column_of(h): j for j, h in enumerate(base_head) if str(h or "").strip()}
    start, head = _header(rows, sheet)
    columns = {}
    for h in head:
        target = where.get(column_of(h)) if str(h or "").strip() else None
        if target is not None:
            columns.setdefault(_fold(base_head[target]), str(h))
    out, numbers = [], []
    for number, row in enumerate(rows[start + 1:], start=start + 2):
        if not any(str(c).strip() for c in row if c is not None):
            continue
        new = [""] * len(base_head)
        for j, value in enumerate(row):
            target = where.get(column_of(head[j])) if j < len(head) else None
            if target is not None:
                new[target] = value
        out.append(new)
        numbers.append(number)
    return out, numbers, columns


def _write_tables(path: Path, tables: list[TableRows]) -> None:
    book = Workbook(write_only=True)
    for title, rows in tables:
        sheet = book.create_sheet(title=title[:31])
        for row in rows:
            sheet.append([None if v == "" else v for v in row])
    tmp = path.with_name(path.name + ".tmp")
    book.save(tmp)
    tmp.replace(path)


def _write_json(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)


def _map_path(merged: Path) -> Path:
    return merged.with_name(merged.stem + MAP_SUFFIX)


def _fold(text: Any) -> str:
    return " ".join(str(text or "").split()).casefold()


# --- where the merged workbook's rows came from -------------------------------------

@dataclasses.dataclass(frozen=True)
class RowMap:
    """Where each cell of a merged workbook came from: per merged sheet (by title) the
    roster file and sheet it copies, how many of its rows are the roster's (they keep
    their numbers) and, for the Returnees sheet, each added row's file, sheet and row,
    with the header each column has in that file."""

    merged: str  # the merged workbook's file name
    sheets: dict[str, dict[str, Any]]  # merged sheet title -> its entry (see _merge)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RowMap:
        return cls(str(data["merged"]), {str(s["title"]): s for s in data["sheets"]})

    def place(self, sheet: str | None, row: int | None) -> tuple[str, str, int | None,
                                                                  dict[str, str]] | None:
        """(file path, sheet, row, {folded merged header: own header}) of a merged sheet's
        row (or of the sheet when ``row`` is None); None for a sheet not of the merge."""
        entry = self.sheets.get(sheet or "")
        if entry is None:
            return None
        if row is not None and row > entry["rows"]:
            index = row - entry["rows"] - 1
            added = entry.get("added") or []
            if index < len(added):
                part = entry["parts"][added[index][0]]
                return part["file"], part["sheet"], added[index][1], part["columns"]
        return entry["file"], entry["sheet"], row, {}

    def own_issue(self, issue: Issue) -> Issue:
        """``issue`` as the coordinator's own file shows it: file (its name), sheet, row,
        column header, and a ``first_row`` it quotes (with the other file's name when the
        first row is in another file). Issues of other files come back as they are."""
        if issue.sheet == self.merged:  # the merged file itself (it could not be read)
            first = next(iter(self.sheets.values()), None)
            if first is None:
                return issue
            name = Path(first["file"]).name
            return dataclasses.replace(issue, file=name, sheet=name)
        found = self.place(issue.sheet, issue.row)
        if found is None:
            return issue
        path, sheet, row, columns = found
        column = columns.get(_fold(issue.column), issue.column) if issue.column else None
        params = issue.params
        first_row = params.get("first_row")
        if isinstance(first_row, int | str) and str(first_row).isdigit():
            other = self.place(issue.sheet, int(first_row))
            if other is not None:
                shown = other[2] if other[0] == path else f"{other[2]}, {Path(other[0]).name}"
                params = {**params, "first_row": shown}
        return dataclasses.replace(issue, file=Path(path).name, sheet=sheet, row=row,
                                   column=column, params=params)


def row_map(path: str | os.PathLike[str]) -> RowMap | None:
    """The row map of a workbook :func:`merge_new_releases` wrote; None for any other
    file (or a map that cannot be read)."""
    path = Path(path)
    if not (path.name.startswith("merged-") and path.suffix == ".xlsx"):
        return None
    try:
        return RowMap.from_json(json.loads(_map_path(path).read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def own_places(issues: Iterable[Issue], paths: Iterable[str | os.PathLike[str]]) -> list[Issue]:
    """The reader's issues about ``paths`` (the files :func:`merge_new_releases` gave)
    with every place in a merged workbook turned into the place in the coordinator's own
    file (:meth:`RowMap.own_issue`)."""
    maps = [m for m in map(row_map, paths) if m is not None]
    out = []
    for issue in issues:
        for found in maps:
            placed = found.own_issue(issue)
            if placed is not issue:
                issue = placed
                break
        out.append(issue)
    return out
