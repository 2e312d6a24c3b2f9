"""A copy of the coordinator's roster with every problem marked where it is.

Each cell an issue points at (sheet, Excel row, column header as written) is filled red
(error) or yellow (warning) and carries a comment with the message; a problem with a row
but no column marks the row's first cell, one with neither is a comment on A1.
``.xlsx``/``.xlsm`` files are copied with their own formatting; ``.csv``, ``.xls`` and
``.ods`` become a fresh workbook holding their values, read by the roster reader's engine
(:func:`matcher.io.tables.load_tables`) so every value sits in the row and column the
reader's issues name. Several roster files give a zip of checked workbooks.

An issue with a ``file`` (one placed in the coordinator's own file, e.g. a rerun's new
releases: :func:`matcher.io.merge.own_places`) marks only the file of that name; one
without marks the file whose sheet it names. A file's name is its path's, or the name
the caller gives it (the web stores uploads under generated names).

The issues are :class:`~matcher.errors.Issue` objects (the CLI's RosterError) or their
JSON form (the web's ``validation.json``: ``file``, ``sheet``, ``row``, ``column``,
``severity`` and ``message`` as text or ``{"vi": ..., "en": ...}``). The files come from
outside: run this inside :func:`matcher.io.sandbox.run_bounded`.
"""

from __future__ import annotations

import io
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import PatternFill

from matcher.errors import ERROR, Issue
from matcher.io.tables import load_tables

__all__ = ["LABELS", "annotate_file", "annotated_download"]

ERROR_FILL = "FFC7CE"
WARNING_FILL = "FFEB9C"
HEADER_SCAN_ROWS = 30
MAX_COMMENT_CHARS = 2000
# the words before each comment line, and the comments' author
LABELS = {"vi": {"error": "Lỗi", "warning": "Cảnh báo", "author": "Kiểm tra"},
          "en": {"error": "Error", "warning": "Warning", "author": "Check"}}

Problem = Issue | Mapping[str, Any]


def _get(issue: Problem, key: str) -> Any:
    return issue.get(key) if isinstance(issue, Mapping) else getattr(issue, key, None)


def _message(issue: Problem, lang: str) -> str:
    if isinstance(issue, Issue):
        return issue.message(lang)
    message = issue.get("message")
    if isinstance(message, dict):
        return message.get(lang) or message.get("en") or ""
    return str(message or "")


def _fold(text: Any) -> str:
    return " ".join(str(text or "").split()).casefold()


def _load_book(path: Path, name: str | None = None) -> Workbook:
    """An openpyxl workbook of the file: the file itself for xlsx/xlsm, else its values
    (a CSV file's sheet named after the file, by ``name`` when given)."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return load_workbook(path, keep_vba=False, rich_text=False)
    book = Workbook()
    book.remove(book.active)
    for table in load_tables(path):
        title = _safe(Path(name).stem) if name and table.title == path.stem else table.title
        sheet = book.create_sheet(title=title[:31] or "Sheet")
        for row, cells in table.rows:
            for offset, value in enumerate(cells):
                if value is not None:
                    sheet.cell(row=row, column=table.first_col + offset, value=value)
    return book


def _names(path: Path, name: str | None) -> set[str]:
    """The names a file goes by (folded): its path's and the one the caller gives."""
    return {_fold(n) for n in (path.name, name) if n}


def _issue_sheet(book: Workbook, path: Path, issue: Problem, name: str | None) -> Any:
    """The worksheet of this file an issue names: by title, or the only sheet of a CSV
    file (whose issues name the file); None when the issue names another file."""
    sheet_name = _get(issue, "sheet")
    file = _get(issue, "file")
    if not sheet_name or (file and _fold(file) not in _names(path, name)):
        return None
    wanted = _fold(sheet_name)
    for ws in book.worksheets:
        if _fold(ws.title) == wanted:
            return ws
    stems = {_fold(Path(n).stem) for n in (path.name, name) if n}
    if (wanted in _names(path, name) or wanted in stems) and book.worksheets:
        return book.worksheets[0]
    return None


