"""Merging a file of new releases into a roster (matcher.io.merge)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from matcher.io.merge import merge_new_releases, read_tables
from matcher.io.reader import read_roster

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample" / "roster.xlsx"

pytestmark = pytest.mark.skipif(not SAMPLE.exists(), reason="no bundled sample roster")

NEW = ("id,full_name,gender,birth_year,ward,release_date,offense,risk\n"
       "R90001,Lê Văn Mới,M,1990,Phường Hạc Thành,01/12/2026,drugs,3\n"
       "R90002,Trần Thị Mới,F,1995,Phường Hàm Rồng,02/12/2026,fraud,1\n")


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    roster = tmp_path / "roster.xlsx"
    shutil.copyfile(SAMPLE, roster)
    (tmp_path / "adds").mkdir()
    new = tmp_path / "adds" / "moi_ve.csv"
    new.write_text(NEW, encoding="utf-8")
    return roster, new


def test_new_releases_join_the_returnees_under_the_earlier_header(files):
    """English headers in the additions land under the roster's Vietnamese ones; the
    other tables are kept as they are and the reader reads the merged roster."""
    roster, new = files
    paths = merge_new_releases([roster], [new])
    assert len(paths) == 1 and paths[0].parent == new.parent
    assert paths[0].name.startswith("merged-") and paths[0].suffix == ".xlsx"
    before, after = read_roster([roster]), read_roster(paths)
    assert len(after.returnees) == len(before.returnees) + 2
    added = {r.id: r for r in after.returnees}
    assert added["R90001"].full_name == "Lê Văn Mới" and added["R90002"].risk == 1
    assert len(after.mentors) == len(before.mentors) and len(after.jobs) == len(before.jobs)
    titles = [t for t, _rows in read_tables(paths[0])]
    assert titles == [t for t, _rows in read_tables(roster)]


def test_the_merge_is_made_once_per_set_of_inputs(files, tmp_path):
    roster, new = files
    first = merge_new_releases([roster], [new])[0]
    stamp = first.stat().st_mtime_ns
    assert merge_new_releases([roster], [new])[0] == first
    assert first.stat().st_mtime_ns == stamp
    new.write_text(NEW + "R90003,Ba Mới,M,1991,Phường Hạc Thành,03/12/2026,theft,2\n",
                   encoding="utf-8")
    assert merge_new_releases([roster], [new])[0] != first
    out = tmp_path / "elsewhere"
    out.mkdir()
    assert merge_new_releases([roster], [new], out_dir=out)[0].parent == out


def test_nothing_to_merge_into_or_unreadable_gives_the_files_back_unmerged(files, tmp_path):
    """No Returnees table, or a file the guards refuse: the reader reads the files itself
    and reports the missing sheet or the unreadable file."""
    roster, new = files
    assert merge_new_releases([roster], []) == [roster]
    other = tmp_path / "mentors.csv"
    other.write_text("id,full_name\nM1,Cựu\n", encoding="utf-8")
    assert merge_new_releases([other], [new]) == [other, new]
    broken = tmp_path / "adds" / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a workbook")
    assert merge_new_releases([roster], [broken]) == [roster, broken]


def _reader_issues(paths):
    from matcher.errors import RosterError

    try:
        return list(read_roster(paths).warnings)
    except RosterError as exc:
        return exc.issues


def test_issues_in_the_merge_are_placed_in_the_coordinators_own_files(tmp_path):
    """The row map: a problem of a new release is reported at its own file, sheet, row
    and header (here a workbook whose table starts on row 3, with a blank row), one of the
    roster at the roster's row; an id used again quotes the first row and its file."""
    import openpyxl

    from matcher.io.merge import own_places, row_map

    book = openpyxl.load_workbook(SAMPLE)
    returnees = book.worksheets[0]
    returnees["D5"] = "xyz"  # Năm sinh
    roster = tmp_path / "roster.xlsx"
    book.save(roster)
    first_id = returnees["A2"].value
    adds = openpyxl.Workbook()
    sheet = adds.active
    sheet.title = "Danh sách mới"
    sheet["A1"] = "Những người mới về"  # a title above the table
    sheet.append([])
    sheet.append(["id", "full_name", "gender", "birth_year", "ward", "release_date",
                  "offense", "risk"])                                        # row 3
    sheet.append(["R90001", "Lê Văn Mới", "M", 1990, "Phường Hạc Thành", "01/12/2026",
                  "drugs", 3])                                               # row 4
    sheet.append([])                                                         # row 5
    sheet.append(["R90002", "Trần Thị Mới", "F", "abc", "Phường Hàm Rồng", "02/12/2026",
                  "fraud", 1])                                               # row 6
    sheet.append([first_id, "Ba Trùng", "M", 1991, "Phường Hàm Rồng", "03/12/2026",
                  "fraud", 1])                                               # row 7
    (tmp_path / "adds").mkdir()
    new = tmp_path / "adds" / "moi ve.xlsx"
    adds.save(new)

    paths = merge_new_releases([roster], [new])
    found = row_map(paths[0])
    assert found is not None and row_map(roster) is None
    merged_issues = _reader_issues(paths)
    n = returnees.max_row
    assert {(i.sheet, i.row) for i in merged_issues if i.code == "wrong_type"} == {
        (returnees.title, 5), (returnees.title, n + 2)}  # the merge's own row numbers

    placed = own_places(merged_issues, paths)
    assert len(placed) == len(merged_issues)
    wrong = {(i.file, i.sheet, i.row, i.column) for i in placed if i.code == "wrong_type"}
    assert wrong == {("roster.xlsx", returnees.title, 5, "Năm sinh"),
                     ("moi ve.xlsx", "Danh sách mới", 6, "birth_year")}
    again = [i for i in placed if i.code == "duplicate_id"]
    assert [(i.file, i.row, i.column) for i in again] == [("moi ve.xlsx", 7, "id")]
    assert again[0].params["first_row"] == "2, roster.xlsx"
    assert "2, roster.xlsx" in again[0].message("vi")
    # every issue of the merge's Returnees sheet names a file, none a merged row
    on_returnees = [i for i in placed
                    if i.file == "roster.xlsx" and i.sheet == returnees.title]
    assert on_returnees and all(i.row is None or i.row <= n for i in on_returnees)
    line = next(i for i in placed if i.code == "wrong_type" and i.file == "moi ve.xlsx")
    assert line.format("en").startswith("ERROR moi ve.xlsx, Danh sách mới, row 6")
    assert line.to_dict("en")["file"] == "moi ve.xlsx"
    # other sheets of the roster file are named in it, with their rows as they are
    mentors = [i for i in placed if i.sheet == book.worksheets[1].title]
    assert mentors and all(i.file == "roster.xlsx" for i in mentors)
    mentor_rows = {(i.code, i.row) for i in merged_issues if i.sheet == book.worksheets[1].title}
    assert {(i.code, i.row) for i in mentors} == mentor_rows


