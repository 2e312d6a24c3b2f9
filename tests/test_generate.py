"""Synthetic roster generator (matcher.generate) and roster writer (matcher.io.roster_writer)."""

from __future__ import annotations

import csv
import datetime as dt
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import openpyxl
import pytest

from matcher import schema, values
from matcher.domain import OFFENSES, Location, Returnee, Roster
from matcher.gazetteer import Gazetteer
from matcher.generate import (
    DATA_DIR,
    SAMPLE,
    SCALES,
    SECTOR_NAMES,
    counts,
    generate,
    generate_roster,
    make_sample,
    planned_counts,
)
from matcher.io.roster_writer import WORDS, write_roster, write_roster_csv
from matcher.text import fold

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_PATH = ROOT / "data" / "sample" / "roster.xlsx"


@pytest.fixture(scope="module")
def ward() -> Roster:
    return generate_roster("ward", 11)


@pytest.fixture(scope="module")
def city() -> Roster:
    return generate_roster("city", 11)


def _cells(path: Path) -> dict[str, list[tuple]]:
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        return {ws.title: [tuple(r) for r in ws.iter_rows(values_only=True)]
                for ws in wb.worksheets}
    finally:
        wb.close()


def _records(path: Path | dict[str, list[tuple]], sheet: schema.Sheet,
             lang: str) -> list[dict[str, object]]:
    """Rows of one sheet as {column key: raw cell value}, headers looked up in the schema."""
    cells = _cells(path) if isinstance(path, Path) else path
    rows = cells[getattr(sheet, lang)]
    by_header = {getattr(c, lang): c.key for c in sheet.columns}
    keys = [by_header[h] for h in rows[0]]
    # a read-only sheet may drop trailing empty cells: pad every row to the header
    return [dict(zip(keys, (*r, *[None] * (len(keys) - len(r))))) for r in rows[1:]]


def _gazetteer_names() -> set[str]:
    with (DATA_DIR / "gazetteer" / "thanh_hoa_2025_units.csv").open(encoding="utf-8") as f:
        return {row["name"] for row in csv.DictReader(f)}


def _km(a: Location, b: Location) -> float:
    p1, p2 = math.radians(a.lat), math.radians(b.lat)
    dl = math.radians(b.lon - a.lon)
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(h))


# ------------------------------------------------------------------- determinism and sizes

def test_ward_scale_same_seed_gives_same_roster_and_cells(tmp_path: Path) -> None:
    """Two runs with one seed give equal Rosters (every field, including locations and
    dates) and workbooks with identical cell values on every sheet."""
    a, b = generate_roster("ward", 42), generate_roster("ward", 42)
    assert a == b
    assert [r.location for r in a.returnees] == [r.location for r in b.returnees]
    generate("ward", 42, tmp_path / "a.xlsx")
    generate("ward", 42, tmp_path / "b.xlsx")
    cells = _cells(tmp_path / "a.xlsx")
    assert cells == _cells(tmp_path / "b.xlsx")
    assert len(cells["Returnees"]) == 41


def test_same_seed_same_cells_across_processes_with_different_hash_seeds(tmp_path: Path) -> None:
    """The file does not depend on Python's string hash randomisation (set/dict order):
    two interpreters with different PYTHONHASHSEED write the same cells."""
    code = ("import sys; from matcher.generate import generate; "
            "generate('ward', 5, sys.argv[1], lang='vi')")
    for seed, name in (("1", "h1.xlsx"), ("987", "h2.xlsx")):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run([sys.executable, "-c", code, str(tmp_path / name)], check=True,
                       env=env, cwd=ROOT)
    assert _cells(tmp_path / "h1.xlsx") == _cells(tmp_path / "h2.xlsx")


def test_different_seeds_give_different_rosters() -> None:
    """Another seed changes the people, not just their order."""
    a, b = generate_roster("ward", 1), generate_roster("ward", 2)
    assert a != b
    assert {r.full_name for r in a.returnees} != {r.full_name for r in b.returnees}


