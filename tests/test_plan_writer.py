"""The plan workbook, its CSV and JSON twins, formula safety and read-back (issue 4)."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import json
import os
import shutil
import subprocess
import zipfile
from collections import Counter
from pathlib import Path

import pytest
from builders import course, job, mentor, returnee, roster
from openpyxl import Workbook, load_workbook

from matcher import catalog
from matcher.domain import SETTINGS_BY_NAME
from matcher.errors import WARNING, Issue, RosterError
from matcher.io.plan_reader import plan_from_workbook, read_plan_workbook
from matcher.io.plan_text import TEXT
from matcher.io.plan_writer import (
    formula_like,
    write_plan_csv,
    write_plan_json,
    write_plan_workbook,
)
from matcher.plan import Plan, Visit
from matcher.solve import solve

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample" / "roster.xlsx"
CORE = ("summary", "assignments", "assignments_print", "unassigned", "mentors", "jobs",
        "training", "report",
        "gaps", "warnings")


def _h(key: str, lang: str) -> str:
    en, vi = TEXT[key]
    return vi if lang == "vi" else en


def _case(names: dict[str, str] | None = None):
    """A small two-ward roster, solved, with visits, changes and warnings added."""
    names = names or {}
    rs = []
    for i in range(14):
        ward = "Phường Hạc Thành" if i % 2 else "Xã Quảng Phú"
        rs.append(returnee(f"R{i:02d}", i * 0.3, 0, ward=ward, gender="F" if i % 3 == 0 else "M",
                           risk=1 + i % 3, wants_training=i % 4 == 0))
    rs = [dataclasses.replace(r, full_name=names.get(r.id, r.full_name)) for r in rs]
    ms = [mentor("M1", 0, ward="Phường Hạc Thành", phone="0912 345 678", capacity=3),
          mentor("M2", 2, gender="F", ward="Xã Quảng Phú", phone="+84 913 000 111",
                 hours_per_month=20),
          mentor("M3", 3, ward="Xã Quảng Phú", phone=names.get("phone", "0914 222 333"))]
    jobs = [job("J1", 1, employer=names.get("employer", "Công ty May Hạc Thành"), slots=2,
                entry_level=True, ward="Phường Hạc Thành")]
    courses = [dataclasses.replace(course("T1", 2, seats=2),
                                   provider=names.get("provider", "Trường nghề Thanh Hóa"))]
    r = roster(rs, ms, jobs, courses)
    r = dataclasses.replace(r, warnings=(
        Issue("ward_point", "Người trở về", 5, "Phường/Xã", {"ward": "Xã Quảng Phú"}, WARNING),))
    plan = solve(r)
    day = dt.date(2026, 12, 10)
    for i, a in enumerate(reversed(plan.assignments)):
        if a.mentor_id:
            plan.visits.append(Visit(day - dt.timedelta(days=i), "morning", a.mentor_id,
                                     a.returnee_id, "first"))
            plan.visits.append(Visit(day + dt.timedelta(days=7), "afternoon", a.mentor_id,
                                     a.returnee_id, "follow-up"))
    plan.assignments[1].confirmed = True
    plan.assignments[3].hired = True
    plan.assignments[1].change = "kept"
    plan.assignments[1].reason = names.get("reason", "giữ nguyên theo kế hoạch trước")
    plan.changes = {"kept": 1, "changed": 0,
                    "list": [{"returnee_id": "R01", "change": "kept",
                              "reason": plan.assignments[1].reason}]}
    plan.warnings.append(names.get("warning", "Cặp R05–M9 không thể ghép"))
    plan.sources = [{"name": "roster.xlsx", "sha256": "ab" * 32}]
    return r, plan


@pytest.fixture(scope="module")
def case():
    return _case()


def _sheet_rows(ws):
    return [list(row) for row in ws.iter_rows(values_only=True)]


def _assignment_dicts(path: Path, lang: str) -> list[dict]:
    wb = load_workbook(path)
    rows = _sheet_rows(wb[_h("sheet:assignments", lang)])
    header = rows[0]
    return [dict(zip(header, row)) for row in rows[1:]]


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_sheet_present(case, tmp_path, lang):
    """Every sheet of SPEC section 7, Schedule, Changes and one sheet per ward are written."""
    r, plan = case
    path = tmp_path / "plan.xlsx"
    write_plan_workbook(plan, r, path, lang=lang)
    names = load_workbook(path).sheetnames
    for key in (*CORE, "schedule", "changes"):
        assert _h(f"sheet:{key}", lang) in names
    assert "Phường Hạc Thành" in names and "Xã Quảng Phú" in names


def test_no_schedule_or_changes_sheet_without_them(case, tmp_path):
    """Schedule and Changes sheets appear only when the plan has visits and a change list."""
    r, plan = case
    bare = dataclasses.replace(plan, visits=[], changes={})
    path = tmp_path / "plan.xlsx"
    write_plan_workbook(bare, r, path, lang="en")
    names = load_workbook(path).sheetnames
    assert "Schedule" not in names and "Changes" not in names
    assert all(_h(f"sheet:{k}", "en") in names for k in CORE)


def test_one_assignment_row_per_returnee_in_roster_order(case, tmp_path):
    """The Assignments sheet has exactly one row per returnee, in roster order."""
    r, plan = case
    path = tmp_path / "plan.xlsx"
    write_plan_workbook(plan, r, path)
    rows = _assignment_dicts(path, "vi")
    assert [x[_h("col:returnee_id", "vi")] for x in rows] == [x.id for x in r.returnees]


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_values_agree_with_json(case, tmp_path, lang):
    """Each Assignments row carries the same ids, distances, flags and change as the JSON."""
    r, plan = case
    path = tmp_path / "plan.xlsx"
    write_plan_workbook(plan, r, path, lang=lang)
    rows = _assignment_dicts(path, lang)
    data = plan.to_json()["assignments"]
    assert len(rows) == len(data)
    yes = _h("word:yes", lang)
    for row, a in zip(rows, data):
        def col(key, row=row):
            return row[_h(f"col:{key}", lang)]
        assert col("returnee_id") == a["returnee_id"]
        assert col("mentor_id") == a["mentor_id"]
        assert col("job_id") == a["job_id"]
        assert col("training_id") == a["training_id"]
        assert col("mentor_km") == a["mentor_km"]
        commute = a["job_km"] if a["job_id"] else a["training_km"]
        assert col("commute_km") == commute
        assert col("change") == _h(f"word:{a['change']}", lang)
        assert col("confirmed") == (yes if a["confirmed"] else None)
        assert col("hired") == (yes if a["hired"] else None)
        points = sum(v for k, v in a["score"].items() if not k.endswith("_km"))
        assert (col("score") or 0) == pytest.approx(points)
        m = r.mentor(a["mentor_id"]) if a["mentor_id"] else None
        assert col("mentor_phone") == (m.phone if m else None)
        assert col("mentor_name") == (m.full_name if m else None)


def test_mentors_jobs_training_and_schedule_sheets(case, tmp_path):
    """Mentor load and hours, filled vs slots/seats and the date-sorted schedule are right."""
    from matcher.check import monthly_hours

    r, plan = case
    path = tmp_path / "plan.xlsx"
    write_plan_workbook(plan, r, path, lang="en")
    wb = load_workbook(path)
    mentors = {row[0]: row for row in _sheet_rows(wb["Mentors"])[1:]}
    for m in r.mentors:
        ids = [a.returnee_id for a in plan.assignments if a.mentor_id == m.id]
        hours = sum(monthly_hours(r, r.returnee(x), m) for x in ids)
        row = mentors[m.id]
        assert row[5] == len(ids) and row[6] == m.capacity
        assert row[7] == pytest.approx(hours, abs=0.01)
        assert row[8] == m.hours_per_month
    jobs = _sheet_rows(wb["Jobs"])
    assert jobs[1][4] == sum(a.job_id == "J1" for a in plan.assignments) and jobs[1][5] == 2
    schedule = _sheet_rows(wb["Schedule"])[1:]
    assert len(schedule) == len(plan.visits)
    dates = [row[0] for row in schedule]
    assert all(isinstance(d, dt.datetime) for d in dates) and dates == sorted(dates)
    assert wb["Schedule"]["A2"].number_format == "DD/MM/YYYY"


def test_ward_sheet_lists_mentor_phone_placement_and_next_visit(case, tmp_path):
    """A ward sheet lists its returnees with mentor name and phone, placement and next visit."""
    r, plan = case
    path = tmp_path / "plan.xlsx"
    write_plan_workbook(plan, r, path, lang="en")
    ws = load_workbook(path)["Xã Quảng Phú"]
    rows = _sheet_rows(ws)
    header = rows[0]
    ward_ids = [x.id for x in r.returnees if x.location.ward == "Xã Quảng Phú"]
    assert [row[1] for row in rows[1:]] == ward_ids
    first = {}
    for v in sorted(plan.visits, key=lambda v: v.date):
        first.setdefault(v.returnee_id, v.date)
    for row in rows[1:]:
        a = plan.assignment(row[1])
        got = dict(zip(header, row))
        m = r.mentor(a.mentor_id) if a.mentor_id else None
        assert got["Mentor phone"] == (m.phone if m else None)
        nxt = got["Next visit"]
        assert (nxt.date() if nxt else None) == first.get(row[1])
        if a.job_id:
            assert a.job_id in got["Job or training"]
        elif a.training_id:
            assert a.training_id in got["Job or training"]


def test_summary_has_tiers_settings_sources_and_changes(case, tmp_path):
    """The Summary holds tier values with proof status, settings with meanings and checksums."""
    r, plan = case
    path = tmp_path / "plan.xlsx"
    write_plan_workbook(plan, r, path, lang="en")
    rows = _sheet_rows(load_workbook(path)["Summary"])
    by_item = {row[0]: row for row in rows if row[0]}
    for name, tier in plan.tiers.items():  # each objective in words, not its code
        item = catalog.text(f"tier.{name}", "en")
        assert by_item[item][1] == pytest.approx(tier.value)
        assert by_item[item][3] == ("yes" if tier.optimal else "no")
        assert by_item[item][4]
        assert name not in by_item
    for name in plan.settings:  # every setting by its label, with its meaning
        label = SETTINGS_BY_NAME[name].label("en")
        assert by_item[label][4] == SETTINGS_BY_NAME[name].help("en"), name
        assert name not in by_item
    assert by_item["roster.xlsx"][1] == "ab" * 32
    assert by_item["Plan date"][1].date() == plan.plan_date
    assert by_item["kept"][1] == 1


def test_formula_like_text_is_never_a_formula(tmp_path):
    """Names, phones, employers and notes starting with =, +, -, @, tab or CR stay text."""
    payloads = {"R00": "=HYPERLINK(\"http://x\",\"y\")", "R01": "+1+1", "R02": "-2+3",
                "R03": "@SUM(A1)", "R04": "\tTab", "R05": "\rCR", "R06": "=1+1",
                "employer": "=cmd|' /C calc'!A0", "provider": "@provider", "phone": "+84 9",
                "reason": "-giữ", "warning": "=WARN()"}
    r, plan = _case(payloads)
    plan.unassigned[0].reasons.append("=REASON()")
    for lang in ("vi", "en"):
        path = tmp_path / f"plan-{lang}.xlsx"
        write_plan_workbook(plan, r, path, lang=lang)
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
            assert not any("externalLink" in n or "vbaProject" in n or "connections" in n
                           for n in names)
            for n in names:
                if n.startswith("xl/worksheets/"):
                    assert b"<f>" not in z.read(n) and b"<f " not in z.read(n)
        wb = load_workbook(path)
        seen = set()
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                    if isinstance(cell.value, str) and formula_like(cell.value):
                        assert cell.data_type == "s" and cell.quotePrefix
                        seen.add(cell.value)
        for text in ("=1+1", "+1+1", "-2+3", "@SUM(A1)", "=cmd|' /C calc'!A0", "@provider",
                     "+84 9", "=WARN()", "\tTab"):
            assert text in seen, text


def test_csv_neutralises_formula_like_text(tmp_path):
    """In the CSV export formula-like text gets an apostrophe in front."""
    r, plan = _case({"R00": "=1+1", "employer": "@corp"})
    paths = write_plan_csv(plan, r, tmp_path, lang="en")
    text = "".join(p.read_text(encoding="utf-8-sig") for p in paths)
    assert "'=1+1" in text and "'@corp" in text
    rows = [row for p in paths
            for row in csv.reader(p.read_text(encoding="utf-8-sig").splitlines())]
    assert not any(cell.startswith(("=", "+", "@")) for row in rows for cell in row)


def test_read_back_yields_the_same_assignments(case, tmp_path):
    """The workbook written for a plan, read back, gives the same assignments and flags."""
    r, plan = case
    for lang in ("vi", "en"):
        path = tmp_path / f"plan-{lang}.xlsx"
        write_plan_workbook(plan, r, path, lang=lang)
        rows = read_plan_workbook(path)
        want = [(a.returnee_id, a.mentor_id, a.job_id, a.training_id, a.change, a.confirmed,
                 a.hired) for a in plan.assignments]
        got = [(x["returnee_id"], x["mentor_id"], x["job_id"], x["training_id"], x["change"],
                x["confirmed"], x["hired"]) for x in rows]
        assert got == want
        back = plan_from_workbook(path)
        assert isinstance(back, Plan) and back.plan_date == plan.plan_date
        assert [(a.returnee_id, a.mentor_id, a.job_id, a.training_id, a.confirmed)
                for a in back.assignments] == [w[:4] + (w[5],) for w in want]


def test_read_back_accepts_hand_edits(case, tmp_path):
    """A coordinator's x, 1, có and không in the confirmed column are understood."""
    r, plan = case
    path = tmp_path / "plan.xlsx"
    write_plan_workbook(plan, r, path, lang="vi")
    wb = load_workbook(path)
    ws = wb[_h("sheet:assignments", "vi")]
    header = [c.value for c in ws[1]]
    col = header.index(_h("col:confirmed", "vi")) + 1
    for row, value in zip((2, 3, 4, 5), ("x", 1, "Có", "không")):
        ws.cell(row=row, column=col, value=value)
    wb.save(path)
    got = [x["confirmed"] for x in read_plan_workbook(path)[:4]]
    assert got == [True, True, True, False]


