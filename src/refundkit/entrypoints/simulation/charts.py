"""Small SVG bar charts written by hand: no script, no CDN, readable in any browser and on
GitHub."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

PALETTE = ("#3b6ea5", "#e0803a", "#58a55c", "#c44e52", "#8172b2", "#937860", "#da8bc3",
           "#8c8c8c")  # fmt: skip
_LABEL_W, _BAR_H, _GAP, _CHART_W = 230, 14, 8, 420


def bar_chart(
    title: str,
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    *,
    value_labels: Sequence[Sequence[str]] | None = None,
) -> str:
    """Horizontal grouped bars: one group per category, one bar per series, with a legend.
    ``value_labels`` (per series, per category) replaces the printed numbers (e.g. money)."""
    groups = len(categories)
    per_group = len(series) * _BAR_H + _GAP
    legend_h = 22
    height = 40 + legend_h + groups * per_group + 10
    width = _LABEL_W + _CHART_W + 110
    top = max((v for _, values in series for v in values), default=0) or 1
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
        f"<title>{escape(title)}</title>",
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="10" y="22" font-size="15" font-weight="bold">{escape(title)}</text>',
    ]
    x = 10
    for n, (name, _) in enumerate(series):
        color = PALETTE[n % len(PALETTE)]
        out.append(f'<rect x="{x}" y="34" width="12" height="12" fill="{color}"/>')
        out.append(f'<text x="{x + 16}" y="45">{escape(name)}</text>')
        x += 24 + 7 * len(name)
    y = 40 + legend_h
    for c, category in enumerate(categories):
        mid = y + len(series) * _BAR_H / 2 + 4
        out.append(f'<text x="{_LABEL_W - 8}" y="{mid:.0f}" text-anchor="end">'
                   f"{escape(category)}</text>")  # fmt: skip
        for n, (_, values) in enumerate(series):
            value = values[c]
            w = max(0.0, value / top * _CHART_W)
            color = PALETTE[n % len(PALETTE)]
            by = y + n * _BAR_H
            out.append(f'<rect x="{_LABEL_W}" y="{by}" width="{w:.1f}" height="{_BAR_H - 2}" '
                       f'fill="{color}"/>')  # fmt: skip
            label = value_labels[n][c] if value_labels else _number(value)
            out.append(f'<text x="{_LABEL_W + w + 4:.1f}" y="{by + _BAR_H - 3}" '
                       f'font-size="11">{escape(label)}</text>')  # fmt: skip
        y += per_group
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _number(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"
