"""Reading rosters: both languages, every value format, every planted problem, no crash."""

from __future__ import annotations

import csv
import datetime as dt
import os
import tempfile
import unicodedata
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matcher.domain import Location, Roster
from matcher.errors import ERROR, MESSAGES, WARNING, RosterError
from matcher.gazetteer import Gazetteer
from matcher.io.reader import overrides_from_args, read_roster
from matcher.io.report import count_line, format_report

HAM_RONG = Gazetteer.bundled().resolve("Phường Hàm Rồng").point
HAC_THANH = Gazetteer.bundled().resolve("Phường Hạc Thành").point


def write_xlsx(path: Path, sheets: dict[str, list[list]]) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path


def read_or_issues(source, **kw) -> Roster | list:
    try:
        return read_roster(source, **kw)
    except RosterError as exc:
        return exc.issues


# --------------------------------------------------------------------------------------
# 1. The same roster in English and in Vietnamese

D = dt.date


def english_sheets() -> dict[str, list[list]]:
    return {
        "Returnees": [
            ["id", "full_name", "gender", "birth_year", "ward", "lat", "lon", "release_date",
             "offense", "risk", "skills", "wants_job", "wants_training", "max_commute_km",
             "work_away_from_home", "availability", "group", "needs_loan", "notes"],
            ["R1", "Nguyễn Văn An", "M", 1990, "Phường Hàm Rồng", None, None, D(2025, 3, 15),
             "drugs", 3, "Xây dựng, May mặc", "yes", "no", 10, "no", "Mon-Fri evening", "G1",
             "yes", "call first"],
            ["R2", "Lê Thị Bình", "F", 1995, "Phường Hạc Thành", 19.81, 105.77, D(2025, 4, 1),
             "property", 1, None, "no", "yes", None, "yes", None, None, "no", None],
            ["R3", "Trần Văn Cường", "M", 1988, "Phường Hàm Rồng", None, None, D(2025, 5, 2),
             "violence", 2, "Hàn", "yes", "yes", 7.5, "no", None, "G1", None, None],
            ["R4", "Phạm Văn Dũng", "M", 2000, "Khu tái định cư Đông Bắc", None, None,
             D(2025, 6, 30), "traffic", 1, None, None, None, None, None, None, None, None, None],
        ],
        "Mentors": [
            ["id", "full_name", "gender", "birth_year", "ward", "lat", "lon", "phone",
             "capacity", "hours_per_month", "max_risk", "specialties", "max_km",
             "availability", "active"],
            ["M1", "Hoàng Văn Em", "M", 1960, "Phường Hàm Rồng", None, None, "0912345678", 3,
             12, 3, "drugs, jobs", 4, "Sat", "yes"],
            ["M2", "Ngô Thị Phương", "F", 1965, "Phường Hạc Thành", 19.805, 105.775, None, None,
             None, 2, "women", None, None, None],
        ],
        "Jobs": [
            ["id", "employer", "sector", "ward", "lat", "lon", "slots", "min_age", "max_age",
             "shift", "excluded_offenses", "entry_level", "start_date"],
            ["J1", "Công ty May Hưng Phát", "May mặc", "Phường Hạc Thành", None, None, 3, 18, 45,
             "night", "drugs, fraud", "yes", D(2025, 7, 1)],
            ["J2", "Công ty Xây dựng Số 1", "Xây dựng", "Phường Hạc Thành", None, None, 2, None,
             None, None, None, None, None],
        ],
        "Training": [
            ["id", "provider", "sector", "ward", "lat", "lon", "seats", "start_date", "schedule"],
            ["T1", "Trường nghề Thanh Hóa", "Hàn", "Phường Hạc Thành", None, None, 10,
             D(2025, 8, 1), "evening"],
            ["T2", "Trung tâm dạy nghề", "May mặc", "Phường Hàm Rồng", None, None, 5, None, None],
        ],
        "Pairs": [
            ["returnee_id", "mentor_id", "job_id", "rule", "reason", "affinity",
             "travel_minutes", "visit_hours_per_month"],
            ["R1", "M1", None, "require", "neighbours", None, 15, 4],
            ["R2", "M1", None, "forbid", "family feud", None, None, None],
            ["R3", None, "J2", None, None, 5, None, None],
        ],
        "Settings": [
            ["key", "value"],
            ["plan_date", D(2025, 3, 1)],
            ["gender_rule", "same_gender"],
            ["mentor_max_km", 7.5],
            ["horizon_weeks", 6],
        ],
        "Gazetteer": [
            ["name", "lat", "lon"],
            ["Khu tái định cư Đông Bắc", 19.85, 105.80],
        ],
        "Notes": [["anything", "here"], [1, 2]],
    }


