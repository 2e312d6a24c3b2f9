"""A copy of the coordinator's roster with every problem marked where it is.

Each cell an issue points at (sheet, Excel row, column header as written) is filled red
(error) or yellow (warning) and carries a comment with the message; a problem with a row
but no column marks the row's first cell, one with neither is a comment on A1.
``.xlsx``/``.xlsm`` files are copied with their own formatting; ``.csv``, ``.xls`` and
``.ods`` become a fresh workbook holding their values, read by the roster reader's engine
(:func:`matcher.io.tables.load_tables`) so every value sits in the row and column the
reader's issues name. Several roster files give a zip of checked workbooks.

The issues are :class:`~matcher.errors.Issue` objects (the CLI's RosterError) or their
JSON form (the web's ``validation.json``: ``sheet``, ``row``, ``column``, ``severity`` and
``message`` as text or ``{"vi": ..., "en": ...}``). The files come from outside: run this
inside :func:`matcher.io.sandbox.run_bounded`.
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


def _load_book(path: Path) -> Workbook:
    """An openpyxl workbook of the file: the file itself for xlsx/xlsm, else its values."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return load_workbook(path, keep_vba=False, rich_text=False)
    book = Workbook()
    book.remove(book.active)
    for table in load_tables(path):
        sheet = book.create_sheet(title=table.title[:31] or "Sheet")
        for row, cells in table.rows:
            for offset, value in enumerate(cells):
                if value is not None:
                    sheet.cell(row=row, column=table.first_col + offset, value=value)
    return book


def _issue_sheet(book: Workbook, path: Path, sheet_name: str | None) -> Any:
    """The worksheet an issue names: by title, or the only sheet of a CSV file (whose
    issues name the file)."""
    if not sheet_name:
        return None
    wanted = _fold(sheet_name)
    for ws in book.worksheets:
        if _fold(ws.title) == wanted:
            return ws
    if wanted in (_fold(path.name), _fold(path.stem)) and book.worksheets:
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
                  labels: Mapping[str, str] | None = None) -> tuple[bytes, int]:
    """The checked copy of one roster file as .xlsx bytes, and how many issues it marks.
    ``labels`` holds the words "error" and "warning" (and the comments' "author") in the
    language of the messages; by default :data:`LABELS` of ``lang``."""
    path = Path(path)
    labels = labels if labels is not None else LABELS.get(lang, LABELS["en"])
    book = _load_book(path)
    cells: dict[tuple[str, int, int], list[Problem]] = defaultdict(list)
    headers: dict[str, dict[str, int]] = {}
    marked = 0
    for issue in issues:
        ws = _issue_sheet(book, path, _get(issue, "sheet"))
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
                       lang: str = "vi",
                       labels: Mapping[str, str] | None = None) -> tuple[bytes, str]:
    """(bytes, "xlsx" or "zip"): one checked workbook, or a zip of ``<stem>-checked.xlsx``
    when there are several roster files. Issues about a previous plan (``origin`` of
    ``previous_plan``) are not the roster's and are left out."""
    issues = [i for i in issues if _get(i, "origin") != "previous_plan"]
    made = []
    for path in map(Path, paths):
        data, _marked = annotate_file(path, issues, lang, labels)
        made.append((f"{path.stem}-checked.xlsx", data))
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
