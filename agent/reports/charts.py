"""Small inline SVG charts: no library, no script, no external request.

Each function returns an ``<svg>`` element as a string with a ``role="img"`` and a
``<title>``, sized in CSS pixels with a viewBox so it scales in the browser and in
WeasyPrint alike. Text is escaped here; callers pass plain labels.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence
from html import escape

COLORS = {"ok": "#2e7d32", "warn": "#f2a900", "crit": "#c62828", "unknown": "#7e57c2", "not_checked": "#bdbdbd",
          "current": "#1565c0", "previous": "#90a4ae", "met": "#2e7d32", "breached": "#c62828", "open": "#90a4ae"}
_FONT = 'font-family="inherit" font-size="11"'


LABEL_GAP = 6.0  # px between two axis labels


def text_width(text: str, size: float) -> float:
    """An upper estimate of ``text``'s width in px: CJK (and other wide) characters are square, Latin digits
    and letters about 0.6 em."""
    return sum(size if unicodedata.east_asian_width(c) in ("W", "F") else size * 0.6 for c in text)


def _svg(width: int, height: int, title: str, body: list[str], css_class: str) -> str:
    return (f'<svg class="chart {css_class}" role="img" width="{width}" '
            f'height="{height}" viewBox="0 0 {width} {height}"><title>{escape(title)}</title>{"".join(body)}</svg>')


def stacked_bars(title: str, rows: Sequence[tuple[str, Sequence[tuple[str, int]]]], legend: Sequence[tuple[str, str]],
                 width: int = 640, label_width: int = 150) -> str:
    """One horizontal bar a row, split by state; ``rows`` = [(label, [(state, count), ...])]."""
    bar_h, gap, top = 16, 6, 24
    height = top + len(rows) * (bar_h + gap) + 4
    span = width - label_width - 50
    body = _legend(legend, 0)
    names = dict(legend)  # a segment's tooltip names its state in the report's language
    for i, (label, parts) in enumerate(rows):
        y = top + i * (bar_h + gap)
        total = sum(n for _, n in parts) or 1
        body.append(f'<text x="{label_width - 6}" y="{y + bar_h - 4}" text-anchor="end" {_FONT}>{escape(label)}</text>')
        x = float(label_width)
        for state, n in parts:
            if n <= 0:
                continue
            w = span * n / total
            body.append(f'<rect class="seg-{state}" x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" '
                        f'fill="{COLORS[state]}"><title>{escape(names.get(state, state))}: {n}</title></rect>')
            x += w
        body.append(f'<text x="{label_width + span + 4}" y="{y + bar_h - 4}" {_FONT}>{sum(n for _, n in parts)}</text>')
    return _svg(width, height, title, body, "stacked")


def paired_bars(title: str, rows: Sequence[tuple[str, int, int]], legend: Sequence[tuple[str, str]],
                width: int = 640, label_width: int = 180) -> str:
    """Horizontal bars of this period with the previous period beneath: [(label, current, previous)]."""
    bar_h, gap, top = 10, 8, 24
    height = top + len(rows) * (2 * bar_h + gap) + 4
    span = width - label_width - 50
    top_value = max([max(c, p) for _, c, p in rows] + [1])
    body = _legend(legend, 0)
    for i, (label, current, previous) in enumerate(rows):
        y = top + i * (2 * bar_h + gap)
        body.append(f'<text x="{label_width - 6}" y="{y + bar_h + 4}" text-anchor="end" {_FONT}>{escape(label)}</text>')
        for j, (value, key) in enumerate(((current, "current"), (previous, "previous"))):
            w = span * value / top_value
            body.append(f'<rect class="bar-{key}" x="{label_width}" y="{y + j * bar_h}" width="{w:.1f}" '
                        f'height="{bar_h - 1}" fill="{COLORS[key]}"><title>{value}</title></rect>')
            body.append(f'<text x="{label_width + w + 4:.1f}" y="{y + j * bar_h + bar_h - 2}" {_FONT}>{value}</text>')
    return _svg(width, height, title, body, "paired")


def trend(title: str, points: Sequence[tuple[str, int, int | None]], legend: Sequence[tuple[str, str]],
          width: int = 640, height: int = 200) -> str:
    """Problems per bucket: this period as bars, the previous period as a line."""
    left, bottom, top = 34, 34, 26
    plot_h, plot_w = height - top - bottom, width - left - 10
    n = max(len(points), 1)
    top_value = max([max(c, p or 0) for _, c, p in points] + [1])
    step = plot_w / n
    # Label every bucket whose label fits: a month of days at 9 px ("10月15日" is ~40 px wide) would
    # run together with every second one, so the stride follows the widest label.
    widest = max((text_width(label, 9) for label, _, _ in points), default=0.0)
    stride = max(1, math.ceil((widest + LABEL_GAP) / step))
    body = _legend(legend, left)
    for k in range(3):  # gridlines at 0, half, full
        value = top_value * k / 2
        y = top + plot_h - plot_h * k / 2
        body.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - 10}" y2="{y:.1f}" stroke="#e0e0e0"/>')
        body.append(f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" {_FONT}>{value:.0f}</text>')
    line = []
    for i, (label, current, previous) in enumerate(points):
        x = left + i * step
        h = plot_h * current / top_value
        body.append(f'<rect class="bar-current" x="{x + step * 0.15:.1f}" y="{top + plot_h - h:.1f}" '
                    f'width="{step * 0.7:.1f}" height="{h:.1f}" fill="{COLORS["current"]}"><title>{escape(label)}: '
                    f'{current}</title></rect>')
        if previous is not None:
            line.append(f"{x + step / 2:.1f},{top + plot_h - plot_h * previous / top_value:.1f}")
        if i % stride == 0:
            body.append(f'<text x="{x + step / 2:.1f}" y="{height - bottom + 14}" text-anchor="middle" '
                        f'font-size="9">{escape(label)}</text>')
    if line:
        body.append(f'<polyline class="line-previous" points="{" ".join(line)}" fill="none" '
                    f'stroke="{COLORS["previous"]}" stroke-width="2"/>')
    return _svg(width, height, title, body, "trend")


def percent_bars(title: str, rows: Sequence[tuple[str, float | None, str]], width: int = 640,
                 label_width: int = 150) -> str:
    """Compliance per tier, 0-100 %: [(label, ratio or None, shown text)]."""
    bar_h, gap, top = 16, 6, 6
    height = top + len(rows) * (bar_h + gap) + 4
    span = width - label_width - 70
    body = []
    for i, (label, ratio, text) in enumerate(rows):
        y = top + i * (bar_h + gap)
        body.append(f'<text x="{label_width - 6}" y="{y + bar_h - 4}" text-anchor="end" {_FONT}>{escape(label)}</text>')
        body.append(f'<rect x="{label_width}" y="{y}" width="{span}" height="{bar_h}" fill="#eeeeee"/>')
        if ratio is not None:
            color = COLORS["met"] if ratio >= 0.95 else COLORS["warn"] if ratio >= 0.8 else COLORS["breached"]
            body.append(f'<rect class="bar-compliance" x="{label_width}" y="{y}" width="{span * ratio:.1f}" '
                        f'height="{bar_h}" fill="{color}"/>')
        body.append(f'<text x="{label_width + span + 4}" y="{y + bar_h - 4}" {_FONT}>{escape(text)}</text>')
    return _svg(width, height, title, body, "percent")


def _legend(entries: Sequence[tuple[str, str]], x0: int) -> list[str]:
    out, x = [], x0
    for key, label in entries:
        out.append(f'<rect x="{x}" y="4" width="10" height="10" fill="{COLORS[key]}"/>'
                   f'<text x="{x + 14}" y="13" {_FONT}>{escape(label)}</text>')
        x += 24 + 7 * len(label) + (7 * sum(1 for ch in label if ord(ch) > 0x2e80))
    return out
