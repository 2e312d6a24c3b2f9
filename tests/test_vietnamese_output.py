"""Vietnamese output has no English and keeps every accent (issue 18, must-show 1).

The sample roster's full command-line run in Vietnamese (``run.py plan --lang vi`` with
every output: the workbook, the JSON, one CSV per sheet, the calendars and the documents
to sign, progress lines included; ``run.py validate``; and planning again with 30 new
releases from the plan workbook: its workbook and JSON) is read back whole: every cell
of every sheet, every ``*_vi`` field of the JSON, every calendar's text, every paragraph
and table cell of each ``.docx`` (the ward lists and the zip of assignment papers), and
what the commands print.

1. No text contains a word of :data:`FORBIDDEN` (setting keys, enum codes, solver
   jargon, English words; whole words, any case, the single-letter codes M/F only in
   capitals) nor a retired Vietnamese term (:data:`RETIRED`: "cận", "lời giải", "khả
   thi", "chứng nhận", a bare "quy tắc 4"). Ids (R00001, M001, J0005, L001), file names,
   paths and hashes are not words and are left out first.
2. Every name from the roster with accents (returnees, mentors, employers, wards) is
   written with them: its accent-stripped form never appears as a whole word, and each
   output text is in composed form (NFC), so what is shown is what the coordinator typed.

A failure lists each offender as file › sheet!cell (or field, or line) › the word, so
the module that wrote it is found at once.
"""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
import unicodedata
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from matcher import domain, schema
from matcher.text import strip_accents

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample" / "roster.xlsx"

# ---------------------------------------------------------------- the word lists

ENGLISH_WORDS = {
    # solver and planning jargon
    "optimal", "optimum", "bound", "bounds", "feasible", "infeasible", "solver", "solve",
    "solved", "tier", "tiers", "objective", "rerun", "status",
    # the people and things, in English
    "mentor", "mentors", "returnee", "returnees", "roster", "job", "jobs", "training",
    "ward", "wards", "visit", "visits", "schedule", "plan", "loan", "loans", "pool",
    "employer", "capacity", "score", "points", "gap", "gaps", "coverage",
    # English function words (a sentence left in English)
    # ("in", "to", "no" are Vietnamese words too: print, big, full)
    "the", "with", "and", "of", "for", "from", "not", "is", "are", "at", "by", "this",
    # progress stages and statuses in English
    "reading", "candidates", "regions", "explanations", "done", "writing", "running",
    "error", "errors", "warning", "warnings", "true", "false", "null", "yes",
    "OPTIMAL", "FEASIBLE", "UNKNOWN",
}
# enum codes of the roster and the plan (visit kinds, changes, loan statuses, slots)
CODES = {
    "first", "follow_up", "follow-up", "new", "kept", "changed", "ended", "funded",
    "granted", "left_out", "ineligible", "morning", "afternoon", "evening", "require",
    "forbid", "prefer", "mentor_id", "returnee_id", "job_id", "training_id",
    "same_ward", "skill_fit", "job_or_training", "job_affinity", "away_from_home",
}
CODES |= set(domain.OFFENSES) | set(domain.SPECIALTIES) | set(domain.SHIFTS)
CODES |= set(domain.COURSE_SCHEDULES) | set(domain.GENDER_RULES) | set(domain.LOAN_PURPOSES)
CODES |= set(domain.RISK_NAMES.values())
CODES |= {s.name for s in domain.SETTING_SPECS}
for _sheet in schema.SHEETS:  # the roster's codes: sheet keys, English sheet names, columns
    CODES |= {_sheet.key, _sheet.en}
    CODES |= {c.key for c in _sheet.columns if "_" in c.key}
    CODES |= {c.en for c in _sheet.columns if "_" in c.en}