def test_read_back_reports_problems_with_locations(case, tmp_path):
    """Bad yes/no, a missing column, a missing sheet or a broken file raise RosterError."""
    r, plan = case
    path = tmp_path / "plan.xlsx"
    write_plan_workbook(plan, r, path, lang="en")
    wb = load_workbook(path)
    ws = wb["Assignments"]
    header = [c.value for c in ws[1]]
    ws.cell(row=3, column=header.index("Confirmed") + 1, value="maybe")
    wb.save(path)
    with pytest.raises(RosterError) as err:
        read_plan_workbook(path)
    issue = err.value.errors[0]
    assert (issue.sheet, issue.row, issue.column, issue.code) == ("Assignments", 3, "Confirmed",
                                                                  "wrong_type")

    ws.delete_cols(header.index("Mentor id") + 1)
    wb.save(path)
    with pytest.raises(RosterError) as err:
        read_plan_workbook(path)
    assert any(i.code == "missing_column" and i.row == 1 for i in err.value.errors)

    other = Workbook()
    other.active.title = "Something"
    other.save(tmp_path / "other.xlsx")
    with pytest.raises(RosterError) as err:
        read_plan_workbook(tmp_path / "other.xlsx")
    assert err.value.errors[0].code == "missing_sheet"

    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"not a workbook at all")
    for bad, code in ((junk, "unreadable_file"), (tmp_path / "absent.xlsx", "missing_file"),
                      (None, "unreadable_file"), (tmp_path, "unreadable_file")):
        with pytest.raises(RosterError) as err:
            plan_from_workbook(bad)
        assert err.value.errors[0].code == code


