"""Ward names -> points: the bundled Thanh Hóa gazetteer (2025 units + pre-2025 aliases).

Rosters name wards the way people write them: with or without accents and the unit
prefix ("Phường", "P.", "Xã", "TT."), by the 2025 name or the pre-2025 one, sometimes
followed by the old district ("Ba Đình, TP Thanh Hóa"). :meth:`Gazetteer.resolve` turns
such text into one 2025 unit, or says why it cannot:

* ``ok`` — exactly one 2025 unit (or user-added point) fits;
* ``ambiguous`` — several fit (a short name shared by several units, or an old unit
  that was split between new units); ``candidates`` lists them with their old district;
* ``unknown`` — nothing fits; ``candidates`` holds close spellings (or, when only the
  district qualifier failed, the units that the name alone would match).

It never guesses between two units. Matching folds accents, case and spacing, but what
the user did write is information: a prefix ("Xã Ba Đình") or exact accents
("Hoằng Đông" vs "Hoằng Đồng") narrow the candidates when they pick out a subset.
Qualifiers after a comma (or in parentheses) name the old district ("TP Thanh Hóa",
"huyện Nga Sơn", tolerant of "TP"/"TX"/"Huyện" spellings) or the province ("tỉnh
Thanh Hóa"); a district marks a pre-2025 address, "ward, tỉnh X" a 2025 one. Points
from a roster's own Gazetteer sheet (:meth:`Gazetteer.with_extra`) win over bundled
entries for the names they define.
"""

from __future__ import annotations

import csv
import difflib
import functools
import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from matcher import catalog
from matcher.text import Bi, fold, join_bi, strip_accents

DATA_DIR = Path(__file__).resolve().parents[1] / "data"
GAZETTEER_DIR = DATA_DIR / "gazetteer"
UNITS_CSV = "thanh_hoa_2025_units.csv"
MERGES_CSV = "thanh_hoa_pre2025_to_2025.csv"

OK = "ok"
UNKNOWN = "unknown"
AMBIGUOUS = "ambiguous"

_MAX_SUGGESTIONS = 3
_CACHE_LIMIT = 200_000

_SPACES = re.compile(r"[\s_]+")
# Unit prefixes, matched on folded (accent-free, lower-case) text.
_UNIT_PREFIX = re.compile(r"^(?:(phuong|xa|thi tran)\s+|(p|x|tt)(?:\.\s*|\s+))")
_UNIT_ABBREV = {"p": "phuong", "x": "xa", "tt": "thi tran"}
# District / province prefixes of a qualifier ("TP Thanh Hóa", "huyện Nga Sơn").
_DISTRICT_PREFIX = re.compile(
    r"^(?:(?:thanh pho|thi xa|huyen|quan)\s+|(?:tp|tx)(?:\.\s*|\s+)|(?:h|q)\.\s*)"
)
_PROVINCE_PREFIX = re.compile(r"^tinh\s+")
_COUNTRY = frozenset({"viet nam", "vietnam", "vn"})
_SEPARATORS = re.compile(r"[,;()]| - ")
_EDGE_PUNCT = " .,;:-"

# Qualifier kinds: a qualifier written with "TP"/"Huyện" is a district, with "Tỉnh" a
# province; a bare one ("Thanh Hóa") may be either.
_DISTRICT, _PROVINCE, _ANY = "district", "province", "any"
_NEW, _OLD, _USER = "new", "old", "user"

Qualifier = tuple[str, str]  # (kind, folded key without prefix)


@dataclass(frozen=True, slots=True)
class WardPoint:
    code: str  # 2025 unit code, or "user:<name>" for a user-added point
    name: str  # full 2025 name, e.g. "Phường Hàm Rồng"
    lat: float
    lon: float
    note: str = ""  # non-empty when coord_note flags the point as unreliable


@dataclass(frozen=True, slots=True)
class Resolution:
    status: str  # "ok" | "unknown" | "ambiguous"
    point: WardPoint | None  # set when status == "ok"
    # Human-readable candidates when ambiguous, e.g. "Phường Hàm Rồng (from Phường
    # Đông Thọ, Thành phố Thanh Hóa, part)"; close-spelling suggestions when unknown.
    candidates: tuple[str, ...] = ()
    old_name: str | None = None  # the pre-2025 name matched, when the text was an old name


