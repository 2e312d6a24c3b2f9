"""Ward name resolution against the bundled Thanh Hóa gazetteer."""

from __future__ import annotations

import csv
import math
from collections import defaultdict

import pytest

from matcher.gazetteer import GAZETTEER_DIR, MERGES_CSV, UNITS_CSV, Gazetteer, WardPoint

HAM_RONG = "14758"
HAC_THANH = "14797"
BIM_SON = "14812"
BA_DINH_2025 = "16171"


@pytest.fixture(scope="module")
def gaz() -> Gazetteer:
    return Gazetteer.bundled()


def _rows(name: str) -> list[dict[str, str]]:
    with open(GAZETTEER_DIR / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_bundled_loads_all_2025_units_once(gaz: Gazetteer) -> None:
    """The bundled gazetteer has the 166 Thanh Hóa units with unique codes and is cached."""
    units = gaz.units()
    assert len(units) == 166
    assert len({u.code for u in units}) == 166
    assert all(isinstance(u, WardPoint) and math.isfinite(u.lat) for u in units)
    assert Gazetteer.bundled() is gaz


@pytest.mark.parametrize("text", ["ham rong", "Hàm Rồng", "HÀM RỒNG", "  hàm   RỒNG  ", "Ham Rong"])
def test_accent_case_and_whitespace_insensitive(gaz: Gazetteer, text: str) -> None:
    """Accents, case and spacing do not matter: every spelling finds Phường Hàm Rồng."""
    res = gaz.resolve(text)
    assert res.status == "ok"
    assert res.point is not None and res.point.code == HAM_RONG
    assert res.point.name == "Phường Hàm Rồng"


@pytest.mark.parametrize(
    "text",
    ["Phường Hàm Rồng", "P. Hàm Rồng", "P.Hàm Rồng", "P Hàm Rồng", "Phuong Ham Rong",
     "phường hàm rồng"],
)
def test_phuong_prefix_is_optional(gaz: Gazetteer, text: str) -> None:
    """'Phường', 'P.', 'P ' and unaccented 'Phuong' prefixes are all accepted."""
    res = gaz.resolve(text)
    assert res.status == "ok" and res.point is not None and res.point.code == HAM_RONG


@pytest.mark.parametrize("text", ["Xã Ba Đình", "X. Ba Đình", "Xa Ba Dinh", "xã ba đình"])
def test_xa_prefix_variants(gaz: Gazetteer, text: str) -> None:
    """'Xã', 'X.' and unaccented 'Xa' prefixes are read as the unit type."""
    res = gaz.resolve(text)
    assert res.status == "ok" and res.point is not None and res.point.code == BA_DINH_2025


@pytest.mark.parametrize("text", ["Thị trấn Lam Sơn", "TT. Lam Sơn", "TT Lam Sơn", "thi tran lam son"])
def test_thi_tran_prefix_picks_the_old_township(gaz: Gazetteer, text: str) -> None:
    """'Thị trấn'/'TT.' select the old Thọ Xuân township among five 'Lam Sơn' units."""
    res = gaz.resolve(text)
    assert res.status == "ok" and res.point is not None
    assert res.point.name == "Xã Lam Sơn"
    assert res.old_name == "Thị trấn Lam Sơn"


def test_old_name_fully_merged_resolves_with_old_name(gaz: Gazetteer) -> None:
    """A pre-2025 ward merged whole (Nam Ngạn) resolves to its 2025 unit and reports the old name."""
    res = gaz.resolve("Phường Nam Ngạn")
    assert res.status == "ok" and res.point is not None and res.point.code == HAM_RONG
    assert res.old_name == "Phường Nam Ngạn"


def test_2025_name_equal_to_old_name_of_same_unit_is_not_ambiguous(gaz: Gazetteer) -> None:
    """'Hàm Rồng' is both the 2025 ward and its old namesake: one unit, so ok, no old_name."""
    res = gaz.resolve("Hàm Rồng")
    assert res.status == "ok" and res.point is not None and res.point.code == HAM_RONG
    assert res.old_name is None


def test_split_old_ward_is_ambiguous_listing_new_units(gaz: Gazetteer) -> None:
    """The former Phường Đông Thọ was split: the text is ambiguous between Hàm Rồng and Hạc Thành."""
    for text in ("Đông Thọ", "Phường Đông Thọ", "Đông Thọ, TP Thanh Hóa"):
        res = gaz.resolve(text)
        assert res.status == "ambiguous", text
        assert res.point is None
        assert set(res.candidates) == {
            "Phường Hàm Rồng (from Phường Đông Thọ, Thành phố Thanh Hóa, part)",
            "Phường Hạc Thành (from Phường Đông Thọ, Thành phố Thanh Hóa, part)",
        }


def test_every_split_old_unit_is_ambiguous_and_every_full_one_resolves(gaz: Gazetteer) -> None:
    """Across the whole mapping, old name + district resolves iff the old unit went whole."""
    targets: dict[str, set[str]] = defaultdict(set)
    rows = _rows(MERGES_CSV)
    for row in rows:
        targets[row["old_code"]].add(row["new_code"])
    for row in rows:
        res = gaz.resolve(f"{row['old_name']}, {row['old_district']}")
        if row["merge_type"] == "partial":
            assert res.status == "ambiguous", row
            assert len(res.candidates) == len(targets[row["old_code"]]), row
        else:
            assert res.status == "ok", row
            assert res.point is not None and res.point.code == row["new_code"], row


def test_every_2025_unit_resolves_as_a_2025_address(gaz: Gazetteer) -> None:
    """'<2025 name>, tỉnh Thanh Hóa' (the post-2025 address form) finds each unit itself."""
    for unit in gaz.units():
        res = gaz.resolve(f"{unit.name}, tỉnh Thanh Hóa")
        assert res.status == "ok" and res.point == unit, unit.name


def test_2025_name_shared_with_an_old_commune_elsewhere_is_ambiguous(gaz: Gazetteer) -> None:
    """'Xã Minh Sơn' is a 2025 commune and also a former Triệu Sơn commune: never guessed."""
    res = gaz.resolve("Xã Minh Sơn")
    assert res.status == "ambiguous"
    assert "Xã Minh Sơn (2025 unit)" in res.candidates
    assert "Xã Triệu Sơn (from Xã Minh Sơn, Huyện Triệu Sơn)" in res.candidates


def test_shared_short_name_is_ambiguous_with_context(gaz: Gazetteer) -> None:
    """'Ba Đình' (2025 commune, two old city wards, old Nga Sơn commune) lists every candidate."""
    for text in ("Ba Đình", "ba dinh", "Ba Đình, Thanh Hóa"):
        res = gaz.resolve(text)
        assert res.status == "ambiguous", text
        assert res.candidates == (
            "Xã Ba Đình (2025 unit)",
            "Phường Hạc Thành (from Phường Ba Đình, Thành phố Thanh Hóa)",
            "Phường Bỉm Sơn (from Phường Ba Đình, Thị xã Bỉm Sơn)",
            "Xã Ba Đình (from Xã Ba Đình, Huyện Nga Sơn)",
        )


def test_prefix_is_information(gaz: Gazetteer) -> None:
    """'Xã Ba Đình' picks the one Xã; 'Phường Ba Đình' still leaves two old wards to choose."""
    assert gaz.resolve("Xã Ba Đình").point.code == BA_DINH_2025  # type: ignore[union-attr]
    res = gaz.resolve("Phường Ba Đình")
    assert res.status == "ambiguous"
    assert res.candidates == (
        "Phường Hạc Thành (from Phường Ba Đình, Thành phố Thanh Hóa)",
        "Phường Bỉm Sơn (from Phường Ba Đình, Thị xã Bỉm Sơn)",
    )


def test_exact_accents_are_information_but_not_required(gaz: Gazetteer) -> None:
    """'Hoằng Đông' and 'Hoằng Đồng' were different communes; without accents it is ambiguous."""
    dong = gaz.resolve("Hoằng Đông")
    dong_grave = gaz.resolve("Hoằng Đồng")
    assert dong.status == dong_grave.status == "ok"
    assert dong.point is not None and dong.point.name == "Xã Hoằng Thanh"
    assert dong_grave.point is not None and dong_grave.point.name == "Xã Hoằng Hóa"
    assert gaz.resolve("Hoang Dong").status == "ambiguous"


def test_prefix_and_accents_that_disagree_stay_ambiguous(gaz: Gazetteer) -> None:
    """'Phường Đồng Tiến' mixes Phường Đông Tiến's prefix with Xã Đồng Tiến's accents: no guess."""
    res = gaz.resolve("Phường Đồng Tiến")
    assert res.status == "ambiguous"
    assert "Phường Đông Tiến (2025 unit)" in res.candidates
    assert "Xã Đồng Tiến (2025 unit)" in res.candidates


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Ba Đình, TP Thanh Hóa", HAC_THANH),
        ("Ba Đình, TP. Thanh Hóa", HAC_THANH),
        ("Phường Ba Đình, Thành phố Thanh Hóa", HAC_THANH),
        ("ba dinh, thanh pho thanh hoa", HAC_THANH),
        ("Ba Đình (TP Thanh Hóa)", HAC_THANH),
        ("Ba Đình, TX Bỉm Sơn", BIM_SON),
        ("P. Ba Đình, Thị xã Bỉm Sơn", BIM_SON),
        ("Ba Đình, huyện Nga Sơn", BA_DINH_2025),
        ("Ba Đình, H. Nga Sơn", BA_DINH_2025),
        ("Ba Đình, Nga Sơn", BA_DINH_2025),
    ],
)
def test_old_district_qualifier_disambiguates(gaz: Gazetteer, text: str, code: str) -> None:
    """A district after a comma (any of TP/Thành phố/TX/Huyện spellings) picks the unit."""
    res = gaz.resolve(text)
    assert res.status == "ok", res
    assert res.point is not None and res.point.code == code


