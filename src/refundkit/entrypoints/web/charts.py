"""Charts drawn on the server as SVG markup (no script, no chart library): stacked bars per
day, horizontal bars. Each chart carries a title and a description for screen readers, and
the page shows the same figures in a table beside it."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date

from markupsafe import Markup, escape

PALETTE = ("#2f6fdf", "#e0752d", "#2e9e6a", "#b8479b", "#8a6d1f", "#5a5a5a")


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    values: list[float]


def _id(title: str) -> str:
    return "chart-" + re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


def nice_step(peak: float, ticks: int = 4) -> float:
    """The smallest of 1, 2, 2.5, 5 times a power of ten that reaches ``peak`` in ``ticks``
    steps, so the axis reads 0, 1, 2, 3, 4 or 0, 25, 50, 75, 100, never 0, 12, 25, 38."""
    raw = max(peak / ticks, 1.0)  # counts and major units: never a step below 1
    power = 10.0 ** math.floor(math.log10(raw))
    for factor in (1.0, 2.0, 2.5, 5.0, 10.0):
        if factor * power >= raw:
            return factor * power
    return 10.0 * power


def stacked_bars(title: str, days: list[date], series: list[Series], unit: str = "") -> Markup:
    width, height, left, bottom, top = 640, 220, 44, 28, 12
    plot_w, plot_h = width - left - 8, height - bottom - top
    totals = [sum(s.values[i] for s in series) for i in range(len(days))]
    step = nice_step(max(totals, default=0))
    peak = step * 4
    slot = plot_w / max(len(days), 1)
    bar = max(slot * 0.7, 1)
    parts = [
        f'<div class="scroll"><svg class="chart w{width}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-labelledby="{_id(title)}"><title id="{_id(title)}">{escape(title)}'
        "</title>"
    ]
    for tick in range(5):
        value = step * tick
        y = top + plot_h - plot_h * tick / 4
        label = f"{value:,.0f}{unit}" if step == int(step) else f"{value:,.1f}{unit}"
        parts.append(f'<line x1="{left}" x2="{width - 8}" y1="{y:.1f}" y2="{y:.1f}" '
                     f'class="grid"/><text x="{left - 4}" y="{y + 4:.1f}" '
                     f'class="axis" text-anchor="end">{escape(label)}</text>')  # fmt: skip
    for i, day in enumerate(days):
        x = left + i * slot + (slot - bar) / 2
        base = float(top + plot_h)
        for n, s in enumerate(series):
            value = s.values[i]
            if value <= 0:
                continue
            h = plot_h * value / peak
            base -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{base:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                f'fill="{PALETTE[n % len(PALETTE)]}"><title>{escape(s.name)}, '
                f"{day.isoformat()}: {value:,.2f}</title></rect>".replace(".00<", "<")
            )
        if i % 7 == 0 or (i == len(days) - 1 and i % 7 > 3):
            parts.append(f'<text x="{x + bar / 2:.1f}" y="{height - 8}" class="axis" '
                         f'text-anchor="middle">{day.strftime("%d %b")}</text>')  # fmt: skip
    parts.append("</svg></div>")
    return Markup("".join(parts))  # noqa: S704 (every text in it went through escape())


def horizontal_bars(
    title: str, rows: list[tuple[str, float]], fmt: str = "{:,.0f}", width: int = 420
) -> Markup:
    """``width``: the drawing's own width; about the card's width in pixels keeps the text at
    its size (420 for a half-width card, 900 for a full one)."""
    row_h, left = 30, 150
    height = max(len(rows), 1) * row_h + 8
    peak = max((v for _, v in rows), default=0) or 1
    parts = [
        f'<div class="scroll"><svg class="chart w{width}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-labelledby="{_id(title)}"><title id="{_id(title)}">{escape(title)}'
        "</title>"
    ]
    for i, (name, value) in enumerate(rows):
        y = 4 + i * row_h
        w = (width - left - 64) * value / peak
        short = name if len(name) <= 22 else name[:21] + "…"
        parts.append(
            f'<text x="{left - 6}" y="{y + 19}" class="axis hl" text-anchor="end">{escape(short)}'
            f'</text><rect x="{left}" y="{y + 3}" width="{max(w, 1):.1f}" height="{row_h - 8}" '
            f'fill="{PALETTE[i % len(PALETTE)]}"/><text x="{left + w + 6:.1f}" y="{y + 19}" '
            f'class="axis hl">{escape(fmt.format(value))}</text>'
        )
    parts.append("</svg></div>")
    return Markup("".join(parts))  # noqa: S704 (every text in it went through escape())