def test_vietnamese_and_english_headers(case, tmp_path):
    """Headers follow the chosen language: Vietnamese by default, English on request."""
    r, plan = case
    write_plan_workbook(plan, r, tmp_path / "vi.xlsx")
    write_plan_workbook(plan, r, tmp_path / "en.xlsx", lang="en")
    vi = load_workbook(tmp_path / "vi.xlsx")["Phân công"]
    en = load_workbook(tmp_path / "en.xlsx")["Assignments"]
    assert vi["A1"].value == "Mã người trở về" and en["A1"].value == "Returnee id"
    assert "Đã xác nhận" in [c.value for c in vi[1]]
    assert "Confirmed" in [c.value for c in en[1]]
    with pytest.raises(ValueError):
        write_plan_workbook(plan, r, tmp_path / "xx.xlsx", lang="fr")


def test_csv_has_bom_and_keeps_vietnamese(case, tmp_path):
    """Each sheet becomes a UTF-8-with-BOM CSV whose Vietnamese text survives."""
    r, plan = case
    paths = write_plan_csv(plan, r, tmp_path / "csv")
    # every sheet but the Assignments' print view (the same rows as the Assignments)
    names = load_workbook(_written(plan, r, tmp_path)).sheetnames
    assert len(paths) == len(names) - 1 and "Bản in phân công" in names
    for p in paths:
        assert p.read_bytes().startswith(b"\xef\xbb\xbf")
    text = (tmp_path / "csv" / "Phân công.csv").read_text(encoding="utf-8-sig")
    assert text.startswith("Mã người trở về,")
    assert "Nguyễn Văn R00" in text and "Phường Hạc Thành" in text
    summary = (tmp_path / "csv" / "Tổng hợp.csv").read_text(encoding="utf-8-sig")
    assert "01/12/2026" in summary and "%" in summary