def vietnamese_sheets() -> dict[str, list[list]]:
    """The same content the way a Vietnamese coordinator might type it."""
    return {
        "NGUOI TRO VE": [
            [],
            ["Mã", "Họ và tên", "Giới tính", "Năm sinh", "Phuong/Xa", "Vi do", "Kinh độ",
             "Ngày chấp hành xong án", "Nhom toi danh", "Mức nguy cơ", "Kỹ năng/Nghề",
             "Cần việc làm", "can hoc nghe", "Đi làm tối đa (km)", "Muốn làm xa nơi ở",
             "Thời gian rảnh", "Nhóm đồng phạm", "Cần vay vốn", "Ghi chú"],
            ["R1", "Nguyễn Văn An", "Nam", "1990", "Phuong Nam Ngan", None, None, "15/03/2025",
             "ma túy", "cao", "xay dung; may mac", "có", "không", "10", "k", "Mon-Fri evening",
             "G1", "x", "gọi trước"],
            [],
            ["R2", "Lê Thị Bình", "Nữ", 1995, "dien bien", "19,81", "105,77", "01/04/2025",
             "trộm cắp tài sản", "thấp", None, "không", "có", None, "có", None, None, "0", None],
            ["R3", "Trần Văn Cường", "nam", 1988, "ham rong", None, None, "2025-05-02",
             "cố ý gây thương tích", "Trung bình", "han", 1, "x", "7,5", 0, None, "G1", None,
             None],
            ["R4", "Phạm Văn Dũng", "NAM", 2000, "khu tai dinh cu dong bac", None, None,
             "30/06/2025", "giao thông", "thấp", None, None, None, None, None, None, None, None,
             None],
        ],
        "Cuu chien binh": [
            ["Mã", "Họ và tên", "Giới tính", "Năm sinh", "Phường/Xã", "Vĩ độ", "Kinh độ",
             "Điện thoại", "Số người giúp đỡ tối đa", "Số giờ/tháng", "Nhận mức nguy cơ tối đa",
             "Chuyên môn", "Khoảng cách tối đa (km)", "Thời gian rảnh", "Còn hoạt động"],
            ["M1", "Hoàng Văn Em", "Nam", 1960, "Phuong Dong Cuong", None, None, "0912345678",
             "3", "12", "cao", "ma túy, việc làm", "4", "Sat", "có"],
            ["M2", "Ngô Thị Phương", "nữ", 1965, "Hac Thanh", "19,805", "105,775", None, None,
             None, "trung bình", "phụ nữ", None, None, None],
        ],
        "viec lam": [
            ["Mã", "Doanh nghiệp", "Ngành", "Phường/Xã", "Vĩ độ", "Kinh độ", "Số lượng",
             "Tuổi tối thiểu", "Tuổi tối đa", "Ca làm", "Không nhận nhóm tội",
             "Không cần tay nghề", "Ngày bắt đầu"],
            ["J1", "Công ty May Hưng Phát", "May mặc", "Phuong Truong Thi, TP Thanh Hoa", None,
             None, 3, 18, 45, "đêm", "ma túy; lừa đảo", "x", "01/07/2025"],
            ["J2", "Công ty Xây dựng Số 1", "Xây dựng", "Phuong Hac Thanh", None, None, 2, None,
             None, None, None, None, None],
        ],
        "Học nghề": [
            ["Mã", "Cơ sở đào tạo", "Ngành", "Phường/Xã", "Vĩ độ", "Kinh độ", "Số chỗ",
             "Ngày khai giảng", "Lịch học"],
            ["T1", "Trường nghề Thanh Hóa", "Hàn", "Dien Bien", None, None, 10, "01/08/2025",
             "tối"],
            ["T2", "Trung tâm dạy nghề", "May mặc", "Nam Ngan", None, None, 5, None, None],
        ],
        "Cap chi dinh": [
            ["Mã người trở về", "Mã cựu chiến binh", "Mã việc làm", "Quy tắc", "Lý do",
             "Điểm ưu tiên", "Phút đi lại", "Giờ thăm/tháng"],
            ["R1", "M1", None, "bắt buộc", "neighbours", None, "15", "4"],
            ["R2", "M1", None, "cấm", "family feud", None, None, None],
            ["R3", None, "J2", None, None, "5", None, None],
        ],
        "Cau hinh": [
            ["Tham số", "Giá trị"],
            ["plan_date", "01/03/2025"],
            ["Gender rule", "cung gioi"],
            ["MENTOR_MAX_KM", "7,5"],
            ["horizon_weeks", "6"],
        ],
        "Danh muc dia ban": [
            ["Tên", "Vĩ độ", "Kinh độ"],
            ["Khu tái định cư Đông Bắc", "19,85", "105,80"],
        ],
        "Hướng dẫn": [["Điền đầy đủ các trang"]],
    }


def test_english_and_vietnamese_workbooks_give_equal_rosters(tmp_path):
    """The same roster typed in English and in Vietnamese (unaccented names, old wards,
    dd/mm/yyyy text, Vietnamese enums) reads to exactly equal Roster objects."""
    en = read_roster(write_xlsx(tmp_path / "en.xlsx", english_sheets()))
    vi = read_roster(write_xlsx(tmp_path / "vi.xlsx", vietnamese_sheets()))
    assert en.returnees == vi.returnees
    assert en.mentors == vi.mentors
    assert en.jobs == vi.jobs
    assert en.trainings == vi.trainings
    assert en.pairs == vi.pairs
    assert en.settings == vi.settings
    assert en == vi
    # and the content is what was meant
    assert [r.id for r in en.returnees] == ["R1", "R2", "R3", "R4"]
    r1, r2, r3, r4 = en.returnees
    assert r1.location == Location(HAM_RONG.lat, HAM_RONG.lon, "Phường Hàm Rồng", True, False)
    assert r2.location == Location(19.81, 105.77, "Phường Hạc Thành")
    assert r4.location.ward == "Khu tái định cư Đông Bắc"
    assert (r4.location.lat, r4.location.lon) == (19.85, 105.80)
    assert (r1.offense, r2.offense, r3.offense, r4.offense) == (
        "drugs", "property", "violence", "traffic")
    assert (r1.risk, r2.risk, r3.risk) == (3, 1, 2)
    assert r1.skills == frozenset({"xay dung", "may mac"})
    assert r1.needs_loan and not r2.needs_loan and r2.work_away_from_home
    assert r1.release_date == D(2025, 3, 15) and r3.release_date == D(2025, 5, 2)
    assert vi.returnees[1].row == 5  # blank row 1 and blank row 4 still count
    assert en.mentors[1].capacity == 2 and en.mentors[0].specialties == {"drugs", "jobs"}
    assert en.jobs[0].excluded_offenses == {"drugs", "fraud"} and en.jobs[0].shift == "night"
    assert en.jobs[0].location.ward == "Phường Hạc Thành"
    assert en.trainings[0].schedule == "evening" and en.trainings[1].schedule == "day"
    assert en.pairs[0].rule == "require" and en.pairs[1].rule == "forbid"
    assert en.pairs[2].job_id == "J2" and en.pairs[2].affinity == 5
    assert en.settings.plan_date == D(2025, 3, 1)
    assert en.settings.gender_rule == "same_gender" and en.settings.mentor_max_km == 7.5
    assert en.returnees[0].extra == {"notes": "call first"}
    assert vi.returnees[0].extra == {"Ghi chú": "gọi trước"}
    # old names are read, with an informative warning
    old = [w for w in vi.warnings if w.code == "old_ward_name"]
    assert old and all(w.severity == WARNING for w in old)
    assert not [w for w in en.warnings if w.code == "old_ward_name"]
    assert [s.name for s in vi.sources] == ["vi.xlsx"] and len(vi.sources[0].sha256) == 64


