"""Reading a plan for the result page: the library's Vietnamese twins (``*_vi``), the
change report, scores and schedule problems, without the solver."""

from __future__ import annotations

import json

from web.results import load_result

PLAN = {
    "schema": "reintegration-plan/1", "plan_date": "2026-12-01",
    "tiers": {"M1": {"value": 2, "bound": 2, "optimal": True}},
    "assignments": [
        {"returnee_id": "R1", "mentor_id": "M1", "change": "kept", "reason": "",
         "score": {"same_ward": 2, "skill_fit": 3, "mentor_km": 1.2}},
        {"returnee_id": "R2", "mentor_id": "M2", "change": "changed",
         "reason": "changed: M9 moved to cover R3", "reason_vi": "đổi: M9 chuyển sang R3",
         "score": {}},
    ],
    "unassigned": [{"returnee_id": "R3", "missing": ["mentor"], "reasons": ["rule 1: full"],
                    "reasons_vi": ["quy tắc 1: đã đủ người"]}],
    "unscheduled": [{"mentor_id": "M1", "returnee_id": "R1", "due": "2026-12-08",
                     "kind": "first", "reason": "no common free slot",
                     "reason_vi": "không có buổi rảnh chung"}],
    "capacity_gaps": [{"ward": "Phường Hạc Thành", "kind": "mentor", "uncovered": 1,
                       "uncovered_female": 0, "more_needed": 1,
                       "suggestion": "1 more mentor(s) in Phường Hạc Thành",
                       "suggestion_vi": "cần thêm 1 cựu chiến binh ở Phường Hạc Thành"},
                      {"ward": "Xã Hoằng Hóa", "kind": "job", "uncovered": 2,
                       "more_needed": 2, "suggestion": "2 more job slot(s)"}],
    "changes": {"counts": {"new": 0, "kept": 1, "changed": 1, "ended": 1},
                "list": [{"returnee_id": "R1", "change": "kept", "old_mentor": "M1",
                          "new_mentor": "M1", "reason": ""},
                         {"returnee_id": "R9", "change": "ended", "old_mentor": "M2",
                          "new_mentor": None, "reason": "ended: no longer on the roster",
                          "reason_vi": "kết thúc: không còn trong danh sách"},
                         {"returnee_id": "R2", "change": "changed", "old_mentor": "M9",
                          "new_mentor": "M2", "reason": "changed: M9 moved to cover R3",
                          "reason_vi": "đổi: M9 chuyển sang R3"}],
                "warnings": ["previous plan: mentor M7 unknown"],
                "warnings_vi": ["kế hoạch trước: không có M7"]},
}
INDEX = {"returnees": {"R1": {"name": "Lê A", "ward": "Phường Hạc Thành", "risk": 3}},
         "mentors": {"M1": {"name": "Trần B"}, "M2": {"name": "Phạm C"}}}


def _load(tmp_path, lang):
    (tmp_path / "plan.json").write_text(json.dumps(PLAN), encoding="utf-8")
    (tmp_path / "roster_index.json").write_text(json.dumps(INDEX), encoding="utf-8")
    return load_result(tmp_path, lang)


def test_vietnamese_twins_are_shown_in_vietnamese_and_english_otherwise(tmp_path):
    vi, en = _load(tmp_path, "vi"), _load(tmp_path, "en")
    assert vi.assignments[1]["reason"] == "đổi: M9 chuyển sang R3"
    assert en.assignments[1]["reason"] == "changed: M9 moved to cover R3"
    assert vi.unassigned[0]["reasons"] == ["quy tắc 1: đã đủ người"]
    assert en.unassigned[0]["reasons"] == ["rule 1: full"]
    assert vi.unscheduled[0]["reason"] == "không có buổi rảnh chung"
    assert vi.unscheduled[0]["kind"] == "lần đầu" and en.unscheduled[0]["kind"] == "first visit"
    assert "suggestion_vi" not in vi.gap_columns
    assert vi.gaps[0]["suggestion"] == "cần thêm 1 cựu chiến binh ở Phường Hạc Thành"
    # no Vietnamese twin: the page words it from the numbers
    assert vi.gaps[1]["suggestion"] == "Cần thêm 2 chỗ làm trong tầm đi lại từ Xã Hoằng Hóa"
    assert en.gaps[1]["suggestion"] == "2 more job slot(s)"
    assert vi.changes["warnings"] == ["kế hoạch trước: không có M7"]


def test_change_report_lists_changes_first_with_names(tmp_path):
    res = _load(tmp_path, "vi")
    assert res.changes["counts"] == {"new": 0, "kept": 1, "changed": 1, "ended": 1}
    assert [r["change"] for r in res.changes["rows"]] == ["changed", "ended", "kept"]
    changed = res.changes["rows"][0]
    assert changed["new_mentor_name"] == "Phạm C" and changed["old_mentor_name"] == ""
    assert res.changes["rows"][1]["reason"] == "kết thúc: không còn trong danh sách"


def test_scores_are_summed_and_worded_and_risk_is_a_word(tmp_path):
    vi, en = _load(tmp_path, "vi"), _load(tmp_path, "en")
    assert vi.assignments[0]["score"] == "5"  # distances are not points
    assert vi.assignments[0]["score_detail"] == "cùng phường/xã 2; đúng nghề 3"
    assert en.assignments[0]["score_detail"] == "same ward 2; skill fit 3"
    assert vi.assignments[0]["risk"] == "cao" and en.assignments[0]["risk"] == "high"
    assert vi.assignments[1]["score"] == ""


def test_the_page_works_on_the_library_plan(tmp_path):
    """plan.json is read once into a matcher.plan.Plan; counts come from its methods and
    the summary is the same from the Plan or from its JSON form."""
    from matcher.plan import Plan
    from web.results import summarize

    res = _load(tmp_path, "en")
    assert isinstance(res.plan, Plan)
    assert res.summary == summarize(PLAN) == summarize(Plan.from_json(PLAN))
    assert res.summary["returnees"] == 2 and res.summary["with_mentor"] == 2
    assert res.summary["coverage"] == 100.0 and res.summary["unassigned"] == 1
    assert res.summary["changes"] == PLAN["changes"]["counts"]
    assert res.summary["tiers"] == PLAN["tiers"]
    assert res.plan.assignments[0].points() == 5 and res.plan.assignments[1].points() is None
    assert [g.ward for g in res.plan.capacity_gaps] == ["Phường Hạc Thành", "Xã Hoằng Hóa"]
    assert res.tiers == [{"name": "M1", "value": 2, "bound": 2, "optimal": True}]
    source = res.map_source()
    assert source.plan["assignments"][1] == {"returnee_id": "R2", "mentor_id": "M2"}
