"""Names and words from the roster keep their accents in the explanations (issue 18)."""

from __future__ import annotations

from pathlib import Path

from matcher.io.reader import read_roster
from matcher.planner import plan_roster
from matcher.text import fold

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample" / "roster.xlsx"


def test_skills_in_reasons_keep_their_accents():
    roster = read_roster(SAMPLE)
    plan = plan_roster(roster, schedule=False)
    sectors = {fold(j.sector): j.sector for j in roster.jobs}
    reasons = [r for u in plan.unassigned for r in (*u.reasons, *u.reasons_vi)]
    mentioned = [r for r in reasons if "kỹ năng:" in r or "skills:" in r]
    assert mentioned, "the sample leaves someone without a job for want of a skill"
    for text in mentioned:
        listed = text.split("năng:" if "năng:" in text else "skills:")[1].split(")")[0]
        for skill in (x.strip() for x in listed.split(",")):
            if fold(skill) in sectors:
                assert skill == sectors[fold(skill)], text