FORBIDDEN = {w.lower() for w in ENGLISH_WORDS | CODES}
CAPITAL_CODES = set(domain.GENDERS)  # "M", "F": only as capital letters on their own
# Vietnamese words the glossary retired (docs/glossary.md), and bare rule numbers
RETIRED = [r"\bcận\b", r"lời giải", r"khả thi", r"chứng nhận", r"tối ưu", r"quy tắc \d+",
           r"\bcapacity\b", r"\bccb\b"]
# not words: ids of people, places and pools; file names and paths; hashes; urls
NOT_WORDS = re.compile(
    r"\b[A-Z]{1,3}\d+\b"  # R00001, M001, J0005, T03, L001, P1
    r"|(?<![\w/])(?:[A-Za-z]:|\.{1,2})?[/\\][^\s:]*"  # absolute and ./ paths (to the end)
    r"|[^\s/]+\.(?:xlsx|xlsm|xls|csv|json|zip|ics|docx|ods|md)\b"  # file names
    r"|\b[0-9a-f]{12,}\b"  # SHA-256 and other hashes
    r"|https?://\S+"
)
WORD = re.compile(r"[^\W\d_]+(?:[-_][^\W\d_]+)*")


def offending(text: str) -> list[str]:
    """The forbidden words and retired phrases in one text."""
    clean = NOT_WORDS.sub(" ", text)
    found = []
    for word in WORD.findall(clean):
        if (word.lower() in FORBIDDEN and len(word) > 1) or word in CAPITAL_CODES:
            found.append(word)
        elif "_" in word or "-" in word:
            found += [p for p in re.split(r"[-_]", word) if p.lower() in FORBIDDEN
                      and len(p) > 1]
    lowered = clean.lower()
    found += [p for p in RETIRED if re.search(p, lowered)]
    return found


# ---------------------------------------------------------------- the run and its texts

@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    """Run the sample roster through every output in Vietnamese; the folder and what
    the commands printed (standard output and error: the progress lines)."""
    out = tmp_path_factory.mktemp("vi")
    argv = [sys.executable, str(ROOT / "run.py"), "plan", str(SAMPLE), "--lang", "vi",
            "--out", str(out / "kế hoạch.xlsx"), "--json", str(out / "kế hoạch.json"),
            "--csv", str(out / "csv"), "--ics", str(out / "lịch"),
            "--documents", str(out / "giấy tờ"), "--details"]
    plan = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, timeout=600,
                          check=False, encoding="utf-8")
    assert plan.returncode == 0, plan.stdout[-3000:] + plan.stderr[-3000:]
    validate = subprocess.run([sys.executable, str(ROOT / "run.py"), "validate", str(SAMPLE)],
                              capture_output=True, text=True, cwd=ROOT, timeout=300,
                              check=False, encoding="utf-8")
    assert validate.returncode == 0, validate.stdout[-3000:] + validate.stderr[-3000:]
    # planning again with 30 new releases, from the plan workbook just written
    releases = _new_releases(out / "người mới về.xlsx")
    rerun = subprocess.run([sys.executable, str(ROOT / "run.py"), "plan", str(SAMPLE),
                            str(releases), "--previous", str(out / "kế hoạch.xlsx"),
                            "--out", str(out / "lập lại.xlsx"),
                            "--json", str(out / "lập lại.json")],
                           capture_output=True, text=True, cwd=ROOT, timeout=600,
                           check=False, encoding="utf-8")
    assert rerun.returncode == 0, rerun.stdout[-3000:] + rerun.stderr[-3000:]
    printed = {"plan (stdout)": plan.stdout, "plan (stderr: progress)": plan.stderr,
               "validate (stdout)": validate.stdout, "validate (stderr)": validate.stderr,
               "plan again (stdout)": rerun.stdout, "plan again (stderr)": rerun.stderr}
    return out, printed


