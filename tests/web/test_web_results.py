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
    assert vi.unscheduled[0]["kind"] == "thăm lần đầu" and en.unscheduled[0]["kind"] == "first visit"
    assert "suggestion_vi" not in vi.gap_columns
    assert vi.gaps[0]["suggestion"] == "cần thêm 1 cựu chiến binh ở Phường Hạc Thành"
    # no Vietnamese twin: the page words it from the numbers
    assert vi.gaps[1]["suggestion"] == "Cần thêm 2 chỗ làm việc trong tầm đi lại từ Xã Hoằng Hóa"
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
    assert res.tiers == [{"name": "M1", "value": 2, "bound": 2, "optimal": True,
                         "sense": "max"}]
    source = res.map_source()
    assert source.plan["assignments"][1] == {"returnee_id": "R2", "mentor_id": "M2"}


# --- tables one page at a time and the map (issues 20 and 18) ------------------------

def test_a_page_of_a_table_searched_without_accents(tmp_path):
    from web.results import page_of, search_keys, table_page

    res = _load(tmp_path, "vi")
    assert [r["returnee_id"] for r in table_page(res, "assignments", q="le a").rows] == ["R1"]
    assert table_page(res, "assignments", q="LÊ A").total == 1
    assert table_page(res, "assignments", q="tran b").rows[0]["mentor_id"] == "M1"
    assert table_page(res, "changes", q="r9").rows[0]["change"] == "ended"
    assert table_page(res, "assignments", ward="Phường Hạc Thành").total == 1
    assert table_page(res, "unmet").count == 0
    assert search_keys(res, "assignments") is search_keys(res, "assignments")  # made once
    rows = [{"id": str(i), "ward": "x"} for i in range(7)]
    page = page_of("t", rows, size=3, page=3)
    assert (page.page, page.pages, page.first, page.last) == (3, 3, 7, 7)
    assert page_of("t", rows, size=3, page=0).page == 1
    assert page_of("t", [], size=3).pages == 1 and page_of("t", [], size=3).first == 0
    assert page_of("t", rows, q="5", size=3).args(code="k") == {"table": "t", "q": "5",
                                                                 "code": "k"}


def test_numbers_as_each_language_writes_them(tmp_path):
    from web.results import number

    assert number(10000, "vi") == "10.000" and number(10000, "en") == "10,000"
    assert number(7, "vi") == "7"
    (tmp_path / "vi").mkdir()
    (tmp_path / "en").mkdir()
    assert _load(tmp_path / "vi", "vi").assignments[0]["mentor_km"] == ""
    plan = json.loads(json.dumps(PLAN))
    plan["assignments"][0]["mentor_km"] = 1.35
    for lang, km in (("vi", "1,4"), ("en", "1.4")):
        (tmp_path / lang / "plan.json").write_text(json.dumps(plan), encoding="utf-8")
        assert load_result(tmp_path / lang, lang).assignments[0]["mentor_km"] == km


def test_a_loaded_result_is_kept_until_its_plan_changes_or_the_run_goes(tmp_path):
    import os

    from web import results

    _load(tmp_path, "vi")
    first = results.cached_result(tmp_path, "vi")
    assert results.cached_result(tmp_path, "vi") is first
    assert results.cached_result(tmp_path, "en") is not first
    stat = (tmp_path / "plan.json").stat()
    os.utime(tmp_path / "plan.json", ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert results.cached_result(tmp_path, "vi") is not first
    results.forget(tmp_path)
    assert not [k for k in results._cache if k[0] == str(tmp_path)]


def _map_of(n_returnees: int, wards: int):
    from types import SimpleNamespace

    from web.mapsvg import render_map

    names = [f"Phường Số {w}" for w in range(wards)]
    returnees = {f"R{i}": {"ward": names[i % wards], "lat": 19.7 + (i % 97) * 0.003,
                           "lon": 105.7 + (i % 89) * 0.003 + (i % wards) * 0.05}
                 for i in range(n_returnees)}
    mentors = {f"M{i}": {"ward": names[i % wards], "lat": 19.71 + (i % 83) * 0.003,
                         "lon": 105.71 + (i % 79) * 0.003 + (i % wards) * 0.05}
               for i in range(n_returnees // 2)}
    pairs = [{"returnee_id": f"R{i}", "mentor_id": f"M{i // 2}" if i % 10 else None}
             for i in range(n_returnees)]
    source = SimpleNamespace(index={"returnees": returnees, "mentors": mentors},
                             plan={"assignments": pairs})
    return str(render_map(source))


def test_the_map_names_its_wards_and_has_a_scale_and_a_legend():
    import re

    svg = _map_of(60, 3)
    assert svg.count('class="ward-label"') == 3 and ">Phường Số 0</text>" in svg
    assert re.search(r'<g class="scale-bar">.*?>(\d+(,\d+)?) km</text>', svg)
    legend = svg.split('<g class="map-legend">', 1)[1]
    assert "cựu chiến binh" in legend and "người trở về" in legend
    assert 'class="pt-uncovered"' in legend and 'class="pair-line"' not in legend
    # every ward in the list under the map, with its numbers, also on a phone
    listed = svg.split('<details class="ward-list">', 1)[1]
    assert listed.count("<tr><td") == 3 and 'data-label="Phường/xã"' in listed
    assert "<small" not in svg and "style=" not in svg  # CSP: styles are in style.css


def test_a_province_map_is_drawn_by_ward_and_stays_small():
    import time

    started = time.monotonic()
    svg = _map_of(12_000, 40)
    assert time.monotonic() - started < 5  # was quadratic: 29 s at province scale
    assert len(svg.encode()) < 150_000
    assert svg.count("<circle") <= 40 + 2 and "mỗi vòng tròn là một phường/xã" in svg
    labels = svg.count('class="ward-label"')
    assert 5 <= labels <= 40  # names that would cover each other are left to the list
    assert svg.split('<details class="ward-list">', 1)[1].count("<tr><td") == 40