def _written(plan, r, tmp_path):
    path = tmp_path / "for-count.xlsx"
    write_plan_workbook(plan, r, path)
    return path


def test_json_round_trip(case, tmp_path):
    """The JSON twin is the plan's to_json, readable back with Plan.from_json."""
    _, plan = case
    path = tmp_path / "plan.json"
    write_plan_json(plan, path)
    text = path.read_text(encoding="utf-8")
    assert "không thể ghép" in text
    data = json.loads(text)
    assert data == json.loads(json.dumps(plan.to_json(), default=str))
    back = Plan.from_json(data)
    assert [a.to_dict() for a in back.assignments] == data["assignments"]


def test_sheet_names_are_valid_and_unique(tmp_path):
    """Ward names with forbidden characters, over 31 characters or equal but for case still
    give valid, distinct sheet names."""
    wards = ["Phường [A]:B*?/\\", "Xã Rất Rất Dài Tên Ở Huyện Miền Núi Phía Tây A",
             "Xã Rất Rất Dài Tên Ở Huyện Miền Núi Phía Tây B", "tổng hợp", "'Quoted'"]
    rs = [returnee(f"R{i}", 0.1 * i, ward=w) for i, w in enumerate(wards)]
    r = roster(rs, [mentor("M1", capacity=5)])
    plan = solve(r)
    path = tmp_path / "plan.xlsx"
    write_plan_workbook(plan, r, path)
    names = load_workbook(path).sheetnames
    assert len({n.casefold() for n in names}) == len(names)
    for n in names:
        assert len(n) <= 31 and not set(n) & set("[]:*?/\\") and not n.startswith("'")
    extra = 2 * bool(plan.visits) + bool(plan.unscheduled)  # Schedule, Mentor schedules
    assert len(names) == len(CORE) + extra + len(wards)