def _new_releases(path: Path) -> Path:
    """A file of 30 new returnees (their Returnees sheet only, Vietnamese headers)."""
    import dataclasses

    from openpyxl import load_workbook

    from matcher.generate import generate_roster
    from matcher.io.reader import read_roster
    from matcher.io.roster_writer import write_roster

    base = read_roster(SAMPLE)
    donor = generate_roster("city", 5)
    new = tuple(dataclasses.replace(r, id=f"N{i:03d}", group=None)
                for i, r in enumerate(donor.returnees[:30]))
    write_roster(dataclasses.replace(base, returnees=new, mentors=(), jobs=(), trainings=(),
                                     pairs=()), path, lang="vi")
    wb = load_workbook(path)
    for name in wb.sheetnames[1:]:
        del wb[name]
    wb.save(path)
    return path


def _cell_texts(path: Path) -> Iterator[tuple[str, str, str]]:
    from openpyxl import load_workbook

    wb = load_workbook(path)
    for ws in wb.worksheets:
        yield path.name, "sheet name", ws.title
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    yield path.name, f"{ws.title}!{cell.coordinate}", cell.value
        for part in ("oddHeader", "oddFooter", "evenHeader", "evenFooter", "firstHeader",
                     "firstFooter"):
            hf = getattr(ws, part, None)
            for side in ("left", "center", "right"):
                t = getattr(getattr(hf, side, None), "text", None)
                if t:
                    yield path.name, f"{ws.title} {part}.{side}", t
        for dv in getattr(ws.data_validations, "dataValidation", []):
            for label, t in (("prompt", dv.prompt), ("error", dv.error),
                             ("promptTitle", dv.promptTitle), ("errorTitle", dv.errorTitle)):
                if t:
                    yield path.name, f"{ws.title} validation {label}", t
        for cell_ref, comment in ((c.coordinate, c.comment) for r in ws.iter_rows()
                                  for c in r if c.comment):
            yield path.name, f"{ws.title}!{cell_ref} comment", comment.text


def _json_texts(path: Path) -> Iterator[tuple[str, str, str]]:
    """Every ``*_vi`` field and every string under a Vietnamese key (one with letters
    beyond ASCII), wherever it is in the JSON."""

    def walk(value, where: str, vietnamese: bool):
        if isinstance(value, dict):
            for k, v in value.items():
                yield from walk(v, f"{where}.{k}", vietnamese or k.endswith("_vi")
                                or not k.isascii())
        elif isinstance(value, list):
            for i, v in enumerate(value):
                yield from walk(v, f"{where}[{i}]", vietnamese)
        elif isinstance(value, str) and vietnamese:
            yield path.name, where, value

    yield from walk(json.loads(path.read_text(encoding="utf-8")), "", False)


def _all_json_strings(path: Path) -> Iterator[tuple[str, str, str]]:
    def walk(value, where: str):
        if isinstance(value, dict):
            for k, v in value.items():
                yield from walk(v, f"{where}.{k}")
        elif isinstance(value, list):
            for i, v in enumerate(value):
                yield from walk(v, f"{where}[{i}]")
        elif isinstance(value, str):
            yield path.name, where, value

    yield from walk(json.loads(path.read_text(encoding="utf-8")), "")


def _csv_texts(folder: Path) -> Iterator[tuple[str, str, str]]:
    for path in sorted(folder.glob("*.csv")):
        with path.open(encoding="utf-8-sig", newline="") as fh:
            for r, row in enumerate(csv.reader(fh), 1):
                for c, value in enumerate(row, 1):
                    if value:
                        yield f"csv/{path.name}", f"row {r} col {c}", value


def _ics_texts(folder: Path) -> Iterator[tuple[str, str, str]]:
    from icalendar import Calendar

    for path in sorted(folder.glob("*.ics")):
        cal = Calendar.from_ical(path.read_bytes())
        for component in cal.walk():
            if component.name in ("VTIMEZONE", "STANDARD", "DAYLIGHT"):
                continue  # the time zone's rules: icalendar's, read by no one
            for name, value in component.property_items(recursive=False):
                if name in ("SUMMARY", "DESCRIPTION", "LOCATION", "COMMENT", "CATEGORIES",
                            "X-WR-CALNAME", "X-WR-CALDESC", "TZNAME", "CONTACT"):
                    text = value.to_ical().decode("utf-8") if hasattr(value, "to_ical") \
                        else str(value)
                    text = text.replace("\\n", "\n").replace("\\,", ",").replace("\\;", ";")
                    yield f"lịch/{path.name}", f"{component.name} {name}", text


