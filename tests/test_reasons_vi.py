"""The planner's reasons and notes in Vietnamese (issue 18): over the sample roster's plan
and a rerun of it, every Vietnamese reason, note and suggestion names the rules by name
(never "quy tắc N"), has no English word, setting key, enum code or solver jargon, writes
numbers the Vietnamese way, and quotes the roster's words with their accents."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest

from matcher import catalog, explain
from matcher.context import build_context
from matcher.io.reader import read_roster
from matcher.planner import plan_roster
from matcher.review import committee_report, report_rows

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample" / "roster.xlsx"

# English words, setting keys, enum codes and solver words that must not reach a
# Vietnamese reader ("km" is Vietnamese too)
ENGLISH = ("rule", "rules", "mentor", "mentors", "mentee", "job", "jobs", "training",
           "course", "courses", "optimal", "bound", "feasible", "within", "nearest", "full",
           "slots", "seats", "capacity", "pool", "pairs", "row", "the", "and", "of", "is",
           "are", "for", "not", "risk", "skills", "none", "ended", "changed", "confirmed",
           "between", "free", "visit", "visits", "women_to_women", "same_gender",
           "mentor_max_km", "max_km", "max_risk", "gender_rule", "job_max_km",
           "training_max_km", "drugs", "property", "violence", "fraud", "traffic")
NOT_VIETNAMESE = re.compile(r"(?<![\w])(" + "|".join(ENGLISH) + r")(?![\w])", re.IGNORECASE)
# words the glossary (docs/glossary.md) says not to use, and bare rule numbers
JARGON = re.compile(r"quy tắc\s*\d|\bCCB\b|\bcận\b|lời giải|khả thi|tối ưu|vị trí việc làm|"
                    r"khóa học nghề|\bquỹ\b|lượt thăm|chỉ tiêu|bán kính|sức nhận",
                    re.IGNORECASE)
ENGLISH_NUMBER = re.compile(r"\d\.\d+ km|\d+\.\d%")  # 1.4 km, 99.2% are English


def _vi_texts(data: Any, path: str = "") -> list[tuple[str, str]]:
    """Every (field path, text) of the ``*_vi`` fields of a plan's JSON."""
    out = []
    if isinstance(data, dict):
        for k, v in data.items():
            if k.endswith("_vi"):
                out += [(f"{path}.{k}", x) for x in (v if isinstance(v, list) else [v])
                        if isinstance(x, str) and x]
            else:
                out += _vi_texts(v, f"{path}.{k}")
    elif isinstance(data, list):
        for v in data:
            out += _vi_texts(v, path + "[]")
    return out


@pytest.fixture(scope="module")
def sample():
    roster = read_roster(SAMPLE)
    plan = plan_roster(roster)
    # a rerun in which the busiest mentors have left: pairs end and change with reasons
    taken = sorted({a.mentor_id for a in plan.assignments if a.mentor_id})[:8]
    gone = dataclasses.replace(roster, mentors=tuple(
        dataclasses.replace(m, active=False) if m.id in taken else m
        for m in roster.mentors))
    rerun = plan_roster(gone, previous=plan)
    return roster, plan, rerun


def _all_vi(roster, plan, rerun) -> list[tuple[str, str]]:
    texts = _vi_texts(plan.to_json()) + [("rerun" + p, t) for p, t in
                                          _vi_texts(rerun.to_json())]
    for p in (plan, rerun):
        table = committee_report(roster, p)
        texts += [("report", row[-1]) for row in report_rows(table, "vi") if row[-1]]
    ctx = build_context(roster)
    for u in plan.unassigned[:3] + [a for a in plan.assignments if a.mentor_id][:3]:
        rows = explain.alternatives(ctx, plan, u.returnee_id)
        texts += [("alternatives", r["note_vi"]) for r in rows if r["note_vi"]]
    return texts


