"""A blank roster to fill in (SPEC §13): ``python run.py template`` and the web's
"Tải tệp mẫu".

:func:`write_template` writes an .xlsx with an instructions sheet first ("Hướng dẫn":
every sheet and column explained in plain words), then every sheet of
:data:`matcher.schema.SHEETS` but the optional Gazetteer, each with its headers (Vietnamese,
or English with ``lang="en"``) in a frozen, styled first row, column widths, a comment on
every header, drop-down lists for every column with a fixed set of words (gender, yes/no,
offense group, risk, shift, course time, rule, loan purpose, specialties, excluded offense
groups) and for the 2025 ward names, and date columns shown DD/MM/YYYY. The lists live on
a hidden sheet and are referenced by range. The Settings sheet holds every setting by its
label (the reader takes the label, with or without accents, or the English code), its
default (a choice in words: "nữ do nữ giúp đỡ") and what it means. Every word comes from
the message catalogue.

Every word of a drop-down parses back through :mod:`matcher.values`, and a copy of the
template with rows typed in reads through :func:`matcher.io.reader.read_roster`
(tests/test_template.py).
"""

from __future__ import annotations

import datetime as dt
import io
import os
from collections.abc import Sequence
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from matcher import catalog, schema
from matcher.domain import GENDER_RULES, OFFENSES, SETTING_SPECS, SPECIALTIES, choice_label
from matcher.gazetteer import AMBIGUOUS, OK, Gazetteer
from matcher.io.roster_writer import DATE_FORMAT, WORDS

__all__ = ["LANGS", "TEMPLATE_SHEETS", "choice_lists", "template_bytes", "write_template"]

LANGS = ("vi", "en")
# the sheets of the template, in workbook order (a Gazetteer sheet is for other provinces)
TEMPLATE_SHEETS: tuple[schema.Sheet, ...] = tuple(
    s for s in schema.SHEETS if s is not schema.GAZETTEER)
_MAX_ROW = 1_048_576
_HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
_REQUIRED_FILL = PatternFill("solid", fgColor="C00000")
_HEADER_FONT = Font(bold=True, color="FFFFFF")
_THIN = Side(style="thin", color="A6A6A6")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_WRAP = Alignment(wrap_text=True, vertical="top")

# ---------------------------------------------------------------------------- words

def _wards() -> list[str]:
    """The 2025 ward names; one shared with pre-2025 units is given as
    "<name>, tỉnh Thanh Hóa", which the reader resolves without ambiguity."""
    gaz = Gazetteer.bundled()
    out = []
    for unit in gaz.units():
        name = unit.name
        if gaz.resolve(name).status == AMBIGUOUS:
            qualified = f"{name}, tỉnh Thanh Hóa"
            hit = gaz.resolve(qualified)
            if hit.status == OK and hit.point.name == name:
                name = qualified
        out.append(name)
    return sorted(out, key=lambda n: (not n.startswith("Phường"), n))


def choice_lists(lang: str = "vi") -> dict[str, list[Any]]:
    """The words of every drop-down list, by list name."""
    words = WORDS[lang]
    return {
        "gender": [words["gender"][g] for g in ("M", "F")],
        "yesno": [words["bool"][True], words["bool"][False]],
        "offense": [words["offense"][o] for o in OFFENSES],
        "risk": [choice_label("risk", r, lang) for r in (1, 2, 3)],
        "shift": [words["shift"][s] for s in ("day", "night", "any")],
        "schedule": [words["schedule"][s] for s in ("day", "evening")],
        "rule": [words["rule"][r] for r in ("require", "forbid")],
        "loan_purpose": [words["loan_purpose"][p] for p in ("business", "other")],
        "specialty": [words["specialty"][s] for s in SPECIALTIES],
        "gender_rule": [choice_label("gender_rule", c, lang) for c in GENDER_RULES],
        "ward": _wards(),
    }


# column kind -> (list, how strictly): "stop" refuses other words, "warning" asks,
# "information" only offers the list (a cell may hold several words, comma separated)
_KIND_LIST = {"gender": ("gender", "stop"), "bool": ("yesno", "stop"),
              "offense": ("offense", "stop"), "risk": ("risk", "stop"),
              "shift": ("shift", "stop"), "schedule": ("schedule", "stop"),
              "rule": ("rule", "stop"), "loan_purpose": ("loan_purpose", "stop"),
              "specialties": ("specialty", "information"),
              "offenses": ("offense", "information"), "wards": ("ward", "information")}