def test_print_setup_and_formats(case, tmp_path):
    """Sheets print landscape on A4, fit to width, repeat the header, freeze and filter it
    (the mentor schedules, a sheet of blocks with their own headers, neither)."""
    r, plan = case
    path = tmp_path / "plan.xlsx"
    write_plan_workbook(plan, r, path, lang="en")
    wb = load_workbook(path)
    for ws in wb.worksheets:
        assert ws.page_setup.orientation == "landscape"
        assert str(ws.page_setup.paperSize) == "9"
        assert "&P" in ws.oddFooter.right.text and "&P" not in (ws.oddHeader.right.text or "")
        if ws.title == "Assignments (print)":  # at a scale, not fit to width
            assert not ws.sheet_properties.pageSetUpPr.fitToPage
            assert int(ws.page_setup.scale) >= 70 and ws.print_title_rows == "$1:$1"
            continue
        # fit to one page wide (1 is the OOXML default when the attribute is absent),
        # as many pages tall as needed (0)
        assert (ws.page_setup.fitToWidth or 1) == 1 and ws.page_setup.fitToHeight == 0
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        if ws.title == "Mentor schedules":
            assert ws.print_title_rows is None and ws.freeze_panes is None
            assert not ws.auto_filter.ref and ws["A1"].font.b
            assert "&P" in ws.oddFooter.right.text
            continue
        assert ws.print_title_rows == "$1:$1"
        assert ws.freeze_panes == "A2"
        assert ws["A1"].font.b
        # the plan date the language's way (English: Dec 1, 2026)
        assert "&P" in ws.oddFooter.right.text and "2026" in ws.oddHeader.left.text
        # the stored width includes Excel's cell padding (5 px, about 0.71 characters)
        assert all(d.width and d.width <= 50.72 for d in ws.column_dimensions.values())
        if ws.title != "Summary":
            assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A1:")
    ws = wb["Assignments"]
    header = [c.value for c in ws[1]]
    km = header.index("Mentor km") + 1
    cells = [ws.cell(row=i, column=km) for i in range(2, ws.max_row + 1)]
    assert all(c.number_format == "0.0" for c in cells if isinstance(c.value, float))


# ------------------------------------------------------------------- mentor schedules

