"""Every page a coordinator sees, in Vietnamese, after planning the sample roster with the
real library: no English or technical word, no setting key or enum code, no solver
jargon, and every name from the roster with its accents; the same pages in English work
and speak English."""

from __future__ import annotations

import html
import io
import json
import re
import unicodedata
import zipfile
from pathlib import Path

import pytest
from web_helpers import PASSWORD, Browser, run_id_from, wait_status

from matcher.domain import GENDER_RULES, SETTING_SPECS
from matcher.text import fold
from web.app import PROJECT_ROOT
from web.auth import create_user
from web.results import TABLES

SAMPLE = PROJECT_ROOT / "data" / "sample" / "roster.xlsx"
NEW_NAMES = ("Lê Văn Mới", "Trần Thị Mới")  # the new releases of the rerun

# Words a Vietnamese page must not show (compared as whole words, case-insensitive)
ENGLISH = {
    "optimal", "optimum", "bound", "bounds", "feasible", "infeasible", "solver", "solve",
    "tier", "tiers", "objective", "rerun", "mentor", "mentors", "returnee", "returnees",
    "roster", "candidates", "reading", "done", "running", "queued", "failed", "error",
    "warning", "regions", "explanations", "schedule", "visit", "visits", "follow-up",
    "first", "job", "jobs", "training", "plan", "download", "upload", "status", "true",
    "false", "null", "none", "yes", "no", "the", "and", "of", "with", "score", "points",
    "capacity", "gap", "gaps", "coverage", "ward", "wards", "kept", "changed", "ended",
    "granted", "funded", "ineligible", "morning", "afternoon", "evening", "page", "search",
    "OPTIMAL", "FEASIBLE", "km_diff", "score_diff", "full_name", "mentor_id", "returnee_id",
}
ENGLISH |= {s.name for s in SETTING_SPECS}
ENGLISH |= set(GENDER_RULES)
ENGLISH |= {"women_to_women", "same_gender", "skill_fit", "same_ward", "away_from_home",
            "job_affinity", "left_out", "job_or_training"}
# Vietnamese words the glossary retired, and bare rule numbers
RETIRED = [r"\bcận\b", r"lời giải", r"khả thi", r"tối ưu", r"lần chạy", r"chạy lại",
           r"thăm lại", r"ngày bắt đầu", r"ngày kế hoạch", r"chứng minh",
           r"chứng nhận chi phí", r"quy tắc \d+", r"\bmentor", r"\bCCB\b", r"\bquỹ\b"]
# ids of people and places (R00001, M001, J0005, T03, P1 …) and file names are not words
IDS = re.compile(r"\b[A-Z]{1,3}\d+\b|\S+\.(?:xlsx|xlsm|csv|json|zip|ics|ods|xls|docx)\b")
TAGS = re.compile(r"<(script|style)\b.*?</\1>|<[^>]+>", re.S | re.I)


def visible_text(page: str) -> str:
    """The words a reader sees: tags and their attributes removed (a table's title or
    aria-label is spoken, so those are kept), entities decoded."""
    spoken = " ".join(re.findall(r'\b(?:title|aria-label|placeholder|data-label)="([^"]*)"',
                                 page))
    text = TAGS.sub(" ", page) + " " + spoken
    return IDS.sub(" ", html.unescape(text))


# fields of the JSON answers that carry the program's codes for the page's script, not
# words shown (the rows' words are in their other fields and in ``html``)
CODES = {"code", "severity", "status", "change", "table"}


def json_text(value) -> str:
    """The text values of a JSON answer (its keys are the program's, not words shown);
    an ``html`` value is read as a page."""
    if isinstance(value, dict):
        return " ".join(visible_text(v) if k in ("html", "pager") and isinstance(v, str)
                        else json_text(v) for k, v in value.items() if k not in CODES)
    if isinstance(value, list):
        return " ".join(json_text(v) for v in value)
    return IDS.sub(" ", str(value)) if isinstance(value, str) else ""


def offending(text: str) -> list[str]:
    words = {w for w in re.findall(r"[\w-]+", text) if not w.isdigit()}
    found = sorted(w for w in words if w in ENGLISH or w.lower() in ENGLISH)
    lowered = text.lower()
    found += [p for p in RETIRED if re.search(p, lowered)]
    return found