# --------------------------------------------------------------------------------------
# 2. Planted problems: every one reported, with its place

PLANTED: list[tuple[str, int, str, str]] = []


def planted_sheets() -> dict[str, list[list]]:
    """A roster with 30 planted problems of 20 kinds; PLANTED lists (sheet, row, col, code)."""
    ret_header = ["id", "full_name", "gender", "birth_year", "ward", "lat", "lon",
                  "release_date", "offense", "risk", "wants_job"]

    def ret(rid, **kw):
        base = {"id": rid, "full_name": f"Person {rid}", "gender": "M", "birth_year": 1990,
                "ward": "Phường Hàm Rồng", "lat": None, "lon": None,
                "release_date": D(2025, 5, 1), "offense": "drugs", "risk": 2, "wants_job": "yes"}
        base.update(kw)
        return [base[h] for h in ret_header]

    returnees = [
        ret_header,
        ret("R1"),
        ret("R2", gender="X"),
        ret("R1", full_name="Someone else"),
        ret("R4", birth_year="abc"),
        ret("R5", birth_year=1850),
        ret("R6", release_date="31/02/2025"),
        ret("R7", release_date=D(1950, 1, 1)),
        ret("R8", ward="Phuong Khong Ton Tai"),
        ret("R9", ward="Quang Trung"),
        ret("R10", full_name=None),
        ret("R11", risk=5),
        ret("R12", lat=95, lon=105.7),
        ret("R13", offense="murder"),
        ret("R14", wants_job="maybe"),
        ret("R15", ward=None, lat=19.8),
        ret("R16", ward=None),
        ret("R17", release_date="next spring"),
        ret("R18", birth_year=2010, release_date=D(2005, 1, 1)),
    ]
    mentors = [
        ["id", "full_name", "birth_year", "ward", "capacity", "max_risk", "specialties"],
        ["M1", "Mentor One", 1960, "Phường Hàm Rồng", -1, 3, None],
        ["M2", "Mentor Two", 1961, "Phường Hàm Rồng", 2, "very high", None],
        ["M3", "Mentor Three", 1962, "Phường Hàm Rồng", 2, 3, "cooking"],
    ]
    jobs = [
        ["id", "employer", "sector", "ward", "slots", "min_age", "max_age", "shift"],
        ["J1", "Company", "may mac", "Phường Hàm Rồng", 2, 40, 20, None],
        ["J2", "Company", "may mac", "Phường Hàm Rồng", "many", None, None, None],
        ["J3", "Company", "may mac", "Phường Hàm Rồng", 1, None, None, "morning"],
        ["J3", "Company", "may mac", "Phường Hàm Rồng", 1, None, 200, None],
    ]
    pairs = [
        ["returnee_id", "mentor_id", "job_id", "rule", "reason"],
        ["R99", "M1", None, "require", None],
        ["R1", None, None, "forbid", None],
        ["R1", "M1", None, "require", None],
        ["R1", "M1", None, "forbid", None],
        ["R1", None, "J99", None, None],
        ["R1", "M2", None, "sometimes", None],
    ]
    settings_rows = [
        ["key", "value"],
        ["colour", "blue"],
        ["mentor_max_km", "far"],
        ["plan_date", D(2025, 6, 1)],
        ["horizon_weeks", 500],
    ]
    PLANTED[:] = [
        ("Returnees", 3, "gender", "bad_choice"),
        ("Returnees", 4, "id", "duplicate_id"),
        ("Returnees", 5, "birth_year", "wrong_type"),
        ("Returnees", 6, "birth_year", "out_of_range"),
        ("Returnees", 7, "release_date", "impossible_date"),
        ("Returnees", 8, "release_date", "implausible_date"),
        ("Returnees", 9, "ward", "unknown_ward"),
        ("Returnees", 10, "ward", "ambiguous_ward"),
        ("Returnees", 11, "full_name", "empty_required"),
        ("Returnees", 12, "risk", "out_of_range"),
        ("Returnees", 13, "lat", "out_of_range"),
        ("Returnees", 14, "offense", "bad_choice"),
        ("Returnees", 15, "wants_job", "wrong_type"),
        ("Returnees", 16, "lon", "half_coordinates"),
        ("Returnees", 17, "ward", "no_location"),
        ("Returnees", 18, "release_date", "wrong_type"),
        ("Returnees", 19, "release_date", "implausible_date"),
        ("Mentors", 1, "gender", "missing_column"),
        ("Mentors", 2, "capacity", "out_of_range"),
        ("Mentors", 3, "max_risk", "bad_choice"),
        ("Mentors", 4, "specialties", "bad_choice"),
        ("Jobs", 2, "max_age", "age_limits"),
        ("Jobs", 3, "slots", "wrong_type"),
        ("Jobs", 4, "shift", "bad_choice"),
        ("Jobs", 5, "id", "duplicate_id"),
        ("Jobs", 5, "max_age", "out_of_range"),
        ("Pairs", 2, "returnee_id", "unknown_reference"),
        ("Pairs", 3, "mentor_id", "pair_needs_target"),
        ("Pairs", 5, "rule", "conflicting_rules"),
        ("Pairs", 6, "job_id", "unknown_reference"),
        ("Pairs", 7, "rule", "bad_choice"),
        ("Settings", 2, "key", "unknown_setting"),
        ("Settings", 3, "value", "bad_setting"),
        ("Settings", 5, "value", "bad_setting"),
    ]
    return {"Returnees": returnees, "Mentors": mentors, "Jobs": jobs, "Pairs": pairs,
            "Settings": settings_rows}


def write_planted(path: Path) -> Path:
    return write_xlsx(path, planted_sheets())