@pytest.mark.parametrize("scale", ["ward", "city"])
def test_sizes_per_scale(scale: str, request: pytest.FixtureRequest) -> None:
    """Ward and city scales have exactly the SPEC §10 counts; city openings hold about
    1,000 slots; courses and Pairs rows follow their ratios."""
    roster = request.getfixturevalue(scale)
    got = counts(roster)
    want = planned_counts(scale)
    for key in ("returnees", "mentors", "jobs", "trainings", "pairs"):
        assert got[key] == want[key], key
    if scale == "city":
        assert 900 <= got["job_slots"] <= 1100
        assert want["trainings"] == 40 and want["pairs"] == 10
    assert all(15 <= t.seats <= 25 for t in roster.trainings)
    assert all(1 <= j.slots <= 6 for j in roster.jobs)


def test_scale_table_matches_spec() -> None:
    """The province and national sizes (too slow to generate in a test) are the SPEC §10
    figures; the generator draws exactly these counts (checked above on ward and city)."""
    assert planned_counts("province") == {"returnees": 10_000, "mentors": 20_000,
                                          "jobs": 4_000, "trainings": 400, "pairs": 100}
    assert planned_counts("national") == {"returnees": 100_000, "mentors": 150_000,
                                          "jobs": 40_000, "trainings": 4_000, "pairs": 1_000}
    assert (SCALES["ward"].returnees, SCALES["ward"].mentors, SCALES["ward"].openings) == (
        40, 80, 30)
    with pytest.raises(ValueError):
        generate_roster("village", 1)


# ------------------------------------------------------------------------------- realism

def test_city_mixes_are_realistic(city: Roster) -> None:
    """The documented mixes hold roughly: ~10 % female returnees, ~15 % female mentors,
    offense and risk shares, release window, birth years, ~5 % co-offenders in groups of
    2-4, ids and phone format, availability on about half."""
    rs, ms = city.returnees, city.mentors
    plan = city.settings.plan_date

    def share(xs, f):
        return sum(map(f, xs)) / len(xs)

    assert 0.07 <= share(rs, lambda r: r.gender == "F") <= 0.13
    assert 0.12 <= share(ms, lambda m: m.gender == "F") <= 0.18
    assert 0.30 <= share(rs, lambda r: r.offense == "drugs") <= 0.40
    assert 0.35 <= share(rs, lambda r: r.risk == 1) <= 0.45
    assert 0.16 <= share(rs, lambda r: r.risk == 3) <= 0.24
    drugs = [r for r in rs if r.offense == "drugs"]
    assert share(drugs, lambda r: r.risk == 3) > share(rs, lambda r: r.risk == 3)
    assert all(1960 <= r.birth_year <= 2006 for r in rs)
    assert all(1950 <= m.birth_year <= 1980 for m in ms)
    assert all(plan - dt.timedelta(days=549) <= r.release_date <= plan + dt.timedelta(days=62)
               for r in rs)
    assert any(r.release_date > plan for r in rs)
    groups: dict[str, list[Returnee]] = {}
    for r in rs:
        if r.group:
            groups.setdefault(r.group, []).append(r)
    assert 0.04 <= sum(map(len, groups.values())) / len(rs) <= 0.07
    for members in groups.values():
        assert 2 <= len(members) <= 4
        assert len({m.offense for m in members}) == 1
        assert max(_km(members[0].location, m.location) for m in members) < 20
    assert 0.4 <= share(rs, lambda r: r.availability is not None) <= 0.6
    assert 0.01 <= share(ms, lambda m: not m.active) <= 0.06
    assert all(m.phone is None or (len(m.phone) == 10 and m.phone.isdigit()) for m in ms)
    assert rs[0].id == "R00001" and ms[0].id == "M00001" and city.jobs[0].id == "J0001"
    assert city.trainings[0].id == "T001"
    assert len({j.employer for j in city.jobs}) < len(city.jobs)  # grouped by employer
    assert any(j.excluded_offenses for j in city.jobs)
    assert any(j.shift == "night" for j in city.jobs)
    assert 0.05 <= share([*rs, *ms], lambda p: p.location.from_ward_point) <= 0.12


