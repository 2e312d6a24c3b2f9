"""Write a :class:`~matcher.domain.Roster` back to a workbook (or one CSV per sheet).

The inverse of the reader: sheet names and headers come from :mod:`matcher.schema`
(English or Vietnamese), enum values are written as words the parsers in
:mod:`matcher.values` accept, and list cells are sorted so the same roster always gives
the same cells. Used by the generator, by tests, and to hand coordinators a clean copy
of what was understood from their files.

Options imitate what coordinators' own files look like: Vietnamese words and headers
(``lang="vi"``), names typed without accents (``strip_accents``), dates typed as text
(``dates_as_text``) and pre-2025 ward names (``old_ward_names``).
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import re
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from matcher import schema
from matcher.domain import (
    OFFENSES,
    SETTING_SPECS,
    SPECIALTIES,
    Location,
    Roster,
    choice_label,
)
from matcher.gazetteer import AMBIGUOUS, OK, Gazetteer
from matcher.text import fold
from matcher.text import strip_accents as _strip

DATE_FORMAT = "DD/MM/YYYY"
LIST_SEPARATOR = ", "

# Words written per language: English writes the codes, Vietnamese the catalogue's words
# for them (choice_label). Every word must parse back through matcher.values
# (tests/test_generate.py checks each one against the parser tables).
_KINDS: dict[str, tuple[Any, ...]] = {
    "gender": ("M", "F"), "offense": OFFENSES, "risk": (1, 2, 3), "bool": (True, False),
    "shift": ("day", "night", "any"), "schedule": ("day", "evening"),
    "rule": ("require", "forbid"), "specialty": SPECIALTIES,
    "loan_purpose": ("business", "other"),
}
_EN_WORDS = {"bool": {True: "yes", False: "no"}}


class _Words(dict):
    """WORDS[lang][kind][code] -> the word written; a language's table is built from the
    catalogue the first time it is asked for."""

    def __missing__(self, lang: str) -> dict[str, dict[Any, Any]]:
        if lang not in ("vi", "en"):
            raise KeyError(lang)
        table = {kind: ({c: choice_label(kind, c, "vi") for c in codes} if lang == "vi"
                        else _EN_WORDS.get(kind, {c: c for c in codes}))
                 for kind, codes in _KINDS.items()}
        self[lang] = table
        return table


WORDS: dict[str, dict[str, dict[Any, Any]]] = _Words()

# (sheet, attribute of Roster holding its objects) in the order the workbook has them.
_OBJECT_SHEETS = (
    (schema.RETURNEES, "returnees"),
    (schema.MENTORS, "mentors"),
    (schema.JOBS, "jobs"),
    (schema.TRAINING, "trainings"),
    (schema.PAIRS, "pairs"),
    (schema.LOANS, "loan_pools"),
)
WARD_SEPARATOR = "; "  # ward names may hold a comma ("…, tỉnh Thanh Hóa")
_FORMULA_START = ("=", "+", "-", "@")
_THOUSANDS = re.compile(r"-?\d{1,3}(\.\d{3})+")


class _Formatter:
    """Turns domain values into cell values for one language and set of options."""

    def __init__(self, roster: Roster, *, lang: str, strip_accents: bool,
                 old_ward_names: dict[str, str] | None,
                 skill_names: Iterable[str] = ()) -> None:
        if lang not in ("vi", "en"):
            raise ValueError(f"lang must be one of ['en', 'vi'], not {lang!r}")
        self.lang = lang
        self.words = WORDS[lang]
        self.strip = strip_accents
        self.old_ward_names = dict(old_ward_names or {})
        # Skills are kept folded ("may mac", as matcher.values.parse_list returns them);
        # write them as ``skill_names`` or the roster's own job and course sectors spell
        # them ("may mặc") when one matches.
        self.sector_display: dict[str, str] = {}
        for name in (*skill_names, *(t.sector for t in roster.trainings),
                     *(j.sector for j in roster.jobs)):
            self.sector_display.setdefault(fold(name), name)

    def text(self, value: Any) -> str | None:
        if value is None or value == "":
            return None
        s = str(value)
        return _strip(s) if self.strip else s

    def word(self, kind: str, value: Any) -> Any:
        if value is None:
            return None
        w = self.words[kind][value]
        return self.text(w) if isinstance(w, str) else w

    def ward(self, loc: Location) -> str | None:
        if loc.ward is None:
            return None
        if loc.ward in self.old_ward_names:
            return self.text(self.old_ward_names[loc.ward])
        return self.text(_unambiguous(loc.ward))

    def skills(self, skills: frozenset[str]) -> str | None:
        shown = sorted(self.sector_display.get(s, s) for s in skills)
        return self.text(LIST_SEPARATOR.join(shown)) if shown else None

    def enum_list(self, kind: str, order: tuple[str, ...], items: frozenset[str]) -> str | None:
        if not items:
            return None
        return LIST_SEPARATOR.join(self.word(kind, v) for v in order if v in items)

    def cell(self, column: schema.Column, obj: Any) -> Any:
        key, kind = column.key, column.kind
        if key == "ward":
            return self.ward(obj.location)
        if key in ("lat", "lon"):
            loc = obj.location
            if loc.from_ward_point and loc.ward is not None:
                return None
            return getattr(loc, key)
        value = getattr(obj, key)
        if kind in ("id", "text"):
            return self.text(value)
        if kind in ("int", "number", "date"):
            return value
        if kind == "wards":
            return self.text(WARD_SEPARATOR.join(_unambiguous(w) for w in sorted(value)))
        if kind in ("gender", "offense", "shift", "schedule", "rule", "loan_purpose"):
            return self.word(kind, value)
        if kind == "risk":
            return self.word("risk", value)
        if kind == "bool":
            return self.word("bool", value)
        if kind == "list":
            return self.skills(value)
        if kind == "specialties":
            return self.enum_list("specialty", SPECIALTIES, value)
        if kind == "offenses":
            return self.enum_list("offense", OFFENSES, value)
        raise ValueError(f"no writer for column kind {kind!r}")


def _pair_cell(fmt: _Formatter, column: schema.Column, pair: Any) -> Any:
    if column.key == "affinity":
        return pair.affinity or None
    if column.key == "reason":
        return fmt.text(pair.reason)
    return fmt.cell(column, pair)


def _header(sheet: schema.Sheet, lang: str) -> list[str]:
    return [getattr(c, lang) for c in sheet.columns]


def _settings_rows(roster: Roster, fmt: _Formatter) -> Iterator[list[Any]]:
    """Every setting that differs from its default, plus plan_date: in Vietnamese by its
    label and a choice in words, in English by its code (both read back)."""
    settings = roster.settings
    for spec in SETTING_SPECS:
        value = getattr(settings, spec.name)
        if spec.name == "plan_date" or value != spec.default:
            if fmt.lang == "vi":
                yield [fmt.text(spec.label("vi")),
                       fmt.text(choice_label(spec.name, value, "vi")) if spec.choices
                       else value]
            else:
                yield [spec.name, value]


def _sheet_rows(roster: Roster, fmt: _Formatter) -> Iterator[tuple[schema.Sheet,
                                                                   Iterator[list[Any]]]]:
    """(sheet, rows of cell values) for every sheet, in workbook order."""
    for sheet, attr in _OBJECT_SHEETS:
        cell: Callable[[schema.Column, Any], Any] = (
            partial(_pair_cell, fmt) if sheet is schema.PAIRS else fmt.cell)
        columns = sheet.columns
        objects = getattr(roster, attr)
        if sheet.required or objects:
            yield sheet, ([cell(c, o) for c in columns] for o in objects)
    yield schema.SETTINGS, _settings_rows(roster, fmt)


def _sheet_name(sheet: schema.Sheet, lang: str) -> str:
    return getattr(sheet, lang)


@functools.lru_cache(maxsize=4096)
def _unambiguous(ward: str) -> str:
    """A 2025 unit name that is also the name of other (pre-2025) units is written as a
    2025 address, "<name>, tỉnh Thanh Hóa", so that it reads back without ambiguity."""
    gaz = Gazetteer.bundled()
    if gaz.resolve(ward).status != AMBIGUOUS:
        return ward
    qualified = f"{ward}, tỉnh Thanh Hóa"
    hit = gaz.resolve(qualified)
    return qualified if hit.status == OK and hit.point.name == ward else ward


def write_roster(roster: Roster, path: str | Path, *, lang: str = "en",
                 strip_accents: bool = False, dates_as_text: bool = False,
                 old_ward_names: dict[str, str] | None = None,
                 skill_names: Iterable[str] = ()) -> None:
    """Write ``roster`` to an .xlsx with sheets Returnees, Mentors, Jobs, Training, Pairs
    and Settings (English or Vietnamese names and headers after ``lang``).

    Dates are real Excel dates shown DD/MM/YYYY, or 'dd/mm/yyyy' text with
    ``dates_as_text``. A location is written as its ward and, unless it is the ward's
    own point, its lat/lon. ``old_ward_names`` maps a 2025 ward name to the name to
    write instead (e.g. a pre-2025 name). ``skill_names`` spells folded skills with
    their accents (otherwise the roster's own sectors are used). Settings: every setting
    that differs from its default, plus plan_date. A 2025 ward name shared with pre-2025
    units is written with ", tỉnh Thanh Hóa" so that it reads back unambiguously.
    """
    fmt = _Formatter(roster, lang=lang, strip_accents=strip_accents,
                     old_ward_names=old_ward_names, skill_names=skill_names)
    wb = Workbook(write_only=True)
    for sheet, rows in _sheet_rows(roster, fmt):
        ws = wb.create_sheet(_sheet_name(sheet, lang))
        ws.append(_header(sheet, lang))

        def date_cell(value: dt.date, ws: Any = ws) -> Any:
            c = WriteOnlyCell(ws, value=value)
            c.number_format = DATE_FORMAT
            return c

        def text_cell(value: str, ws: Any = ws) -> Any:
            c = WriteOnlyCell(ws, value=value)
            c.data_type = "s"  # never let a spreadsheet run it as a formula
            return c

        for row in rows:
            for i, v in enumerate(row):
                if isinstance(v, dt.date):
                    row[i] = v.strftime("%d/%m/%Y") if dates_as_text else date_cell(v)
                elif isinstance(v, str) and v.startswith(_FORMULA_START):
                    row[i] = text_cell(v)
            ws.append(row)
    wb.save(str(path))


def _csv_value(v: Any) -> Any:
    if v is None:
        return ""
    if isinstance(v, dt.date):
        return v.strftime("%d/%m/%Y")
    if isinstance(v, float):
        if v.is_integer():
            return str(int(v))
        s = repr(v)
        # "105.842" would read as 105842 (a dot as thousands separator): say "105.8420"
        return s + "0" if _THOUSANDS.fullmatch(s) else s
    return v


def write_roster_csv(roster: Roster, directory: str | Path, *, lang: str = "en",
                     strip_accents: bool = False,
                     old_ward_names: dict[str, str] | None = None,
                     skill_names: Iterable[str] = ()) -> list[Path]:
    """Write one CSV per sheet (UTF-8 with BOM, so Excel shows Vietnamese correctly)
    into ``directory``, named after the sheet (``Returnees.csv`` / ``Người trở về.csv``).
    Dates are 'dd/mm/yyyy' text. Returns the paths written, in sheet order."""
    fmt = _Formatter(roster, lang=lang, strip_accents=strip_accents,
                     old_ward_names=old_ward_names, skill_names=skill_names)
    out_dir = Path(directory)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for sheet, rows in _sheet_rows(roster, fmt):
        path = out_dir / f"{_sheet_name(sheet, lang)}.csv"
        with path.open("w", encoding="utf-8-sig", newline="") as f:
            w = csv.writer(f)
            w.writerow(_header(sheet, lang))
            for row in rows:
                w.writerow([_csv_value(v) for v in row])
        written.append(path)
    return written
