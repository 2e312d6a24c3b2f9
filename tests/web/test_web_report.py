"""Loans on the result page and the steering committee's report (issue 19): the loans
table and its paging endpoint, the documents-to-sign link, the report page (table, bar
chart per ward, main reasons, visits of the last plan), its CSV, and who may see them.

The run's files are those the real worker writes for the sample roster
(:func:`web.planner.run_plan`, once per module); each test puts them into a run that the
fake planner finished, so the pages read exactly what a real run leaves."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from pathlib import Path

import pytest
from web_helpers import query, run_id_from, wait_status

from matcher.plan import Plan
from web.app import PROJECT_ROOT
from web.reportsvg import nice_step, render_chart

SAMPLE = PROJECT_ROOT / "data" / "sample" / "roster.xlsx"
FILES = ("plan.json", "roster_index.json", "report.json", "state.pickle")
pytestmark = pytest.mark.skipif(not SAMPLE.exists(), reason="no bundled sample roster")


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory) -> Path:
    """The folder the real worker fills for the sample roster."""
    from web.planner import run_plan

    out = tmp_path_factory.mktemp("sample-run")
    run_plan([SAMPLE], out, None, lambda *_a: None)
    assert (out / "report.json").is_file()
    return out


def _done_run(app, coord, sample_run: Path, *, files=FILES, edit=None) -> int:
    run_id = run_id_from(coord.upload())
    coord.post(f"/runs/{run_id}/start")
    assert wait_status(app, run_id, {"done", "failed"}) == "done"
    folder = Path(app.config["UPLOAD_FOLDER"]) / str(run_id)
    (folder / "report.json").unlink(missing_ok=True)
    for name in files:
        shutil.copy(sample_run / name, folder / name)
    if edit is not None:
        data = json.loads((folder / "plan.json").read_text("utf-8"))
        edit(data)
        (folder / "plan.json").write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    return run_id


def _plan(sample_run: Path) -> Plan:
    return Plan.from_json(json.loads((sample_run / "plan.json").read_text("utf-8")))


def _lang(browser, lang: str) -> None:
    browser.post("/lang", {"lang": lang, "next": "/"})


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# --- the result page ----------------------------------------------------------------

def test_result_page_shows_loans_summary_table_employers_and_links(app, coord, sample_run):
    run_id = _done_run(app, coord, sample_run)
    plan = _plan(sample_run)
    counts = plan.counts()
    page = coord.get(f"/runs/{run_id}/result").get_data(as_text=True)
    text = _text(page)
    # the summary's loan line, Vietnamese numbers
    assert counts["loans"] == 11 and counts["loan_vnd"] == 790_000_000
    assert "Giới thiệu vay vốn" in text and "11 người, 790 triệu đồng" in text
    # the loans table: every request, the pool named, the decision and the reason
    assert 'id="loan-list"' in page
    loans = page.split('id="loans"', 1)[1].split("</section>", 1)[0]
    assert loans.count("<tr class=\"loan-") == len(plan.loans)
    assert "Điểm giao dịch NHCSXH Hàm Rồng" in loans
    assert "nguồn vốn Điểm giao dịch NHCSXH Hàm Rồng còn 10 triệu đồng, người này xin 80 triệu đồng" in loans
    assert "giới thiệu vay" in loans and "nguồn vốn không đủ" in loans and "chưa đủ điều kiện" in loans
    assert "120 triệu đồng" in loans and "100 triệu đồng" in loans
    # the employers' referral list
    assert 'id="employer-list"' in page and "Công ty TNHH Chế biến Hải sản Á Châu" in loans
    assert "1.200 triệu đồng" in loans
    # the documents to sign and the report
    assert f'href="/runs/{run_id}/documents.zip"' in page and "Tài liệu để ký (Word)" in page
    assert f'href="/runs/{run_id}/report"' in page
    assert "Số người được vay vốn ưu đãi" in text  # tier L1 in words
    _lang(coord, "en")
    text = _text(coord.get(f"/runs/{run_id}/result").get_data(as_text=True))
    assert "11 people, 790 million VND" in text and "Documents to sign (Word)" in text
    assert "pool Điểm giao dịch NHCSXH Hàm Rồng has 10 million VND left" in text
    assert "1,200 million VND" in text and "left out" in text


def test_loans_table_endpoint_searches_and_pages_like_the_other_tables(app, coord, sample_run):
    run_id = _done_run(app, coord, sample_run)
    data = coord.get(f"/runs/{run_id}/table/loans?q=R00007").get_json()
    assert data["total"] == 1 and data["count"] == 19
    assert data["rows"][0]["status"] == "left_out"
    assert "nguồn vốn Điểm giao dịch NHCSXH Hàm Rồng" in data["html"]
    # the pool's name, searched without accents
    data = coord.get(f"/runs/{run_id}/table/loans?q=ham rong").get_json()
    assert data["total"] >= 4 and all(r["pool_id"] == "V001" for r in data["rows"])
    data = coord.get(f"/runs/{run_id}/table/employers?q=a chau").get_json()
    assert data["total"] == 1 and "Á Châu" in data["html"]
    # the page without scripts: the search reloads the result page at that table
    page = coord.get(f"/runs/{run_id}/result?table=loans&q=R00085").get_data(as_text=True)
    loans = page.split('id="loans"', 1)[1].split("</section>", 1)[0]
    assert loans.count("<tr class=\"loan-") == 1 and "R00085" in loans



# --- the report page ----------------------------------------------------------------

def test_report_page_shows_figures_chart_and_reasons(app, coord, sample_run):
    run_id = _done_run(app, coord, sample_run)
    data = json.loads((sample_run / "report.json").read_text("utf-8"))
    wards = [w for w in data["wards"] if w != data["total"]]
    response = coord.get(f"/runs/{run_id}/report")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    text = _text(page)
    assert "Báo cáo Ban Chỉ đạo" in text
    for header in ("Đang quản lý", "Có người giúp đỡ", "Có việc làm", "Đang học nghề",
                   "Giới thiệu vay (đồng)", "Lượt thăm đã thực hiện", "Chưa được hỗ trợ gì"):
        assert header in text
    total = page.split('<tr class="total"', 1)[1].split("</tr>", 1)[0]
    assert "Tổng cộng" in total and ">120<" in total and ">790.000.000<" in total
    # the chart: one group of five bars per ward, each ward named, legend and axis
    svg = page.split('<svg class="chart"', 1)[1].split("</svg>", 1)[0]
    assert svg.count('<rect class="bar ') == 5 * len(wards)
    for ward in wards:
        assert f'data-ward="{ward}"' in svg
    assert "Phường Đông Quang" in svg and "Số người" in svg and "Có việc làm" in svg
    widths = [float(w) for w in re.findall(r'class="bar bar-under_management"[^>]*width="([\d.]+)"',
                                            svg)]
    assert len(widths) == len(wards) and max(widths) > 0
    assert "Mọi người đang quản lý đều đã có ít nhất một hỗ trợ." in text  # sample: none
    assert f'href="/runs/{run_id}/report.csv"' in page
    _lang(coord, "en")
    page = coord.get(f"/runs/{run_id}/report").get_data(as_text=True)
    total = page.split('<tr class="total"', 1)[1].split("</tr>", 1)[0]
    assert "Total" in total and ">790,000,000<" in total
    assert "Under management" in page and "Number of people" in page


def test_chart_draws_scaled_bars_ward_names_legend_and_axis():
    wards = [("Phường Hạc Thành", {"under_management": 40, "with_mentor": 30, "in_job": 10,
                                   "in_training": 0, "loans": 2}),
             ("Xã Có Một Cái Tên Rất Dài Không Vừa Chỗ Ghi", {"under_management": 4})]
    figures = [("under_management", "Đang quản lý"), ("with_mentor", "Có người giúp đỡ"),
               ("in_job", "Có việc làm"), ("in_training", "Đang học nghề"),
               ("loans", "Được vay vốn")]
    svg = str(render_chart(wards, figures, title="Số người", axis_label="Số người",
                           fmt=lambda n: f"{n:,}".replace(",", ".")))
    bars = re.findall(r'<rect class="bar bar-(\w+)"[^>]*width="([\d.]+)"[^>]*data-value="(\d+)"',
                      svg)
    assert len(bars) == 10
    per = {(k, int(v)): float(w) for k, w, v in bars}
    assert per[("under_management", 40)] == pytest.approx(4 * per[("with_mentor", 30)] / 3,
                                                          rel=0.01)
    assert per[("in_training", 0)] == 0
    assert "Phường Hạc Thành" in svg and "Xã Có Một Cái Tên Rất Dài" in svg
    assert "Xã Có Một Cái Tên Rất Dài Không Vừa Chỗ Ghi — Đang quản lý: 4" in svg  # full
    assert svg.count('class="swatch') == 5 and 'class="axis-label"' in svg
    assert re.search(r'<svg[^>]*width="720"', svg)  # keeps its width: the frame scrolls
    assert [nice_step(x) for x in (3, 12, 40, 120, 999)] == [1, 5, 10, 50, 200]
    assert "<script" not in svg and "style=" not in svg


def test_report_csv_has_vietnamese_headers_and_the_plans_totals(app, coord, sample_run):
    run_id = _done_run(app, coord, sample_run)
    counts = _plan(sample_run).counts()
    response = coord.get(f"/runs/{run_id}/report.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    header, total = rows[0], rows[-1]
    assert header[:3] == ["Phường/Xã", "Đang quản lý", "Tiếp nhận trong kỳ"]
    assert "Có người giúp đỡ" in header and header[-1] == "Lý do chính"
    got = dict(zip(header, total, strict=True))
    assert got["Phường/Xã"] == "Tổng cộng"
    assert int(got["Đang quản lý"]) == counts["returnees"]  # no follow-up ended here
    assert int(got["Có người giúp đỡ"]) == counts["with_mentor"]
    assert int(got["Có việc làm"]) == counts["in_job"]
    assert int(got["Đang học nghề"]) == counts["in_training"]
    assert int(got["Giới thiệu vay (người)"]) + int(got["Đã được vay (người)"]) == counts["loans"]
    assert (int(got["Giới thiệu vay (đồng)"]) + int(got["Đã được vay (đồng)"])
            == counts["loan_vnd"])
    wards = rows[1:-1]
    assert sum(int(r[1]) for r in wards) == int(got["Đang quản lý"])
    audit = query(app, "SELECT detail FROM audit_log WHERE action = 'download' AND run_id = ?",
                  (run_id,))
    assert [r["detail"] for r in audit] == ["kind=report-csv"]
    _lang(coord, "en")
    header = next(csv.reader(io.StringIO(
        coord.get(f"/runs/{run_id}/report.csv").get_data().decode("utf-8-sig"))))
    assert header[:2] == ["Ward", "Under management"]


def test_visits_of_the_last_plan_are_shown_per_mentor(app, coord, sample_run):
    plan = _plan(sample_run)
    m1, m2 = plan.assignments[0].mentor_id, plan.assignments[1].mentor_id
    rid = plan.assignments[1].returnee_id

    def edit(data):
        data["visit_review"] = {
            "planned": 5, "done": 3, "unmarked": 1,
            "by_mentor": [{"mentor_id": m1, "planned": 3, "done": 3},
                          {"mentor_id": m2, "planned": 2, "done": 0}],
            "by_pair": [], "idle_mentors": [m2],
            "missed_first": [{"mentor_id": m2, "returnee_id": rid, "date": "2026-11-20"}]}

    run_id = _done_run(app, coord, sample_run, edit=edit)
    text = _text(coord.get(f"/runs/{run_id}/report").get_data(as_text=True))
    assert "Đã thăm 3 trong 5 lượt theo kế hoạch." in text and "1 lượt chưa được" in text
    assert "Thăm lần đầu bị lỡ" in text and f"20/11/2026: {m2}" in text and rid in text
    assert "Cựu chiến binh chưa thăm ai" in text
    names = json.loads((sample_run / "roster_index.json").read_text("utf-8"))["mentors"]
    assert names[m2]["name"] in text


# --- who may see it -----------------------------------------------------------------

def test_report_and_loans_are_the_owners_only(app, coord, sample_run):
    from web_helpers import Browser

    run_id = _done_run(app, coord, sample_run)
    other = Browser(app.test_client())
    other.login("other")
    for url in (f"/runs/{run_id}/report", f"/runs/{run_id}/report.csv",
                f"/runs/{run_id}/table/loans", f"/runs/{run_id}/table/employers",
                f"/runs/{run_id}/documents.zip"):
        assert other.get(url).status_code == 404, url
    admin = Browser(app.test_client())
    admin.login("admin")
    assert admin.get(f"/runs/{run_id}/report").status_code == 200
    anonymous = app.test_client().get(f"/runs/{run_id}/report")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    assert coord.get("/runs/99999/report").status_code == 404
    # a run that is not finished has no report
    ready = run_id_from(coord.upload())
    assert coord.get(f"/runs/{ready}/report").status_code == 404
    assert coord.get(f"/runs/{ready}/report.csv").status_code == 404


def test_a_run_without_a_report_says_so(app, coord, sample_run):
    run_id = _done_run(app, coord, sample_run, files=("plan.json", "roster_index.json"))
    page = coord.get(f"/runs/{run_id}/report")
    assert page.status_code == 200
    assert "Lần lập kế hoạch này chưa có báo cáo" in page.get_data(as_text=True)
    assert coord.get(f"/runs/{run_id}/report.csv").status_code == 404
    result = coord.get(f"/runs/{run_id}/result").get_data(as_text=True)
    assert f'href="/runs/{run_id}/report"' not in result
    assert "V001" in result  # the pool's id still names it


def test_a_province_chart_keeps_the_busiest_wards_and_says_how_many_are_left_out():
    from web.report_view import chart, report_table
    from web.reportsvg import MAX_WARDS

    columns = ["ward", "under_management", "with_mentor", "in_job", "in_training",
               "loans_referred", "loans_granted", "main_reasons"]
    n = MAX_WARDS + 10
    rows = [[f"Xã {i:03d}", i, i, 0, 0, 1, 1, ""] for i in range(1, n + 1)]
    rows.append(["Tổng cộng", sum(range(1, n + 1)), 0, 0, 0, n, n, ""])
    data = {"columns": columns, "total": "__total__", "since": "2026-01-01",
            "wards": [r[0] for r in rows[:-1]] + ["__total__"],
            "headers": {"vi": columns}, "rows": {"vi": rows}}
    svg, left_out = chart(report_table(data, "vi"), "vi")
    assert left_out == 10
    shown = re.findall(r'<g class="ward" data-ward="([^"]+)"', str(svg))
    assert len(shown) == MAX_WARDS and shown[0] == "Xã 011" and shown[-1] == f"Xã {n:03d}"
    assert 'data-value="2"' in str(svg)  # loans: referred and granted people together