def test_planted_problems_are_all_reported_with_their_place(tmp_path):
    """A roster with 34 planted problems of 19 kinds raises RosterError listing every one
    at its sheet, Excel row and column, and builds no object from a bad row."""
    path = write_planted(tmp_path / "bad.xlsx")
    with pytest.raises(RosterError) as info:
        read_roster(path)
    issues = info.value.issues
    found = {(i.sheet, i.row, i.column, i.code) for i in issues}
    missing = [p for p in PLANTED if p not in found]
    assert not missing, missing
    assert len(PLANTED) >= 20 and len({p[3] for p in PLANTED}) >= 12
    # nothing spurious: every error is one we planted
    planted = set(PLANTED)
    extra_errors = [(i.sheet, i.row, i.column, i.code) for i in issues
                    if i.severity == ERROR and (i.sheet, i.row, i.column, i.code) not in planted]
    assert not extra_errors, extra_errors
    # each message is complete (no unfilled placeholder) in both languages
    for issue in issues:
        for lang in ("en", "vi"):
            text = issue.message(lang)
            assert "{" not in text, (issue.code, lang, text)
    by_key = {(i.sheet, i.row, i.column, i.code): i for i in issues}
    choice = by_key[("Returnees", 3, "gender", "bad_choice")]
    assert "Nam" in choice.message() and "'X'" in choice.message()
    ambiguous = by_key[("Returnees", 10, "ward", "ambiguous_ward")]
    assert "Phường Quang Trung" in ambiguous.message()
    wrong = by_key[("Returnees", 5, "birth_year", "wrong_type")]
    assert wrong.params["expected"] and wrong.params["expected_vi"] and wrong.params["example"]


def test_missing_required_sheets_and_empty_sheets(tmp_path):
    """Missing Returnees/Mentors sheets are reported by name; unknown sheets are ignored;
    an empty required sheet and a header-only Returnees sheet are errors."""
    path = write_xlsx(tmp_path / "x.xlsx", {"Jobs": [["id"]], "Random": [["a"], [1]]})
    issues = read_or_issues(path)
    assert {(i.sheet, i.code) for i in issues if i.code == "missing_sheet"} == {
        ("Returnees", "missing_sheet"), ("Mentors", "missing_sheet")}
    path = write_xlsx(tmp_path / "y.xlsx", {
        "Người trở về": [["Mã", "Họ và tên", "Giới tính", "Năm sinh", "Phường/Xã",
                          "Ngày chấp hành xong án", "Nhóm tội danh", "Mức nguy cơ"]],
        "Cựu chiến binh": []})
    issues = read_or_issues(path)
    codes = {(i.sheet, i.code, i.severity) for i in issues}
    assert ("Người trở về", "no_rows", ERROR) in codes
    assert ("Cựu chiến binh", "empty_sheet", ERROR) in codes


def test_two_sheets_for_one_table_and_duplicate_columns(tmp_path):
    """Two sheets meaning Returnees, or two columns meaning one field, are reported."""
    header = ["id", "full_name", "gender", "birth_year", "ward", "release_date", "offense",
              "risk"]
    row = ["R1", "A", "M", 1990, "Phường Hàm Rồng", D(2025, 1, 1), "drugs", 1]
    path = write_xlsx(tmp_path / "x.xlsx", {
        "Returnees": [header, row], "Người trở về": [header, row],
        "Mentors": [["id", "full_name", "gender", "birth_year", "ward", "Mã"],
                    ["M1", "B", "M", 1960, "Phường Hàm Rồng", "M1"]]})
    issues = read_or_issues(path)
    codes = {(i.sheet, i.row, i.column, i.code) for i in issues}
    assert ("Người trở về", None, None, "ambiguous_sheet") in codes
    assert ("Mentors", 1, "Mã", "duplicate_column") in codes


def test_coordinates_with_an_unknown_ward_are_a_warning_not_an_error(tmp_path):
    """With lat/lon present an unresolvable ward is a warning and the coordinates are used;
    flagged ward points, zero capacity and inactive mentors are warnings too."""
    sheets = {
        "Returnees": [["id", "full_name", "gender", "birth_year", "ward", "lat", "lon",
                       "release_date", "offense", "risk"],
                      ["R1", "A", "M", 1990, "Nowhere", 19.8, 105.8, D(2025, 1, 1), "drugs", 1],
                      ["R2", "B", "M", 1990, "Xã Ba Đình", None, None, D(2025, 1, 1), "drugs",
                       1]],
        "Mentors": [["id", "full_name", "gender", "birth_year", "ward", "capacity", "active"],
                    ["M1", "C", "M", 1960, "Phường Hàm Rồng", 0, "không"]],
    }
    roster = read_roster(write_xlsx(tmp_path / "x.xlsx", sheets))
    r1, r2 = roster.returnees
    assert r1.location == Location(19.8, 105.8, "Nowhere")
    assert r2.location.from_ward_point and r2.location.unreliable
    codes = {(w.sheet, w.row, w.column, w.code) for w in roster.warnings}
    assert ("Returnees", 2, "ward", "unknown_ward") in codes
    assert ("Returnees", 3, "ward", "unreliable_point") in codes
    assert ("Returnees", 3, "ward", "ward_point") in codes
    assert ("Mentors", 2, "capacity", "zero_capacity") in codes
    assert ("Mentors", 2, "active", "inactive_mentor") in codes
    assert all(w.severity == WARNING for w in roster.warnings)
    assert roster.mentors[0].active is False and roster.mentors[0].capacity == 0


def test_overrides_apply_over_the_settings_sheet(tmp_path):
    """--set values replace the Settings sheet; unknown keys, bad values and malformed
    key=value strings are reported."""
    path = write_xlsx(tmp_path / "x.xlsx", minimal_sheets(settings=[["mentor_max_km", 3]]))
    assert read_roster(path).settings.mentor_max_km == 3
    roster = read_roster(path, overrides={"mentor_max_km": "9", "gender_rule": "none"})
    assert roster.settings.mentor_max_km == 9 and roster.settings.gender_rule == "none"
    issues = read_or_issues(path, overrides={"nope": "1", "horizon_weeks": "x"})
    assert {i.code for i in issues} >= {"unknown_setting", "bad_setting"}
    with pytest.raises(RosterError) as info:
        overrides_from_args(["a=1", "broken"])
    assert [i.code for i in info.value.issues] == ["bad_override"]
    assert overrides_from_args(["a = 1", "plan_date=2025-01-01"]) == {
        "a": "1", "plan_date": "2025-01-01"}


