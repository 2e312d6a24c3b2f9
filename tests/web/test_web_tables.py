"""The result and validation pages one page at a time (issue 20): the JSON table
endpoints (paging, search with and without accents, ward filter, access control), the
same pages without scripts, and the validation report by kind."""

from __future__ import annotations

import re

import pytest
from web_helpers import Browser, roster_csv, run_id_from, wait_status

from web.results import PAGE_SIZE
from web.service import WARNING_PAGE_SIZE

WARDS = ("Phường Hàm Rồng", "Phường Hạc Thành", "Xã Hoằng Hóa")
N = 120  # three pages of assignments


def _roster(n: int = N, warnings: int = 0, errors: int = 0) -> bytes:
    rows = [(f"R{i:04d}", f"Lê Văn Thứ {i}", WARDS[i % 3]) for i in range(n)]
    if n > 117:
        rows[117] = ("R0117", "Nguyễn Thị Ánh Tuyết", WARDS[0])  # on the last page
    rows += [(f"WARN{i}", f"Cảnh Báo {i}", WARDS[0]) for i in range(warnings)]
    rows += [(f"BAD{i}", f"Lỗi {i}", WARDS[0]) for i in range(errors)]
    return roster_csv(*rows)


@pytest.fixture
def done(app, coord) -> int:
    run_id = run_id_from(coord.upload(_roster(), "danh_sach.csv"))
    coord.post(f"/runs/{run_id}/start")
    assert wait_status(app, run_id, {"done", "failed"}) == "done"
    return run_id


def _table(b: Browser, run_id: int, name: str = "assignments", **params):
    return b.get(f"/runs/{run_id}/table/{name}", query_string=params)


def test_pages_of_the_assignments(coord, done):
    first = _table(coord, done).get_json()
    assert (first["page"], first["pages"], first["total"], first["count"]) == (1, 3, N, N)
    assert len(first["rows"]) == PAGE_SIZE and first["rows"][0]["returnee_id"] == "R0000"
    last = _table(coord, done, page=3).get_json()
    assert len(last["rows"]) == N - 2 * PAGE_SIZE
    assert last["rows"][-1]["returnee_id"] == f"R{N - 1:04d}"
    # past the end: the last page; nonsense: the first
    assert _table(coord, done, page=99).get_json()["page"] == 3
    assert _table(coord, done, page="x").get_json()["page"] == 1
    # the rows as the page shows them, and the pager with links for the next page
    assert first["html"].count("<tr") == PAGE_SIZE
    assert 'data-label="Họ và tên"' in first["html"] and "alt-button" in first["html"]
    assert 'data-page="2"' in first["pager"] and "Trang 3/3" in last["pager"]
    assert "Dòng 1–50 trong 120 dòng" in first["pager"]


@pytest.mark.parametrize("q", ["Nguyễn Thị Ánh Tuyết", "nguyen thi anh tuyet",
                               "ANH TUYET", "r0117", "R0117"])
def test_search_finds_a_returnee_on_a_later_page_with_or_without_accents(coord, done, q):
    found = _table(coord, done, q=q).get_json()
    assert [r["returnee_id"] for r in found["rows"]] == ["R0117"], q
    assert (found["total"], found["count"], found["pages"]) == (1, N, 1)
    assert "Nguyễn Thị Ánh Tuyết" in found["html"]
    assert "tìm thấy" in found["pager"]


def test_search_and_ward_filter_together_and_nothing_found(coord, done):
    by_ward = _table(coord, done, ward=WARDS[1]).get_json()
    assert by_ward["total"] == N // 3
    assert {r["ward"] for r in by_ward["rows"]} == {WARDS[1]}
    both = _table(coord, done, ward=WARDS[1], q="thu 1").get_json()
    assert both["rows"] and all(r["ward"] == WARDS[1] for r in both["rows"])
    assert all("Thứ 1" in r["returnee_name"] for r in both["rows"])
    none = _table(coord, done, q="không ai tên thế này").get_json()
    assert none["rows"] == [] and none["total"] == 0
    assert "Không có dòng nào phù hợp." in none["html"]


