"""Merging a file of new releases into a roster ("rerun with new releases").

The reader accepts each table once, so a file holding only the new returnees cannot simply
be read beside the earlier roster: :func:`merge_new_releases` writes one workbook holding
every table of the roster file that has the Returnees table, with the new rows added under
its header (columns matched by header, in English or Vietnamese), and hands back the file
list to read. Used by the web app's rerun; reads untrusted files, so callers run it inside
:func:`matcher.io.sandbox.run_bounded`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from python_calamine import CalamineError

from matcher.io.tables import Unreadable, load_tables
from matcher.schema import RETURNEES, Sheet
from matcher.text import header_key

TableRows = tuple[str, list[list[Any]]]  # (title, rows from A1)
# what reading a file to merge may raise: the reader then reads it itself and says why
READ_ERRORS = (Unreadable, CalamineError, OSError)

__all__ = ["merge_new_releases", "merged_name"]


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
    with its own issue."""
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
        if not merged.exists():
            new_rows: list[list[Any]] = []
            for path in addition_paths:
                tables = read_tables(path)
                picked = [rows for title, rows in tables if _is_returnees(title, RETURNEES)]
                if not picked and len(tables) == 1:
                    picked = [tables[0][1]]
                for rows in picked:
                    new_rows.extend(_under_header(rows, base[1], RETURNEES))
            _write_tables(merged, [
                (title, rows + new_rows if _is_returnees(title, RETURNEES) else rows)
                for title, rows in base[1]])
    except READ_ERRORS:
        return unmerged
    return [merged if p == base[0] else p for p in roster_paths]


def _returnees_file(paths: Sequence[Path]) -> tuple[Path, list[TableRows]] | None:
    """The first file holding a Returnees table, with its tables."""
    for path in paths:
        tables = read_tables(path)
        if any(_is_returnees(title, RETURNEES) for title, _rows in tables):
            return path, tables
    return None


def read_tables(path: Path) -> list[TableRows]:
    """(title, rows) of every table of a workbook or CSV file, read through the guards of
    :func:`matcher.io.tables.load_tables`; each table's rows start at A1, as the sheet
    shows them, so the merged workbook keeps the roster's row numbers."""
    out = []
    for table in load_tables(Path(path)):
        pad = [None] * (table.first_col - 1)
        rows = [[] for _ in range(table.first_row - 1)]
        rows += [pad + list(row) if row else [] for row in table.grid()]
        out.append((table.title, rows))
    return out


def _is_returnees(title: str, sheet: Sheet) -> bool:
    return header_key(title) in sheet.names()


def _header(rows: list[list[Any]]) -> tuple[int, list[Any]]:
    """(index, cells) of the first row with any text: the table's header."""
    for i, row in enumerate(rows):
        if any(str(c).strip() for c in row if c is not None):
            return i, row
    return 0, []


def _under_header(rows: list[list[Any]], base_tables: list[TableRows],
                  sheet: Sheet) -> list[list[Any]]:
    """The data rows of an additions table, rearranged into the base table's columns."""
    base_rows = next(r for t, r in base_tables if _is_returnees(t, sheet))
    _i, base_head = _header(base_rows)

    def column_of(text: Any) -> str:
        key = header_key(text)
        for col in sheet.columns:
            if key in col.keys():  # noqa: SIM118 - Column.keys() is a method, not a dict
                return col.key
        return key

    where = {column_of(h): j for j, h in enumerate(base_head) if str(h or "").strip()}
    start, head = _header(rows)
    out = []
    for row in rows[start + 1:]:
        if not any(str(c).strip() for c in row if c is not None):
            continue
        new = [""] * len(base_head)
        for j, value in enumerate(row):
            target = where.get(column_of(head[j])) if j < len(head) else None
            if target is not None:
                new[target] = value
        out.append(new)
    return out


def _write_tables(path: Path, tables: list[TableRows]) -> None:
    book = Workbook(write_only=True)
    for title, rows in tables:
        sheet = book.create_sheet(title=title[:31])
        for row in rows:
            sheet.append([None if v == "" else v for v in row])
    tmp = path.with_name(path.name + ".tmp")
    book.save(tmp)
    tmp.replace(path)
