"""The documents a ward committee prints and signs (issue 18, SPEC section 13), as Word
files laid out the way Vietnamese administrative documents are (Decree 30/2020/NĐ-CP; see
:mod:`matcher.io.docx_format`).

- :func:`write_ward_lists`: per ward, the list of assignments (Danh sách phân công người
  giúp đỡ) with the issuing unit, the motto, the place-and-date line, the title, the
  table and the signature blocks ("Người lập"; "Xác nhận của Ban Chỉ đạo", "TM. BAN CHỈ
  ĐẠO"). One ``.docx`` per ward rather than one file with a section per ward: each ward's
  committee signs and stamps its own list, a ward is sent only its own people's names,
  and the pages of each list are numbered from 1.
- :func:`write_assignment_docs`: for each new pair (a returnee given a mentor who is new
  to them: change "new" or "changed"), a one-page Giấy phân công filled in from an
  editable template (:mod:`matcher.io.assignment_doc`), zipped with one folder per ward.
- :func:`documents_zip` / :func:`write_documents`: both together, for the web download
  (one zip, a folder per ward holding its list and its assignments) and ``plan
  --documents DIR``.

No hashes, ids or setting names appear on paper; names keep their accents.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

from matcher import catalog
from matcher.domain import Returnee, Roster
from matcher.io.assignment_doc import (
    BLANK,
    PLACEHOLDERS,
    address,
    default_template_bytes,
    issuing_unit_lines,
    pair_values,
    placement_text,
)
from matcher.io.docx_format import (
    TABLE_PT,
    TEXT_WIDTH_MM,
    DocumentTemplateError,
    cell_text,
    date_line_parts,
    heading_block,
    layout_table,
    new_document,
    page_number_from_second_page,
    para,
    place_name,
    render_template,
    repeat_header_row,
    short_rule,
    signature_block,
    template_fields,
    template_parts,
    to_bytes,
)
from matcher.plan import Assignment, Plan
from matcher.text import fold

# a pair needs a new assignment paper when the returnee's mentor is new to them
NEW_PAIR_CHANGES = ("new", "changed")
LIST_WIDTHS_MM = (11, 31, 14, 21, 31, 26, 31)  # adds up to TEXT_WIDTH_MM (165)
LANGS = ("vi", "en")
# the list's columns, in order: their headers are "doc.ward.col.<key>" in the catalogue
LIST_COLUMNS = ("no", "name", "born", "address", "mentor", "phone", "place")


def _text(key: str, lang: str, **params) -> str:
    return catalog.text("doc." + key, lang, **params)


def zip_name(lang: str = "vi") -> str:
    """The name of the zip of assignment papers ("Giấy phân công theo phường, xã.zip")."""
    return _text("zip", lang)


ZIP_NAME = zip_name("vi")


# ------------------------------------------------------------------------- grouping

def _ward_of(r: Returnee, lang: str) -> str:
    return r.location.ward or _text("no_ward", lang)


def _by_ward(plan: Plan, roster: Roster, lang: str
             ) -> dict[str, list[tuple[Returnee, Assignment]]]:
    """Each ward's returnees with their assignments, in roster order; wards by name."""
    by_id = {a.returnee_id: a for a in plan.assignments}
    groups: dict[str, list[tuple[Returnee, Assignment]]] = defaultdict(list)
    for r in roster.returnees:
        groups[_ward_of(r, lang)].append((r, by_id.get(r.id) or Assignment(r.id)))
    return {w: groups[w] for w in sorted(groups, key=lambda w: (fold(w), w))}


def safe_file_name(text: str, limit: int = 100) -> str:
    """A file or folder name every system accepts (accents kept)."""
    name = re.sub(r'[<>:"/\\|?*\x00-\x1f]+', " ", text)
    name = re.sub(r"\s+", " ", name).strip().rstrip(". ")
    return name[:limit].rstrip(". ") or "_"


# ------------------------------------------------------------------------- ward lists

def ward_list_docx(plan: Plan, roster: Roster, ward: str,
                   rows: list[tuple[Returnee, Assignment]], lang: str = "vi") -> bytes:
    """One ward's list of assignments as .docx bytes."""
    doc = new_document()
    page_number_from_second_page(doc)
    real_ward = rows[0][0].location.ward if rows else None
    d, m, y = date_line_parts(plan.plan_date)
    if lang != "vi":
        d, m = f"{plan.plan_date.day:02d}", f"{plan.plan_date.month:02d}"
    heading_block(doc, issuing_unit_lines(roster.settings.issuing_unit, real_ward),
                  (_text("motto.country", lang), _text("motto.words", lang)),
                  _text("date_line", lang, place=place_name(real_ward), d=d, m=m, y=y))
    para(doc, _text("ward.title", lang), bold=True, align="center", space_before=14)
    para(doc, _text("ward.subtitle", lang, ward=ward,
                    date=catalog.date(plan.plan_date, lang)),
         italic=True, align="center")
    short_rule(doc, 45, TEXT_WIDTH_MM)
    para(doc, size=6)

    mentors = {x.id: x for x in roster.mentors}
    jobs = {j.id: j for j in roster.jobs}
    trainings = {t.id: t for t in roster.trainings}
    table = layout_table(doc, LIST_WIDTHS_MM, rows=len(rows) + 1, borders=True)
    for cell, key in zip(table.rows[0].cells, LIST_COLUMNS):
        cell_text(cell, _text(f"ward.col.{key}", lang), bold=True, align="center")
    for i, (r, a) in enumerate(rows, start=1):
        mentor = mentors.get(a.mentor_id) if a.mentor_id else None
        place = placement_text(a, jobs, trainings, lang=lang)
        cells = table.rows[i].cells
        cell_text(cells[0], str(i), align="center")
        cell_text(cells[1], r.full_name)
        cell_text(cells[2], str(r.birth_year), align="center")
        cell_text(cells[3], address(r, ward))
        if mentor is None:
            cell_text(cells[4], _text("ward.none", lang), italic=True)
        else:
            cell_text(cells[4], mentor.full_name)
            cell_text(cells[5], mentor.phone or "", align="center")
        cell_text(cells[6], place)
    repeat_header_row(table)
    with_mentor = sum(a.mentor_id is not None for _, a in rows)
    para(doc, catalog.ntext("doc.ward.total", len(rows), lang, m=with_mentor), size=TABLE_PT,
         space_before=6, keep_with_next=True)
    signature_block(doc, [("b", _text("ward.maker", lang)), ("i", _text("sign_name", lang))],
                    [("b", _text("ward.confirm", lang)), ("b", _text("on_behalf", lang)),
                     ("b", _text("head", lang)), ("i", _text("sign_seal", lang))])
    return to_bytes(doc)


