"""The blank roster template (issue 18): ``write_template``, ``python run.py template`` and
the web's download. A copy filled with three rows per main sheet reads with no error and
plans."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from openpyxl import load_workbook

from cli.main import main as cli_main
from matcher import schema, values
from matcher.domain import SETTING_SPECS
from matcher.errors import RosterError
from matcher.gazetteer import OK, Gazetteer
from matcher.io.reader import read_roster
from matcher.io.template import TEMPLATE_SHEETS, choice_lists, template_bytes, write_template
from matcher.solve import solve

RETURNEES = [
    ["NTV001", "Nguyễn Văn An", "Nam", 1990, "Phường Hàm Rồng", None, None,
     dt.date(2026, 3, 15), "ma túy", "cao", "may mặc", "có", "không", 10, "không",
     "T2-T6 tối; T7", None, "không"],
    ["NTV002", "Lê Thị Bình", "Nữ", 1985, "Phường Hạc Thành", None, None,
     dt.date(2026, 2, 1), "tài sản", "trung bình", "xây dựng", "có", "không", None, "có",
     None, None, "có", 50_000_000, "sản xuất, kinh doanh", "có"],
    ["NTV003", "Trần Văn Cường", "Nam", 1998, "Phường Quang Trung", None, None,
     dt.date(2026, 1, 10), "lừa đảo", "thấp", None, "có", "có", None, "không", None,
     "Vụ 1", "không"],
]
MENTORS = [
    ["CCB001", "Phạm Văn Dũng", "Nam", 1955, "Phường Hàm Rồng", None, None, "0912345678", 2,
     None, "cao", "ma túy, thanh niên", None, "T2-CN sáng", "có"],
    ["CCB002", "Hoàng Thị Em", "Nữ", 1960, "Phường Hạc Thành", None, None, None, 2, 8,
     "trung bình", "phụ nữ", 10, None, "có"],
    ["CCB003", "Đỗ Văn Giang", "Nam", 1958, "Phường Bỉm Sơn", None, None, None, 1, None,
     None, "việc làm", None, None, None],
]
JOBS = [
    ["VL001", "Công ty May Thanh Hóa", "may mặc", "Phường Hạc Thành", None, None, 2, 18, 45,
     "ngày", "ma túy", "không", dt.date(2026, 4, 1)],
    ["VL002", "Công ty Xây dựng Hàm Rồng", "xây dựng", "Phường Hàm Rồng", None, None, 1,
     None, None, "bất kỳ", None, "có", None],
    ["VL003", "Cơ sở Cơ khí Bỉm Sơn", "cơ khí", "Phường Bỉm Sơn", None, None, 1, None, None,
     "đêm", None, "có", None],
]


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    path = tmp_path_factory.mktemp("template") / "mau.xlsx"
    write_template(path)
    return path


def _fill(template, out):
    wb = load_workbook(template)
    for sheet, rows in ((schema.RETURNEES, RETURNEES), (schema.MENTORS, MENTORS),
                        (schema.JOBS, JOBS)):
        ws = wb[sheet.vi]
        for row in rows:
            ws.append(row)
    ws = wb[schema.SETTINGS.vi]
    labels = {s.label("vi"): s.name for s in SETTING_SPECS}
    for row in ws.iter_rows(min_row=2):
        if labels.get(row[0].value) == "plan_date":
            row[1].value = dt.date(2026, 1, 5)
        if labels.get(row[0].value) == "time_limit_s":
            row[1].value = 10
    wb.save(out)
    return out


def test_the_template_has_every_sheet_with_vietnamese_headers_and_instructions_first(template):
    wb = load_workbook(template)
    names = wb.sheetnames
    assert names[0] == "Hướng dẫn"
    assert [s.vi for s in TEMPLATE_SHEETS] == [n for n in names
                                               if wb[n].sheet_state == "visible"][1:]
    hidden = [n for n in names if wb[n].sheet_state == "hidden"]
    assert hidden == ["Danh sách chọn"]
    for sheet in TEMPLATE_SHEETS:
        ws = wb[sheet.vi]
        headers = [c.value for c in ws[1]]
        assert headers[:len(sheet.columns)] == [c.vi for c in sheet.columns]
        assert ws.freeze_panes == "A2"
        assert ws["A1"].font.bold
        assert ws.column_dimensions["A"].width >= 10
    # the instructions name every sheet and every column, in plain Vietnamese
    text = "\n".join(str(c.value) for row in wb["Hướng dẫn"].iter_rows() for c in row
                     if c.value is not None)
    for sheet in TEMPLATE_SHEETS:
        assert sheet.vi in text
        for column in sheet.columns:
            assert column.vi in text
    english = ("women_to_women", "same_gender", "mentor_max_km", "M4", "J4", "L2")
    assert not [w for w in english if w in text]


def test_drop_down_lists_cover_every_enum_column_and_their_words_parse(template):
    wb = load_workbook(template)
    lists_ws = wb["Danh sách chọn"]
    for sheet in TEMPLATE_SHEETS:
        if sheet is schema.SETTINGS:
            continue
        ws = wb[sheet.vi]
        covered = {}
        for dv in ws.data_validations.dataValidation:
            assert dv.type == "list"
            ref = re.fullmatch(r"'?(.+?)'?!\$([A-Z]+)\$2:\$([A-Z]+)\$(\d+)", dv.formula1)
            assert ref and ref.group(1) == lists_ws.title, dv.formula1
            for rng in str(dv.sqref).split():
                covered[rng.rstrip("0123456789").split(":")[0].rstrip("0123456789")] = dv
        enum_kinds = {"gender", "bool", "offense", "risk", "shift", "schedule", "rule",
                      "loan_purpose", "specialties", "offenses", "wards"}
        for i, column in enumerate(sheet.columns, start=1):
            letter = ws.cell(row=1, column=i).column_letter
            wanted = column.kind in enum_kinds or column.key == "ward"
            assert (letter in covered) == wanted, (sheet.en, column.key)
        for i, column in enumerate(sheet.columns, start=1):
            if column.kind == "date":
                letter = ws.cell(row=1, column=i).column_letter
                assert ws.column_dimensions[letter].number_format == "DD/MM/YYYY"
    words = choice_lists("vi")
    for w in words["gender"]:
        values.parse_choice(w, values.GENDER_WORDS)
    for w in words["yesno"]:
        values.parse_bool(w)
    for name, table in (("offense", values.OFFENSE_WORDS), ("risk", values.RISK_WORDS),
                        ("shift", values.SHIFT_WORDS), ("schedule", values.SCHEDULE_WORDS),
                        ("rule", values.RULE_WORDS), ("loan_purpose", values.LOAN_PURPOSE_WORDS),
                        ("specialty", values.SPECIALTY_WORDS)):
        assert len({values.parse_choice(w, table) for w in words[name]}) == len(words[name])
    gaz = Gazetteer.bundled()
    assert len(words["ward"]) == len(gaz.units()) > 100
    assert all(gaz.resolve(w).status == OK for w in words["ward"])


def test_the_settings_sheet_holds_every_setting_with_its_default_and_a_label(template):
    """Each setting by its Vietnamese label, its default (a choice in words) and what it
    means; no setting key or choice code anywhere in its text."""
    ws = load_workbook(template)["Cấu hình"]
    rows = {r[0]: r[1:] for r in ws.iter_rows(min_row=2, values_only=True)}
    assert [s.label("vi") for s in SETTING_SPECS] == list(rows)
    assert "Khoảng cách tối đa cựu chiến binh – người trở về (km)" in rows
    codes = {s.name for s in SETTING_SPECS} | {c for s in SETTING_SPECS for c in s.choices}
    for spec in SETTING_SPECS:
        value, meaning = rows[spec.label("vi")]
        assert meaning and "_" not in meaning, spec.name
        if spec.name == "gender_rule":
            assert value == "nữ do nữ giúp đỡ"
        elif spec.default is None:
            assert value is None
        else:
            assert value == spec.default
    for row in ws.iter_rows(values_only=True):
        for cell in row:
            if isinstance(cell, str):
                words = set(re.findall(r"[A-Za-z_]+", cell))
                assert not words & codes, cell
                assert "_" not in cell, cell


def test_the_blank_template_reads_with_only_empty_sheet_problems(template):
    with pytest.raises(RosterError) as exc:
        read_roster(template)
    assert {i.code for i in exc.value.issues} == {"no_rows"}


def test_a_filled_copy_validates_with_no_error_and_plans(template, tmp_path):
    filled = _fill(template, tmp_path / "filled.xlsx")
    roster = read_roster(filled)
    assert len(roster.returnees) == len(roster.mentors) == len(roster.jobs) == 3
    assert roster.settings.plan_date == dt.date(2026, 1, 5)
    assert roster.settings.gender_rule == "women_to_women"
    r2 = next(r for r in roster.returnees if r.id == "NTV002")
    assert (r2.gender, r2.offense, r2.risk, r2.needs_loan) == ("F", "property", 2, True)
    plan = solve(roster, time_limit=10)
    mentors = {a.returnee_id: a.mentor_id for a in plan.assignments if a.mentor_id}
    assert len(mentors) == 3
    assert mentors["NTV002"] == "CCB002"  # a woman, with the woman mentor


def test_the_english_template(tmp_path):
    path = tmp_path / "template.xlsx"
    write_template(path, lang="en")
    wb = load_workbook(path)
    assert wb.sheetnames[0] == "Instructions"
    assert [c.value for c in wb["Returnees"][1]] == [c.en for c in schema.RETURNEES.columns]
    for w in choice_lists("en")["risk"]:
        values.parse_choice(w, values.RISK_WORDS)
    settings = [r[:2] for r in wb["Settings"].iter_rows(min_row=2, values_only=True)]
    assert ("Gender rule", "women to women") in settings  # English labels and words
    with pytest.raises(RosterError) as exc:  # ... which read back: only the empty sheets
        read_roster(path)
    assert {i.code for i in exc.value.issues} == {"no_rows"}
    with pytest.raises(ValueError):
        write_template(tmp_path / "x.xlsx", lang="fr")


def test_the_cli_writes_the_template(tmp_path, capsys):
    out = tmp_path / "mẫu.xlsx"
    assert cli_main(["template", "--out", str(out)]) == 0
    assert load_workbook(out).sheetnames[0] == "Hướng dẫn"
    assert "mẫu.xlsx" in capsys.readouterr().out
    assert cli_main(["template", "--out", str(tmp_path / "en.xlsx"), "--lang", "en"]) == 0
    assert load_workbook(tmp_path / "en.xlsx").sheetnames[0] == "Instructions"


def test_the_web_download_needs_a_login_and_gives_the_template(tmp_path):
    from web.app import create_app
    from web.auth import create_user

    app = create_app({"INSTANCE_PATH": tmp_path / "instance", "SECRET_KEY": "t",
                      "TESTING": True, "WTF_CSRF_ENABLED": False,
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    with app.app_context():
        create_user("coord", "coordinator", "correct horse battery")
    client = app.test_client()
    anonymous = client.get("/template")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    assert client.post("/login", data={"name": "coord", "password": "correct horse battery"}
                       ).status_code == 302
    page = client.get("/runs/new").get_data(as_text=True)
    assert "Tải tệp mẫu" in page and "/template" in page
    resp = client.get("/template")
    assert resp.status_code == 200
    assert resp.mimetype.endswith("spreadsheetml.sheet")
    assert "attachment" in resp.headers["Content-Disposition"]
    wb = load_workbook(io.BytesIO(resp.data))
    assert wb.sheetnames[0] == "Hướng dẫn"
    en = client.get("/template?lang=en")
    assert load_workbook(io.BytesIO(en.data)).sheetnames[0] == "Instructions"
    assert template_bytes("vi")[:2] == b"PK"
