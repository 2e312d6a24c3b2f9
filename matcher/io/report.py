"""The input report a coordinator reads: every problem, grouped by sheet, in row order.

Errors come before warnings within each sheet. Errors are always listed in full; a
warning repeated on many rows (e.g. "location taken from the ward point") is listed a
few times and then summarised, so a 20,000-row roster does not bury its errors.
"""

from __future__ import annotations

from collections.abc import Iterable

from matcher import catalog
from matcher.errors import ERROR, Issue
from matcher.schema import SHEETS
from matcher.text import header_key


def count_line(issues: Iterable[Issue], lang: str = "en") -> str:
    """'3 errors, 1 warning' (Vietnamese: '3 lỗi, 1 cảnh báo')."""
    items = list(issues)
    errors = sum(1 for i in items if i.severity == ERROR)
    return catalog.text("report.count_line", lang,
                        errors=catalog.ntext("report.n_errors", errors, lang),
                        warnings=catalog.ntext("report.n_warnings", len(items) - errors, lang))


def _line(issue: Issue, lang: str) -> str:
    parts = []
    if issue.row:
        parts.append(catalog.text("issue.row", lang, row=issue.row))
    if issue.column:
        parts.append(catalog.text("issue.column", lang, column=issue.column))
    kind = catalog.text("issue.error" if issue.severity == ERROR else "issue.warning", lang)
    where = f" {', '.join(parts)}" if parts else ""
    try:
        message = issue.message(lang)
    except KeyError:  # a code missing from the catalogue: still say something
        message = issue.code
    return f"  {kind}{where}: {message}"


def _kind(code: str, lang: str) -> str:
    """A warning kind in a summary line: its code in English, its title in Vietnamese."""
    key = "issue." + code
    return catalog.text(key, lang) if lang == "vi" and catalog.has(key) else code


def _rows_span(issues: list[Issue]) -> str:
    rows = sorted(i.row for i in issues if i.row)
    if not rows:
        return "-"
    return str(rows[0]) if rows[0] == rows[-1] else f"{rows[0]}–{rows[-1]}"


def format_report(issues: Iterable[Issue], lang: str = "en", *,
                  max_repeated_warnings: int | None = 10) -> str:
    """Every issue, grouped by sheet (in first-seen order), sorted by row, errors first,
    ending with a count line. ``max_repeated_warnings`` caps how many warnings of one
    kind are listed per sheet (None: all)."""
    lang = "vi" if lang == "vi" else "en"
    items = list(issues)
    if not items:
        return f"{catalog.text('report.clean', lang)}\n{count_line(items, lang)}"
    sheets: dict[str | None, list[Issue]] = {}
    for issue in items:
        sheets.setdefault(issue.sheet, []).append(issue)
    seen = list(sheets)
    out: list[str] = []
    for sheet in sorted(seen, key=lambda s: (_sheet_rank(s), seen.index(s))):
        group = sheets[sheet]
        out.append(sheet if sheet else catalog.text("report.general", lang))
        errors = sorted((i for i in group if i.severity == ERROR), key=_order)
        warnings = sorted((i for i in group if i.severity != ERROR), key=_order)
        out.extend(_line(i, lang) for i in errors)
        by_code: dict[str, list[Issue]] = {}
        for w in warnings:
            by_code.setdefault(w.code, []).append(w)
        shown: list[Issue] = []
        hidden: dict[str, list[Issue]] = {}
        for code, ws in by_code.items():
            cap = len(ws) if max_repeated_warnings is None else max_repeated_warnings
            shown.extend(ws[:cap])
            if len(ws) > cap:
                hidden[code] = ws[cap:]
        out.extend(_line(i, lang) for i in sorted(shown, key=_order))
        for code, rest in hidden.items():
            out.append(f"  {catalog.text('issue.warning', lang)} "
                       + catalog.ntext("report.more", len(rest), lang, rows=_rows_span(rest),
                                       kind=_kind(code, lang)))
        out.append("")
    out.append(count_line(items, lang))
    return "\n".join(out)


def _sheet_rank(name: str | None) -> int:
    """General issues first, then the roster's sheets in their documented order (a CSV
    file counts as the table its name gives), then anything else."""
    if name is None:
        return -1
    for base in (name, name.rsplit(".", 1)[0]):
        key = header_key(base)
        for rank, sheet in enumerate(SHEETS):
            if key in sheet.names():
                return rank
    return len(SHEETS)


def _order(issue: Issue) -> tuple[int, str]:
    return (issue.row or 0, issue.column or "")