def test_the_sample_gives_reasons_of_every_kind(sample):
    """The sample exercises what the other tests read: reasons for people without a
    mentor or job, capacity gaps, loans, missed visits and a rerun's changes."""
    _roster, plan, rerun = sample
    data, again = plan.to_json(), rerun.to_json()
    assert data["unassigned"] and data["capacity_gaps"] and data["unscheduled"]
    assert any(x["reason_vi"] for x in data["loans"])
    assert {"changed", "ended"} & {a["change"] for a in again["assignments"]}
    assert any(a["reason_vi"] for a in again["assignments"] if a["change"] != "new")


def test_vietnamese_reasons_have_no_english_codes_or_rule_numbers(sample):
    texts = _all_vi(*sample)
    assert len(texts) > 50
    bad = [(p, t) for p, t in texts
           if NOT_VIETNAMESE.search(t) or JARGON.search(t) or ENGLISH_NUMBER.search(t)]
    assert bad == []


def test_reasons_name_the_rule_by_its_name(sample):
    """Vietnamese reasons start with the rule's name ("Giới tính: ..."); the English
    ones keep the number beside the name ("Gender (rule 4): ...")."""
    _roster, plan, _ = sample
    names = [catalog.text(f"rule.{n}", "vi") for n in range(1, 14)]
    reasons = [(en, vi) for u in plan.unassigned for en, vi in zip(u.reasons, u.reasons_vi)]
    assert reasons
    for en, vi in reasons:
        head = vi.split(": ", 1)[1] if vi.startswith(("Việc làm: ", "Học nghề: ")) else vi
        if re.search(r"\(rule \d+\)", en):
            assert any(head.startswith(name + ":") for name in names), vi


def test_roster_words_keep_their_accents_in_reasons(sample):
    """A skill the roster writes with accents ("lái xe") is quoted that way, in both
    languages, never folded ("lai xe")."""
    roster, plan, _ = sample
    assert any("lái xe" in r.skills or "lai xe" in r.skills for r in roster.returnees)
    vi = [t for u in plan.unassigned for t in u.reasons_vi]
    en = [t for u in plan.unassigned for t in u.reasons]
    assert any("lái xe" in t for t in vi) and any("lái xe" in t for t in en)
    assert not any(re.search(r"\blai xe\b|\bxay dung\b", t) for t in vi + en)
    wards = {r.location.ward for r in roster.returnees if r.location.ward}
    gaps = [g.suggestion_vi for g in plan.capacity_gaps]
    assert gaps and all(any(w in g for w in wards) for g in gaps)


def test_numbers_are_written_the_vietnamese_way():
    """Distances with a decimal comma, amounts with a point between thousands."""
    km = catalog.bi("reason.blk.too_far", km=1.4, limit=5.0)
    assert km.vi == "cách nhau 1,4 km, xa hơn giới hạn 5 km"
    assert str(km) == "1.4 km apart, more than the limit of 5 km"
    assert catalog.millions(2_500_000_000, "vi") == "2.500 triệu đồng"
    assert catalog.nbi("reason.word.mentors", 1) == "1 mentor"
    assert catalog.nbi("reason.word.mentors", 19) == "19 mentors"
    assert catalog.nbi("reason.word.mentors", 19).vi == "19 cựu chiến binh"


def test_committee_report_groups_reasons_by_rule(sample):
    """The report's main reasons are the rules' names with how often each applies, in
    the language asked; reasons of plans written before the rules had names still group
    by their text."""
    from matcher.review import _gist, _main_reasons

    _roster, plan, _ = sample
    vi = _main_reasons([r for u in plan.unassigned for r in u.reasons_vi])
    en = _main_reasons([r for u in plan.unassigned for r in u.reasons])
    names_vi = {catalog.text(f"rule.{n}", "vi") for n in range(1, 14)}
    names_en = {catalog.text(f"rule.{n}", "en") for n in range(1, 14)}
    heads_vi = [re.sub(r" \(\d+\)$", "", x).removeprefix("Việc làm: ") for x in vi.split("; ")]
    heads_en = [re.sub(r" \(\d+\)$", "", x).removeprefix("Job: ") for x in en.split("; ")]
    assert heads_vi and set(heads_vi) <= names_vi and set(heads_en) <= names_en
    assert _gist("việc làm: quy tắc 10: 2 vị trí việc làm cần tay nghề (kỹ năng: may)") == \
        "2 vị trí việc làm cần tay nghề"