def _mentor_blocks(ws, lang: str) -> dict[str, list[list]]:
    """{mentor id: its visit rows} from the Mentor schedules sheet; a block is the title
    row "… (<id>) · …", a summary row, the header row and the visit rows."""
    import re

    rows = _sheet_rows(ws)
    header = [_h(f"col:{k}", lang) for k in ("week", "date", "weekday", "slot",
                                              "returnee_name", "returnee_id", "address",
                                              "returnee_phone", "kind", "notes")]
    blocks: dict[str, list[list]] = {}
    current = None
    for i, row in enumerate(rows):
        if row == header:
            mid = re.search(r"\(([^()]+)\) · ", rows[i - 2][0]).group(1)
            assert mid not in blocks, f"two blocks for {mid}"
            current = blocks[mid] = []
        elif current is not None and isinstance(row[1], dt.datetime):
            current.append(row)
    return blocks


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_mentor_schedule_sheet_lists_every_visit_once(case, tmp_path, lang):
    """One block per mentor with visits, headed by name, id, phone and ward; every visit
    exactly once, in its mentor's block, by date, with the weekday and time of day in the
    chosen language and first/follow-up."""
    r, plan = case
    path = tmp_path / "plan.xlsx"
    write_plan_workbook(plan, r, path, lang=lang)
    wb = load_workbook(path)
    name = _h("sheet:mentor_schedules", lang)
    assert name == {"vi": "Lịch thăm theo cựu chiến binh", "en": "Mentor schedules"}[lang]
    ws = wb[name]
    blocks = _mentor_blocks(ws, lang)
    assert set(blocks) == {v.mentor_id for v in plan.visits}
    slot = {s: _h(f"word:{s}", lang) for s in ("morning", "afternoon", "evening")}
    got = Counter()
    for mid, rows in blocks.items():
        dates = [row[1] for row in rows]
        assert dates == sorted(dates)
        for row in rows:
            date = row[1].date()
            assert row[2] == _h(f"day:{date.weekday()}", lang)
            kind = next(k for k in ("first", "follow-up") if row[8] == _h(f"word:{k}", lang))
            when = next(s for s, word in slot.items() if row[3].startswith(word))
            got[(date, when, mid, row[5], kind)] += 1
            assert row[4] == r.returnee(row[5]).full_name
    assert got == Counter((v.date, v.slot, v.mentor_id, v.returnee_id, v.kind)
                          for v in plan.visits)
    titles = [row[0] for row in _sheet_rows(ws) if row[0] and " · " in str(row[0])]
    for mid in blocks:
        m = r.mentor(mid)
        title = next(t for t in titles if f"({mid})" in t)
        assert m.full_name in title and m.phone in title and m.location.ward in title
    assert ws["B4"].number_format == "DD/MM/YYYY"
    weeks = [row[0] for rows in blocks.values() for row in rows if row[0]]
    word = {"vi": "Tuần", "en": "Week"}[lang]
    assert weeks and all(w.startswith(word + " ") for w in weeks)


def _blocks_and_pages(ws, mentors):
    """The first row of each mentor's block, the rows that start a printed page, the row
    heights as written, and the room on a page (all 1-based rows)."""
    from matcher.io.print_sheets import page_room

    rows = _sheet_rows(ws)
    titles = [i + 1 for i, row in enumerate(rows)
              if row[0] and any(f"({m}) · " in str(row[0]) for m in mentors)]
    starts = [b.id + 1 for b in ws.row_breaks.brk]  # a break with id n ends the page at n
    heights = {n: ws.row_dimensions[n].height or 15.0 for n in range(1, len(rows) + 1)}
    widths = [ws.column_dimensions[c].width - 5 / 7 for c in "ABCDEFGHIJ"]  # less padding
    return titles, starts, heights, page_room(widths)


