"""The one-page assignment of a mentor to a returnee (Giấy phân công người giúp đỡ): the
placeholders an editable ``.docx`` template may use, the default template, and the values
of one pair.

The default template ships as ``data/templates/phan_cong.docx``; it is built by
:func:`build_default_template` (``python data/templates/make_phan_cong.py`` rebuilds it),
and built in memory when the file is not there (an installed package without the data
folder). A coordinator copies it, edits the wording in Word and passes the copy
(``--doc-template FILE``); every ``{{name}}`` in :data:`PLACEHOLDERS` is filled in.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from matcher import catalog
from matcher.domain import Job, Mentor, Returnee, Roster, Training
from matcher.io.docx_format import (
    date_line_parts,
    heading_block,
    new_document,
    para,
    place_name,
    short_rule,
    signature_block,
    to_bytes,
)
from matcher.plan import Assignment, Plan
from matcher.text import fold

DEFAULT_TEMPLATE = Path(__file__).resolve().parents[2] / "data" / "templates" / "phan_cong.docx"

# the placeholders a template may hold; what each is replaced with is the catalogue's
# "doc.placeholder.<name>" (placeholder_help; the README's table lists the same)
PLACEHOLDERS: tuple[str, ...] = (
    "co_quan_cap_tren", "don_vi_ban_hanh", "dia_danh", "ngay", "thang", "nam",
    "ngay_ke_hoach", "phuong_xa", "danh_xung", "ho_ten_nguoi_duoc_giup", "nam_sinh",
    "dia_chi", "ngay_chap_hanh_xong", "danh_xung_ccb", "ho_ten_ccb", "nam_sinh_ccb",
    "dien_thoai_ccb", "dia_chi_ccb", "viec_lam", "lan_tham_dau", "chu_ky_tham",
)


def placeholder_help(name: str, lang: str = "vi") -> str:
    """What a placeholder is replaced with, in words."""
    return catalog.text(f"doc.placeholder.{name}", lang)


BLANK = "……………"


# ------------------------------------------------------------------------- values

def issuing_unit_lines(setting: str | None, ward: str | None) -> list[str]:
    """The issuing unit as printed, one line per entry (upper case): the setting's lines,
    or "BAN CHỈ ĐẠO 138" and the ward's name."""
    if setting and setting.strip():
        lines = [x.strip() for x in setting.replace("\r", "\n").split("\n") if x.strip()]
        return [x.upper() for x in lines]
    unit = catalog.text("doc.unit_default", "vi")
    return [f"{unit} {ward.split(',')[0].strip()}".upper() if ward else unit]


def address(person: Returnee | Mentor, ward_text: str) -> str:
    """The street address when the roster has such a column, then the ward."""
    for key, value in (person.extra or {}).items():
        words = fold(str(key))
        if (words.startswith("dia chi") or words in ("address", "noi o", "so nha")) and \
                value not in (None, ""):
            text = str(value).strip()
            return text if fold(ward_text) in fold(text) else f"{text}, {ward_text}"
    return ward_text


def placement_text(assignment: Assignment, jobs: dict[str, Job],
                   trainings: dict[str, Training], *, sentence: bool = False,
                   lang: str = "vi") -> str:
    """The job or course the plan gives, in a ward officer's words ("" when none): for a
    table cell "Công ty … (bảo vệ)" / "Học nghề may mặc: Trung tâm …"; in a sentence
    "làm việc tại Công ty … (bảo vệ)" / "học nghề may mặc tại Trung tâm …"."""
    end = "_sentence" if sentence else ""
    if assignment.job_id and assignment.job_id in jobs:
        j = jobs[assignment.job_id]
        return catalog.text("doc.place.job" + end, lang, employer=j.employer, sector=j.sector)
    if assignment.training_id and assignment.training_id in trainings:
        t = trainings[assignment.training_id]
        return catalog.text("doc.place.training" + end, lang, sector=t.sector,
                            provider=t.provider)
    return ""


def title(gender: str, lang: str = "vi") -> str:
    return catalog.text("doc.title.F" if gender == "F" else "doc.title.M", lang)


