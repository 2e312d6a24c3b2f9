"""The steering committee's figures per ward as a bar chart in inline SVG, drawn on the
server like the map (no script, no chart library, nothing from the internet).

One group of horizontal bars per ward (under management, with a mentor, in a job, in
training, with a loan), the ward's name on the left, the figure at the end of each bar, a
value axis with grid lines and its label under the drawing and a legend above it. The
drawing keeps its width on a phone: its frame scrolls (style.css ``.chart-wrap``). Colours
are in style.css (no inline styles: CSP).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from markupsafe import Markup, escape

WIDTH = 720.0
LABEL_W = 180.0  # ward names, right-aligned against the bars
RIGHT = 44.0  # room for the last bar's figure
BAR = 9.0  # one bar's thickness
GAP = 14.0  # between two wards' groups
FONT = 12.0
LEGEND_ROW = 20.0
AXIS_H = 42.0  # ticks, their numbers and the axis label
MAX_NAME = 28  # longer ward names are cut ("…"); the bars' titles say them in full
MAX_WARDS = 150  # more wards: the busiest, the table under the chart has every ward


def nice_step(top: float, ticks: int = 5) -> int:
    """A round step (1, 2 or 5 times a power of ten) giving about ``ticks`` ticks."""
    if top <= ticks:
        return 1
    raw = top / ticks
    power = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if m * power >= raw:
            return int(m * power)
    return int(10 * power)  # pragma: no cover - the loop always returns


def _short(name: str) -> str:
    return name if len(name) <= MAX_NAME else name[: MAX_NAME - 1].rstrip() + "…"


def _text_w(text: str, px: float = FONT) -> float:
    return len(text) * px * 0.56


def render_chart(wards: Sequence[tuple[str, dict[str, int]]],
                 figures: Sequence[tuple[str, str]], *, title: str, axis_label: str,
                 fmt=str) -> Markup:
    """The chart of ``wards`` ((name, {figure key: value})) for ``figures`` ((key,
    label) in legend order); ``fmt`` writes a number in the page's language."""
    wards = list(wards)[:MAX_WARDS]
    n_fig = len(figures)
    band = n_fig * BAR + GAP
    x0, x1 = LABEL_W + 8.0, WIDTH - RIGHT
    # the legend: as many items on a row as fit
    legend: list[tuple[float, float, str, str]] = []
    x, y = 8.0, 6.0
    for key, label in figures:
        w = 18.0 + _text_w(label) + 16.0
        if x + w > WIDTH and x > 8.0:
            x, y = 8.0, y + LEGEND_ROW
        legend.append((x, y, key, label))
        x += w
    top = y + LEGEND_ROW + 8.0
    height = top + len(wards) * band + AXIS_H
    biggest = max([v for _n, values in wards for v in values.values()] + [1])
    step = nice_step(biggest)
    scale_top = step * math.ceil(biggest / step)
    per = (x1 - x0) / scale_top

    out = [f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" role="img" '
           f'width="{WIDTH:.0f}" height="{height:.0f}" '
           f'viewBox="0 0 {WIDTH:.0f} {height:.0f}" aria-label="{escape(title)}">',
           f"<title>{escape(title)}</title>"]
    out.append('<g class="legend">')
    for lx, ly, key, label in legend:
        out.append(f'<rect class="swatch bar-{escape(key)}" x="{lx:.1f}" y="{ly:.1f}" '
                   f'width="12" height="12"/>'
                   f'<text x="{lx + 18:.1f}" y="{ly + 11:.1f}">{escape(label)}</text>')
    out.append("</g>")
    bottom = top + len(wards) * band
    out.append('<g class="grid">')
    tick = 0
    while tick <= scale_top:
        tx = x0 + tick * per
        out.append(f'<line x1="{tx:.1f}" y1="{top - 4:.1f}" x2="{tx:.1f}" '
                   f'y2="{bottom + 4:.1f}"/>'
                   f'<text class="tick" x="{tx:.1f}" y="{bottom + 17:.1f}">'
                   f"{escape(fmt(tick))}</text>")
        tick += step
    out.append("</g>")
    out.append(f'<line class="axis" x1="{x0:.1f}" y1="{top - 4:.1f}" x2="{x0:.1f}" '
               f'y2="{bottom + 4:.1f}"/>'
               f'<line class="axis" x1="{x0:.1f}" y1="{bottom + 4:.1f}" x2="{x1:.1f}" '
               f'y2="{bottom + 4:.1f}"/>'
               f'<text class="axis-label" x="{(x0 + x1) / 2:.1f}" y="{bottom + 35:.1f}">'
               f"{escape(axis_label)}</text>")
    for i, (name, values) in enumerate(wards):
        gy = top + i * band
        out.append(f'<g class="ward" data-ward="{escape(name)}">'
                   f'<text class="ward-name" x="{LABEL_W:.1f}" '
                   f'y="{gy + n_fig * BAR / 2 + 4:.1f}">{escape(_short(name))}</text>')
        for j, (key, label) in enumerate(figures):
            v = int(values.get(key, 0))
            by = gy + j * BAR
            w = v * per
            out.append(f'<rect class="bar bar-{escape(key)}" x="{x0:.1f}" y="{by:.1f}" '
                       f'width="{w:.1f}" height="{BAR - 1:.0f}" data-value="{v}">'
                       f"<title>{escape(name)} — {escape(label)}: {escape(fmt(v))}</title>"
                       f"</rect>"
                       f'<text class="value" x="{x0 + w + 3:.1f}" y="{by + BAR - 1:.1f}">'
                       f"{escape(fmt(v))}</text>")
        out.append("</g>")
    out.append("</svg>")
    return Markup("".join(out))