def test_other_tables_page_and_search_too(coord, done):
    left = _table(coord, done, "unassigned").get_json()
    assert left["count"] == N // 3 and len(left["rows"]) == N // 3
    assert "no mentor within 5 km" in left["html"]
    assert _table(coord, done, "unassigned", q="r0002").get_json()["total"] == 1
    gaps = _table(coord, done, "gaps").get_json()
    assert gaps["count"] == 1 and "1 more mentor" in gaps["html"]
    assert _table(coord, done, "changes").get_json()["count"] == 0  # a first plan


def test_tables_are_the_owners_only(app, coord, admin, done):
    other = Browser(app.test_client())
    assert other.login("other").status_code == 302
    for name in ("assignments", "unassigned", "gaps", "warnings"):
        response = _table(other, done, name, code="wrong_type")
        assert response.status_code == 404, name
        assert b"R0117" not in response.data and b"Tuy" not in response.data
    assert _table(admin, done).status_code == 200  # an admin sees every run
    stranger = Browser(app.test_client())
    response = _table(stranger, done, q="R0117")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert _table(coord, done, "secrets").status_code == 404
    assert _table(coord, 424242).status_code == 404


def test_a_run_without_a_plan_has_no_result_tables(coord):
    run_id = run_id_from(coord.upload(_roster(10), "r.csv"))
    assert _table(coord, run_id).status_code == 404


def test_result_page_carries_the_first_page_and_pages_without_scripts(coord, done):
    page = coord.get(f"/runs/{done}/result").get_data(as_text=True)
    body = page.split('id="assignments"', 1)[1].split("</table>", 1)[0]
    assert body.count("<tr data-ward") == PAGE_SIZE and "R0117" not in body
    assert f'href="/runs/{done}/result?page=2&amp;table=assignments#t-assignments"' in page
    assert f'data-url="/runs/{done}/table/assignments"' in page
    # the same links and search form work without scripts
    later = coord.get(f"/runs/{done}/result?table=assignments&page=3").get_data(as_text=True)
    assert "R0117" in later.split('id="assignments"', 1)[1].split("</table>", 1)[0]
    found = coord.get(f"/runs/{done}/result",
                      query_string={"table": "assignments", "q": "anh tuyet"}).get_data(
        as_text=True)
    rows = found.split('id="assignments"', 1)[1].split("</table>", 1)[0]
    assert rows.count("<tr data-ward") == 1 and "Nguyễn Thị Ánh Tuyết" in rows
    assert 'value="anh tuyet"' in found


def test_validation_page_shows_every_error_and_warnings_by_kind(app, coord):
    run_id = run_id_from(coord.upload(_roster(5, warnings=45, errors=30), "r.csv"))
    page = coord.get(f"/runs/{run_id}").get_data(as_text=True)
    assert "30 lỗi, 45 cảnh báo" in page
    report = page.split('class="card report"', 1)[1]
    errors_at = report.index("Lỗi cần sửa (30)")
    warnings_at = report.index("Cảnh báo (45), theo loại")
    assert errors_at < warnings_at  # errors first
    assert all(f"Mã &#39;BAD{i}&#39; không hợp lệ." in report[:warnings_at] for i in range(30))
    kinds = re.findall(r'<details class="issue-kind" data-code="([^"]+)"', report)
    assert kinds == ["wrong_type"]
    assert '<span class="n">45</span>' in report
    shown = report[warnings_at:]
    assert shown.count('<tr class="sev-warning">') == WARNING_PAGE_SIZE
    assert "Mã &#39;WARN0&#39;" in shown and "WARN44" not in shown
    # the other rows on demand, and without scripts
    last = _table(coord, run_id, "warnings", code="wrong_type", page=3).get_json()
    assert (last["page"], last["pages"], last["count"]) == (3, 3, 45)
    assert len(last["rows"]) == 45 - 2 * WARNING_PAGE_SIZE and "WARN44" in last["html"]
    assert _table(coord, run_id, "warnings", code="no_such_kind").status_code == 404
    again = coord.get(f"/runs/{run_id}", query_string={"code": "wrong_type", "page": 3})
    text = again.get_data(as_text=True)
    assert "WARN44" in text and '<details class="issue-kind" data-code="wrong_type" open>' in text
    coord.post("/lang", {"lang": "en"})
    english = coord.get(f"/runs/{run_id}").get_data(as_text=True)
    assert "30 errors, 45 warnings" in english and "Errors to fix (30)" in english