def pair_values(plan: Plan, roster: Roster, assignment: Assignment, ward: str,
                first_visit: dt.date | None, lang: str = "vi") -> dict[str, str]:
    """Every placeholder's text for one pair (the paper is Vietnamese: ``lang`` "vi")."""
    r = roster.returnee(assignment.returnee_id)
    m = roster.mentor(assignment.mentor_id or "")
    jobs = {j.id: j for j in roster.jobs}
    trainings = {t.id: t for t in roster.trainings}
    unit = issuing_unit_lines(roster.settings.issuing_unit, ward)
    day, month, year = date_line_parts(plan.plan_date)
    cadence = roster.settings.cadence_days(r.risk)
    mentor_ward = m.location.ward or BLANK
    first_days = roster.settings.first_visit_days
    return {
        "co_quan_cap_tren": "\n".join(unit[:-1]),
        "don_vi_ban_hanh": unit[-1],
        "dia_danh": place_name(ward),
        "ngay": day, "thang": month, "nam": year,
        "ngay_ke_hoach": catalog.date(plan.plan_date, lang),
        "phuong_xa": ward,
        "danh_xung": title(r.gender, lang),
        "ho_ten_nguoi_duoc_giup": r.full_name,
        "nam_sinh": str(r.birth_year),
        "dia_chi": address(r, ward),
        "ngay_chap_hanh_xong": catalog.date(r.release_date, lang),
        "danh_xung_ccb": title(m.gender, lang),
        "ho_ten_ccb": m.full_name,
        "nam_sinh_ccb": str(m.birth_year),
        "dien_thoai_ccb": m.phone or BLANK,
        "dia_chi_ccb": address(m, mentor_ward),
        "viec_lam": (placement_text(assignment, jobs, trainings, sentence=True, lang=lang)
                     or catalog.text("doc.assign.none_yet", lang)),
        "lan_tham_dau": (catalog.text("doc.assign.first_on", lang,
                                      date=catalog.date(first_visit, lang)) if first_visit
                         else catalog.ntext("doc.assign.first_within", first_days, lang)),
        "chu_ky_tham": catalog.ntext("doc.assign.cadence", cadence, lang),
    }


# ------------------------------------------------------------------------- the template

def default_template_bytes() -> bytes:
    """The shipped template, or the same built in memory when the file is missing."""
    if DEFAULT_TEMPLATE.is_file():
        return DEFAULT_TEMPLATE.read_bytes()
    return build_default_template()


def build_default_template(lang: str = "vi") -> bytes:
    """The default Giấy phân công as .docx bytes, with placeholders; its words are the
    catalogue's ``doc.assign.*`` (Vietnamese: the paper a ward committee signs)."""

    def t(key: str) -> str:
        return catalog.text("doc." + key, lang)

    doc = new_document()
    heading_block(doc, ["{{co_quan_cap_tren}}", "{{don_vi_ban_hanh}}"],
                  (t("motto.country"), t("motto.words")), t("assign.date_line"),
                  number_line=t("assign.number"), upper=False)
    para(doc, t("assign.title"), bold=True, align="center", space_before=14)
    para(doc, t("assign.subtitle"), bold=True, align="center")
    short_rule(doc, 45, 165)
    body = {"align": "justify", "indent_first_mm": 10, "space_after": 3}
    para(doc, t("assign.basis_decree"), italic=True, space_before=6, **body)
    para(doc, t("assign.basis_plan"), italic=True, **body)
    para(doc, t("assign.assigns"), bold=True, align="center", space_before=3, space_after=3)
    para(doc, t("assign.mentor"), **body)
    para(doc, t("assign.returnee"), **body)
    para(doc, t("assign.duties"), bold=True, space_before=3, **body)
    for duty in ("duty1", "duty2", "duty3", "duty4"):
        para(doc, t("assign." + duty), **body)
    para(doc, t("assign.effect"), **body)
    signature_block(doc, [
        ("small-bi", t("assign.recipients")),
        ("small", t("assign.to_mentor")),
        ("small", t("assign.to_returnee")),
        ("small", t("assign.filed")),
    ], [
        ("b", t("on_behalf")),
        ("b", t("head")),
        ("i", t("sign_seal")),
    ], space_before=6)
    return to_bytes(doc)