def test_availability_phrases_fit_the_scheduler(city: Roster) -> None:
    """Every availability phrase reads, its Vietnamese and English forms mean the same;
    most job seekers give evenings or weekends (something left beside a day-shift job),
    mentors are mostly free in the daytime with some evenings or Sundays, and a minority
    of each is awkward (so unscheduled visits with a reason still occur)."""
    from matcher.availability import parse_availability
    from matcher.generate import (
        AVAILABILITY_JOB_SEEKER,
        AVAILABILITY_MENTOR,
        AVAILABILITY_RETURNEE_OTHER,
    )
    from matcher.schedule import WORK_DAYS

    for table in (AVAILABILITY_JOB_SEEKER, AVAILABILITY_RETURNEE_OTHER, AVAILABILITY_MENTOR):
        assert sum(w for w, _, _ in table) == pytest.approx(1.0)
        for _, vi, en in table:
            assert parse_availability(vi) == parse_availability(en), (vi, en)
    day_shift = {(d, s) for d in WORK_DAYS for s in ("morning", "afternoon")}
    seekers = [parse_availability(r.availability) for r in city.returnees
               if r.wants_job and r.availability]
    after_work = sum(bool(a - day_shift) for a in seekers) / len(seekers)
    assert 0.75 <= after_work < 0.95
    mentors = [parse_availability(m.availability) for m in city.mentors if m.availability]
    daytime = sum(sum(s != "evening" for _, s in a) >= 6 for a in mentors) / len(mentors)
    beyond = sum(any(s == "evening" or d == 6 for d, s in a) for a in mentors) / len(mentors)
    few_mornings = sum(all(s == "morning" for _, s in a) for a in mentors) / len(mentors)
    assert daytime >= 0.7 and beyond >= 0.6 and 0.05 <= few_mornings <= 0.2


def test_every_ward_name_exists_in_the_gazetteer(ward: Roster, city: Roster) -> None:
    """Every ward written by the generator (ward and city scales, and the bundled sample)
    is a 2025 unit name from data/gazetteer/thanh_hoa_2025_units.csv, never a misplaced
    point, and ward-point locations sit exactly on the unit point."""
    names = _gazetteer_names()
    with (DATA_DIR / "gazetteer" / "thanh_hoa_2025_units.csv").open(encoding="utf-8") as f:
        rows = {r["name"]: r for r in csv.DictReader(f)}
    sample = make_sample_roster()
    for roster in (ward, city, sample):
        for obj in (*roster.returnees, *roster.mentors, *roster.jobs, *roster.trainings):
            loc = obj.location
            assert loc.ward in names
            assert not rows[loc.ward]["coord_note"].startswith("MISPLACED")
            if loc.from_ward_point:
                assert (loc.lat, loc.lon) == (float(rows[loc.ward]["lat"]),
                                              float(rows[loc.ward]["lon"]))
                assert loc.unreliable == bool(rows[loc.ward]["coord_note"])


def make_sample_roster() -> Roster:
    from matcher.generate import DEFAULT_PLAN_DATE, SAMPLE_SEED, _build

    return _build(SAMPLE, SAMPLE_SEED, DEFAULT_PLAN_DATE)


@pytest.mark.parametrize("seed", range(8))
def test_ward_scale_leaves_a_mentor_within_reach_of_most(seed: int) -> None:
    """At ward scale at least 85 % of returnees have a feasible mentor (active, within
    5 km and the mentor's max_km, risk ≤ max_risk, women with women) — density is
    enough for the plan to cover most people."""
    roster = generate_roster("ward", seed)
    reachable = 0
    for r in roster.returnees:
        reachable += any(
            m.active and m.capacity > 0 and r.risk <= m.max_risk
            and (r.gender == "M" or m.gender == "F")
            and _km(r.location, m.location) <= min(5.0, m.max_km or 5.0)
            for m in roster.mentors)
    assert reachable / len(roster.returnees) >= 0.85


