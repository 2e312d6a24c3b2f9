"""Where people and openings are: names lists, the gazetteer units of a region, and
points scattered around them."""

from __future__ import annotations

import csv
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from matcher.domain import Location
from matcher.generate.tables import DATA_DIR, KM_PER_DEG, Phrases
from matcher.geo import haversine_km
from matcher.text import fold


def _nfc(s: str) -> str:
    """NFC, and the Vietnamese Đ where the name lists have the look-alike Icelandic Ð
    (U+00D0, 181 given names), which accent folding would not turn into D."""
    s = unicodedata.normalize("NFC", s.strip())
    return s.replace("\u00d0", "\u0110").replace("\u00f0", "\u0111")


@dataclass(frozen=True)
class _Names:
    surnames: tuple[str, ...]
    surname_p: np.ndarray
    male: tuple[str, ...]
    female: tuple[str, ...]


@lru_cache(maxsize=1)
def _names() -> _Names:
    """Surnames by their population share (top 14; 'Huỳnh/Hoàng' and 'Vũ/Võ' split
    20/80 as in the North), the rest sharing what is left uniformly."""
    top: list[tuple[str, float]] = []
    rest: list[str] = []
    with (DATA_DIR / "names" / "surnames.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            name, pct = _nfc(row["Romanized Name"]), row["Percent"].strip()
            if pct:
                parts = name.split("/")
                shares = (0.2, 0.8) if len(parts) == 2 else (1.0,)
                top += [(_nfc(p), float(pct) * s) for p, s in zip(parts, shares)]
            else:
                rest.append(name)
    left = 1.0 - sum(p for _, p in top)
    names = tuple([n for n, _ in top] + rest)
    probs = np.array([p for _, p in top] + [left / len(rest)] * len(rest))

    def lines(fname: str) -> tuple[str, ...]:
        text = (DATA_DIR / "names" / fname).read_text(encoding="utf-8")
        return tuple(_nfc(x) for x in text.splitlines() if x.strip())

    return _Names(names, probs / probs.sum(), lines("given_male.txt"),
                  lines("given_female.txt"))


@dataclass(frozen=True)
class _Units:
    """Places people can live in: gazetteer units (ward name set) or, at national
    scale, whole provinces (ward None, wide jitter)."""

    ward: tuple[str | None, ...]
    place: tuple[str, ...]  # short name for company/school names
    province: tuple[str, ...]
    lat: np.ndarray
    lon: np.ndarray
    flagged: np.ndarray  # the gazetteer marks the point as doubtful
    clash: np.ndarray  # the name is shared with another unit, old or new: always give lat/lon
    jitter_km: np.ndarray  # per-axis standard deviation
    w_people: np.ndarray
    w_jobs: np.ndarray
    w_training: np.ndarray

    def __len__(self) -> int:
        return len(self.lat)

    def subset(self, idx: np.ndarray, boost: np.ndarray | None = None) -> _Units:
        def pick(t: tuple[Any, ...]) -> tuple[Any, ...]:
            return tuple(t[i] for i in idx)

        b = np.ones(len(idx)) if boost is None else boost
        return _Units(pick(self.ward), pick(self.place), pick(self.province),
                      self.lat[idx], self.lon[idx], self.flagged[idx], self.clash[idx],
                      self.jitter_km[idx],
                      self.w_people[idx] * b, self.w_jobs[idx] * b, self.w_training[idx] * b)


@lru_cache(maxsize=1)
def _thanh_hoa() -> _Units:
    with (DATA_DIR / "gazetteer" / "thanh_hoa_2025_units.csv").open(encoding="utf-8") as f:
        all_rows = list(csv.DictReader(f))
    clash_all = _name_clashes(all_rows)
    # a misplaced point lies in another place: never put anyone there
    keep = [i for i, r in enumerate(all_rows)
            if not r["coord_note"].strip().upper().startswith("MISPLACED")]
    rows = [all_rows[i] for i in keep]
    ward = tuple(_nfc(r["name"]) for r in rows)
    place = tuple(w.split(" ", 1)[1] for w in ward)
    urban = np.array([r["unit_type"].strip() == "phường" for r in rows])
    lat = np.array([float(r["lat"]) for r in rows])
    lon = np.array([float(r["lon"]) for r in rows])
    mountain = ~urban & (lon < 105.3)
    return _Units(
        ward, place, ("Thanh Hóa",) * len(rows), lat, lon,
        flagged=np.array([bool(r["coord_note"].strip()) for r in rows]),
        clash=clash_all[keep], jitter_km=np.full(len(rows), 1.2),
        w_people=np.where(urban, 4.0, np.where(mountain, 0.6, 1.0)),
        w_jobs=np.where(urban, 6.0, 1.0), w_training=np.where(urban, 8.0, 0.5))


def _name_clashes(rows: list[dict[str, str]]) -> np.ndarray:
    """Units whose short name (accents and prefix ignored) also names another unit, now
    or before 2025 ("Phường Đông Sơn" is a 2025 ward and two former wards that went
    elsewhere). A roster naming them needs lat/lon, so the generator never gives such a
    unit alone."""
    def short(name: str) -> str:
        return fold(name.split(" ", 1)[-1])

    codes: dict[str, set[str]] = {}
    for r in rows:
        codes.setdefault(short(r["name"]), set()).add(r["code"].strip())
    with (DATA_DIR / "gazetteer" / "thanh_hoa_pre2025_to_2025.csv").open(
            encoding="utf-8") as f:
        for m in csv.DictReader(f):
            codes.setdefault(short(m["old_name"]), set()).add(m["new_code"].strip())
    return np.array([len(codes[short(r["name"])] - {r["code"].strip()}) > 0 for r in rows])


def _region(kind: str, rng: np.random.Generator) -> _Units:
    th = _thanh_hoa()
    if kind == "province":
        return th
    if kind == "city":
        return th.subset(np.flatnonzero(haversine_km(19.80, 105.78, th.lat, th.lon) <= 12.0))
    if kind == "ward":
        city = np.flatnonzero(haversine_km(19.80, 105.78, th.lat, th.lon) <= 12.0)
        centres = [i for i in city if th.ward[i].startswith("Phường")
                   and np.sum(haversine_km(th.lat[i], th.lon[i], th.lat, th.lon) <= 6.0) >= 3]
        c = centres[int(rng.integers(len(centres)))]
        near = np.flatnonzero(haversine_km(th.lat[c], th.lon[c], th.lat, th.lon) <= 6.0)
        return th.subset(near, boost=np.where(near == c, 3.0, 1.0))
    if kind == "national":
        return _national(th)
    raise ValueError(f"unknown region {kind!r}")


def _national(th: _Units) -> _Units:
    rows = []
    with (DATA_DIR / "gazetteer" / "vietnam_2025_provinces.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    total = sum(int(r["n_communes"]) for r in rows)
    th_share = next(int(r["n_communes"]) for r in rows if _nfc(r["name_vi"]) == "Thanh Hóa")
    others = [r for r in rows if _nfc(r["name_vi"]) != "Thanh Hóa"]
    n = len(others)
    share = np.array([int(r["n_communes"]) / total for r in others])
    prov = tuple(_nfc(r["name_vi"]) for r in others)

    def weights(w_th: np.ndarray) -> np.ndarray:
        return np.concatenate([w_th / w_th.sum() * th_share / total, share])

    return _Units(
        th.ward + (None,) * n, th.place + prov, th.province + prov,
        np.concatenate([th.lat, [float(r["lat"]) for r in others]]),
        np.concatenate([th.lon, [float(r["lon"]) for r in others]]),
        np.concatenate([th.flagged, np.zeros(n, bool)]),
        np.concatenate([th.clash, np.zeros(n, bool)]),
        np.concatenate([th.jitter_km, np.full(n, 20.0)]),
        weights(th.w_people), weights(th.w_jobs), weights(th.w_training))



def _choice(rng: np.random.Generator, weights: np.ndarray, size: int) -> np.ndarray:
    w = np.asarray(weights, float)
    return rng.choice(len(w), size=size, p=w / w.sum())


@dataclass
class _Points:
    unit: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    ward_only: np.ndarray


def _scatter(units: _Units, unit: np.ndarray, rng: np.random.Generator,
             p_ward_only: float) -> _Points:
    lat0, lon0 = units.lat[unit], units.lon[unit]
    jit = units.jitter_km[unit]
    dy, dx = rng.normal(size=(2, len(unit)))
    has_ward = np.array([units.ward[u] is not None for u in unit], bool)
    ward_only = (rng.random(len(unit)) < p_ward_only) & has_ward & ~units.clash[unit]
    lat = np.clip(np.round(lat0 + dy * jit / KM_PER_DEG, 5), -89.9, 89.9)
    lon = np.round(lon0 + dx * jit / (KM_PER_DEG * np.cos(np.radians(lat0))), 5)
    return _Points(unit, np.where(ward_only, lat0, lat), np.where(ward_only, lon0, lon),
                   ward_only)


def _locations(units: _Units, pts: _Points) -> list[Location]:
    out = []
    for u, la, lo, wo in zip(pts.unit.tolist(), pts.lat.tolist(), pts.lon.tolist(),
                             pts.ward_only.tolist()):
        out.append(Location(la, lo, units.ward[u], wo, bool(wo and units.flagged[u])))
    return out


def _full_names(rng: np.random.Generator, female: np.ndarray) -> list[str]:
    nm = _names()
    sur = rng.choice(len(nm.surnames), size=len(female), p=nm.surname_p)
    male_i = rng.integers(len(nm.male), size=len(female))
    female_i = rng.integers(len(nm.female), size=len(female))
    return [f"{nm.surnames[s]} {nm.female[fi] if f else nm.male[mi]}"
            for s, mi, fi, f in zip(sur.tolist(), male_i.tolist(), female_i.tolist(),
                                    female.tolist())]


def _top_k(rng: np.random.Generator, weights: np.ndarray, k: np.ndarray) -> list[list[int]]:
    """For each row of ``weights`` (n × m), ``k[i]`` distinct columns drawn without
    replacement in proportion to the weights (Gumbel top-k, vectorised)."""
    keys = np.log(np.maximum(weights, 1e-12)) + rng.gumbel(size=weights.shape)
    order = np.argsort(-keys, axis=1, kind="stable")
    return [row[:j] for row, j in zip(order.tolist(), k.tolist())]


def _availability(rng: np.random.Generator, n: int, tables: list[Phrases],
                  draws: tuple[int, int]) -> list[str | None]:
    """Availability for ``n`` people: given on half (u < 0.5), in English on a quarter;
    person i's phrase is drawn from ``tables[i]`` by weight, using u / 0.5 (uniform on
    [0, 1) when given) as the draw. ``draws`` are the integer bounds of two further draws
    kept only so the rest of the random stream is unchanged."""
    has = rng.random(n)
    use_en = rng.random(n) < 0.25
    rng.integers(draws[0], size=n)
    rng.integers(draws[1], size=n)
    out: list[str | None] = []
    for i, (u, en) in enumerate(zip(has.tolist(), use_en.tolist())):
        if u >= 0.5:
            out.append(None)
            continue
        table = tables[i]
        x = u / 0.5 * sum(w for w, _, _ in table)
        k = 0
        while k < len(table) - 1 and x >= table[k][0]:
            x -= table[k][0]
            k += 1
        out.append(table[k][2] if en else table[k][1])
    return out


def _width(n: int, minimum: int) -> int:
    return max(minimum, len(str(n)))