def test_far_stray_cell_is_refused_not_a_crash(tmp_path):
    """One stray value at XFD1048576 would make calamine allocate terabytes and abort the
    process; the reader refuses the sheet with a plain issue instead."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Returnees"
    ws.append(["id", "full_name"])
    ws["XFD1048576"] = "oops"
    wb.create_sheet("Notes")["XFD1048576"] = "ignored sheet: not read at all"
    wb.save(tmp_path / "far.xlsx")
    issues = read_or_issues(tmp_path / "far.xlsx")
    assert [(i.code, i.sheet) for i in issues] == [("sheet_too_large", "far.xlsx")]
    assert "XFD1048576" in issues[0].message()


def test_report_groups_by_sheet_errors_first_with_count_line(tmp_path):
    """format_report groups by sheet, sorts by row, lists errors before warnings, caps
    repeated warnings and ends with '<n> errors, <m> warnings'."""
    issues = read_or_issues(write_planted(tmp_path / "bad.xlsx"))
    text = format_report(issues)
    n_err = sum(i.severity == ERROR for i in issues)
    assert text.splitlines()[-1] == count_line(issues)
    assert count_line(issues) == f"{n_err} errors, 1 warning"
    assert text.index("\nMentors\n") < text.index("\nJobs\n")
    block = text.split("\nMentors\n")[1].split("\n\n")[0]
    rows = [int(line.split("row ")[1].split(",")[0]) for line in block.splitlines()
            if "ERROR row" in line]
    assert rows == sorted(rows)
    vi = format_report(issues, lang="vi")
    assert "lỗi" in vi and "dòng 3" in vi
    many = [i for i in read_roster(write_xlsx(tmp_path / "w.xlsx", minimal_sheets(n=30))).warnings]
    capped = format_report(many)
    assert "and 20 more like this (rows 12–31) [ward_point]" in capped
    assert len(format_report(many, max_repeated_warnings=None).splitlines()) > 30


# --------------------------------------------------------------------------------------
# 4. Value formats


def minimal_sheets(n: int = 1, settings: list | None = None, **columns) -> dict:
    """A small valid roster; ``columns`` replace or add Returnees columns (values cycle)."""
    base = {"id": None, "full_name": ["A"], "gender": ["M"], "birth_year": [1990],
            "ward": ["Phường Hàm Rồng"], "release_date": [D(2025, 1, 1)], "offense": ["drugs"],
            "risk": [1]}
    base.update(columns)
    header = list(base)
    rows = [[f"R{k}" if h == "id" else base[h][k % len(base[h])] for h in header]
            for k in range(n)]
    sheets = {"Returnees": [header, *rows],
              "Mentors": [["id", "full_name", "gender", "birth_year", "lat", "lon"],
                          ["M1", "B", "M", 1960, 19.8, 105.8]]}
    if settings:
        sheets["Settings"] = [["key", "value"], *settings]
    return sheets


def test_date_formats():
    """Real Excel dates, datetimes, dd/mm/yyyy and yyyy-mm-dd text all read as dates."""
    values = [D(2025, 3, 15), dt.datetime(2025, 3, 15, 0, 0), "15/03/2025", "2025-03-15",
              "15.03.2025"]
    with tempfile.TemporaryDirectory() as tmp:
        path = write_xlsx(Path(tmp) / "d.xlsx", minimal_sheets(n=len(values)))
        wb = openpyxl.load_workbook(path)
        for k, v in enumerate(values):
            wb["Returnees"].cell(row=k + 2, column=6, value=v)
        wb.save(path)
        roster = read_roster(path)
    assert {r.release_date for r in roster.returnees} == {D(2025, 3, 15)}


def test_yes_no_words(tmp_path):
    """yes/no, có/không, x, 1/0 (text or number) read as booleans; blank is the default."""
    truthy = ["yes", "Có", "co", "x", "X", "1", 1, True, "TRUE"]
    falsy = ["no", "Không", "khong", "0", 0, False, "n"]
    values = truthy + falsy + [None]
    path = write_xlsx(tmp_path / "b.xlsx", minimal_sheets(n=len(values), wants_job=values,
                                                         wants_training=values))
    roster = read_roster(path)
    got = [r.wants_job for r in roster.returnees]
    assert got == [True] * len(truthy) + [False] * len(falsy) + [True]
    assert roster.returnees[-1].wants_training is False


def test_enum_words_in_both_languages(tmp_path):
    """Gender Nam/Nữ, offenses in Vietnamese, risk words, shifts and schedules map to the
    canonical values."""
    genders = ["Nam", "Nữ", "nu", "M", "F", "male", "female"]
    path = write_xlsx(tmp_path / "g.xlsx", minimal_sheets(n=len(genders), gender=genders))
    assert [r.gender for r in read_roster(path).returnees] == list("MFFMFMF")
    offenses = {"ma túy": "drugs", "Ma tuy": "drugs", "tài sản": "property",
                "trộm cắp": "property", "cố ý gây thương tích": "violence",
                "lừa đảo": "fraud", "vi phạm giao thông": "traffic", "khác": "other",
                "Violence": "violence"}
    path = write_xlsx(tmp_path / "o.xlsx", minimal_sheets(n=len(offenses),
                                                         offense=list(offenses)))
    assert [r.offense for r in read_roster(path).returnees] == list(offenses.values())
    risks = {"cao": 3, "trung bình": 2, "TB": 2, "thấp": 1, "high": 3, 2: 2, "1": 1}
    path = write_xlsx(tmp_path / "r.xlsx", minimal_sheets(n=len(risks), risk=list(risks)))
    assert [r.risk for r in read_roster(path).returnees] == list(risks.values())
    sheets = minimal_sheets()
    sheets["Jobs"] = [["id", "employer", "sector", "lat", "lon", "slots", "shift"],
                      *[[f"J{k}", "E", "may", 19.8, 105.8, 1, s] for k, s in
                        enumerate(["đêm", "ca ngày", "bất kỳ", None])]]
    sheets["Training"] = [["id", "provider", "sector", "lat", "lon", "seats", "schedule"],
                          *[[f"T{k}", "P", "han", 19.8, 105.8, 1, s] for k, s in
                            enumerate(["tối", "ban ngày", None])]]
    roster = read_roster(write_xlsx(tmp_path / "s.xlsx", sheets))
    assert [j.shift for j in roster.jobs] == ["night", "day", "any", "day"]
    assert [t.schedule for t in roster.trainings] == ["evening", "day", "day"]


def test_defaults_from_the_spec(tmp_path):
    """Blank optional cells take the SPEC §1 defaults."""
    sheets = minimal_sheets()
    sheets["Jobs"] = [["id", "employer", "sector", "lat", "lon", "slots"],
                      ["J1", "E", "may", 19.8, 105.8, 1]]
    sheets["Training"] = [["id", "provider", "sector", "lat", "lon", "seats"],
                          ["T1", "P", "han", 19.8, 105.8, 1]]
    roster = read_roster(write_xlsx(tmp_path / "x.xlsx", sheets))
    r, m, j, t = roster.returnees[0], roster.mentors[0], roster.jobs[0], roster.trainings[0]
    assert (r.wants_job, r.wants_training, r.work_away_from_home, r.needs_loan) == (
        True, False, False, False)
    assert (m.capacity, m.max_risk, m.active) == (2, 3, True)
    assert (j.shift, j.entry_level, j.excluded_offenses) == ("day", False, frozenset())
    assert t.schedule == "day"
    assert roster.settings.mentor_max_km == 5.0


def test_skills_and_extra_columns(tmp_path):
    """Skills are folded sector words; unknown columns are kept in `extra` only."""
    path = write_xlsx(tmp_path / "x.xlsx", minimal_sheets(
        skills=["Xây dựng, MAY MẶC; Hàn"], **{"Ghi chú riêng": ["hello"], "Zalo": [123]}))
    r = read_roster(path).returnees[0]
    assert r.skills == frozenset({"xay dung", "may mac", "han"})
    assert r.extra == {"Ghi chú riêng": "hello", "Zalo": 123}


def test_title_rows_above_the_header_and_excel_row_numbers(tmp_path):
    """A title above the header is skipped, and rows are numbered as Excel shows them."""
    sheets = minimal_sheets(n=3)
    sheets["Returnees"] = [["DANH SÁCH NGƯỜI TRỞ VỀ"], [], *sheets["Returnees"][:2], [],
                           sheets["Returnees"][2], [None, None], sheets["Returnees"][3]]
    sheets["Returnees"][-1][2] = "?"
    issues = read_or_issues(write_xlsx(tmp_path / "x.xlsx", sheets))
    assert [(i.sheet, i.row, i.column, i.code) for i in issues if i.severity == ERROR] == [
        ("Returnees", 8, "gender", "bad_choice")]


def write_csv(path: Path, rows: list[list], delimiter: str = ",",
              encoding: str = "utf-8-sig") -> Path:
    with open(path, "w", newline="", encoding=encoding) as fh:
        csv.writer(fh, delimiter=delimiter).writerows(
            [["" if v is None else v for v in row] for row in rows])
    return path


def test_csv_per_table(tmp_path):
    """A list of CSV files, one per table named by its stem, in any encoding and with
    ',', ';' or tab delimiters, reads like the workbook."""
    sheets = english_sheets()
    files = [
        write_csv(tmp_path / "returnees.csv", sheets["Returnees"]),
        write_csv(tmp_path / "Cựu chiến binh.csv", sheets["Mentors"], delimiter=";"),
        write_csv(tmp_path / "viec lam.csv", sheets["Jobs"], delimiter="\t"),
        write_csv(tmp_path / "training.csv", sheets["Training"]),
        write_csv(tmp_path / "pairs.csv", sheets["Pairs"]),
        write_csv(tmp_path / "settings.csv", sheets["Settings"]),
        write_csv(tmp_path / "gazetteer.csv", sheets["Gazetteer"]),
    ]
    roster = read_roster(files)
    workbook = read_roster(write_xlsx(tmp_path / "en.xlsx", sheets))
    assert roster == workbook
    assert [s.name for s in roster.sources] == [f.name for f in files]
    # a legacy-encoded file and a file whose name is not a table
    latin = write_csv(tmp_path / "mentors.csv",
                      [["id", "full_name", "gender", "birth_year", "lat", "lon"],
                       ["M1", "Lê Văn Hà", "M", 1960, 19.8, 105.8]], encoding="cp1258")
    other = write_csv(tmp_path / "notes.csv", [["a"], ["b"]])
    roster = read_roster([files[0], latin, other, files[6]])
    assert roster.mentors[0].full_name == "Lê Văn Hà"
    assert [(w.code, w.sheet) for w in roster.warnings if w.code == "ignored_file"] == [
        ("ignored_file", "notes.csv")]


def test_tables_from_several_files_are_read_together(tmp_path):
    """A roster plus a file of new releases: the rows of a table are read from every file
    that has it; an id repeated across files is a duplicate naming the other file."""
    sheets = english_sheets()
    roster_path = write_xlsx(tmp_path / "roster.xlsx", sheets)
    new = write_xlsx(tmp_path / "new.xlsx", {"Returnees": [
        sheets["Returnees"][0],
        ["R9", "Đỗ Văn Mới", "M", 1999, "Phường Hàm Rồng", None, None, D(2025, 9, 2), "fraud",
         2, None, None, None, None, None, None, None, None, None]]})
    roster = read_roster([roster_path, new])
    assert [r.id for r in roster.returnees] == ["R1", "R2", "R3", "R4", "R9"]
    assert [s.name for s in roster.sources] == ["roster.xlsx", "new.xlsx"]
    clash = write_csv(tmp_path / "returnees.csv", [sheets["Returnees"][0],
                                                   sheets["Returnees"][2]])
    issues = read_or_issues([roster_path, clash])
    dup = [i for i in issues if i.code == "duplicate_id"]
    assert [(i.sheet, i.row, i.column) for i in dup] == [("returnees.csv", 2, "id")]
    assert "first on row 3, Returnees" in dup[0].message()
    # the same sheet name in two workbooks is told apart by the file name
    issues = read_or_issues([roster_path, write_xlsx(tmp_path / "again.xlsx", {
        "Returnees": sheets["Returnees"][:2]})])
    assert ("Returnees (again.xlsx)", 2, "id", "duplicate_id") in {
        (i.sheet, i.row, i.column, i.code) for i in issues}


def test_ods_workbook(tmp_path):
    """An .ods workbook (written with pandas + odfpy) reads like the .xlsx one. Reading
    needs no odfpy (calamine reads .ods); only writing the test file does."""
    pytest.importorskip("odf", reason="odfpy writes the .ods file")
    sheets = english_sheets()
    path = tmp_path / "en.ods"
    with pd.ExcelWriter(path, engine="odf") as writer:
        for name, rows in sheets.items():
            width = max(len(r) for r in rows)
            body = [list(r) + [None] * (width - len(r)) for r in rows[1:]]
            header = list(rows[0]) + [f"extra{k}" for k in range(width - len(rows[0]))]
            pd.DataFrame(body, columns=header).to_excel(writer, sheet_name=name, index=False)
    assert read_roster(path) == read_roster(write_xlsx(tmp_path / "en.xlsx", sheets))


def test_missing_and_unreadable_files(tmp_path):
    """A missing file, a folder, a non-zip .xlsx, an empty .xlsx and a .txt of binary
    junk are issues, not exceptions."""
    (tmp_path / "fake.xlsx").write_text("hello, I am not a workbook")
    (tmp_path / "empty.xlsx").write_bytes(b"")
    (tmp_path / "junk.csv").write_bytes(bytes(range(256)) * 4)
    for source, code in [(tmp_path / "nope.xlsx", "missing_file"),
                         (tmp_path, "unreadable_file"),
                         (tmp_path / "fake.xlsx", "unreadable_file"),
                         (tmp_path / "empty.xlsx", "unreadable_file"),
                         ([tmp_path / "junk.csv"], None),
                         ([], "unreadable_file")]:
        issues = read_or_issues(source)
        assert isinstance(issues, list) and issues
        if code:
            assert issues[0].code == code, (source, issues)


# --------------------------------------------------------------------------------------
# 3. Property-based: nothing but a Roster or a RosterError ever comes out

SHEET_NAMES = ["Returnees", "Mentors", "Jobs", "Training", "Pairs", "Settings", "Gazetteer",
               "Người trở về", "CUU CHIEN BINH", "Sheet1"]
HEADERS = ["id", "full_name", "gender", "birth_year", "ward", "lat", "lon", "release_date",
           "offense", "risk", "capacity", "slots", "seats", "employer", "provider", "sector",
           "returnee_id", "mentor_id", "job_id", "rule", "key", "value", "name", "Mã",
           "Họ và tên", "Năm sinh", "Giới tính", "Phường/Xã"]
_text = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=12)
cells = st.one_of(
    st.none(), _text, st.integers(-10**6, 10**6), st.sampled_from([10**30, -10**30]),
    st.floats(allow_nan=False, allow_infinity=False), st.sampled_from([1e308, -1e308, 5e-324]),
    st.booleans(), st.dates(D(1900, 1, 2), D(2100, 1, 1)),
    st.sampled_from(["=1/0", "=A1", "=SUM(A1:A3)", "31/02/2025", "có", "Nữ", "cao",
                     "Phường Hàm Rồng", "Quang Trung", "R1", "M1", "ma túy", "x"]),
)
headers = st.one_of(st.sampled_from(HEADERS), _text)
grid = st.lists(st.one_of(st.just([]), st.lists(cells, max_size=8)), max_size=8)
sheet_tables = st.dictionaries(st.sampled_from(SHEET_NAMES),
                               st.tuples(st.lists(headers, max_size=8), grid), max_size=5)


def _assert_contained(source) -> None:
    try:
        result = read_roster(source)
    except RosterError as exc:
        assert exc.issues and all(i.code in MESSAGES for i in exc.issues)
        for i in exc.issues:
            i.format("vi")
            i.format("en")
        format_report(exc.issues)
    else:
        assert isinstance(result, Roster)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables=sheet_tables, merges=st.lists(st.tuples(st.integers(1, 6), st.integers(1, 6)),
                                            max_size=2))
def test_random_workbooks_never_crash(tables, merges):
    """Random sheets, headers (known or random unicode) and cells of every type (huge
    numbers, formulas, impossible dates, merged cells, blank rows) give a Roster or a
    RosterError, nothing else."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, (header, rows) in tables.items():
        ws = wb.create_sheet(name)
        ws.append(header)
        for row in rows:
            ws.append(row)
        for r, c in merges:
            ws.merge_cells(start_row=r, start_column=c, end_row=r + 1, end_column=c + 1)
    if not tables:
        wb.create_sheet("Empty")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "r.xlsx"
        wb.save(path)
        _assert_contained(path)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(row=st.integers(0, 8), col=st.integers(0, 10), value=cells,
       sheet=st.sampled_from(["Returnees", "Mentors", "Jobs", "Training", "Pairs",
                              "Settings", "Gazetteer"]),
       drop_row=st.booleans())
