"""The score chart: validation score per step and best so far, as an inline SVG line chart."""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape

from .fmt import ScoreFormat, raw

WIDTH, HEIGHT = 960, 340
LEFT, RIGHT, TOP, BOTTOM, INSET = 64, 20, 44, 52, 22
KEPT, NOT_KEPT, BEST, VAL = "#1a7f37", "#cf222e", "#0969da", "#8c959f"


@dataclass
class ChartPoint:
    """One x position: ``label`` is ``start`` or the step number (from 1)."""

    label: str
    val: float | None
    val_n: int
    best: float | None
    kept: bool | None = None

    def tooltip(self, fmt: ScoreFormat) -> str:
        """The hover text of this x position, named as the axis names it."""
        where = "start" if self.label == "start" else f"step {self.label}"
        parts = [f"{where}: validation {fmt.with_n(self.val, self.val_n)}"]
        if self.kept is not None:
            parts.append("kept" if self.kept else "rejected")
        parts.append(f"best so far {fmt.score(self.best)}")
        return ", ".join(parts)


def _nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    if high <= low:
        high = low + 1.0
    raw_step = (high - low) / max(1, count - 1)
    magnitude = 10 ** math.floor(math.log10(raw_step))
    step = min(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw_step)
    start = math.floor(low / step) * step
    ticks = []
    value = start
    while value <= high + step * 1e-9:
        ticks.append(round(value, 10))
        value += step
    if ticks[-1] < high:
        ticks.append(round(value, 10))
    return ticks


def _y_ticks(points: list[ChartPoint], fmt: ScoreFormat) -> list[float]:
    if fmt.percent:
        return [0.0, 0.25, 0.5, 0.75, 1.0]
    values = [v for p in points for v in (p.val, p.best) if v is not None]
    return _nice_ticks(min(values), max(values))


def _tick_text(value: float, fmt: ScoreFormat) -> str:
    return f"{100 * value:.0f}%" if fmt.percent else raw(value)


def score_chart(points: list[ChartPoint], fmt: ScoreFormat) -> str:
    """An SVG line chart of ``points`` (the first is ``start``); a note when none has a score.

    Example:
        >>> pts = [ChartPoint("start", 0.0, 6, 0.0), ChartPoint("1", 0.5, 6, 0.5, True)]
        >>> svg = score_chart(pts, ScoreFormat(True))
        >>> 'class="best"' in svg and ">50%<" in svg and "step 1: validation 50.0% (n=6)" in svg
        True
    """
    if not any(p.val is not None or p.best is not None for p in points):
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{WIDTH}" height="60" '
            'role="img" font-family="sans-serif" font-size="13"><text x="10" y="34">'
            "No validation scores: this run had no validation set.</text></svg>"
        )
    ticks = _y_ticks(points, fmt)
    low, high = ticks[0], ticks[-1]
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    last = max(1, len(points) - 1)

    def x_of(i: int) -> float:
        inner = plot_w - 2 * INSET
        return LEFT + INSET + (i / last if len(points) > 1 else 0.5) * inner

    def y_of(v: float) -> float:
        return TOP + (1 - (v - low) / (high - low)) * plot_h

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{WIDTH}" '
        f'height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        'font-family="sans-serif" font-size="12">',
        f"<title>{escape(fmt.axis_label)} per step and best so far</title>",
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#fff"/>',
    ]
    for t in ticks:
        y = y_of(t)
        out.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="#eaeef2"/>'
            f'<text class="ytick" x="{LEFT - 8}" y="{y + 4:.1f}" text-anchor="end">'
            f"{_tick_text(t, fmt)}</text>"
        )
    every = max(1, math.ceil(len(points) / 20))
    base = TOP + plot_h
    for i, p in enumerate(points):
        if i % every and i != len(points) - 1:
            continue
        x = x_of(i)
        out.append(
            f'<line x1="{x:.1f}" y1="{base}" x2="{x:.1f}" y2="{base + 5}" stroke="#57606a"/>'
            f'<text class="xtick" x="{x:.1f}" y="{base + 19}" text-anchor="middle">'
            f"{escape(p.label)}</text>"
        )
    out.append(
        f'<line x1="{LEFT}" y1="{base}" x2="{WIDTH - RIGHT}" y2="{base}" stroke="#57606a"/>'
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{base}" stroke="#57606a"/>'
        f'<text x="{LEFT + plot_w / 2:.1f}" y="{HEIGHT - 10}" text-anchor="middle">step</text>'
        f'<text transform="translate(16 {TOP + plot_h / 2:.1f}) rotate(-90)" '
        f'text-anchor="middle">{escape(fmt.axis_label)}</text>'
    )
    vals = [(x_of(i), y_of(p.val)) for i, p in enumerate(points) if p.val is not None]
    if len(vals) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in vals)
        out.append(
            f'<polyline class="val" points="{path}" fill="none" stroke="{VAL}" '
            'stroke-width="1.5" stroke-dasharray="4 3"/>'
        )
    bests = [(x_of(i), y_of(p.best)) for i, p in enumerate(points) if p.best is not None]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in bests)
    out.append(
        f'<polyline class="best" points="{path}" fill="none" stroke="{BEST}" stroke-width="2.5"/>'
    )
    for i, p in enumerate(points):
        if p.val is None:
            continue
        color = VAL if p.kept is None else KEPT if p.kept else NOT_KEPT
        out.append(
            f'<circle cx="{x_of(i):.1f}" cy="{y_of(p.val):.1f}" r="5" fill="{color}" '
            'stroke="#fff" stroke-width="1.5"/>'
        )
    band = (plot_w - 2 * INSET) / last if len(points) > 1 else plot_w
    for i, p in enumerate(points):
        out.append(
            f'<rect class="hit" x="{x_of(i) - band / 2:.1f}" y="{TOP}" width="{band:.1f}" '
            f'height="{plot_h}" fill="transparent"><title>{escape(p.tooltip(fmt))}</title></rect>'
        )
    out.append(_legend())
    out.append("</svg>")
    return "".join(out)


def _legend() -> str:
    y = 18
    items = [
        f'<line x1="{LEFT}" y1="{y}" x2="{LEFT + 24}" y2="{y}" stroke="{BEST}" stroke-width="2.5"/>'
        f'<text x="{LEFT + 30}" y="{y + 4}">best so far</text>',
        f'<circle cx="{LEFT + 130}" cy="{y}" r="5" fill="{KEPT}"/>'
        f'<text x="{LEFT + 140}" y="{y + 4}">validation of the step: kept</text>',
        f'<circle cx="{LEFT + 330}" cy="{y}" r="5" fill="{NOT_KEPT}"/>'
        f'<text x="{LEFT + 340}" y="{y + 4}">rejected</text>',
        f'<line x1="{LEFT + 420}" y1="{y}" x2="{LEFT + 444}" y2="{y}" stroke="{VAL}" '
        'stroke-width="1.5" stroke-dasharray="4 3"/>'
        f'<text x="{LEFT + 450}" y="{y + 4}">steps with a validation score</text>',
    ]
    return '<g class="legend">' + "".join(items) + "</g>"