# ---------------------------------------------------------------------------- texts
# the explanations are in the catalogue: "template.sheet.<sheet>", "template.col.<column>"
# or "template.col.<sheet>.<column>" when a column means something else on another sheet

_ID_EXAMPLE = {"returnees": "NTV001", "mentors": "CCB001", "jobs": "VL001",
               "trainings": "HN001", "loan_pools": "VON01"}


def _text(key: str, lang: str, **params: Any) -> str:
    return catalog.text("template." + key, lang, **params)


def _column_text(sheet: schema.Sheet, column: schema.Column, lang: str) -> str:
    if column.key == "ward":
        where = (_text(f"ward_where.{sheet.key}", lang)
                 if catalog.has(f"template.ward_where.{sheet.key}") else "")
        return _text("col.ward", lang, where=where).replace("  ", " ")
    for key in (f"template.col.{sheet.key}.{column.key}", f"template.col.{column.key}"):
        if catalog.has(key):
            return catalog.text(key, lang, example=_ID_EXAMPLE.get(sheet.key, "1"))
    return getattr(column, lang)


def _setting_value(spec: Any, lang: str) -> Any:
    """A setting's default as the sheet shows it: a choice in words."""
    value = spec.default
    if spec.choices:
        return choice_label(spec.name, value, lang)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# ---------------------------------------------------------------------------- sheets

def _width(header: str, column: schema.Column) -> float:
    wide = {"full_name": 24, "ward": 26, "wards": 40, "employer": 26, "provider": 26,
            "availability": 20, "skills": 22, "specialties": 22, "excluded_offenses": 22,
            "reason": 30, "name": 28, "key": 28, "value": 18}
    base = 16 if column.kind == "date" else 10
    return float(max(wide.get(column.key, base), min(len(header) + 4, 30)))


def _header_row(ws: Worksheet, headers: Sequence[str], notes: Sequence[str],
                required: Sequence[bool]) -> None:
    ws.append(list(headers))
    for i, (note, req) in enumerate(zip(notes, required), start=1):
        cell = ws.cell(row=1, column=i)
        cell.font = _HEADER_FONT
        cell.fill = _REQUIRED_FILL if req else _HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        cell.border = _BORDER
        if note:
            comment = Comment(note, "")
            comment.width, comment.height = 300, 110
            cell.comment = comment
    ws.row_dimensions[1].height = 32
    ws.freeze_panes = "A2"


class _Lists:
    """The hidden sheet of drop-down words; one column per list."""

    def __init__(self, wb: Workbook, lang: str) -> None:
        self.ws = wb.create_sheet(_text("title.lists", lang))
        self.ws.sheet_state = "hidden"
        self.lang = lang
        self.refs: dict[str, str] = {}
        for col, (name, words) in enumerate(choice_lists(lang).items(), start=1):
            letter = get_column_letter(col)  # row 1 left blank: the names are codes
            for row, word in enumerate(words, start=2):
                self.ws.cell(row=row, column=col, value=word).data_type = "s"
            self.refs[name] = (f"{quote_sheetname(self.ws.title)}!${letter}$2:"
                               f"${letter}${len(words) + 1}")

    def validation(self, name: str, style: str, prompt: str) -> DataValidation:
        dv = DataValidation(type="list", formula1=self.refs[name], allow_blank=True,
                            showDropDown=False)  # False shows the arrow (OOXML's odd name)
        dv.errorStyle = style
        dv.showErrorMessage = style != "information"
        dv.errorTitle = _text("list.error_title", self.lang)
        dv.error = _text("list.error_stop" if style == "stop" else "list.error_warn",
                         self.lang)
        dv.showInputMessage = True
        dv.prompt = prompt[:255]
        return dv


def _data_sheet(wb: Workbook, sheet: schema.Sheet, lang: str, lists: _Lists) -> Worksheet:
    ws = wb.create_sheet(getattr(sheet, lang))
    headers = [getattr(c, lang) for c in sheet.columns]
    notes = [_column_text(sheet, c, lang) for c in sheet.columns]
    _header_row(ws, headers, notes, [c.required for c in sheet.columns])
    for i, (column, header, note) in enumerate(zip(sheet.columns, headers, notes), start=1):
        letter = get_column_letter(i)
        dim = ws.column_dimensions[letter]
        dim.width = _width(header, column)
        if column.kind == "date":
            dim.number_format = DATE_FORMAT
        elif column.kind in ("id", "text", "list", "specialties", "offenses", "wards"):
            dim.number_format = "@"  # typed as text: "001" keeps its zeros
        listed = ("ward", "information") if column.key == "ward" else _KIND_LIST.get(
            column.kind)
        if listed is None:
            continue
        dv = lists.validation(*listed, prompt=note)
        dv.add(f"{letter}2:{letter}{_MAX_ROW}")
        ws.add_data_validation(dv)
    return ws


