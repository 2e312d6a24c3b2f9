"""A map without tiles or internet: ward points and mentor→mentee lines as inline SVG.

Points come from ``roster_index.json`` (lat/lon of every returnee and mentor; people
resolved to a ward share its point). Points are grouped by position so a ward with many
people is one circle, and identical mentor→mentee segments are drawn once with a width
that grows with their number. With more points than a page can carry (a province has
about 30,000) every ward becomes one circle at the middle of its people and the lines join
wards. Ward names are drawn on the map (the busiest first, none over another), and the
map has a scale bar and a legend; the list of wards under it names every ward, also
those whose label did not fit, for a phone where hover titles cannot be read. Styling
is in style.css (no inline styles: CSP).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from typing import Any

from markupsafe import Markup, escape

from matcher import catalog
from web.i18n import _, _n, current_lang
from web.results import Result

WIDTH = 800.0
PAD = 24.0
FOOT = 44.0  # the strip under the drawing: scale bar and legend
MAX_POINTS = 1500  # more distinct points than this: one circle per ward
LABEL_PX = 11.0  # ward names, in the drawing's units
KM_PER_DEGREE = 111.32
NICE_KM = (0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500)

Point = tuple[float, float]


def _key(p: dict[str, Any]) -> Point | None:
    try:
        lat, lon = float(p["lat"]), float(p["lon"])
    except (KeyError, TypeError, ValueError):
        return None
    if not (math.isfinite(lat) and math.isfinite(lon)):
        return None
    return round(lat, 4), round(lon, 4)


class _Layer:
    """People on the map: counts per point, the pairs between points, a ward per point."""

    def __init__(self) -> None:
        self.covered: Counter = Counter()
        self.uncovered: Counter = Counter()
        self.mentors: Counter = Counter()
        self.segments: Counter = Counter()
        self.ward_of: dict[Point, str] = {}

    def points(self) -> set[Point]:
        return set(self.covered) | set(self.uncovered) | set(self.mentors)


def _people(result: Result) -> _Layer:
    returnees = result.index.get("returnees", {})
    mentors = result.index.get("mentors", {})
    layer = _Layer()
    for a in result.plan.get("assignments", []):
        r = returnees.get(a.get("returnee_id"), {})
        rk = _key(r)
        if rk is None:
            continue
        layer.ward_of.setdefault(rk, str(r.get("ward") or ""))
        m = mentors.get(a.get("mentor_id"), {}) if a.get("mentor_id") else {}
        mk = _key(m) if m else None
        if mk is None:
            layer.uncovered[rk] += 1
        else:
            layer.covered[rk] += 1
            layer.segments[(mk, rk)] += 1
    for m in mentors.values():
        mk = _key(m)
        if mk is not None:
            layer.mentors[mk] += 1
            layer.ward_of.setdefault(mk, str(m.get("ward") or ""))
    return layer


def _by_ward(layer: _Layer) -> _Layer:
    """The same people with every point moved to the middle of its ward's points."""
    groups: dict[str, list[Point]] = defaultdict(list)
    for p in layer.points():
        groups[layer.ward_of.get(p, "")].append(p)
    centre: dict[Point, Point] = {}
    out = _Layer()
    for ward, pts in groups.items():
        c = (round(sum(p[0] for p in pts) / len(pts), 4),
             round(sum(p[1] for p in pts) / len(pts), 4))
        out.ward_of.setdefault(c, ward)
        for p in pts:
            centre[p] = c
    for src, dst in (("covered", "covered"), ("uncovered", "uncovered"), ("mentors", "mentors")):
        for p, n in getattr(layer, src).items():
            getattr(out, dst)[centre[p]] += n
    for (mk, rk), n in layer.segments.items():
        a, b = centre[mk], centre[rk]
        if a != b:  # pairs inside one ward are counted in its circle
            out.segments[(a, b)] += n
    return out


def _nice_km(px_per_km: float, room: float) -> float:
    fits = [km for km in NICE_KM if km * px_per_km <= room]
    return fits[-1] if fits else NICE_KM[0]


