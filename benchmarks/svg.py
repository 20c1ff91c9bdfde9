"""Small SVG charts (grouped bars, lines) written without plotting libraries."""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape
from pathlib import Path

WIDTH, HEIGHT = 640, 360
LEFT, RIGHT, TOP, BOTTOM = 70, 20, 40, 70
COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#7f7f7f")


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    exponent = float(10 ** math.floor(math.log10(value)))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * exponent:
            return step * exponent
    return 10 * exponent


def _fmt(value: float) -> str:
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2g}"


def _frame(title: str, unit: str, top: float) -> list[str]:
    plot_h = HEIGHT - TOP - BOTTOM
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12">',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
        f'<text x="{WIDTH / 2}" y="22" text-anchor="middle" font-size="15">{escape(title)}</text>',
        f'<text x="14" y="{TOP + plot_h / 2}" transform="rotate(-90 14 {TOP + plot_h / 2})" '
        f'text-anchor="middle">{escape(unit)}</text>',
    ]
    for i in range(6):
        value = top * i / 5
        y = TOP + plot_h - plot_h * i / 5
        out.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>'
        )
        out.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{_fmt(value)}</text>')
    return out


def _legend(names: Sequence[str], dashed: Sequence[str] = ()) -> list[str]:
    out = []
    x = LEFT
    y = HEIGHT - 18
    for i, name in enumerate(names):
        color = COLORS[i % len(COLORS)]
        dash = ' stroke-dasharray="6 4"' if name in dashed else ""
        out.append(
            f'<line x1="{x}" x2="{x + 18}" y1="{y - 4}" y2="{y - 4}" stroke="{color}" '
            f'stroke-width="6"{dash}/>'
        )
        out.append(f'<text x="{x + 24}" y="{y}">{escape(name)}</text>')
        x += 34 + 7 * len(name)
    return out


def bar_chart(
    path: Path, title: str, groups: Sequence[str], series: dict[str, Sequence[float]], unit: str
) -> None:
    """Grouped bars: one group per label in ``groups``, one bar per series in each group."""
    top = _nice_max(max((v for vals in series.values() for v in vals), default=1.0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    out = _frame(title, unit, top)
    group_w = plot_w / max(1, len(groups))
    bar_w = group_w * 0.8 / max(1, len(series))
    for g, label in enumerate(groups):
        x0 = LEFT + g * group_w + group_w * 0.1
        for s, values in enumerate(series.values()):
            value = values[g]
            h = plot_h * value / top
            x = x0 + s * bar_w
            y = TOP + plot_h - h
            out.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w - 2:.1f}" height="{h:.1f}" '
                f'fill="{COLORS[s % len(COLORS)]}"/>'
            )
            out.append(
                f'<text x="{x + bar_w / 2 - 1:.1f}" y="{y - 3:.1f}" text-anchor="middle" '
                f'font-size="10">{_fmt(value)}</text>'
            )
        out.append(
            f'<text x="{x0 + group_w * 0.4:.1f}" y="{TOP + plot_h + 16}" '
            f'text-anchor="middle">{escape(label)}</text>'
        )
    out += _legend(list(series))
    out.append("</svg>")
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


def line_chart(
    path: Path,
    title: str,
    x_labels: Sequence[str],
    series: dict[str, Sequence[float]],
    unit: str,
    dashed: Sequence[str] = (),
) -> None:
    """Lines over evenly spaced categories ``x_labels``; ``dashed`` names dashed series."""
    top = _nice_max(max((v for vals in series.values() for v in vals), default=1.0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    out = _frame(title, unit, top)
    step = plot_w / max(1, len(x_labels) - 1) if len(x_labels) > 1 else 0.0
    xs = [LEFT + (i * step if step else plot_w / 2) for i in range(len(x_labels))]
    for x, label in zip(xs, x_labels):
        out.append(
            f'<text x="{x:.1f}" y="{TOP + plot_h + 16}" text-anchor="middle">{escape(label)}</text>'
        )
    for s, (name, values) in enumerate(series.items()):
        color = COLORS[s % len(COLORS)]
        points = " ".join(
            f"{x:.1f},{TOP + plot_h - plot_h * v / top:.1f}" for x, v in zip(xs, values)
        )
        dash = ' stroke-dasharray="6 4"' if name in dashed else ""
        out.append(
            f'<polyline points="{points}" fill="none" stroke="{color}" stroke-width="2"{dash}/>'
        )
        for x, v in zip(xs, values):
            y = TOP + plot_h - plot_h * v / top
            out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{color}"/>')
            out.append(
                f'<text x="{x + 5:.1f}" y="{y - 5:.1f}" font-size="10" fill="{color}">'
                f"{_fmt(v)}</text>"
            )
    out += _legend(list(series), dashed)
    out.append("</svg>")
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
