"""The documents a ward committee signs (issue 18, must-show point 2): the ward list and the
assignment paper of the sample roster's plan, converted to PDF by LibreOffice, are A4, set
in Times New Roman, within the stated page count and carry their signature blocks; the
template's placeholders are filled even when Word splits them; the web download is the
run owner's only.

Page-count bound for the sample roster (120 returnees, 17 wards, at most 17 in a ward):
the largest ward's list takes at most 2 pages, each assignment paper exactly 1.

Needs ``soffice`` (libreoffice-writer) and poppler-utils (``make system-deps`` installs
them as root). Without them the PDF tests skip, except under CI (``CI`` set), where they
fail.
"""

from __future__ import annotations

import io
import os
import pickle
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from docx import Document

from matcher.io.assignment_doc import PLACEHOLDERS, build_default_template
from matcher.io.documents import (
    ZIP_NAME,
    documents_zip,
    write_assignment_docs,
    write_documents,
    write_ward_lists,
)
from matcher.io.docx_format import (
    DocumentTemplateError,
    render_template,
    template_fields,
    template_parts,
)
from matcher.io.reader import read_roster
from matcher.solve import solve

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample" / "roster.xlsx"
TEMPLATE = ROOT / "data" / "templates" / "phan_cong.docx"
DOCS = ROOT / "docs"
LARGEST_WARD = "Phường Đông Sơn"  # 17 of the sample's 120 returnees
MAX_LIST_PAGES = 2
A4_PT = (595.3, 841.9)
# fonts a PDF of a Times New Roman document may name: the font itself or, where it is not
# installed (Linux), its metric-compatible stand-in Liberation Serif (fonts-liberation2)
TIMES_FONTS = re.compile(r"^(?:[A-Z]{6}\+)?(TimesNewRoman|Times-|TimesNewRomanPS|LiberationSerif)")


@pytest.fixture(scope="module")
def sample():
    roster = read_roster([SAMPLE])
    return roster, solve(roster)


@pytest.fixture(scope="module")
def written(sample, tmp_path_factory) -> Path:
    roster, plan = sample
    out = tmp_path_factory.mktemp("documents")
    write_documents(plan, roster, out)
    return out


def _tools_or_skip() -> None:
    missing = [t for t in ("soffice", "pdfinfo", "pdffonts", "pdftotext", "pdftoppm")
               if shutil.which(t) is None]
    if missing:
        reason = f"{', '.join(missing)} not installed (make system-deps installs them as root)"
        if os.environ.get("CI"):
            pytest.fail(reason + " — required under CI")
        pytest.skip(reason)


@pytest.fixture(scope="module")
def pdfs(written, tmp_path_factory) -> dict[str, Path]:
    """The largest ward's list and its first assignment paper, as PDF (one soffice run,
    with its own profile folder so a concurrent LibreOffice does not interfere)."""
    _tools_or_skip()
    work = tmp_path_factory.mktemp("pdf")
    ward_list = written / f"Danh sách phân công - {LARGEST_WARD}.docx"
    with zipfile.ZipFile(written / ZIP_NAME) as zf:
        name = sorted(n for n in zf.namelist() if n.startswith(LARGEST_WARD + "/"))[0]
        assignment = work / "assignment.docx"
        assignment.write_bytes(zf.read(name))
    shutil.copy(ward_list, work / "ward-list.docx")
    profile = (work / "lo-profile").as_uri()
    proc = subprocess.run(
        ["soffice", f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
         "--outdir", str(work), str(work / "ward-list.docx"), str(assignment)],
        capture_output=True, text=True, timeout=180)
    out = {k: work / f"{k}.pdf" for k in ("ward-list", "assignment")}
    if not all(p.is_file() for p in out.values()):
        reason = ("LibreOffice made no PDF from .docx (libreoffice-writer missing?): "
                  f"{proc.stdout[-300:]} {proc.stderr[-300:]}")
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return out


def _pages(pdf: Path) -> list[tuple[float, float]]:
    info = subprocess.run(["pdfinfo", "-f", "1", "-l", "999", str(pdf)], capture_output=True,
                          text=True, check=True).stdout
    return [(float(w), float(h)) for w, h in
            re.findall(r"^Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts", info, re.M)]


def _text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout


def _fonts(pdf: Path) -> set[str]:
    out = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True,
                         check=True).stdout.splitlines()[2:]
    return {line.split()[0] for line in out if line.strip()}