@dataclass(frozen=True, slots=True)
class _Name:
    """A unit name split into its prefix kind and folded / accented short keys."""

    prefix: str | None  # "phuong" | "xa" | "thi tran" | None
    fkey: str  # folded, prefix removed: "ham rong"
    akey: str | None  # accents kept, lower-case, prefix removed: "hàm rồng"


@dataclass(frozen=True, slots=True)
class _Entry:
    """Something a name can denote: a 2025 unit, a pre-2025 unit or a user point."""

    kind: str  # _NEW | _OLD | _USER
    label: str  # the name as written in the data, e.g. "Phường Đông Thọ"
    name: _Name
    contexts: frozenset[Qualifier]  # what a qualifier may name (districts, province)
    targets: tuple[tuple[str, bool], ...]  # (point code, partial?) it leads to
    district: str = ""  # old district as written, for old entries


@dataclass(frozen=True, slots=True)
class _Query:
    name: _Name
    whole: _Name  # the name part read without removing a prefix (fallback)
    qualifiers: tuple[Qualifier, ...]


def _lower(text: str) -> str:
    """NFC, case-folded, single-spaced; accents kept."""
    s = unicodedata.normalize("NFC", text).casefold()
    return _SPACES.sub(" ", s).strip(_EDGE_PUNCT)


def _split_name(text: str, *, strip_prefix: bool = True) -> _Name:
    lowered = _lower(text)
    folded = strip_accents(lowered)
    if len(folded) != len(lowered):  # unusual combining marks: positions differ
        lowered = ""
    prefix: str | None = None
    start = 0
    m = _UNIT_PREFIX.match(folded) if strip_prefix else None
    if m is not None and m.end() < len(folded):
        prefix = m.group(1) or _UNIT_ABBREV[m.group(2)]
        start = m.end()
    fkey = folded[start:].strip(_EDGE_PUNCT)
    akey = lowered[start:].strip(_EDGE_PUNCT) if lowered else None
    return _Name(prefix, fkey, akey)


def _qualifier(text: str) -> Qualifier | None:
    q = fold(text).strip(_EDGE_PUNCT)
    if not q or q in _COUNTRY:
        return None
    m = _DISTRICT_PREFIX.match(q)
    if m is not None and m.end() < len(q):
        return (_DISTRICT, q[m.end():].strip(_EDGE_PUNCT))
    m = _PROVINCE_PREFIX.match(q)
    if m is not None and m.end() < len(q):
        return (_PROVINCE, q[m.end():].strip(_EDGE_PUNCT))
    return (_ANY, q)


def _district_key(district: str) -> Qualifier:
    q = _qualifier(district)
    return (_DISTRICT, q[1] if q else "")


def _parse(text: str) -> _Query:
    head, *rest = _SEPARATORS.split(str(text))
    quals = tuple(q for q in (_qualifier(p) for p in rest) if q is not None)
    return _Query(_split_name(head), _split_name(head, strip_prefix=False), quals)


def _qual_match(a: Qualifier, b: Qualifier) -> bool:
    return a[1] == b[1] and (a[0] == b[0] or _ANY in (a[0], b[0]))


def _passes(entry: _Entry, quals: tuple[Qualifier, ...]) -> bool:
    """Every qualifier the user wrote must fit the entry. A user point with no
    qualifiers of its own has nothing to contradict, so it passes."""
    if entry.kind == _USER and not entry.contexts:
        return True
    return all(any(_qual_match(q, c) for c in entry.contexts) for q in quals)