def test_mutated_workbooks_never_crash(row, col, value, sheet, drop_row):
    """A valid roster with one cell replaced (or one row removed) gives a Roster or a
    RosterError, nothing else."""
    sheets = english_sheets()
    rows = [list(r) for r in sheets[sheet]]
    if drop_row and rows:
        rows.pop(row % len(rows))
    elif rows:
        target = rows[row % len(rows)]
        target.extend([None] * (col + 1 - len(target)))
        target[col] = value
    sheets[sheet] = rows
    with tempfile.TemporaryDirectory() as tmp:
        path = write_xlsx(Path(tmp) / "m.xlsx", sheets)
        _assert_contained(path)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.one_of(st.binary(max_size=300),
                      st.text(max_size=300).map(lambda s: s.encode("utf-8", "replace")),
                      st.lists(st.lists(cells.map(lambda v: "" if v is None else str(v)),
                                        max_size=6), max_size=6)
                      .map(lambda rows: "\n".join(";".join(r) for r in rows).encode())),
       name=st.sampled_from(["returnees.csv", "mentors.csv", "x.xlsx", "x.ods", "x.xls",
                             "pairs.tsv", "settings.csv", "roster"]),
       prefix=st.sampled_from([b"", b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
                               "\ufeffid,full_name\n".encode()]))