def _km_text(km: float) -> str:
    """The scale's length the page's way (0,5 in Vietnamese, 0.5 in English)."""
    return catalog.number(km, current_lang())


def render_map(result: Result, *, max_lines: int = 5000) -> Markup:
    layer = _people(result)
    points = layer.points()
    if not points:
        return Markup("")
    by_ward = len(points) > MAX_POINTS
    if by_ward:
        layer = _by_ward(layer)
        points = layer.points()
    lat_min, lat_max = min(p[0] for p in points), max(p[0] for p in points)
    lon_min, lon_max = min(p[1] for p in points), max(p[1] for p in points)
    kx = math.cos(math.radians((lat_min + lat_max) / 2))
    span_x = max((lon_max - lon_min) * kx, 1e-3)
    span_y = max(lat_max - lat_min, 1e-3)
    scale = (WIDTH - 2 * PAD) / max(span_x, span_y)  # drawing units per degree of latitude
    width = span_x * scale + 2 * PAD
    height = span_y * scale + 2 * PAD + FOOT
    width = max(width, 360.0)  # room for the legend

    def xy(p: Point) -> tuple[float, float]:
        return (p[1] - lon_min) * kx * scale + PAD, (lat_max - p[0]) * scale + PAD

    parts = [
        (f'<svg class="map" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} '
         f'{height:.0f}" role="img" aria-label="{escape(_("map.label"))}">')
    ]
    drawn = 0
    for (mk, rk), n in layer.segments.most_common(max_lines):
        (x1, y1), (x2, y2) = xy(mk), xy(rk)
        parts.append(f'<line class="pair-line" x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" '
                     f'y2="{y2:.1f}" stroke-width="{min(1 + math.log2(n), 6):.1f}"/>')
        drawn += 1
    for p, n in layer.mentors.items():
        x, y = xy(p)
        s = 2 + min(math.sqrt(n), 6)
        title = _n("map.mentors", n, ward=layer.ward_of.get(p, ""))
        parts.append(f'<rect class="pt-mentor" x="{x - s / 2:.1f}" y="{y - s / 2:.1f}" '
                     f'width="{s:.1f}" height="{s:.1f}"><title>{escape(title)}</title></rect>')
    for p in set(layer.covered) | set(layer.uncovered):
        x, y = xy(p)
        total = layer.covered[p] + layer.uncovered[p]
        cls = "pt-uncovered" if layer.uncovered[p] else "pt-returnee"
        title = _n("map.returnees", total, ward=layer.ward_of.get(p, ""),
                  uncovered=layer.uncovered[p])
        parts.append(f'<circle class="{cls}" cx="{x:.1f}" cy="{y:.1f}" '
                     f'r="{2.5 + min(math.sqrt(total), 8):.1f}"><title>{escape(title)}</title>'
                     "</circle>")
    wards = _ward_rows(layer)
    parts += _labels(wards, xy, width, height - FOOT)
    parts += _scale_bar(scale / KM_PER_DEGREE, width, height)
    parts += _legend(width, height)
    parts.append("</svg>")
    html = [f'<div class="map-wrap">{"".join(parts)}</div>']
    if by_ward:
        html.append(f'<p class="note">{escape(_("map.by_ward"))}</p>')
    if drawn < len(layer.segments):
        html.append(f'<p class="note">{escape(_("map.truncated", n=drawn))}</p>')
    html.append(_ward_list(wards))
    return Markup("".join(html))


def _ward_rows(layer: _Layer) -> list[dict[str, Any]]:
    """One row per ward: its people and where its name goes (the middle of its returnees,
    or of its mentors when it has none), busiest first."""
    rows: dict[str, dict[str, Any]] = {}
    for p in layer.points():
        ward = layer.ward_of.get(p, "")
        if not ward:
            continue
        row = rows.setdefault(ward, {"ward": ward, "returnees": 0, "uncovered": 0,
                                     "mentors": 0, "at": [], "mentor_at": []})
        n = layer.covered[p] + layer.uncovered[p]
        row["returnees"] += n
        row["uncovered"] += layer.uncovered[p]
        row["mentors"] += layer.mentors[p]
        if n:
            row["at"].append(p)
        else:
            row["mentor_at"].append(p)
    for row in rows.values():
        pts = row.pop("at") or row.pop("mentor_at")
        row.pop("mentor_at", None)
        row["point"] = (sum(p[0] for p in pts) / len(pts), sum(p[1] for p in pts) / len(pts))
    return sorted(rows.values(), key=lambda r: (-r["returnees"], -r["mentors"], r["ward"]))