def test_pairs_never_require_and_forbid_the_same_pair_and_requires_are_feasible(
        city: Roster, ward: Roster) -> None:
    """No pair appears twice in Pairs (so never require + forbid); every require names a
    distinct returnee and mentor and is feasible (gender, ≤ 5 km, risk, active, no hour
    limit); every id exists; the rows mix forbid, require and affinity."""
    for roster in (city, ward, make_sample_roster()):
        keys = [(p.returnee_id, p.mentor_id, p.job_id) for p in roster.pairs]
        assert len(keys) == len(set(keys))
        rules = {p.rule for p in roster.pairs}
        assert {"require", "forbid", None} <= rules
        requires = [p for p in roster.pairs if p.rule == "require"]
        assert len({p.returnee_id for p in requires}) == len(requires)
        assert len({p.mentor_id for p in requires}) == len(requires)
        for p in roster.pairs:
            r = roster.returnee(p.returnee_id)
            if p.job_id is not None:
                roster.job(p.job_id)
                assert p.rule != "require"
                continue
            m = roster.mentor(p.mentor_id)
            if p.rule == "require":
                assert m.active and m.capacity >= 1 and m.hours_per_month is None
                assert r.risk <= m.max_risk
                assert r.gender == "M" or m.gender == "F"
                assert _km(r.location, m.location) <= min(5.0, m.max_km or 5.0)
            if p.rule is None:
                assert p.affinity > 0


# ------------------------------------------------------------------------------- writer

_KIND_TABLES = {
    "gender": values.GENDER_WORDS, "offense": values.OFFENSE_WORDS,
    "risk": values.RISK_WORDS, "shift": values.SHIFT_WORDS,
    "schedule": values.SCHEDULE_WORDS, "rule": values.RULE_WORDS,
    "specialty": values.SPECIALTY_WORDS, "loan_purpose": values.LOAN_PURPOSE_WORDS,
}


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_every_enum_word_the_writer_uses_parses_back(lang: str) -> None:
    """Each word in the writer's tables (with and without accents) parses through the
    matcher.values tables to the value it stands for."""
    from matcher.text import strip_accents

    for kind, table in WORDS[lang].items():
        for value, word in table.items():
            for w in {word, strip_accents(word) if isinstance(word, str) else word}:
                if kind == "bool":
                    assert values.parse_bool(w) is value
                elif kind == "risk":
                    assert int(values.parse_choice(w, values.RISK_WORDS)) == value
                else:
                    assert values.parse_choice(w, _KIND_TABLES[kind]) == value, (kind, w)


def _parse(kind: str, raw: object) -> object:
    if values.is_blank(raw):
        return None
    if kind in ("gender", "offense", "shift", "schedule", "rule", "loan_purpose"):
        return values.parse_choice(raw, _KIND_TABLES[kind])
    if kind == "wards":
        return frozenset(w.strip() for w in str(raw).split(";"))
    if kind == "risk":
        return int(values.parse_choice(raw, values.RISK_WORDS))
    if kind == "bool":
        return values.parse_bool(raw)
    if kind == "date":
        return values.parse_date(raw)
    if kind == "specialties":
        return values.parse_list(raw, values.SPECIALTY_WORDS)
    if kind == "offenses":
        return values.parse_list(raw, values.OFFENSE_WORDS)
    if kind == "list":
        return values.parse_list(raw)
    if kind in ("number",):
        return values.parse_number(raw)
    if kind == "int":
        return values.parse_int(raw)
    return values.parse_text(raw)


_DEFAULTS = {"specialties": frozenset(), "offenses": frozenset(), "list": frozenset()}