def _settings_sheet(wb: Workbook, lang: str, lists: _Lists) -> Worksheet:
    """Every setting by its label (the reader also takes the code, in either column), its
    default (a choice in words) and what it means."""
    sheet = schema.SETTINGS
    ws = wb.create_sheet(getattr(sheet, lang))
    headers = [getattr(c, lang) for c in sheet.columns] + [_text("title.label", lang)]
    notes = [_column_text(sheet, c, lang) for c in sheet.columns] + [""]
    _header_row(ws, headers, notes, [False] * len(headers))
    for spec in SETTING_SPECS:
        ws.append([spec.label(lang), _setting_value(spec, lang), spec.help(lang)])
        row = ws.max_row
        ws.cell(row=row, column=1).data_type = "s"
        ws.cell(row=row, column=1).alignment = _WRAP
        ws.cell(row=row, column=3).alignment = _WRAP
        if spec.kind is dt.date:
            ws.cell(row=row, column=2).number_format = DATE_FORMAT
        if spec.choices:
            dv = lists.validation(spec.name, "stop", spec.help(lang))
            dv.add(f"B{row}")
            ws.add_data_validation(dv)
    for letter, width in (("A", 48), ("B", 18), ("C", 80)):
        ws.column_dimensions[letter].width = width
    return ws


_INTRO_LINES = 7  # template.intro.0 (the title) to template.intro.6


def _instructions(ws: Worksheet, lang: str) -> None:
    ws.title = _text("title.instructions", lang)
    yes, no = (choice_label("bool", b, lang).capitalize() for b in (True, False))
    intro = [_text(f"intro.{i}", lang) for i in range(_INTRO_LINES)]
    ws.append([intro[0]])
    ws.cell(row=1, column=1).font = Font(bold=True, size=14)
    for line in intro[1:]:
        ws.append([line])
    for sheet in TEMPLATE_SHEETS:
        ws.append([])
        ws.append([getattr(sheet, lang), None, _text(f"sheet.{sheet.key}", lang)])
        row = ws.max_row
        ws.cell(row=row, column=1).font = Font(bold=True, size=12, color="1F4E78")
        ws.cell(row=row, column=3).alignment = _WRAP
        ws.append([_text(f"head.{h}", lang) for h in ("column", "required", "how")])
        for c in range(1, 4):
            cell = ws.cell(row=ws.max_row, column=c)
            cell.font, cell.fill, cell.border = _HEADER_FONT, _HEADER_FILL, _BORDER
        for column in sheet.columns:
            ws.append([getattr(column, lang), yes if column.required else no,
                       _column_text(sheet, column, lang)])
            for c in range(1, 4):
                cell = ws.cell(row=ws.max_row, column=c)
                cell.border, cell.alignment = _BORDER, _WRAP
        if sheet is schema.SETTINGS:
            ws.append([_text("title.label", lang), no, _text("label_note", lang)])
    ws.column_dimensions["A"].width = 30
    ws.column_dimensions["B"].width = 10
    ws.column_dimensions["C"].width = 95
    ws.sheet_view.showGridLines = False


def _build(lang: str) -> Workbook:
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {', '.join(LANGS)}, not {lang!r}")
    wb = Workbook()
    _instructions(wb.active, lang)
    sheets = [s for s in TEMPLATE_SHEETS if s is not schema.SETTINGS]
    lists = _Lists(wb, lang)  # created first so the data sheets can refer to it
    for sheet in sheets:
        _data_sheet(wb, sheet, lang, lists)
    _settings_sheet(wb, lang, lists)
    wb.move_sheet(lists.ws, offset=len(wb.sheetnames) - 1 - wb.index(lists.ws))
    wb.active = 0
    return wb


def write_template(path: str | os.PathLike[str] | IO[bytes], lang: str = "vi") -> None:
    """Write the blank roster (Vietnamese, or English with ``lang="en"``) to ``path`` (a
    file name or a binary file object)."""
    _build(lang).save(path)


def template_bytes(lang: str = "vi") -> bytes:
    """The blank roster as the bytes of an .xlsx."""
    buf = io.BytesIO()
    write_template(buf, lang)
    return buf.getvalue()