def _narrow(entries: list[_Entry], name: _Name) -> list[_Entry]:
    """Use what the user wrote beyond the folded key: the prefix and exact accents.

    Both agreeing on a subset -> that subset; only one of them matching anything ->
    its subset; both matching but disjoint -> the union (they contradict each other,
    so the caller reports the ambiguity); neither -> everything.
    """
    by_prefix = [e for e in entries if name.prefix and e.name.prefix == name.prefix]
    by_accent = [e for e in entries if name.akey and e.name.akey == name.akey]
    both = [e for e in by_prefix if e in by_accent]
    if both:
        return both
    if by_prefix and by_accent:
        return by_prefix + [e for e in by_accent if e not in by_prefix]
    return by_prefix or by_accent or entries


def _compatible(entry: _Entry, name: _Name, quals: tuple[Qualifier, ...]) -> bool:
    """A user point fits the text unless they disagree on something both spell out."""
    if not all(any(_qual_match(c, q) for q in quals) for c in entry.contexts):
        return False
    mine = entry.name
    if mine.prefix and name.prefix and mine.prefix != name.prefix:
        return False
    accented = [k for k, f in ((mine.akey, mine.fkey), (name.akey, name.fkey)) if k and k != f]
    return len(accented) < 2 or accented[0] == accented[1]


def _check_coords(name: str, lat: float, lon: float) -> tuple[float, float]:
    lat, lon = float(lat), float(lon)
    if not (math.isfinite(lat) and -90 <= lat <= 90):
        raise ValueError(catalog.bi("gaz.bad_lat", name=name, lat=str(lat)))
    if not (math.isfinite(lon) and -180 <= lon <= 180):
        raise ValueError(catalog.bi("gaz.bad_lon", name=name, lon=str(lon)))
    return lat, lon