@pytest.mark.parametrize(("lang", "options"), [
    ("en", {}), ("vi", {}), ("vi", {"strip_accents": True}), ("en", {"dates_as_text": True}),
])
def test_writer_round_trips_every_value(tmp_path: Path, lang: str, options: dict) -> None:
    """Every cell the writer puts in Returnees, Mentors, Jobs, Training and Pairs parses
    back through matcher.values to the value in the Roster (enums in the chosen
    language, dates as Excel dates or dd/mm/yyyy text, lists, numbers, lat/lon present
    exactly when the point is not the ward's); sheet names and headers are the schema's."""
    roster = make_sample_roster()
    assert {j.shift for j in roster.jobs} == {"day", "night", "any"}
    assert {t.schedule for t in roster.trainings} == {"day", "evening"}
    assert {p.rule for p in roster.pairs} == {"require", "forbid", None}
    assert {r.offense for r in roster.returnees} == set(OFFENSES)
    assert {r.risk for r in roster.returnees} == {1, 2, 3}
    assert {r.gender for r in roster.returnees} == {"M", "F"}
    path = tmp_path / "r.xlsx"
    write_roster(roster, path, lang=lang, skill_names=SECTOR_NAMES, **options)
    cells = _cells(path)
    titles = list(cells)
    assert titles == [getattr(s, lang) for s in (schema.RETURNEES, schema.MENTORS, schema.JOBS,
                                                  schema.TRAINING, schema.PAIRS,
                                                  schema.LOANS, schema.SETTINGS)]
    strip = options.get("strip_accents", False)
    for sheet, objs in ((schema.RETURNEES, roster.returnees), (schema.MENTORS, roster.mentors),
                        (schema.JOBS, roster.jobs), (schema.TRAINING, roster.trainings),
                        (schema.PAIRS, roster.pairs)):
        records = _records(cells, sheet, lang)
        assert len(records) == len(objs)
        for rec, obj in zip(records, objs):
            for col in sheet.columns:
                raw = rec[col.key]
                if col.key in ("lat", "lon"):
                    loc = obj.location
                    assert raw == (None if loc.from_ward_point else getattr(loc, col.key))
                    continue
                if col.key == "ward":
                    if strip:  # without accents a name may match several units
                        assert fold(raw).startswith(fold(obj.location.ward))
                    else:  # the unit, resolved the way the reader does
                        hit = Gazetteer.bundled().resolve(raw)
                        assert hit.status == "ok" and hit.point.name == obj.location.ward
                    continue
                if col.kind == "date" and raw is not None:
                    assert isinstance(raw, str if options.get("dates_as_text") else dt.datetime)
                got = _parse(col.kind, raw)
                want = getattr(obj, col.key)
                if col.key == "affinity" and want == 0:
                    want = None
                if got is None:
                    got = _DEFAULTS.get(col.kind)
                    want = want or _DEFAULTS.get(col.kind)
                if col.kind in ("text", "id", "list") and strip:
                    got = fold(got) if isinstance(got, str) else got
                    want = fold(want) if isinstance(want, str) else want
                assert got == (want if want != "" else None), (sheet.en, col.key, raw)


def test_writer_keeps_skill_accents_and_enum_words_in_vietnamese(ward: Roster,
                                                                  tmp_path: Path) -> None:
    """A Vietnamese file says Nam/Nữ, ma túy, thấp/trung bình/cao, có/không, and skills
    with their accents ("may mặc"), though the Roster keeps skills folded."""
    path = tmp_path / "vi.xlsx"
    write_roster(ward, path, lang="vi", skill_names=SECTOR_NAMES)
    recs = _records(path, schema.RETURNEES, "vi")
    assert {r["gender"] for r in recs} <= {"Nam", "Nữ"}
    assert {r["risk"] for r in recs} <= {"thấp", "trung bình", "cao"}
    assert {r["wants_job"] for r in recs} <= {"có", "không"}
    assert {r["offense"] for r in recs} <= set(WORDS["vi"]["offense"].values())
    skills = {s for r in recs if r["skills"] for s in r["skills"].split(", ")}
    assert skills and skills <= set(SECTOR_NAMES)
    assert all(s == fold(s) for r in ward.returnees for s in r.skills)


def test_settings_sheet_lists_plan_date_and_changed_settings(ward: Roster,
                                                             tmp_path: Path) -> None:
    """Settings holds plan_date (an Excel date) plus exactly the settings that differ from
    their defaults, each parsing back through parse_setting."""
    from matcher.domain import parse_setting

    roster = ward.with_settings(mentor_max_km=4.0, gender_rule="same_gender")
    path = tmp_path / "s.xlsx"
    write_roster(roster, path)
    rows = _cells(path)["Settings"]
    assert rows[0] == ("key", "value")
    got = {k: parse_setting(k, v) for k, v in rows[1:]}
    assert got == {"plan_date": dt.date(2026, 12, 1), "mentor_max_km": 4.0,
                   "gender_rule": "same_gender"}