# ------------------------------------------------------------------------- PDF (LibreOffice)

@pytest.mark.parametrize("kind", ["ward-list", "assignment"])
def test_documents_print_on_a4_in_times_new_roman(pdfs, kind):
    """Every page is A4 portrait and every font in the PDF is Times New Roman (or its
    metric twin Liberation Serif where Times is not installed)."""
    pages = _pages(pdfs[kind])
    assert pages, "pdfinfo found no page"
    for w, h in pages:
        assert abs(w - A4_PT[0]) < 1.5 and abs(h - A4_PT[1]) < 1.5, (w, h)
    fonts = _fonts(pdfs[kind])
    assert fonts and all(TIMES_FONTS.match(f) for f in fonts), fonts


def test_page_counts_stay_within_the_stated_bound(pdfs):
    """The largest ward (17 people) fits in 2 pages; an assignment paper is one page."""
    assert 1 <= len(_pages(pdfs["ward-list"])) <= MAX_LIST_PAGES
    assert len(_pages(pdfs["assignment"])) == 1


def test_the_ward_list_carries_heading_title_date_and_signature_blocks(pdfs, sample):
    """Issuing unit, motto, date line, title, every person of the ward, both signature
    blocks; one page number (from page 2), no hash, no id, no setting name."""
    roster, _plan = sample
    text = _text(pdfs["ward-list"])
    flat = re.sub(r"\s+", " ", text)
    for expected in ("BAN CHỈ ĐẠO 138 PHƯỜNG", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                     "Độc lập - Tự do - Hạnh phúc", "Đông Sơn, ngày 01 tháng 12 năm 2026",
                     "DANH SÁCH PHÂN CÔNG NGƯỜI GIÚP ĐỠ", "NGƯỜI LẬP", "(Ký, ghi rõ họ tên)",
                     "XÁC NHẬN CỦA BAN CHỈ ĐẠO", "TM. BAN CHỈ ĐẠO", "(Ký tên, đóng dấu)"):
        assert expected in flat, expected
    in_ward = [r for r in roster.returnees if r.location.ward == LARGEST_WARD]
    assert len(in_ward) == 17
    words = set(flat.split())  # a name may wrap inside its table cell
    for r in in_ward:
        assert set(r.full_name.split()) <= words, r.full_name
        assert r.id not in flat
    assert not re.search(r"\b[0-9a-f]{40,64}\b", text)  # no checksum on paper
    assert "issuing_unit" not in flat and "_" not in flat
    pages = text.split("\f")
    if len(pages) > 1:  # the page number on page 2 only, once
        assert re.search(r"^\s*2\s*$", pages[1], re.M)
        assert not re.search(r"^\s*1\s*$", pages[0], re.M)


def test_the_assignment_paper_names_both_people_and_the_duties(pdfs, sample):
    roster, plan = sample
    flat = re.sub(r"\s+", " ", _text(pdfs["assignment"]))
    assert "GIẤY PHÂN CÔNG" in flat and "Nhiệm vụ của người giúp đỡ" in flat
    assert "TM. BAN CHỈ ĐẠO" in flat and "(Ký tên, đóng dấu)" in flat and "Nơi nhận" in flat
    assert "{{" not in flat and "}}" not in flat
    names = [r.full_name for r in roster.returnees if r.location.ward == LARGEST_WARD]
    returnee = next(n for n in names if n in flat)
    r = next(x for x in roster.returnees if x.full_name == returnee)
    mentor = roster.mentor(plan.assignment(r.id).mentor_id)
    assert mentor.full_name in flat and mentor.phone in flat and str(r.birth_year) in flat


def test_first_pages_as_png_for_the_readme(pdfs, tmp_path):
    """The README's pictures come from the same code (docs/ward-list.png,
    docs/assignment.png); set UPDATE_DOC_PNGS=1 to write them again."""
    for kind, pdf in pdfs.items():
        prefix = tmp_path / kind
        subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1",
                        "-singlefile", str(pdf), str(prefix)], check=True)
        png = prefix.with_suffix(".png")
        assert png.read_bytes().startswith(b"\x89PNG")
        if os.environ.get("UPDATE_DOC_PNGS"):
            DOCS.mkdir(exist_ok=True)
            shutil.copy(png, DOCS / f"{kind}.png")
        assert (DOCS / f"{kind}.png").is_file(), "run with UPDATE_DOC_PNGS=1 once"