def _docx_texts(name: str, data: bytes) -> Iterator[tuple[str, str, str]]:
    from docx import Document

    doc = Document(io.BytesIO(data))

    def paragraphs(container, where):
        for i, p in enumerate(container.paragraphs):
            if p.text.strip():
                yield name, f"{where} paragraph {i + 1}", p.text
        for t, table in enumerate(container.tables):
            for r, row in enumerate(table.rows):
                for c, cell in enumerate(row.cells):
                    if cell.text.strip():
                        yield name, f"{where} table {t + 1} row {r + 1} cell {c + 1}", cell.text

    yield from paragraphs(doc, "body")
    for s, section in enumerate(doc.sections):
        for part in ("header", "footer", "first_page_header", "first_page_footer"):
            yield from paragraphs(getattr(section, part), f"section {s + 1} {part}")


def _documents(folder: Path) -> Iterator[tuple[str, str, str]]:
    for path in sorted(folder.rglob("*")):
        if path.suffix == ".docx":
            yield from _docx_texts(path.name, path.read_bytes())
        elif path.suffix == ".zip":
            with zipfile.ZipFile(path) as zf:
                for info in zf.infolist():
                    if info.filename.endswith(".docx"):
                        yield from _docx_texts(f"{path.name}/{info.filename}",
                                               zf.read(info))


def texts(outputs, json_strings=_json_texts) -> list[tuple[str, str, str]]:
    """(file, place, text) of everything the Vietnamese run wrote or printed."""
    out, printed = outputs
    found: list[tuple[str, str, str]] = []
    for name, text in printed.items():  # the output folder is the test's, not a word
        found += [(name, f"line {i}", line.replace(str(out), "…"))
                  for i, line in enumerate(text.splitlines(), 1) if line.strip()]
    found += list(_cell_texts(out / "kế hoạch.xlsx"))
    found += list(json_strings(out / "kế hoạch.json"))
    found += list(_csv_texts(out / "csv"))
    found += list(_ics_texts(out / "lịch"))
    found += list(_documents(out / "giấy tờ"))
    found += list(_cell_texts(out / "lập lại.xlsx"))
    found += list(json_strings(out / "lập lại.json"))
    return found


@pytest.fixture(scope="module")
def written(outputs) -> list[tuple[str, str, str]]:
    return texts(outputs)


def _report(problems: list[str], limit: int = 120) -> str:
    more = f"\n… and {len(problems) - limit} more" if len(problems) > limit else ""
    return f"{len(problems)} offenders:\n" + "\n".join(problems[:limit]) + more


# ---------------------------------------------------------------- the tests

def test_the_run_writes_every_output(outputs, written):
    _, printed = outputs
    found = written
    files = {f.split("/")[0] for f, _, _ in found}
    assert {"kế hoạch.xlsx", "kế hoạch.json", "csv", "lịch", "lập lại.xlsx"} <= files, files
    assert any(f.endswith(".docx") for f, _, _ in found)
    assert any(".zip/" in f for f, _, _ in found)
    assert printed["plan (stderr: progress)"].strip(), "the progress lines are printed"