def write_ward_lists(plan: Plan, roster: Roster, out_dir: str | Path,
                     lang: str = "vi") -> list[Path]:
    """One .docx per ward (the returnee's ward) in ``out_dir``; returns the paths."""
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, not {lang!r}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for ward, rows in _by_ward(plan, roster, lang).items():
        path = out / safe_file_name(_text("ward.file", lang, ward=ward))
        path.write_bytes(ward_list_docx(plan, roster, ward, rows, lang))
        paths.append(path)
    return paths


# ------------------------------------------------------------------------- assignments

def load_template(template: str | Path | bytes | None) -> list:
    """The template's parts, checked: a Word file whose placeholders are all known."""
    if template is None:
        data = default_template_bytes()
    elif isinstance(template, bytes | bytearray):
        data = bytes(template)
    else:
        path = Path(template)
        if not path.is_file():
            raise DocumentTemplateError(catalog.bi("doc.template.not_found", path=str(path)))
        data = path.read_bytes()
    parts = template_parts(data)
    unknown = template_fields(parts) - set(PLACEHOLDERS)
    if unknown:
        raise DocumentTemplateError(catalog.bi(
            "doc.template.unknown",
            unknown=", ".join("{{" + u + "}}" for u in sorted(unknown)),
            known=", ".join("{{" + k + "}}" for k in PLACEHOLDERS)))
    return parts


def _first_visits(plan: Plan) -> dict[str, dt.date]:
    first: dict[str, dt.date] = {}
    for v in sorted(plan.visits, key=lambda v: v.date):
        first.setdefault(v.returnee_id, v.date)
    return first


def _assignment_entries(plan: Plan, roster: Roster, parts: list
                        ) -> Iterator[tuple[str, str, bytes]]:
    """(ward folder, file name, .docx bytes) for each new pair, ward by ward."""
    first = _first_visits(plan)
    for ward, rows in _by_ward(plan, roster, "vi").items():
        n = 0
        for r, a in rows:
            if a.mentor_id is None or a.change not in NEW_PAIR_CHANGES:
                continue
            n += 1
            values = pair_values(plan, roster, a, r.location.ward or BLANK, first.get(r.id))
            name = safe_file_name(_text("assign.file", "vi", n=f"{n:03d}",
                                        name=r.full_name)) + ".docx"
            yield safe_file_name(ward), name, render_template(parts, values)


def write_assignment_docs(plan: Plan, roster: Roster, zip_path: str | Path,
                          template: str | Path | bytes | None = None) -> Path:
    """A zip with a folder per ward and one Giấy phân công (.docx) per new pair in it,
    from ``template`` (a .docx path or bytes; None: the default). The template is checked
    before anything is written (:class:`DocumentTemplateError`)."""
    return _write_assignment_zip(plan, roster, Path(zip_path), load_template(template))


def _write_assignment_zip(plan: Plan, roster: Roster, path: Path, parts: list) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for folder, name, data in _assignment_entries(plan, roster, parts):
            zf.writestr(f"{folder}/{name}", data)
    return path


def documents_zip(plan: Plan, roster: Roster,
                  template: str | Path | bytes | None = None) -> bytes:
    """Everything to sign in one zip: a folder per ward with its list and the assignment
    of each new pair (the web download)."""
    parts = load_template(template)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for ward, rows in _by_ward(plan, roster, "vi").items():
            name = safe_file_name(_text("ward.file", "vi", ward=ward))
            zf.writestr(f"{safe_file_name(ward)}/{name}",
                        ward_list_docx(plan, roster, ward, rows, "vi"))
        for folder, name, data in _assignment_entries(plan, roster, parts):
            zf.writestr(f"{folder}/{name}", data)
    return buf.getvalue()


def write_documents(plan: Plan, roster: Roster, out_dir: str | Path,
                    template: str | Path | bytes | None = None) -> list[Path]:
    """``plan --documents DIR``: the ward lists and the zip of assignments in ``out_dir``
    (the template is checked first, so a bad one writes nothing)."""
    parts = load_template(template)
    lists = write_ward_lists(plan, roster, out_dir)
    return lists + [_write_assignment_zip(plan, roster, Path(out_dir) / ZIP_NAME, parts)]