def test_the_row_map_is_kept_beside_the_merge_and_made_again_if_missing(files):
    roster, new = files
    merged = merge_new_releases([roster], [new])[0]
    side = merged.with_name(merged.stem + ".map.json")
    assert side.is_file()
    side.unlink()
    assert merge_new_releases([roster], [new])[0] == merged and side.is_file()
    from matcher.io.merge import row_map

    found = row_map(merged)
    rows = len(read_tables(roster)[0][1])
    assert found.place(read_tables(roster)[0][0], rows + 2)[1:3] == ("moi_ve.csv", 3)
    assert found.place(read_tables(roster)[0][0], 7)[1:3] == (read_tables(roster)[0][0], 7)
    assert found.place("no such sheet", 3) is None


def test_the_checked_copy_marks_each_file_with_its_own_issues(tmp_path):
    """An issue with a file marks that file only, found by the name the caller gives a
    stored file; with only_marked, files with nothing marked are left out."""
    import io
    import zipfile

    import openpyxl

    from matcher.io.annotate import annotated_download

    roster = tmp_path / "stored-1.csv"
    roster.write_text("id,full_name\nR1,A\nR2,B\n", encoding="utf-8")
    new = tmp_path / "stored-2.csv"
    new.write_text("id,full_name,birth_year\nR3,C,1990\nR4,D,abc\n", encoding="utf-8")
    issues = [{"file": "moi_ve.csv", "sheet": "moi_ve.csv", "row": 3, "column": "birth_year",
               "severity": "error", "message": {"vi": "sai", "en": "wrong"}}]
    data, kind = annotated_download([roster, new], issues, "vi",
                                    names=["Returnees.csv", "moi_ve.csv"], only_marked=True)
    assert kind == "xlsx"
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["moi_ve"]
    assert book["moi_ve"]["C3"].comment.text == "Lỗi: sai"
    data, kind = annotated_download([roster, new], issues, "vi",
                                    names=["Returnees.csv", "moi_ve.csv"])
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert sorted(zf.namelist()) == ["Returnees-checked.xlsx", "moi_ve-checked.xlsx"]
        first = openpyxl.load_workbook(io.BytesIO(zf.read("Returnees-checked.xlsx")))
    assert not [c for row in first.active.iter_rows() for c in row if c.comment]