def _labels(wards: list[dict[str, Any]], xy, width: float, bottom: float) -> list[str]:
    """Ward names over their people, busiest first, each only where it overlaps no name
    already placed."""
    placed: list[tuple[float, float, float, float]] = []
    out = ['<g class="ward-labels">']
    for row in wards:
        name = row["ward"]
        w = 0.56 * LABEL_PX * len(name)
        x, y = xy(row["point"])
        box = (x - w / 2, y - LABEL_PX - 6, x + w / 2, y - 6)
        if box[0] < 2 or box[2] > width - 2 or box[1] < 2 or box[3] > bottom:
            continue
        if any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3]
               for b in placed):
            continue
        placed.append(box)
        out.append(f'<text class="ward-label" x="{x:.1f}" y="{y - 8:.1f}">'
                   f"{escape(name)}</text>")
    out.append("</g>")
    return out


def _scale_bar(px_per_km: float, width: float, height: float) -> list[str]:
    km = _nice_km(px_per_km, width / 4)
    length = km * px_per_km
    x0, y0 = PAD, height - FOOT / 2
    return [f'<g class="scale-bar"><path d="M{x0:.1f} {y0 - 5:.1f}V{y0:.1f}H{x0 + length:.1f}'
            f'V{y0 - 5:.1f}"/><text x="{x0 + length + 6:.1f}" y="{y0 + 4:.1f}">'
            f'{escape(_("map.scale", n=_km_text(km)))}</text></g>']


def _legend(width: float, height: float) -> list[str]:
    """Mentor square, returnee circle, uncovered circle, pair line: under the drawing,
    from the right edge."""
    y = height - FOOT / 2
    items = [("mentor", _("map.legend_mentor")), ("returnee", _("map.legend_returnee")),
             ("uncovered", _("map.legend_uncovered")), ("line", _("map.legend_line"))]
    out = ['<g class="map-legend">']
    x = width - PAD
    for kind, text in reversed(items):
        x -= 0.56 * LABEL_PX * len(text)
        out.append(f'<text x="{x:.1f}" y="{y + 4:.1f}">{escape(text)}</text>')
        x -= 14
        if kind == "mentor":
            out.append(f'<rect class="pt-mentor" x="{x:.1f}" y="{y - 4:.1f}" width="8" '
                       'height="8"/>')
        elif kind == "line":
            out.append(f'<line class="key-line" x1="{x - 4:.1f}" y1="{y:.1f}" '
                       f'x2="{x + 8:.1f}" y2="{y:.1f}"/>')
        else:
            out.append(f'<circle class="pt-{kind}" cx="{x + 4:.1f}" cy="{y:.1f}" r="4.5"/>')
        x -= 16
    out.append("</g>")
    return out


def _ward_list(wards: list[dict[str, Any]]) -> str:
    """Every ward on the map with its numbers: names a finger can read on a phone."""
    if not wards:
        return ""
    rows = "".join(
        f'<tr><td data-label="{escape(_("col.ward"))}">{escape(r["ward"])}</td>'
        f'<td data-label="{escape(_("map.col_returnees"))}">{r["returnees"]}</td>'
        f'<td data-label="{escape(_("map.col_uncovered"))}">{r["uncovered"]}</td>'
        f'<td data-label="{escape(_("map.col_mentors"))}">{r["mentors"]}</td></tr>'
        for r in wards)
    head = "".join(f"<th>{escape(_(k))}</th>" for k in
                   ("col.ward", "map.col_returnees", "map.col_uncovered", "map.col_mentors"))
    return (f'<details class="ward-list"><summary>'
            f'{escape(_("map.ward_list", n=len(wards)))}</summary><div class="scroll short">'
            f'<table class="data cards"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody>'
            "</table></div></details>")