class Gazetteer:
    """Resolves ward names to points. Build with :meth:`bundled` or :meth:`from_files`;
    :meth:`with_extra` adds a roster's own points. Instances are not mutated after
    construction (apart from the resolve cache)."""

    def __init__(self, points: dict[str, WardPoint], entries: list[_Entry]) -> None:
        self._points = dict(points)
        self._entries = list(entries)
        self._index: dict[str, list[_Entry]] = {}
        for entry in self._entries:
            self._index.setdefault(entry.name.fkey, []).append(entry)
        self._cache: dict[str, Resolution] = {}
        self._province_keys = frozenset(
            key for e in self._entries for kind, key in e.contexts if kind == _PROVINCE
        )

    # ---------------------------------------------------------------- construction
    @classmethod
    def bundled(cls) -> Gazetteer:
        """The bundled Thanh Hóa gazetteer (loaded once per process)."""
        return _bundled()

    @classmethod
    def from_files(cls, units_csv: Path, merges_csv: Path | None = None) -> Gazetteer:
        """Build from a units CSV (code,name,lat,lon[,coord_note][,province]) and an
        optional pre-2025 mapping CSV (old_code,old_name,old_district,new_code,
        new_name,merge_type)."""
        points: dict[str, WardPoint] = {}
        provinces: dict[str, str] = {}
        with open(units_csv, encoding="utf-8-sig", newline="") as fh:
            for row in csv.DictReader(fh):
                code, name = row["code"].strip(), row["name"].strip()
                lat, lon = _check_coords(name, float(row["lat"]), float(row["lon"]))
                note = (row.get("coord_note") or "").strip()
                points[code] = WardPoint(code, name, lat, lon, note)
                provinces[code] = (row.get("province") or "").strip()

        old_rows: dict[str, list[dict[str, str]]] = {}
        districts_of: dict[str, set[Qualifier]] = {code: set() for code in points}
        if merges_csv is not None:
            with open(merges_csv, encoding="utf-8-sig", newline="") as fh:
                for row in csv.DictReader(fh):
                    row = {k: (v or "").strip() for k, v in row.items()}
                    if row["new_code"] not in points:
                        raise ValueError(
                            f"{merges_csv}: old unit {row['old_name']} maps to unknown "
                            f"code {row['new_code']}"
                        )
                    old_rows.setdefault(row["old_code"], []).append(row)
                    districts_of[row["new_code"]].add(_district_key(row["old_district"]))

        entries: list[_Entry] = []
        for code, point in points.items():
            contexts = set(districts_of[code])
            if provinces[code]:
                contexts.add((_PROVINCE, fold(provinces[code])))
            entries.append(
                _Entry(_NEW, point.name, _split_name(point.name), frozenset(contexts),
                       ((code, False),))
            )
        for rows in old_rows.values():
            first = rows[0]
            contexts = {_district_key(first["old_district"])}
            contexts |= {(_PROVINCE, fold(provinces[r["new_code"]]))
                         for r in rows if provinces[r["new_code"]]}
            partial = len(rows) > 1 or any(r["merge_type"] == "partial" for r in rows)
            targets = tuple(dict.fromkeys((r["new_code"], partial) for r in rows))
            entries.append(
                _Entry(_OLD, first["old_name"], _split_name(first["old_name"]),
                       frozenset(contexts), targets, first["old_district"])
            )
        return cls(points, entries)

    def with_extra(self, rows: Iterable[tuple[str, float, float]]) -> Gazetteer:
        """A copy with a roster's own points (its Gazetteer sheet: name, lat, lon).

        A name equal to one existing 2025 unit (or earlier user point) — after folding
        and prefix removal, narrowed by prefix, accents and qualifiers as in
        :meth:`resolve` — moves that unit's point (e.g. to correct a flagged one); old
        names sharing the spelling do not compete here. Any other name (a new place, or
        a pre-2025 name such as a split ward) becomes a user point ``user:<name>`` that
        wins over bundled entries for texts naming it. A name equal to several 2025
        units is refused with a ``ValueError`` listing them, rather than moving one of
        them by guess. The bundled gazetteer is unchanged."""
        gaz = self
        problems: list[Bi] = []
        for raw_name, raw_lat, raw_lon in rows:
            name = _SPACES.sub(" ", unicodedata.normalize("NFC", str(raw_name))).strip()
            if not name:
                raise ValueError(catalog.bi("gaz.empty_name"))
            lat, lon = _check_coords(name, raw_lat, raw_lon)
            query, chosen = gaz._select(name)
            direct = [e for e in chosen if e.kind != _OLD]
            codes = {code for e in direct for code, _ in e.targets}
            points = dict(gaz._points)
            entries = gaz._entries
            if direct and len(codes) == 1:
                code = codes.pop()
                points[code] = replace(points[code], lat=lat, lon=lon, note="")
            elif direct:
                problems.append(catalog.bi("gaz.could_be", name=name, candidates=join_bi(
                    gaz._candidates(direct))))
                continue
            else:
                code = f"user:{name}"
                points[code] = WardPoint(code, name, lat, lon)
                entries = entries + [
                    _Entry(_USER, name, query.name, frozenset(query.qualifiers), ((code, False),))
                ]
            gaz = Gazetteer(points, entries)
        if problems:
            raise ValueError(catalog.bi("gaz.ambiguous", problems=join_bi(problems, " | ")))
        return gaz if gaz is not self else Gazetteer(self._points, self._entries)

    # ---------------------------------------------------------------------- queries
    def units(self) -> list[WardPoint]:
        """All 2025 units (with any overridden points), then user-added points."""
        return list(self._points.values())

    def resolve(self, text: str) -> Resolution:
        """Resolve ward text; see the module docstring for the rules."""
        key = str(text) if text is not None else ""
        hit = self._cache.get(key)
        if hit is None:
            hit = self._resolve(key)
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            self._cache[key] = hit
        return hit

    def _resolve(self, text: str) -> Resolution:
        query, chosen = self._select(text)
        if not chosen:
            if not query.name.fkey:
                return Resolution(UNKNOWN, None)
            found = self._lookup(query)[1]
            if found:  # the name exists, but not with the district the text gives
                return Resolution(UNKNOWN, None, self._describe(found))
            return Resolution(UNKNOWN, None, self._suggest(query.name.fkey))
        codes = {code for e in chosen for code, _ in e.targets}
        if len(codes) != 1:
            return Resolution(AMBIGUOUS, None, self._describe(chosen))
        old = [e for e in chosen if e.kind == _OLD]
        direct = any(e.kind != _OLD for e in chosen)
        old_name = old[0].label if old and not direct else None
        return Resolution(OK, self._points[codes.pop()], (), old_name)

    def _lookup(self, query: _Query) -> tuple[_Name, list[_Entry]]:
        """Entries whose folded short name equals the text's (prefix removed; read
        whole if that finds nothing, for names like 'Phượng Nghi')."""
        found = self._index.get(query.name.fkey, [])
        if not found and query.whole.fkey != query.name.fkey:
            return query.whole, self._index.get(query.whole.fkey, [])
        return query.name, found

    def _select(self, text: str) -> tuple[_Query, list[_Entry]]:
        """The entries the text may denote (empty when none)."""
        query = _parse(text)
        if not query.name.fkey:
            return query, []
        name, found = self._lookup(query)
        if query.qualifiers:
            found = [e for e in found if _passes(e, query.qualifiers)]
            found = self._by_address_style(found, query.qualifiers)
        # The roster's own points win over bundled entries when nothing the text says
        # contradicts them (qualifiers they carry must all be in the text).
        own = [e for e in found if e.kind == _USER and _compatible(e, name, query.qualifiers)]
        return query, _narrow(own or found, name)

    def _by_address_style(
        self, found: list[_Entry], quals: tuple[Qualifier, ...]
    ) -> list[_Entry]:
        """Districts were abolished on 1 July 2025, so the qualifiers tell the era:
        "X, tỉnh Thanh Hóa" (ward + province only) is a 2025 address and names a 2025
        unit when one fits; "X, TP Thanh Hóa" (a district) is a pre-2025 address, so
        old units of that district come first and a 2025 unit is only used when no old
        unit fits."""
        if all(kind == _PROVINCE for kind, _ in quals):
            current = [e for e in found if e.kind != _OLD]
            return current or found
        district_given = any(
            kind == _DISTRICT or (kind == _ANY and key not in self._province_keys)
            for kind, key in quals
        )
        if district_given and any(e.kind == _OLD for e in found):
            return [e for e in found if e.kind != _NEW]
        return found

    def _candidates(self, entries: list[_Entry]) -> list[Bi]:
        """Human-readable candidates in both languages: 2025 units, then old units, then
        user points."""
        ordered = sorted(entries, key=lambda e: (e.kind != _NEW, e.kind == _USER))
        out: dict[str, Bi] = {}
        for e in ordered:
            for code, partial in e.targets:
                target = self._points[code].name
                if e.kind == _NEW:
                    text = catalog.bi("gaz.cand_new", name=target)
                elif e.kind == _USER:
                    text = catalog.bi("gaz.cand_user", name=e.label)
                else:
                    text = catalog.bi("gaz.cand_old_part" if partial else "gaz.cand_old",
                                      name=target, old=e.label, district=e.district)
                out.setdefault(str(text), text)
        return list(out.values())

    def _describe(self, entries: list[_Entry]) -> tuple[str, ...]:
        """The candidates in English (plain strings: a resolution is cached and may be
        sent to other processes; the input report words them in Vietnamese)."""
        return tuple(str(x) for x in self._candidates(entries))

    def _suggest(self, fkey: str) -> tuple[str, ...]:
        keys = difflib.get_close_matches(fkey, list(self._index), n=_MAX_SUGGESTIONS,
                                         cutoff=0.6)
        out: list[str] = []
        for key in keys:
            entries = self._index[key]
            labels = list(dict.fromkeys(e.label for e in entries))
            if len(labels) == 1:
                out.append(labels[0])
            else:
                shorts = [self._short_label(e.label) for e in entries]
                out.append(" / ".join(dict.fromkeys(shorts)))
        return tuple(out)

    @staticmethod
    def _short_label(label: str) -> str:
        """'Phường Ba Đình' -> 'Ba Đình' (accents and case as written)."""
        name = _split_name(label)
        clean = _SPACES.sub(" ", unicodedata.normalize("NFC", label)).strip()
        return clean[len(clean) - len(name.fkey):] if name.prefix else clean


@functools.lru_cache(maxsize=1)
def _bundled() -> Gazetteer:
    return Gazetteer.from_files(GAZETTEER_DIR / UNITS_CSV, GAZETTEER_DIR / MERGES_CSV)
