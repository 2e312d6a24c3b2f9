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
ZIP_NAME = "Giấy phân công theo phường, xã.zip"

TEXT = {
    "vi": {
        "motto": ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"),
        "date": "{place}, ngày {d} tháng {m} năm {y}",
        "title": "DANH SÁCH PHÂN CÔNG NGƯỜI GIÚP ĐỠ NGƯỜI CHẤP HÀNH XONG ÁN PHẠT TÙ",
        "subtitle": "Trên địa bàn {ward} (kế hoạch lập ngày {date})",
        "cols": ("STT", "Họ và tên người được giúp đỡ", "Năm sinh", "Địa chỉ",
                 "Người giúp đỡ (cựu chiến binh)", "Điện thoại", "Việc làm, học nghề"),
        "none": "Chưa có người giúp đỡ",
        "total": "Tổng số: {n} người; đã có người giúp đỡ: {m} người.",
        "maker": ("NGƯỜI LẬP", "(Ký, ghi rõ họ tên)"),
        "confirm": ("XÁC NHẬN CỦA BAN CHỈ ĐẠO", "TM. BAN CHỈ ĐẠO", "TRƯỞNG BAN",
                    "(Ký tên, đóng dấu)"),
        "file": "Danh sách phân công - {ward}.docx",
        "no_ward": "Chưa rõ phường, xã",
    },
    "en": {
        "motto": ("SOCIALIST REPUBLIC OF VIET NAM", "Independence - Freedom - Happiness"),
        "date": "{place}, {d}/{m}/{y}",
        "title": "LIST OF MENTORS ASSIGNED TO PEOPLE WHO HAVE SERVED A PRISON SENTENCE",
        "subtitle": "In {ward} (plan of {date})",
        "cols": ("No.", "Person helped", "Born", "Address", "Mentor (veteran)", "Phone",
                 "Job or training"),
        "none": "No mentor yet",
        "total": "Total: {n} people; with a mentor: {m}.",
        "maker": ("PREPARED BY", "(Signature and full name)"),
        "confirm": ("CONFIRMED BY THE STEERING COMMITTEE", "ON BEHALF OF THE COMMITTEE",
                    "HEAD", "(Signature and seal)"),
        "file": "Assignments - {ward}.docx",
        "no_ward": "Ward unknown",
    },
}


# ------------------------------------------------------------------------- grouping

def _ward_of(r: Returnee, lang: str) -> str:
    return r.location.ward or TEXT[lang]["no_ward"]


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
    text = TEXT[lang]
    doc = new_document()
    page_number_from_second_page(doc)
    real_ward = rows[0][0].location.ward if rows else None
    d, m, y = date_line_parts(plan.plan_date)
    if lang != "vi":
        d, m = f"{plan.plan_date.day:02d}", f"{plan.plan_date.month:02d}"
    heading_block(doc, issuing_unit_lines(roster.settings.issuing_unit, real_ward),
                  text["motto"], text["date"].format(place=place_name(real_ward), d=d, m=m,
                                                     y=y))
    para(doc, text["title"], bold=True, align="center", space_before=14)
    para(doc, text["subtitle"].format(ward=ward, date=f"{plan.plan_date:%d/%m/%Y}"),
         italic=True, align="center")
    short_rule(doc, 45, TEXT_WIDTH_MM)
    para(doc, size=6)

    mentors = {x.id: x for x in roster.mentors}
    jobs = {j.id: j for j in roster.jobs}
    trainings = {t.id: t for t in roster.trainings}
    table = layout_table(doc, LIST_WIDTHS_MM, rows=len(rows) + 1, borders=True)
    for cell, title in zip(table.rows[0].cells, text["cols"]):
        cell_text(cell, title, bold=True, align="center")
    for i, (r, a) in enumerate(rows, start=1):
        mentor = mentors.get(a.mentor_id) if a.mentor_id else None
        place = placement_text(a, jobs, trainings)
        if lang != "vi" and place.startswith("Học nghề "):
            place = "Training " + place.removeprefix("Học nghề ")
        cells = table.rows[i].cells
        cell_text(cells[0], str(i), align="center")
        cell_text(cells[1], r.full_name)
        cell_text(cells[2], str(r.birth_year), align="center")
        cell_text(cells[3], address(r, ward))
        if mentor is None:
            cell_text(cells[4], text["none"], italic=True)
        else:
            cell_text(cells[4], mentor.full_name)
            cell_text(cells[5], mentor.phone or "", align="center")
        cell_text(cells[6], place)
    repeat_header_row(table)
    with_mentor = sum(a.mentor_id is not None for _, a in rows)
    para(doc, text["total"].format(n=len(rows), m=with_mentor), size=TABLE_PT,
         space_before=6, keep_with_next=True)
    maker, confirm = text["maker"], text["confirm"]
    signature_block(doc, [("b", maker[0]), ("i", maker[1])],
                    [("b", confirm[0]), ("b", confirm[1]), ("b", confirm[2]),
                     ("i", confirm[3])])
    return to_bytes(doc)


def write_ward_lists(plan: Plan, roster: Roster, out_dir: str | Path,
                     lang: str = "vi") -> list[Path]:
    """One .docx per ward (the returnee's ward) in ``out_dir``; returns the paths."""
    if lang not in TEXT:
        raise ValueError(f"lang must be one of {tuple(TEXT)}, not {lang!r}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for ward, rows in _by_ward(plan, roster, lang).items():
        path = out / safe_file_name(TEXT[lang]["file"].format(ward=ward))
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
            raise DocumentTemplateError(f"template not found: {path}")
        data = path.read_bytes()
    parts = template_parts(data)
    unknown = template_fields(parts) - set(PLACEHOLDERS)
    if unknown:
        raise DocumentTemplateError(
            "the template names unknown placeholders: "
            + ", ".join("{{" + u + "}}" for u in sorted(unknown))
            + "; known: " + ", ".join("{{" + k + "}}" for k in PLACEHOLDERS))
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
            name = safe_file_name(f"{n:03d} Giấy phân công - {r.full_name}") + ".docx"
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
            name = safe_file_name(TEXT["vi"]["file"].format(ward=ward))
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
