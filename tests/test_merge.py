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