def test_district_qualifier_prefers_the_old_unit_of_that_district(gaz: Gazetteer) -> None:
    """'Phường Đông Sơn, TP Thanh Hóa' is the old city ward (now Hạc Thành), not 2025 Đông Sơn."""
    res = gaz.resolve("Phường Đông Sơn, TP Thanh Hóa")
    assert res.status == "ok" and res.point is not None and res.point.code == HAC_THANH
    assert res.old_name == "Phường Đông Sơn"
    assert gaz.resolve("Phường Đông Sơn").status == "ambiguous"


def test_new_name_with_its_former_district_resolves(gaz: Gazetteer) -> None:
    """A 2025 name qualified by the old district its parts came from still resolves."""
    res = gaz.resolve("Hạc Thành, TP Thanh Hóa")
    assert res.status == "ok" and res.point is not None and res.point.code == HAC_THANH
    assert res.old_name is None


def test_province_qualifier_marks_a_2025_address(gaz: Gazetteer) -> None:
    """'X, tỉnh Thanh Hóa' prefers the 2025 unit; a country suffix is ignored."""
    res = gaz.resolve("Ba Đình, tỉnh Thanh Hóa, Việt Nam")
    assert res.status == "ok" and res.point is not None and res.point.code == BA_DINH_2025
    old = gaz.resolve("Nam Ngạn, tỉnh Thanh Hóa")
    assert old.status == "ok" and old.old_name == "Phường Nam Ngạn"