def test_the_word_check_catches_what_it_should():
    """The checker itself: English words, codes and jargon are caught as whole words;
    ids, file names, hashes and Vietnamese words that merely contain them are not."""
    assert offending("Kế hoạch đã tối ưu") == [r"tối ưu"]
    assert offending("quy tắc 4 (women_to_women)") == ["women_to_women", r"quy tắc \d+"]
    assert offending("mentor_max_km = 5") == ["mentor_max_km"]
    assert offending("Proved optimal, bound 12") == ["optimal", "bound"]
    assert offending("Giới tính: M") == ["M"]
    assert offending("R00012 ghép với M001 (kế hoạch.xlsx, a3f9c2e1d4b5a6f7)") == []
    assert offending("Thăm lần đầu; thăm định kỳ; Đồng Tiến; ngày 01/12/2026") == []
    assert offending("Cận trên 5") == [r"\bcận\b"]
    assert offending("lần thăm first/follow-up; Phường/Xã") == ["first", "follow-up"]
    assert offending(r"Đã ghi /tmp/the_plan/kế_hoạch.xlsx và C:\Users\the\plan.json") == []


def test_no_english_or_codes_in_vietnamese_output(written):
    """Nothing the Vietnamese run writes or prints holds an English word, a setting key,
    an enum code, solver jargon or a retired Vietnamese term."""
    problems = []
    for name, place, text in written:
        for word in offending(text):
            problems.append(f"{name} › {place} › {word!r} in {text[:100]!r}")
    assert not problems, _report(problems)


def _stripped(name: str) -> str:
    return unicodedata.normalize("NFC", strip_accents(name))


def _accented_names() -> dict[str, str]:
    """The sample roster's names that carry accents (people, employers, wards, course
    providers, skills and sectors): name -> what it is."""
    from matcher.io.reader import read_roster

    roster = read_roster(SAMPLE)
    names: dict[str, str] = {}

    def ward_of(thing) -> None:
        ward = getattr(getattr(thing, "location", None), "ward", None)
        if ward:
            names.setdefault(ward, "ward")

    for r in roster.returnees:
        names[r.full_name] = f"returnee {r.id}"
        ward_of(r)
        for skill in r.skills:  # "lái xe", "xây dựng": the reasons quote them
            names.setdefault(skill, f"skill of {r.id}")
    for m in roster.mentors:
        names[m.full_name] = f"mentor {m.id}"
        ward_of(m)
    for j in roster.jobs:
        names[j.employer] = f"employer of {j.id}"
        names.setdefault(j.sector, f"sector of {j.id}")
        ward_of(j)
    for t in roster.trainings:
        names.setdefault(t.provider, f"provider of {t.id}")
        names.setdefault(t.sector, f"sector of {t.id}")
        ward_of(t)
    return {n: what for n, what in names.items()
            if n and _stripped(n) != n and len(_stripped(n)) > 3}


def test_names_keep_their_accents_everywhere(outputs):
    """Each name from the roster that has accents appears with them: its stripped form
    is never written as a whole word, and every output text is in composed form (NFC).
    The names do appear (most returnees and mentors by name somewhere)."""
    names = _accented_names()
    assert len(names) > 100
    everything = texts(outputs, json_strings=_all_json_strings)
    stripped = {_stripped(n): n for n in names}

    def alternation(words) -> re.Pattern[str]:
        ordered = sorted(words, key=len, reverse=True)  # longest first
        return re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, ordered)) + r")(?!\w)")

    stripped_re, accented_re = alternation(stripped), alternation(names)
    problems = []
    seen: set[str] = set()
    for name, place, text in everything:
        if not unicodedata.is_normalized("NFC", text):
            problems.append(f"{name} › {place} › not in composed form: {text[:80]!r}")
        text = unicodedata.normalize("NFC", text)
        for m in stripped_re.finditer(text):
            n = stripped[m.group(0)]
            problems.append(f"{name} › {place} › {m.group(0)!r} for {n!r} ({names[n]})")
        seen.update(accented_re.findall(text))
    people = [n for n, what in names.items() if what.startswith(("returnee", "mentor"))]
    shown = sum(n in seen for n in people)
    assert shown >= 0.5 * len(people), f"only {shown} of {len(people)} names shown"
    assert not problems, _report(problems)
