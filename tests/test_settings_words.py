"""Settings and choices in words (issue 18): the roster's Settings sheet names a setting by
its Vietnamese label (with or without accents), its English label or its code, and a
choice by its Vietnamese words, English words or code; Vietnamese outputs show the
labels, never the codes."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest

from matcher import catalog, domain
from matcher.domain import CHOICES, SETTING_SPECS, choice_label, choice_of, setting_name
from matcher.errors import RosterError
from matcher.io.reader import read_roster
from matcher.text import fold, strip_accents

RETURNEES = [["Mã", "Họ và tên", "Giới tính", "Năm sinh", "Phường/Xã",
              "Ngày chấp hành xong án", "Nhóm tội danh", "Mức nguy cơ"],
             ["R1", "Lê Thị Bình", "Nữ", 1990, "Phường Hàm Rồng", dt.date(2026, 1, 5),
              "ma túy", "cao"]]
MENTORS = [["Mã", "Họ và tên", "Giới tính", "Năm sinh", "Phường/Xã"],
           ["M1", "Hoàng Văn Em", "Nam", 1960, "Phường Hàm Rồng"]]


def _roster(tmp_path, settings_rows):
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in (("Người trở về", RETURNEES), ("Cựu chiến binh", MENTORS),
                       ("Cấu hình", [["Tham số", "Giá trị"], *settings_rows])):
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    path = tmp_path / "danh_sach.xlsx"
    wb.save(path)
    return read_roster(path)


def test_every_setting_has_a_label_and_a_meaning_in_both_languages():
    seen: dict[str, str] = {}
    for spec in SETTING_SPECS:
        for lang in catalog.LANGS:
            label, meaning = spec.label(lang), spec.help(lang)
            assert label and meaning and spec.name not in label + meaning, spec.name
        vi = spec.label("vi")
        assert "_" not in vi + spec.help("vi"), spec.name
        assert fold(vi) not in seen, (spec.name, seen.get(fold(vi)))
        seen[fold(vi)] = spec.name
        # the code, either label, and the label typed without accents all name it
        for text in (spec.name, spec.label("en"), vi, strip_accents(vi), vi.upper()):
            assert setting_name(text) == spec.name, text
    assert SETTING_SPECS[1].label("vi") == "Khoảng cách tối đa cựu chiến binh – người trở về (km)"


def test_every_choice_reads_back_from_its_code_and_its_words():
    for kind, codes in CHOICES.items():
        for code in codes:
            for text in (code, choice_label(kind, code, "vi"), choice_label(kind, code, "en"),
                         strip_accents(choice_label(kind, code, "vi"))):
                assert choice_of(kind, text) == code, (kind, code, text)
    assert choice_label("gender_rule", "women_to_women", "vi") == "nữ do nữ giúp đỡ"
    assert choice_of("gender_rule", "nu do nu giup do") == "women_to_women"


def test_solver_words_are_plain_vietnamese_in_the_settings():
    text = " ".join(s.label("vi") + " " + s.help("vi") for s in SETTING_SPECS).lower()
    for word in ("chứng nhận chi phí rút gọn", "ứng viên", "bài toán luồng", "trọng số",
                 "tối ưu", "khả thi", "lời giải", "m4:", "j4:", "l2:", "tầng"):
        assert word not in text, word


@pytest.mark.parametrize("accents", [True, False])
def test_a_settings_sheet_in_vietnamese_words_reads_to_the_right_settings(tmp_path, accents):
    def typed(text):
        return text if accents else strip_accents(text).lower()

    rows = [[typed(domain.SETTINGS_BY_NAME[name].label("vi")), typed(value)
             if isinstance(value, str) else value]
            for name, value in (("plan_date", dt.date(2026, 2, 1)), ("mentor_max_km", 6),
                                ("gender_rule", "cùng giới"), ("horizon_weeks", 3),
                                ("cadence_high_days", "10"))]
    rows.append([typed("Cơ quan ban hành"), "Ban Chỉ đạo 138 phường Hàm Rồng"])
    s = _roster(tmp_path, rows).settings
    assert (s.plan_date, s.mentor_max_km, s.gender_rule, s.horizon_weeks,
            s.cadence_high_days) == (dt.date(2026, 2, 1), 6, "same_gender", 3, 10)
    assert s.issuing_unit == "Ban Chỉ đạo 138 phường Hàm Rồng"  # free text kept as typed


def test_the_women_to_women_rule_in_words_and_the_codes_still_read(tmp_path):
    for value in ("nữ do nữ giúp đỡ", "nu do nu giup do", "Nữ do nữ giúp đỡ", "women_to_women",
                  "women to women", "nữ với nữ"):
        s = _roster(tmp_path, [["Giới tính khi phân công", value]]).settings
        assert s.gender_rule == "women_to_women", value
    s = _roster(tmp_path, [["mentor_max_km", 6], ["gender_rule", "none"]]).settings
    assert (s.mentor_max_km, s.gender_rule) == (6, "none")
    s = _roster(tmp_path, [["Furthest distance mentor – returnee (km)", 7],
                           ["Gender rule", "same gender"]]).settings
    assert (s.mentor_max_km, s.gender_rule) == (7, "same_gender")


def test_problems_name_the_setting_by_its_label_never_its_code(tmp_path):
    with pytest.raises(RosterError) as exc:
        _roster(tmp_path, [["Giới tính khi phân công", "ai cũng được"],
                           ["khoang cach toi da cuu chien binh - nguoi tro ve (km)", 5000],
                           ["Không có tham số này", 1],
                           ["mentor_max_km", 4]])
    issues = {i.code: i for i in exc.value.issues}
    assert set(issues) >= {"bad_setting", "unknown_setting", "duplicate_setting"}
    text = "\n".join(i.message("vi") for i in exc.value.issues)
    assert "Giới tính khi phân công" in text and "nữ do nữ giúp đỡ" in text
    assert "Khoảng cách tối đa cựu chiến binh – người trở về (km)" in text
    for code in [s.name for s in SETTING_SPECS] + ["women_to_women", "same_gender"]:
        assert code not in text, code
    bad = [i for i in exc.value.issues if i.code == "bad_setting"]
    assert any("must be one of" in i.message("en") for i in bad)


def _codes() -> set[str]:
    """Every setting key and every choice code a Vietnamese output must not show (single
    letters and numbers aside: M/F, risk 1-3 are not words)."""
    from matcher.plan import TIER_SENSE

    codes = {s.name for s in SETTING_SPECS}
    codes |= {c for cs in CHOICES.values() for c in cs if isinstance(c, str) and len(c) > 1}
    return codes | set(TIER_SENSE)  # and the objectives' codes (M1, J4, ...)


def _code_cells(path, codes) -> tuple[int, list]:
    import re

    from openpyxl import load_workbook

    found, cells = [], 0
    for ws in load_workbook(path).worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    cells += 1
                    words = set(re.findall(r"[A-Za-z][A-Za-z0-9_\-]*", cell.value))
                    found += [(ws.title, cell.coordinate, w) for w in words & codes]
    return cells, found


def test_the_vietnamese_plan_workbook_of_the_sample_shows_no_setting_key_or_code(tmp_path):
    """Every cell of every sheet of the sample's Vietnamese plan workbook, and of the plan
    made again from it (a rerun: the changes and the previous plan's summary): no setting
    key, no choice code (women_to_women, follow-up, require, ...), no objective code."""
    from pathlib import Path

    from matcher.io.plan_reader import load_previous
    from matcher.io.plan_writer import write_plan_workbook
    from matcher.solve import solve

    codes = _codes()
    assert {"mentor_max_km", "gender_rule", "women_to_women", "same_gender", "none",
            "follow-up", "require", "forbid", "business", "kept", "M1", "J4"} <= codes
    roster = read_roster(Path(__file__).resolve().parents[1] / "data/sample/roster.xlsx")
    plan = solve(roster)
    assert plan.visits and plan.loans  # the sheets with kinds and purposes are there
    path = tmp_path / "ke_hoach.xlsx"
    write_plan_workbook(plan, roster, path, lang="vi")
    cells, found = _code_cells(path, codes)
    assert cells > 1000
    assert not found, found[:20]
    again = solve(roster, previous=load_previous(path, roster))
    assert again.changes
    path2 = tmp_path / "ke_hoach_lap_lai.xlsx"
    write_plan_workbook(again, roster, path2, lang="vi")
    cells, found = _code_cells(path2, codes | {"counts", "previous"})  # the changes' keys
    assert not found, found[:20]


def test_every_roster_choice_word_reads_back_through_the_cell_parsers():
    """The words the template's drop-downs and the Vietnamese roster writer use (the
    catalogue's) parse back to their codes, accented or not."""
    from matcher import values

    tables = {"gender": values.GENDER_WORDS, "offense": values.OFFENSE_WORDS,
              "risk": values.RISK_WORDS, "specialty": values.SPECIALTY_WORDS,
              "shift": values.SHIFT_WORDS, "schedule": values.SCHEDULE_WORDS,
              "rule": values.RULE_WORDS, "loan_purpose": values.LOAN_PURPOSE_WORDS}
    for kind, table in tables.items():
        for code in CHOICES[kind]:
            for lang in catalog.LANGS:
                word = choice_label(kind, code, lang)
                for typed in (word, strip_accents(word)):
                    assert values.parse_choice(typed, table) == str(code), (kind, typed)


def test_the_vietnamese_blank_template_shows_no_setting_key_or_code(tmp_path):
    """Every cell of every sheet of the Vietnamese blank template (instructions, data
    sheets, the hidden lists, Settings), its header notes and drop-down prompts: no
    setting key, no choice code; the Settings sheet names each setting by its label."""
    from openpyxl import load_workbook

    from matcher.io.template import write_template

    path = tmp_path / "mau.xlsx"
    write_template(path)
    codes = _codes()
    cells, found = _code_cells(path, codes)
    assert cells > 300 and not found, found[:20]
    wb = load_workbook(path)
    texts = [c.comment.text for ws in wb.worksheets for row in ws.iter_rows() for c in row
             if c.comment]
    texts += [t for ws in wb.worksheets for dv in ws.data_validations.dataValidation
              for t in (dv.prompt, dv.error, dv.errorTitle) if t]
    import re
    assert texts
    for t in texts:
        assert not set(re.findall(r"[A-Za-z][A-Za-z0-9_\-]*", t)) & codes, t
    labels = [row[0] for row in wb["Cấu hình"].iter_rows(min_row=2, values_only=True)]
    assert labels == [s.label("vi") for s in SETTING_SPECS]


def test_a_row_the_domain_refuses_is_explained_in_vietnamese_words(tmp_path):
    """A domain object's own check (a Pairs row naming a mentor and a job) reaches the
    Vietnamese report in words, without column codes; every domain.* message likewise."""
    import re

    from matcher.domain import PairRule

    with pytest.raises(ValueError) as exc:
        PairRule("R1", mentor_id="M1", job_id="J1")
    said = exc.value.args[0]
    assert "mentor_id" in str(said) and "mentor_id" not in said.vi
    codes = _codes() | {"mentor_id", "job_id", "training_id", "returnee_id", "full_name",
                        "birth_year", "loan_amount", "max_km", "min_age", "max_age"}
    for key in (k for k in catalog.all_keys() if k.startswith("domain.")):
        vi = catalog._template(key, "vi", None)
        assert not set(re.findall(r"[A-Za-z][A-Za-z0-9_\-]*", re.sub(r"\{\w+\}", "", vi))) \
            & codes, (key, vi)
        assert "_" not in re.sub(r"\{\w+\}", "", vi), (key, vi)