# ------------------------------------------------------------------------- .docx contents

def _docx_fonts(data: bytes) -> set[str]:
    """The fonts the styles, the text, the headers and footers name (theme fonts too)."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        xml = "".join(zf.read(n).decode("utf-8") for n in zf.namelist()
                      if re.match(r"word/(styles|document|header\d*|footer\d*)\.xml$", n))
    fonts = re.findall(r"<w:rFonts [^>]*>", xml)
    return {f for tag in fonts for f in re.findall(r'w:(?:ascii|hAnsi|eastAsia|cs)="([^"]+)"',
                                                    tag)} | \
        {"theme:" + t for tag in fonts for t in re.findall(r'Theme="([^"]+)"', tag)}


def test_word_files_declare_times_new_roman_a4_and_the_decree_margins(written):
    """In the .docx itself: only Times New Roman in styles and text; A4 portrait; margins
    top/bottom 20 mm, left 30 mm, right 15 mm; body 14 pt."""
    ward_list = written / f"Danh sách phân công - {LARGEST_WARD}.docx"
    for data in (ward_list.read_bytes(), TEMPLATE.read_bytes()):
        assert _docx_fonts(data) == {"Times New Roman"}
        doc = Document(io.BytesIO(data))
        s = doc.sections[0]
        assert (round(s.page_width.mm), round(s.page_height.mm)) == (210, 297)
        assert [round(x.mm) for x in (s.top_margin, s.bottom_margin, s.left_margin,
                                      s.right_margin)] == [20, 20, 30, 15]
        assert doc.styles["Normal"].font.size.pt == 14


def test_one_list_per_ward_and_one_paper_per_new_pair_in_a_folder_per_ward(sample, written):
    roster, plan = sample
    wards = {r.location.ward for r in roster.returnees}
    lists = sorted(p.name for p in written.glob("*.docx"))
    assert len(lists) == len(wards) == 17
    with zipfile.ZipFile(written / ZIP_NAME) as zf:
        names = zf.namelist()
    new_pairs = [a for a in plan.assignments if a.mentor_id and a.change in ("new", "changed")]
    assert len(names) == len(new_pairs) == 119
    assert {n.split("/")[0] for n in names} == wards
    assert all(n.endswith(".docx") and n.count("/") == 1 for n in names)


def test_the_shipped_template_uses_exactly_the_documented_placeholders():
    """The README's table, PLACEHOLDERS and data/templates/phan_cong.docx agree, and the
    file is what the builder makes (rebuild: python data/templates/make_phan_cong.py)."""
    shipped = template_fields(template_parts(TEMPLATE.read_bytes()))
    assert shipped == set(PLACEHOLDERS)
    assert template_fields(template_parts(build_default_template())) == shipped
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in PLACEHOLDERS:
        assert "{{" + name + "}}" in readme, name


def _docx_with_paragraph(*runs: str) -> bytes:
    doc = Document()
    p = doc.add_paragraph()
    for i, text in enumerate(runs):
        p.add_run(text).bold = i == 0
    doc.add_paragraph("{{co_quan_cap_tren}}")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def test_a_placeholder_word_split_over_runs_is_still_filled():
    """Word splits text it has edited into runs ("{{ho_" + "ten_ccb}}"); the filler joins
    them, keeps the first run's formatting and drops a paragraph left empty."""
    data = _docx_with_paragraph("Ông {{ho_", "ten_c", "cb}}, sinh năm {{ nam_sinh_ccb }}.")
    parts = template_parts(data)
    assert template_fields(parts) == {"ho_ten_ccb", "nam_sinh_ccb", "co_quan_cap_tren"}
    out = Document(io.BytesIO(render_template(parts, {"ho_ten_ccb": "Nguyễn Việt Long",
                                                      "nam_sinh_ccb": "1971",
                                                      "co_quan_cap_tren": ""})))
    texts = [p.text for p in out.paragraphs]
    assert texts == ["Ông Nguyễn Việt Long, sinh năm 1971."]
    assert out.paragraphs[0].runs[0].bold


