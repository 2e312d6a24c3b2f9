"""A copy of the coordinator's roster with every problem marked where it is.

For the validation report's download: each cell an issue points at (sheet, Excel row,
column header as written) is filled red (error) or yellow (warning) and carries a comment
with the message; a problem with a row but no column marks the row's first cell, one
with neither is a comment on A1. ``.xlsx``/``.xlsm`` files are copied with their own
formatting; ``.csv``, ``.xls`` and ``.ods`` become a fresh workbook holding their values.
Several roster files give a zip of checked workbooks.

No solver library here: the issues come from the run's ``validation.json``.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

ERROR_FILL = "FFC7CE"
WARNING_FILL = "FFEB9C"
HEADER_SCAN_ROWS = 30
MAX_COMMENT_CHARS = 2000


def read_tables(path: Path) -> list[tuple[str, list[list[Any]]]]:
    """(title, rows) of every table in a workbook or CSV file (a CSV is titled by its
    file name without the suffix, as the reader names it)."""
    if path.suffix.lower() == ".csv":
        data = path.read_bytes()
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("cp1258", errors="replace")
        try:
            delimiter = csv.Sniffer().sniff(text[:64_000], delimiters=",;\t").delimiter
        except csv.Error:
            delimiter = ","
        return [(path.stem, list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)))]
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(path))
    return [(name, book.get_sheet_by_name(name).to_python()) for name in book.sheet_names]


def _fold(text: Any) -> str:
    return " ".join(str(text or "").split()).casefold()


def _load_book(path: Path):
    """An openpyxl workbook of the file: the file itself for xlsx/xlsm, else its values."""
    from openpyxl import Workbook, load_workbook

    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return load_workbook(path, keep_vba=False, rich_text=False)
    book = Workbook()
    book.remove(book.active)
    for title, rows in read_tables(path):
        sheet = book.create_sheet(title=title[:31] or "Sheet")
        for row in rows:
            sheet.append([None if v == "" else v for v in row])
    return book


def _issue_sheet(book, path: Path, sheet_name: str | None):
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


def _column_index(ws, header: str, cache: dict) -> int | None:
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


def annotate_file(path: Path, issues: Iterable[dict[str, Any]], lang: str,
                  labels: dict[str, str]) -> tuple[bytes, int]:
    """The checked copy of one roster file as .xlsx bytes, and how many issues it marks.
    ``labels`` holds the translated words "error" and "warning" for the comments."""
    from openpyxl.comments import Comment
    from openpyxl.styles import PatternFill

    book = _load_book(path)
    cells: dict[tuple[str, int, int], list[dict[str, Any]]] = defaultdict(list)
    headers: dict[str, dict[str, int]] = {}
    marked = 0
    for issue in issues:
        ws = _issue_sheet(book, path, issue.get("sheet"))
        if ws is None:
            continue  # another file's problem, or one no cell can show (a missing sheet)
        row = issue.get("row") or 1
        col = 1
        if issue.get("column") and issue.get("row"):
            col = _column_index(ws, str(issue["column"]), headers) or 1
        cells[(ws.title, int(row), col)].append(issue)
        marked += 1
    for (title, row, col), found in cells.items():
        cell = book[title].cell(row=row, column=col)
        error = any(i.get("severity") == "error" for i in found)
        cell.fill = PatternFill("solid", fgColor=ERROR_FILL if error else WARNING_FILL)
        lines = []
        for issue in sorted(found, key=lambda i: i.get("severity") != "error"):
            message = issue.get("message")
            if isinstance(message, dict):
                text = message.get(lang) or message.get("en") or ""
            else:
                text = str(message or "")
            word = labels["error" if issue.get("severity") == "error" else "warning"]
            lines.append(f"{word}: {text}")
        text = "\n".join(lines)
        if len(text) > MAX_COMMENT_CHARS:
            text = text[: MAX_COMMENT_CHARS - 1] + "…"
        comment = Comment(text, labels.get("author", "check"))
        comment.width, comment.height = 320, min(400, 40 + 18 * (text.count("\n") + 2))
        cell.comment = comment
    out = io.BytesIO()
    book.save(out)
    return out.getvalue(), marked


def annotated_download(paths: list[Path], issues: list[dict[str, Any]], lang: str,
                       labels: dict[str, str]) -> tuple[bytes, str]:
    """(bytes, "xlsx" or "zip"): one checked workbook, or a zip when there are several
    roster files."""
    issues = [i for i in issues if i.get("origin") != "previous_plan"]
    made = []
    for path in paths:
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