def test_random_files_never_crash(data, name, prefix):
    """Random bytes, text and CSV-ish content under any file name (with zip/OLE magic or a
    BOM in front) give a Roster or a RosterError, nothing else."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(prefix + data)
        _assert_contained([path])


def test_nfc_normalisation_of_decomposed_text(tmp_path):
    """Decomposed (NFD) Vietnamese text is read in composed form."""
    sheets = minimal_sheets()
    sheets["Returnees"][1][1] = unicodedata.normalize("NFD", "Nguyễn Thị Hằng")
    sheets["Returnees"][1][4] = unicodedata.normalize("NFD", "Phường Hàm Rồng")
    roster = read_roster(write_xlsx(tmp_path / "x.xlsx", sheets))
    assert roster.returnees[0].full_name == "Nguyễn Thị Hằng"


@pytest.mark.skipif(os.environ.get("READER_BENCH") != "1", reason="timing: READER_BENCH=1")
def test_reading_speed_20k_rows(tmp_path):
    """Prints the time to read a 20,000-row Returnees sheet (documentation figure)."""
    import time

    sheets = minimal_sheets(n=20_000)
    path = write_xlsx(tmp_path / "big.xlsx", sheets)
    t0 = time.perf_counter()
    roster = read_roster(path)
    print(f"read_roster 20k rows: {time.perf_counter() - t0:.2f}s")
    assert len(roster.returnees) == 20_000


def test_unreadable_availability_is_reported():
    """Availability text the availability parser cannot read is a located error."""
    with tempfile.TemporaryDirectory() as tmp:
        path = write_xlsx(Path(tmp) / "a.xlsx", minimal_sheets(
            n=3, availability=["T2-T6 tối; T7", "whenever you like", None]))
        issues = read_or_issues(path)
    assert [(i.row, i.column, i.code) for i in issues if i.severity == ERROR] == [
        (3, "availability", "bad_availability")]


def write_unicode_text(path: Path, rows: list[list], encoding: str = "utf-16-le",
                       delimiter: str = "\t") -> Path:
    """What Excel's "Unicode Text" save writes: UTF-16 (LE, with its byte-order mark),
    tab-separated, CRLF line ends."""
    import codecs

    buf = []
    for row in rows:
        cells = ["" if v is None else str(v) for v in row]
        buf.append(delimiter.join(f'"{c}"' if delimiter in c or '"' in c else c
                                  for c in cells))
    bom = {"utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE,
           "utf-8": codecs.BOM_UTF8}[encoding]
    path.write_bytes(bom + ("\r\n".join(buf) + "\r\n").encode(encoding))
    return path


def test_utf16_tab_separated_text_reads_like_the_csv(tmp_path):
    """Excel's "Unicode Text" (.txt, UTF-16 LE with BOM, tab-separated), UTF-16 BE and
    UTF-8 tab-separated .tsv read like the UTF-8 CSV; the zero bytes of UTF-16 are not
    taken for binary data, while a real NUL character or a damaged UTF-16 file still is
    refused."""
    sheets = english_sheets()
    rest = [write_csv(tmp_path / "mentors.csv", sheets["Mentors"]),
            write_csv(tmp_path / "jobs.csv", sheets["Jobs"]),
            write_csv(tmp_path / "gazetteer.csv", sheets["Gazetteer"])]
    as_csv = read_roster([write_csv(tmp_path / "returnees.csv", sheets["Returnees"]), *rest])
    (tmp_path / "u16").mkdir()
    (tmp_path / "be").mkdir()
    for path in (write_unicode_text(tmp_path / "u16" / "Returnees.txt", sheets["Returnees"]),
                 write_unicode_text(tmp_path / "be" / "returnees.txt", sheets["Returnees"],
                                    encoding="utf-16-be"),
                 write_unicode_text(tmp_path / "returnees.tsv", sheets["Returnees"],
                                    encoding="utf-8")):
        roster = read_roster([path, *rest])
        assert roster.returnees == as_csv.returnees, path
    # Vietnamese sheet name, headers and letters survive UTF-16
    vi = vietnamese_sheets()
    path = write_unicode_text(tmp_path / "Người trở về.txt", vi["NGUOI TRO VE"])
    roster = read_roster([path, write_csv(tmp_path / "Cựu chiến binh.csv", vi["Cuu chien binh"]),
                          write_csv(tmp_path / "Danh mục địa bàn.csv", vi["Danh muc dia ban"])])
    assert [r.full_name for r in roster.returnees] == [
        row[1] for row in vi["NGUOI TRO VE"][2:] if row]
    # hostile text is still refused, with a message, never a crash
    import codecs

    nul = tmp_path / "nul" / "returnees.txt"
    nul.parent.mkdir()
    nul.write_bytes(codecs.BOM_UTF16_LE + "id\tfull_name\r\nR1\tA\x00B\r\n".encode("utf-16-le"))
    odd = tmp_path / "odd" / "returnees.txt"
    odd.parent.mkdir()
    odd.write_bytes(codecs.BOM_UTF16_LE + "id\tfull_name\r\n".encode("utf-16-le") + b"\x41")
    for bad in (nul, odd):
        issues = read_or_issues([bad, *rest])
        assert isinstance(issues, list)
        assert "unreadable_file" in {i.code for i in issues}, bad