def test_wrong_district_is_unknown_and_lists_the_name_matches(gaz: Gazetteer) -> None:
    """A name with a district it never belonged to is unknown; candidates show the real units."""
    res = gaz.resolve("Hàm Rồng, huyện Nga Sơn")
    assert res.status == "unknown" and res.point is None
    assert "Phường Hàm Rồng (2025 unit)" in res.candidates


def test_unknown_name_suggests_close_spellings(gaz: Gazetteer) -> None:
    """A misspelt ward is unknown with at most three close spellings, the right one first."""
    res = gaz.resolve("Ham Rongg")
    assert res.status == "unknown" and res.point is None
    assert 1 <= len(res.candidates) <= 3
    assert res.candidates[0] == "Phường Hàm Rồng"


@pytest.mark.parametrize("text", ["", "   ", "zzzz qqqq", ", TP Thanh Hóa"])
def test_empty_or_nonsense_is_unknown_without_suggestions(gaz: Gazetteer, text: str) -> None:
    """Empty text, gibberish or a district alone is unknown and suggests nothing."""
    res = gaz.resolve(text)
    assert res.status == "unknown" and res.point is None and res.candidates == ()


def test_name_that_starts_like_a_prefix_still_resolves(gaz: Gazetteer) -> None:
    """'Phượng Nghi' folds to 'phuong nghi' but is a name, not 'Phường Nghi'."""
    for text in ("Phượng Nghi", "Xã Phượng Nghi", "phuong nghi"):
        res = gaz.resolve(text)
        assert res.status == "ok" and res.point is not None, text
        assert res.point.name == "Xã Xuân Du"
        assert res.old_name == "Xã Phượng Nghi"


def test_flagged_coordinates_carry_a_note(gaz: Gazetteer) -> None:
    """The six coord_note rows are marked unreliable (note set); the others are not."""
    flagged = {r["code"] for r in _rows(UNITS_CSV) if r["coord_note"].strip()}
    assert len(flagged) == 6
    assert {u.code for u in gaz.units() if u.note} == flagged
    ba_dinh = gaz.resolve("Xã Ba Đình").point
    assert ba_dinh is not None and "MISPLACED" in ba_dinh.note
    assert gaz.resolve("Hàm Rồng").point.note == ""  # type: ignore[union-attr]