def test_mentor_schedule_blocks_share_pages_where_they_fit(case, tmp_path):
    """Several mentors' blocks to a printed page: a manual page break only before a block
    title, and only where that block would not fit in what is left of the page; every
    block that fits a page is on one page."""
    r, plan = case
    path = tmp_path / "plan.xlsx"
    write_plan_workbook(plan, r, path, lang="en")
    ws = load_workbook(path)["Mentor schedules"]
    mentors = {v.mentor_id for v in plan.visits}
    assert len(mentors) > 1
    titles, starts, heights, room = _blocks_and_pages(ws, mentors)
    assert titles[0] == 1 and set(starts) <= set(titles[1:])
    assert all(b.man for b in ws.row_breaks.brk)
    assert len(starts) < len(titles) - 1 or len(titles) == 2  # fewer pages than mentors
    ends = [*titles[1:], max(heights) + 1]
    pages = [1, *starts, max(heights) + 1]
    for a, b in zip(pages, pages[1:]):  # each page's rows fit it
        assert sum(heights[n] for n in range(a, b)) <= room, (a, b)
    for s in starts:  # and the block that starts a page would not fit on the one before
        before = max(p for p in pages if p < s)
        block_end = ends[titles.index(s)]
        assert sum(heights[n] for n in range(before, block_end)) > room
    assert ws.cell(row=titles[1], column=1).font.b


def test_sample_mentor_schedule_prints_several_mentors_a_page(tmp_path):
    """The sample: 101 mentors with visits, each block on one page, about four a page."""
    r = _read_sample()
    plan = solve(r)
    path = tmp_path / "plan.xlsx"
    write_plan_workbook(plan, r, path, lang="vi")
    ws = load_workbook(path)["Lịch thăm theo cựu chiến binh"]
    mentors = {v.mentor_id for v in plan.visits}
    titles, starts, heights, room = _blocks_and_pages(ws, mentors)
    assert len(titles) == len(mentors) > 50
    assert set(starts) <= set(titles) and len(starts) + 1 <= len(titles) // 3
    pages = [1, *starts, max(heights) + 1]
    assert all(sum(heights[n] for n in range(a, b)) <= room for a, b in zip(pages, pages[1:]))


def test_mentor_schedule_shows_returnee_phone_and_address(tmp_path):
    """A phone and address from the returnee's extra roster columns appear in the block;
    without them the phone cell is blank and the ward stands for the address."""
    rs = [dataclasses.replace(returnee("R1", ward="Phường Hạc Thành", availability="tối"),
                              extra={"Số điện thoại": "0912 000 111",
                                     "Địa chỉ": "12 Lê Lai"}),
          returnee("R2", x=0.5, ward="Phường Hạc Thành")]
    r = roster(rs, [mentor("M1", capacity=2, phone="0988 777 666", ward="Phường Hạc Thành",
                           availability="daily; evenings")])
    plan = solve(r)
    assert {v.returnee_id for v in plan.visits} == {"R1", "R2"}
    path = tmp_path / "plan.xlsx"
    write_plan_workbook(plan, r, path, lang="vi")
    rows = _mentor_blocks(load_workbook(path)["Lịch thăm theo cựu chiến binh"], "vi")["M1"]
    r1 = [row for row in rows if row[5] == "R1"]
    r2 = [row for row in rows if row[5] == "R2"]
    assert r1 and all(row[7] == "0912 000 111" and row[6] == "12 Lê Lai, Phường Hạc Thành"
                      for row in r1)
    assert r2 and all(row[7] is None and row[6] == "Phường Hạc Thành" for row in r2)
    assert all(row[3].startswith("tối") for row in r1)


def test_unscheduled_visits_sheet_lists_reasons(case, tmp_path):
    """Visits that could not be placed are listed, by due date, with mentor, returnee and
    the reason; the Summary counts them. No such sheet when every visit was placed."""
    r, plan = case
    a = next(x for x in plan.assignments if x.mentor_id)
    missed = [{"mentor_id": a.mentor_id, "returnee_id": a.returnee_id, "due": "2026-12-08",
               "kind": "first", "reason": "no common free slot between 2026-12-01 and "
                                          "2026-12-08: mentor free Mon–Fri mornings"},
              {"mentor_id": a.mentor_id, "returnee_id": a.returnee_id, "due": "2026-12-22",
               "kind": "follow-up", "reason": "=evil()"}]
    for lang in ("vi", "en"):
        path = tmp_path / f"plan-{lang}.xlsx"
        write_plan_workbook(dataclasses.replace(plan, unscheduled=missed), r, path, lang=lang)
        wb = load_workbook(path)
        ws = wb[_h("sheet:unscheduled", lang)]
        rows = _sheet_rows(ws)
        assert rows[0][0] == _h("col:due", lang) and rows[0][-1] == _h("col:reason", lang)
        assert [(row[0].date(), row[2], row[5], row[8]) for row in rows[1:]] == [
            (dt.date.fromisoformat(u["due"]), u["mentor_id"], u["returnee_id"], u["reason"])
            for u in missed]
        assert rows[1][1] == _h("word:first", lang)
        assert rows[1][3] == r.mentor(a.mentor_id).full_name
        assert ws["I3"].data_type == "s" and ws["I3"].quotePrefix
        summary = {row[0]: row[1] for row in _sheet_rows(wb[_h("sheet:summary", lang)])}
        assert summary[_h("sum:unscheduled", lang)] == 2
    path = tmp_path / "none.xlsx"
    write_plan_workbook(dataclasses.replace(plan, unscheduled=[]), r, path, lang="en")
    names = load_workbook(path).sheetnames
    assert "Unscheduled visits" not in names and "Mentor schedules" in names


