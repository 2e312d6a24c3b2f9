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
