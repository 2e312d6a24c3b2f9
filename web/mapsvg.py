"""A map without tiles or internet: ward points and mentor→mentee lines as inline SVG.

Points come from ``roster_index.json`` (lat/lon of every returnee and mentor; people
resolved to a ward share its point). Points are grouped by position so a ward with many
people is one circle, and identical mentor→mentee segments are drawn once with a width
that grows with their number. Styling is in style.css (no inline styles: CSP).
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

from markupsafe import Markup, escape

from web.i18n import _
from web.results import Result

WIDTH = 800.0
PAD = 20.0


def _key(p: dict[str, Any]) -> tuple[float, float] | None:
    try:
        lat, lon = float(p["lat"]), float(p["lon"])
    except (KeyError, TypeError, ValueError):
        return None
    if not (math.isfinite(lat) and math.isfinite(lon)):
        return None
    return round(lat, 4), round(lon, 4)


def render_map(result: Result, *, max_lines: int = 5000) -> Markup:
    returnees = result.index.get("returnees", {})
    mentors = result.index.get("mentors", {})
    covered: Counter = Counter()
    uncovered: Counter = Counter()
    mentor_pts: Counter = Counter()
    segments: Counter = Counter()
    ward_of: dict[tuple[float, float], str] = {}

    for a in result.plan.get("assignments", []):
        r = returnees.get(a.get("returnee_id"), {})
        rk = _key(r)
        if rk is None:
            continue
        ward_of.setdefault(rk, str(r.get("ward") or ""))
        m = mentors.get(a.get("mentor_id"), {}) if a.get("mentor_id") else {}
        mk = _key(m) if m else None
        if mk is None:
            uncovered[rk] += 1
        else:
            covered[rk] += 1
            segments[(mk, rk)] += 1
    for m in mentors.values():
        mk = _key(m)
        if mk is not None:
            mentor_pts[mk] += 1
            ward_of.setdefault(mk, str(m.get("ward") or ""))

    points = set(covered) | set(uncovered) | set(mentor_pts)
    if not points:
        return Markup("")
    lats = [p[0] for p in points]
    lons = [p[1] for p in points]
    lat0 = (min(lats) + max(lats)) / 2
    kx = math.cos(math.radians(lat0))
    span_x = max((max(lons) - min(lons)) * kx, 1e-3)
    span_y = max(max(lats) - min(lats), 1e-3)
    scale = (WIDTH - 2 * PAD) / max(span_x, span_y)
    width = span_x * scale + 2 * PAD
    height = span_y * scale + 2 * PAD

    def xy(p: tuple[float, float]) -> tuple[float, float]:
        return ((p[1] - min(lons)) * kx * scale + PAD, (max(lats) - p[0]) * scale + PAD)

    parts = [
        (f'<svg class="map" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} '
        f'{height:.0f}" role="img" aria-label="{escape(_("map.label"))}">')
    ]
    drawn = 0
    for (mk, rk), n in segments.most_common(max_lines):
        (x1, y1), (x2, y2) = xy(mk), xy(rk)
        parts.append(f'<line class="pair-line" x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" '
                     f'y2="{y2:.1f}" stroke-width="{min(1 + math.log2(n), 6):.1f}"/>')
        drawn += 1
    for p, n in mentor_pts.items():
        x, y = xy(p)
        s = 2 + min(math.sqrt(n), 6)
        title = _("map.mentors", ward=ward_of.get(p, ""), n=n)
        parts.append(f'<rect class="pt-mentor" x="{x - s / 2:.1f}" y="{y - s / 2:.1f}" '
                     f'width="{s:.1f}" height="{s:.1f}"><title>{escape(title)}</title></rect>')
    for p in set(covered) | set(uncovered):
        x, y = xy(p)
        total = covered[p] + uncovered[p]
        cls = "pt-uncovered" if uncovered[p] else "pt-returnee"
        title = _("map.returnees", ward=ward_of.get(p, ""), n=total, uncovered=uncovered[p])
        parts.append(f'<circle class="{cls}" cx="{x:.1f}" cy="{y:.1f}" '
                     f'r="{2.5 + min(math.sqrt(total), 8):.1f}"><title>{escape(title)}</title>'
                     "</circle>")
    parts.append("</svg>")
    if drawn < len(segments):
        parts.append(f'<p class="note">{escape(_("map.truncated", n=drawn))}</p>')
    return Markup("".join(parts))