def test_resolve_caches_results(gaz: Gazetteer) -> None:
    """Resolving the same text again returns the cached Resolution object."""
    first = gaz.resolve("Phường Trường Thi")
    assert first.status == "ok"
    assert gaz.resolve("Phường Trường Thi") is first


def test_with_extra_overrides_an_existing_unit_point(gaz: Gazetteer) -> None:
    """A roster row named like a 2025 unit moves its point (old aliases follow); bundled unchanged."""
    before = gaz.resolve("Hàm Rồng").point
    extra = gaz.with_extra([("Hàm Rồng", 19.85, 105.79), ("Xã Lam Sơn", 19.9, 105.4)])
    moved = extra.resolve("ham rong").point
    assert moved is not None and (moved.code, moved.lat, moved.lon) == (HAM_RONG, 19.85, 105.79)
    assert extra.resolve("Nam Ngạn").point == moved
    lam_son = extra.resolve("Xã Lam Sơn, tỉnh Thanh Hóa").point
    assert lam_son is not None and (lam_son.lat, lam_son.lon, lam_son.note) == (19.9, 105.4, "")
    assert len(extra.units()) == 166
    assert gaz.resolve("Hàm Rồng").point == before
    assert Gazetteer.bundled().resolve("Hàm Rồng").point == before


def test_with_extra_adds_new_names(gaz: Gazetteer) -> None:
    """A roster row with a name the gazetteer lacks becomes a user point found by that name."""
    extra = gaz.with_extra([("Chợ Vườn Hoa", 19.81, 105.77)])
    res = extra.resolve("cho vuon hoa")
    assert res.status == "ok" and res.point is not None
    assert res.point == WardPoint("user:Chợ Vườn Hoa", "Chợ Vườn Hoa", 19.81, 105.77)
    assert res.point in extra.units() and len(extra.units()) == 167
    assert gaz.resolve("Chợ Vườn Hoa").status == "unknown"


def test_with_extra_point_for_a_split_old_ward_resolves_it(gaz: Gazetteer) -> None:
    """A roster's own point for 'Đông Thọ' settles that split ward for this roster only."""
    extra = gaz.with_extra([("Đông Thọ", 19.82, 105.78)])
    res = extra.resolve("Phường Đông Thọ, TP Thanh Hóa")
    assert res.status == "ok" and res.point is not None and res.point.code == "user:Đông Thọ"
    assert gaz.resolve("Đông Thọ").status == "ambiguous"


def test_with_extra_qualified_point_does_not_capture_the_bare_name(gaz: Gazetteer) -> None:
    """A user point 'Ba Đình, TP Thanh Hóa' answers that address but bare 'Ba Đình' stays ambiguous."""
    extra = gaz.with_extra([("Ba Đình, TP Thanh Hóa", 19.80, 105.78)])
    res = extra.resolve("Phường Ba Đình, Thành phố Thanh Hóa")
    assert res.status == "ok" and res.point is not None
    assert res.point.code == "user:Ba Đình, TP Thanh Hóa"
    bare = extra.resolve("Ba Đình")
    assert bare.status == "ambiguous"
    assert "Ba Đình, TP Thanh Hóa (from the roster's Gazetteer sheet)" in bare.candidates


def test_with_extra_refuses_a_name_of_several_units(gaz: Gazetteer) -> None:
    """'Dong Tien' could be Phường Đông Tiến or Xã Đồng Tiến: with_extra refuses to guess."""
    with pytest.raises(ValueError, match="Dong Tien") as info:
        gaz.with_extra([("Dong Tien", 19.8, 105.7)])
    vi = info.value.args[0].vi  # the reason in Vietnamese too, for the input report
    assert vi.startswith("tên trong trang Danh mục địa bàn trùng với nhiều đơn vị từ 2025")
    assert "'Dong Tien' có thể là: " in vi and "Phường Đông Tiến (đơn vị từ 2025)" in vi


@pytest.mark.parametrize(("lat", "lon"), [(91.0, 105.0), (19.0, 181.0), (float("nan"), 105.0)])
def test_with_extra_rejects_bad_coordinates(gaz: Gazetteer, lat: float, lon: float) -> None:
    """Out-of-range or NaN coordinates in a roster's gazetteer rows are refused."""
    with pytest.raises(ValueError):
        gaz.with_extra([("Chợ Vườn Hoa", lat, lon)])