def _column_index(ws: Any, header: str, cache: dict[str, dict[str, int]]) -> int | None:
    """1-based column whose header cell (in the first rows) reads ``header``."""
    key = _fold(header)
    if ws.title not in cache:
        found: dict[str, int] = {}
        for row in ws.iter_rows(min_row=1, max_row=HEADER_SCAN_ROWS):
            for cell in row:
                if cell.value is not None:
                    found.setdefault(_fold(cell.value), cell.column)
        cache[ws.title] = found
    return cache[ws.title].get(key)


def annotate_file(path: str | Path, issues: Iterable[Problem], lang: str = "vi",
                  labels: Mapping[str, str] | None = None,
                  name: str | None = None) -> tuple[bytes, int]:
    """The checked copy of one roster file as .xlsx bytes, and how many issues it marks.
    ``labels`` holds the words "error" and "warning" (and the comments' "author") in the
    language of the messages; by default :data:`LABELS` of ``lang``. ``name``: the file's
    name as the issues give it, when not its path's."""
    path = Path(path)
    labels = labels if labels is not None else LABELS.get(lang, LABELS["en"])
    book = _load_book(path, name)
    cells: dict[tuple[str, int, int], list[Problem]] = defaultdict(list)
    headers: dict[str, dict[str, int]] = {}
    marked = 0
    for issue in issues:
        ws = _issue_sheet(book, path, issue, name)
        if ws is None:
            continue  # another file's problem, or one no cell can show (a missing sheet)
        row = _get(issue, "row") or 1
        col = 1
        if _get(issue, "column") and _get(issue, "row"):
            col = _column_index(ws, str(_get(issue, "column")), headers) or 1
        cells[(ws.title, int(row), col)].append(issue)
        marked += 1
    for (title, row, col), found in cells.items():
        cell = book[title].cell(row=row, column=col)
        error = any(_get(i, "severity") == ERROR for i in found)
        cell.fill = PatternFill("solid", fgColor=ERROR_FILL if error else WARNING_FILL)
        lines = []
        for issue in sorted(found, key=lambda i: _get(i, "severity") != ERROR):
            word = labels["error" if _get(issue, "severity") == ERROR else "warning"]
            lines.append(f"{word}: {_message(issue, lang)}")
        text = "\n".join(lines)
        if len(text) > MAX_COMMENT_CHARS:
            text = text[: MAX_COMMENT_CHARS - 1] + "…"
        comment = Comment(text, labels.get("author", "check"))
        comment.width, comment.height = 320, min(400, 40 + 18 * (text.count("\n") + 2))
        cell.comment = comment
    out = io.BytesIO()
    book.save(out)
    return out.getvalue(), marked


def annotated_download(paths: Iterable[str | Path], issues: Iterable[Problem],
                       lang: str = "vi", labels: Mapping[str, str] | None = None,
                       names: Iterable[str | None] | None = None,
                       only_marked: bool = False) -> tuple[bytes, str]:
    """(bytes, "xlsx" or "zip"): one checked workbook, or a zip of ``<stem>-checked.xlsx``
    when there are several roster files. ``names``: each file's name as the issues (and
    the coordinator) know it, when not its path's. ``only_marked``: leave out the files
    with nothing marked, unless no file has anything marked. Issues about a previous plan
    (``origin`` of ``previous_plan``) are not the roster's and are left out."""
    issues = [i for i in issues if _get(i, "origin") != "previous_plan"]
    paths = [Path(p) for p in paths]
    names = list(names) if names is not None else [None] * len(paths)
    made, marks = [], []
    for path, name in zip(paths, names, strict=True):
        data, marked = annotate_file(path, issues, lang, labels, name)
        stem = Path(name).stem if name else path.stem
        made.append((f"{_safe(stem) or path.stem}-checked.xlsx", data))
        marks.append(marked)
    if only_marked and any(marks):
        made = [m for m, n in zip(made, marks, strict=True) if n]
    if len(made) == 1:
        return made[0][1], "xlsx"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        used: set[str] = set()
        for name, data in made:
            while name in used:
                name = "_" + name
            used.add(name)
            zf.writestr(name, data)
    return buf.getvalue(), "zip"


def _safe(stem: str) -> str:
    """A name for a member of the zip or a sheet: no folders, no control characters, none
    of the characters a sheet's title may not hold."""
    return "".join(ch for ch in stem
                   if ch.isprintable() and ch not in '/\\:*?"<>|[]').strip(" .'")