def test_no_mentor_schedule_sheet_without_visits(case, tmp_path):
    r, plan = case
    path = tmp_path / "plan.xlsx"
    write_plan_workbook(dataclasses.replace(plan, visits=[], unscheduled=[]), r, path,
                        lang="vi")
    assert "Lịch thăm theo cựu chiến binh" not in load_workbook(path).sheetnames


def _read_sample():
    from matcher.io.reader import read_roster

    return read_roster(SAMPLE)  # the bundled sample must read: a failure here is a bug


def test_sample_roster_workbook(tmp_path):
    """For the sample roster: every sheet, one row per returnee, rows agree with the JSON."""
    r = _read_sample()
    plan = solve(r)
    path = tmp_path / "plan.xlsx"
    write_plan_workbook(plan, r, path)
    names = load_workbook(path).sheetnames
    assert all(_h(f"sheet:{k}", "vi") in names for k in CORE)
    rows = _assignment_dicts(path, "vi")
    data = plan.to_json()["assignments"]
    assert len(rows) == len(r.returnees) == len(data)
    for row, a in zip(rows, data):
        assert row[_h("col:returnee_id", "vi")] == a["returnee_id"]
        assert row[_h("col:mentor_id", "vi")] == a["mentor_id"]
        assert row[_h("col:job_id", "vi")] == a["job_id"]
        assert row[_h("col:training_id", "vi")] == a["training_id"]
        assert row[_h("col:mentor_km", "vi")] == a["mentor_km"]
    assert [x["mentor_id"] for x in read_plan_workbook(path)] == [a["mentor_id"] for a in data]


def _soffice_pdf(xlsx: Path, outdir: Path) -> Path:
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed; install it (apt-get install "
                    "libreoffice-calc) to check that the workbook opens and prints")
    profile = outdir / "lo-profile"
    env = {**os.environ, "HOME": str(outdir)}
    result = subprocess.run(
        [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless",
         "--convert-to", "pdf", "--outdir", str(outdir), str(xlsx)],
        check=False, capture_output=True, text=True, timeout=300, env=env)
    pdf = outdir / (xlsx.stem + ".pdf")
    assert result.returncode == 0, result.stderr
    assert pdf.exists() and pdf.stat().st_size > 1000, (result.stdout, result.stderr)
    assert pdf.read_bytes().startswith(b"%PDF")
    return pdf


def test_libreoffice_converts_workbook_to_pdf(case, tmp_path):
    """LibreOffice opens the plan workbook and prints it to PDF."""
    r, plan = case
    path = tmp_path / "plan.xlsx"
    write_plan_workbook(plan, r, path)
    _soffice_pdf(path, tmp_path)


def test_libreoffice_converts_sample_plan(tmp_path):
    """The sample roster's plan workbook converts to PDF with LibreOffice."""
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    r = _read_sample()
    path = tmp_path / "sample-plan.xlsx"
    write_plan_workbook(solve(r), r, path)
    _soffice_pdf(path, tmp_path)


def test_illegal_characters_are_openpyxls_and_the_writer_needs_no_openpyxl():
    """The plan workbook refuses the same control characters openpyxl does, without
    importing openpyxl (a city plan's start-up)."""
    import subprocess
    import sys

    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE as OPENPYXL

    from matcher.io.sheet_model import ILLEGAL_CHARACTERS_RE

    assert ILLEGAL_CHARACTERS_RE.pattern == OPENPYXL.pattern
    assert ILLEGAL_CHARACTERS_RE.flags == OPENPYXL.flags
    code = ("import sys, matcher.planner, matcher.check, matcher.io.plan_writer\n"
            "print(any(m.split('.')[0] == 'openpyxl' for m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120).stdout
    assert out.strip() == "False"