def context(text: str, word: str) -> str:
    """Where ``word`` (a word or a pattern of RETIRED) first stands in ``text``."""
    m = re.search(word if word in RETIRED else r"\b" + re.escape(word) + r"\b", text,
                  re.I)
    return " ".join(text[max(0, m.start() - 60):m.end() + 40].split()) if m else ""


def roster_names() -> list[str]:
    """The names of the sample roster's returnees and mentors (with accents)."""
    from matcher.io.reader import read_roster

    roster = read_roster(SAMPLE)
    return [p.full_name for p in [*roster.returnees, *roster.mentors]]


@pytest.fixture(scope="module")
def planned(tmp_path_factory):
    """The sample roster uploaded, checked and planned once by the real library (a
    worker process), as an app and a coordinator's and an admin's browser."""
    from web.app import create_app

    instance = tmp_path_factory.mktemp("vi") / "instance"
    app = create_app({"INSTANCE_PATH": instance, "SECRET_KEY": "test-secret",
                      "TESTING": True, "PLANNER": "web.planner",
                      "SAMPLE_ROSTER": str(SAMPLE),
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    with app.app_context():
        create_user("coord", "coordinator", PASSWORD)
        create_user("admin", "admin", PASSWORD)
    coord, admin = Browser(app.test_client()), Browser(app.test_client())
    coord.login("coord")
    admin.login("admin")
    with SAMPLE.open("rb") as fh:
        run_id = run_id_from(coord.upload(fh.read(), filename="danh_sach.xlsx"))
    coord.post(f"/runs/{run_id}/start")
    status = wait_status(app, run_id, {"done", "failed"}, timeout=300)
    log = Path(app.config["UPLOAD_FOLDER"]) / str(run_id) / "worker.log"
    assert status == "done", log.read_text(encoding="utf-8")
    # planning again with two new releases: the change report
    new = ("Mã,Họ và tên,Giới tính,Năm sinh,Phường/Xã,Ngày chấp hành xong án,"
           "Nhóm tội danh,Mức nguy cơ\n"
           f"R90001,{NEW_NAMES[0]},Nam,1990,Phường Hạc Thành,01/12/2026,ma túy,3\n"
           f"R90002,{NEW_NAMES[1]},Nữ,1995,Phường Hàm Rồng,02/12/2026,tài sản,1\n").encode()
    rerun = run_id_from(coord.post(f"/runs/{run_id}/rerun", {
        "mode": "additions", "files": (io.BytesIO(new), "nguoi_moi_ve.csv")},
        content_type="multipart/form-data"))
    coord.post(f"/runs/{rerun}/start")
    status = wait_status(app, rerun, {"done", "failed"}, timeout=300)
    log = Path(app.config["UPLOAD_FOLDER"]) / str(rerun) / "worker.log"
    assert status == "done", log.read_text(encoding="utf-8")
    return app, coord, admin, run_id, rerun


def pages(b: Browser, run_id: int, admin: Browser, rerun: int) -> dict[str, str]:
    """Every page (and JSON answer) a coordinator sees, as the text shown."""
    out: dict[str, str] = {}

    def page(name, url, who=b, code=200):
        response = who.get(url)
        assert response.status_code == code, (url, response.status_code)
        body = response.get_data(as_text=True)
        if response.is_json:
            out[name] = json_text(response.get_json())
        else:
            out[name] = visible_text(body)
        return body

    page("history", "/")
    page("new", "/runs/new")
    shown = page("validation", f"/runs/{run_id}")
    for code in sorted(set(re.findall(r'data-code="([^"]+)"', shown))):
        page(f"warnings {code}", f"/runs/{run_id}/table/warnings?code={code}")
    page("result", f"/runs/{run_id}/result")
    for name in TABLES:
        response = b.get(f"/runs/{run_id}/table/{name}")
        if response.status_code == 200:
            out[f"table {name}"] = json_text(response.get_json())
    page("status", f"/runs/{run_id}/status")
    page("alternatives", f"/runs/{run_id}/alternatives/0")
    page("report", f"/runs/{run_id}/report")
    page("rerun validation", f"/runs/{rerun}")
    page("rerun result", f"/runs/{rerun}/result")
    for name in ("changes", "assignments", "unassigned"):
        page(f"rerun table {name}", f"/runs/{rerun}/table/{name}")
    page("rerun report", f"/runs/{rerun}/report")
    anonymous = Browser(b.client.application.test_client())
    page("login", "/login", who=anonymous)
    page("rerun", f"/runs/{run_id}/rerun")
    page("account", "/account")
    page("404", "/runs/999999", code=404)
    page("403", "/admin/users", code=403)
    page("users", "/admin/users", who=admin)
    page("audit", "/admin/audit", who=admin)
    return out


def download_names(b: Browser, run_id: int) -> dict[str, str]:
    """The file name of every download of the run."""
    urls = [f"/runs/{run_id}/download/{k}" for k in
            ("xlsx-vi", "xlsx-en", "json", "schedule-csv", "schedules-zip", "ics-zip")]
    urls += [f"/runs/{run_id}/documents.zip", "/template", f"/runs/{run_id}/report.csv",
             f"/runs/{run_id}/checked-roster"]
    names = {}
    for url in urls:
        response = b.get(url)
        try:
            assert response.status_code == 200, url
            if response.status_code == 200:
                disposition = response.headers["Content-Disposition"]
                assert "\n" not in disposition and "\r" not in disposition
                m = re.search(r"filename\*=UTF-8''([^;]+)", disposition)
                from urllib.parse import unquote

                names[url] = (unquote(m.group(1)) if m else
                              re.search(r'filename="?([^";]+)', disposition).group(1))
        finally:
            response.close()
    return names


def calendars(b: Browser, run_id: int) -> str:
    """Every calendar of the run's calendars download, as one text (lines unfolded)."""
    response = b.get(f"/runs/{run_id}/download/ics-zip")
    try:
        assert response.status_code == 200
        with zipfile.ZipFile(io.BytesIO(response.data)) as zf:
            texts = [zf.read(n).decode("utf-8") for n in zf.namelist()]
    finally:
        response.close()
    assert texts
    return "\n".join(texts).replace("\r\n ", "").replace("\r\n", "\n")


def set_lang(b: Browser, lang: str) -> None:
    b.post("/lang", {"lang": lang, "next": "/"})


@pytest.mark.skipif(not SAMPLE.exists(), reason="no bundled sample roster")
def test_vietnamese_pages_have_no_english_and_keep_accents(planned):
    app, coord, admin, run_id, rerun = planned
    set_lang(coord, "vi")
    set_lang(admin, "vi")
    shown = pages(coord, run_id, admin, rerun)
    leaks = {name: offending(text) for name, text in shown.items()}
    leaks = {k: v for k, v in leaks.items() if v}
    assert not leaks, {name: [(w, context(shown[name], w)) for w in words]
                       for name, words in leaks.items()}
    # the proof in a ward officer's words, the bounds only inside a <details>
    result = coord.get(f"/runs/{run_id}/result").get_data(as_text=True)
    assert "không thể tốt hơn (đã kiểm chứng)" in result or "chưa kiểm chứng" in result
    tiers = result.split('id="tiers"')[1].split("</section>")[0]
    assert "mức tốt nhất có thể đạt" in tiers.lower()
    assert tiers.lower().index("mức tốt nhất có thể đạt") > tiers.index("<details")
    # numbers the Vietnamese way: a percentage as 99,2 %, never 99.2%
    english_numbers = [(name, text[max(0, m.start() - 60):m.end() + 20])
                       for name, text in shown.items()
                       for m in re.finditer(r"\d\.\d\s?%|\d\.\d km|\d,\d{3}\b", text)]
    assert not english_numbers, english_numbers
    alternatives = coord.get(f"/runs/{run_id}/alternatives/0").get_json()["alternatives"]
    assert alternatives and all(not re.fullmatch(r"[-+]?\d+\.\d+", str(v))
                                for alt in alternatives for v in alt.values())
    everything = " ".join(shown.values())
    # every name that appears keeps its accents (none appears folded)
    names = [n for n in [*roster_names(), *NEW_NAMES] if fold(n) != n.casefold()]
    assert all(n in shown["rerun result"] for n in NEW_NAMES)
    assert names
    appear = [n for n in names if n in everything]
    assert appear, "no roster name on any page"
    folded = sorted({n for n in names if re.search(
        r"(?<!\w)" + re.escape(unicodedata.normalize("NFC", fold(n))) + r"(?!\w)",
        everything, re.I)})
    assert not folded, folded
    # the calendars in Vietnamese, names with their accents
    ics = calendars(coord, run_id)
    assert re.search(r"^SUMMARY:Thăm \w", ics, re.M) and "SUMMARY:Visit" not in ics
    assert [n for n in names if f"SUMMARY:Thăm {n}" in ics]
    # download names: Vietnamese (ASCII is fine), no English word
    names = download_names(coord, run_id)
    assert names[f"/runs/{run_id}/download/xlsx-vi"] == f"ke-hoach-{run_id}.xlsx"
    english = ENGLISH | {"schedules", "by", "report", "documents", "checked", "en", "vi",
                         "ics", "template", "to", "sign"}
    for url, name in names.items():
        words = re.findall(r"[a-z]+", fold(name.rsplit(".", 1)[0]))
        assert not [w for w in words if w in english], (url, name)


@pytest.mark.skipif(not SAMPLE.exists(), reason="no bundled sample roster")
def test_the_same_pages_in_english(planned):
    app, coord, admin, run_id, rerun = planned
    set_lang(coord, "en")
    set_lang(admin, "en")
    try:
        shown = pages(coord, run_id, admin, rerun)
        assert "Returnees" in shown["result"] or "returnees" in shown["result"]
        assert ("cannot be improved" in shown["result"]
                or "not yet shown to be the best" in shown["result"])
        assert "Người trở về" not in shown["result"]
        # English counts agree with their number ("1 warning", "19 mentors")
        for name, text in shown.items():
            m = re.search(r"(?<![\d.,])1 (errors|warnings|mentors|returnees|people|entries|"
                          r"sessions|job openings|training courses)\b", text)
            assert not m, (name, m.group(0))
        assert re.search(r"\d+ returnees, \d+ mentors, \d+ job openings",
                         shown["validation"])
        names = download_names(coord, run_id)
        assert names[f"/runs/{run_id}/download/xlsx-en"] == f"plan-{run_id}-en.xlsx"
        # the calendars follow the page's language (made on this first download)
        ics = calendars(coord, run_id)
        assert re.search(r"^SUMMARY:Visit \w", ics, re.M) and "SUMMARY:Thăm" not in ics
        assert json.dumps(shown)  # every answer was read
    finally:
        set_lang(coord, "vi")
        set_lang(admin, "vi")


def test_progress_is_said_in_the_page_language_and_moves_within_a_stage(monkeypatch):
    """The planner's stage names ("mentors" …) are shown in the coordinator's words, and
    a long stage moves the bar towards its end without reaching it."""
    from web import worker

    written = []
    clock = [100.0]
    monkeypatch.setattr(worker.time, "monotonic", lambda: clock[0])
    progress = worker.Progress(lambda f, m: written.append((round(f, 3), m)))
    progress(0.25, "mentors")
    assert written == [(0.25, "mentors")]
    for _ in range(60):
        clock[0] += 1.0
        progress.tick(lambda f, m: written.append((round(f, 3), m)))
    shown = [f for f, _m in written]
    assert shown == sorted(shown) and len(set(shown)) > 10
    assert 0.45 < shown[-1] < 0.55
    progress(0.55, "jobs and training")
    assert written[-1] == (0.55, "jobs and training")
    progress(1.0, "done")  # the library's end: the plan files are still to be written
    progress(0.95, "writing plan")
    assert written[-1] == (0.95, "writing plan") and (1.0, "done") not in written


def test_stage_words(make_app):
    """Every stage the planner reports has words in both languages; the page shows them."""
    from matcher import catalog
    from web.runs import progress_text
    from web.worker import STAGE_ENDS

    app = make_app()
    for stage in [*STAGE_ENDS, "done"]:
        key = "progress." + "_".join(stage.split())
        assert catalog.has(key), key
    with app.test_request_context():
        text = progress_text("running", "mentors")
        assert text == catalog.text("progress.mentors", "vi") and "mentor" not in text
        assert progress_text("running", "") == catalog.text("status.running", "vi")
        assert progress_text("queued", None) == catalog.text("status.queued", "vi")
        assert progress_text("done", "writing plan") == catalog.text("status.done", "vi")