def test_a_user_template_is_used_and_a_bad_one_refused_before_writing(sample, tmp_path):
    roster, plan = sample
    mine = tmp_path / "mine.docx"
    mine.write_bytes(_docx_with_paragraph("Giao ", "{{ho_ten_ccb}} giúp {{ho_ten_nguoi_duoc_giup}}"))
    out = write_assignment_docs(plan, roster, tmp_path / "a.zip", template=mine)
    with zipfile.ZipFile(out) as zf:
        first = Document(io.BytesIO(zf.read(zf.namelist()[0])))
    assert first.paragraphs[0].text.startswith("Giao ") and "{{" not in first.paragraphs[0].text
    typo = tmp_path / "typo.docx"
    typo.write_bytes(_docx_with_paragraph("{{ho_ten_cbb}}"))
    with pytest.raises(DocumentTemplateError, match="ho_ten_cbb"):
        write_documents(plan, roster, tmp_path / "never", template=typo)
    assert not (tmp_path / "never").exists()
    not_word = tmp_path / "x.docx"
    not_word.write_text("hello")
    with pytest.raises(DocumentTemplateError, match="not a Word") as exc:
        write_assignment_docs(plan, roster, tmp_path / "b.zip", template=not_word)
    assert exc.value.message("vi") == "tệp mẫu không phải tệp Word .docx"


def test_the_issuing_unit_setting_replaces_the_default(sample, tmp_path):
    """Two lines: the superior body above, the issuing unit (bold) below."""
    roster, plan = sample
    roster = roster.with_settings(issuing_unit="UBND phường Đông Sơn\nBan Chỉ đạo phòng, "
                                               "chống tội phạm")
    path = [p for p in write_ward_lists(plan, roster, tmp_path)
            if LARGEST_WARD in p.name][0]
    doc = Document(str(path))
    heading = [p.text for p in doc.tables[0].rows[0].cells[0].paragraphs]
    assert heading[:2] == ["UBND PHƯỜNG ĐÔNG SƠN", "BAN CHỈ ĐẠO PHÒNG, CHỐNG TỘI PHẠM"]
    assert doc.tables[0].rows[0].cells[0].paragraphs[1].runs[0].bold


# ------------------------------------------------------------------------- the web download

def test_the_web_download_is_for_the_run_owner_only_and_audited(sample, tmp_path):
    """``/runs/<id>/documents.zip``: the owner gets a zip with a folder per ward (its list
    and its papers); another coordinator gets a 404; the download is in the audit log."""
    from web import db, service
    from web.app import create_app
    from web.auth import create_user

    roster, plan = sample
    app = create_app({"INSTANCE_PATH": tmp_path / "instance", "SECRET_KEY": "t",
                      "TESTING": True, "WTF_CSRF_ENABLED": False,
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    password = "a long enough password 1"
    with app.app_context():
        owner = create_user("coord", "coordinator", password)
        create_user("other", "coordinator", password)
        conn = db.get_db()
        run_id = db.create_run(conn, owner, kind="upload")
        conn.execute("UPDATE runs SET status = 'done' WHERE id = ?", (run_id,))
        conn.commit()
        folder = service.run_dir(app.config, run_id)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "plan.json").write_text("{}")
    with open(folder / "state.pickle", "wb") as fh:
        pickle.dump((roster, plan), fh)
    url = f"/runs/{run_id}/documents.zip"

    anonymous = app.test_client()
    assert anonymous.get(url).status_code in (302, 401)
    other = app.test_client()
    other.post("/login", data={"name": "other", "password": password})
    assert other.get(url).status_code == 404
    client = app.test_client()
    client.post("/login", data={"name": "coord", "password": password})
    got = client.get(url)
    assert got.status_code == 200, got.status_code
    assert got.mimetype == "application/zip" and "attachment" in got.headers[
        "Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(got.data)) as zf:
        names = zf.namelist()
    assert f"{LARGEST_WARD}/Danh sách phân công - {LARGEST_WARD}.docx" in names
    assert len([n for n in names if "Giấy phân công" in n]) == 119
    assert client.get(f"/runs/{run_id + 1}/documents.zip").status_code == 404
    with app.app_context():
        rows = db.get_db().execute(
            "SELECT detail FROM audit_log WHERE action = 'download' AND run_id = ?",
            (run_id,)).fetchall()
    assert [r["detail"] for r in rows] == ["kind=documents-zip"]


def test_documents_zip_matches_the_written_files(sample, written):
    roster, plan = sample
    with zipfile.ZipFile(io.BytesIO(documents_zip(plan, roster))) as zf:
        lists = [n for n in zf.namelist() if "Danh sách" in n]
    assert sorted(n.split("/")[1] for n in lists) == sorted(p.name for p in
                                                             written.glob("*.docx"))
