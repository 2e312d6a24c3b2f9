"""Input problems: one :class:`Issue` per problem, all collected, in Vietnamese and English.

The library never shows a traceback to a coordinator: reading a roster either returns a
``Roster`` (whose ``warnings`` hold the non-blocking issues) or raises
:class:`RosterError` carrying *every* problem found, each with sheet, the row number
Excel shows, the column header and a message saying what to change.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from matcher import catalog
from matcher.text import Bi

ERROR = "error"
WARNING = "warning"

# code -> (English, Vietnamese), from the message catalogue (keys "error.<code>");
# placeholders are filled from Issue.params.
MESSAGES = catalog.Pairs("error.")


# English fragments that reach messages through parameters (gazetteer candidate lists and
# its coordinate notes): the catalogue's "fragment.*" entries give their Vietnamese wording.
_VI_FRAGMENTS = catalog.Pairs("fragment.")


def _vi_fragments(text: str) -> str:
    for key in _VI_FRAGMENTS:
        en, vi = _VI_FRAGMENTS[key]
        text = text.replace(en, vi)
    return _DECIMAL_KM.sub(r"\1,\2 km", text)  # the notes' "1.4 km": 1,4 km


_DECIMAL_KM = re.compile(r"(\d)\.(\d+) km")


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem in the input. ``row`` is the row number Excel shows (header is row 1).
    ``file`` names the coordinator's file when the sheet alone does not (a rerun reads a
    merge of the roster and the new releases: :func:`matcher.io.merge.own_places`)."""

    code: str
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    params: dict[str, Any] = field(default_factory=dict, hash=False, compare=True)
    severity: str = ERROR
    file: str | None = None

    def message(self, lang: str = "en") -> str:
        params = self.params
        if lang == "vi":
            params = {k: _vi_fragments(v) if isinstance(v, str) and not isinstance(v, Bi)
                      else v for k, v in params.items()}
        return catalog.text("error." + self.code, lang, **params)

    @property
    def where(self) -> str:
        return self.where_in("en")

    def where_in(self, lang: str) -> str:
        """Sheet, row and column in words of ``lang`` ("Người trở về, dòng 5, cột 'Giới
        tính'"), after the file's name when the issue has one."""
        parts = []
        if self.file and self.file != self.sheet:  # a CSV file's sheet is the file
            parts.append(self.file)
        if self.sheet:
            parts.append(self.sheet)
        if self.row:
            parts.append(catalog.text("issue.row", lang, row=str(self.row)))
        if self.column:
            parts.append(catalog.text("issue.column", lang, column=self.column))
        return ", ".join(parts)

    def format(self, lang: str = "en") -> str:
        where = self.where_in(lang)
        kind = catalog.text("issue.error" if self.severity == ERROR else "issue.warning",
                            lang)
        return f"{kind} {where}: {self.message(lang)}" if where else f"{kind}: {self.message(lang)}"

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity,
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "message": self.message(lang),
            **({"file": self.file} if self.file else {}),
        }


class RosterError(Exception):
    """The roster cannot be planned. ``issues`` holds every problem (errors and warnings)."""

    def __init__(self, issues: Iterable[Issue]):
        self.issues = list(issues)
        errors = [i for i in self.issues if i.severity == ERROR]
        super().__init__(f"{len(errors)} problem(s) in the roster")

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == ERROR]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == WARNING]


class PlanCheckError(Exception):
    """A computed plan broke a hard rule: a bug in the planner, never a result."""

    def __init__(self, violations: list[str]):
        self.violations = violations
        super().__init__("plan check failed: " + "; ".join(violations[:10]))