def test_old_ward_names_and_strip_accents(ward: Roster, tmp_path: Path) -> None:
    """old_ward_names replaces a 2025 ward name by the given one; strip_accents writes
    names and wards without diacritics."""
    target = ward.returnees[0].location.ward
    path = tmp_path / "old.xlsx"
    write_roster(ward, path, old_ward_names={target: "Phường Điện Biên"}, strip_accents=True)
    recs = _records(path, schema.RETURNEES, "en")
    assert recs[0]["ward"] == "Phuong Dien Bien"
    assert all(str(r["full_name"]).isascii() and str(r["ward"]).isascii() for r in recs)


def test_formula_like_text_is_written_as_text(ward: Roster, tmp_path: Path) -> None:
    """A name starting with '=' is stored as a string cell, never as a formula."""
    import dataclasses

    r0 = dataclasses.replace(ward.returnees[0], full_name="=HYPERLINK(\"x\")")
    roster = dataclasses.replace(ward, returnees=(r0, *ward.returnees[1:]))
    path = tmp_path / "f.xlsx"
    write_roster(roster, path)
    ws = openpyxl.load_workbook(path)["Returnees"]
    assert ws["B2"].value == "=HYPERLINK(\"x\")" and ws["B2"].data_type == "s"


def test_csv_writer_one_file_per_sheet_with_bom(ward: Roster, tmp_path: Path) -> None:
    """write_roster_csv writes seven UTF-8-with-BOM files named after the sheets, with the
    schema headers and dd/mm/yyyy dates."""
    paths = write_roster_csv(ward, tmp_path, lang="vi")
    assert [p.name for p in paths] == [f"{s.vi}.csv" for s in (
        schema.RETURNEES, schema.MENTORS, schema.JOBS, schema.TRAINING, schema.PAIRS,
        schema.LOANS, schema.SETTINGS)]
    raw = paths[0].read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert rows[0] == [c.vi for c in schema.RETURNEES.columns]
    assert len(rows) == len(ward.returnees) + 1
    release = rows[1][[c.key for c in schema.RETURNEES.columns].index("release_date")]
    assert values.parse_date(release) == ward.returnees[0].release_date


# ------------------------------------------------------------------------------- sample

def test_bundled_sample_is_reproducible_and_vietnamese(tmp_path: Path) -> None:
    """data/sample/roster.xlsx is what make_sample writes (same cells), with Vietnamese
    sheet names, ~120 returnees / 200 mentors / 40 openings / 6 courses / 12 Pairs rows,
    and a few rows given by ward name only."""
    out = tmp_path / "sample.xlsx"
    got = make_sample(out)
    assert got["returnees"] == 120 and got["mentors"] == 200 and got["jobs"] == 40
    assert got["trainings"] == 6 and got["pairs"] == 12
    cells = _cells(out)
    assert cells == _cells(SAMPLE_PATH)
    assert list(cells)[:2] == [schema.RETURNEES.vi, schema.MENTORS.vi]
    recs = _records(out, schema.RETURNEES, "vi")
    ward_only = [r for r in recs if r["ward"] and r["lat"] is None]
    assert 2 <= len(ward_only) <= 20


def test_location_weights_favour_urban_wards(city: Roster) -> None:
    """People cluster in the urban phường: their share of returnees is well above their
    share of units."""
    phuong = np.mean([r.location.ward.startswith("Phường") for r in city.returnees])
    units = {r.location.ward for r in city.returnees}
    assert phuong > 1.5 * np.mean([u.startswith("Phường") for u in units])


# ------------------------------------------------------------------------------- reader

def test_ward_scale_file_reads_back_equal_to_generated_roster(tmp_path: Path) -> None:
    """Written in English and in Vietnamese (dates as text too), the ward-scale workbook
    reads back through matcher.io.reader to a Roster equal to the generated one, and so
    does the CSV set."""
    from matcher.io import reader

    roster = generate_roster("ward", 3).with_settings(mentor_max_km=4.5)
    for lang, opts in (("en", {}), ("vi", {"dates_as_text": True})):
        path = tmp_path / f"{lang}.xlsx"
        write_roster(roster, path, lang=lang, skill_names=SECTOR_NAMES, **opts)
        assert reader.read_roster(path) == roster
    paths = write_roster_csv(roster, tmp_path / "csv", skill_names=SECTOR_NAMES)
    assert reader.read_roster(paths) == roster
