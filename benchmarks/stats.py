"""Small statistics helpers: medians, ratios and formatting for tables."""

from __future__ import annotations

import statistics
from collections.abc import Sequence


def median(values: Sequence[float]) -> float:
    """The median (0.0 for no values)."""
    return float(statistics.median(values)) if values else 0.0


def ratio(a: float, b: float) -> float:
    """``a / b``, or 0.0 when ``b`` is 0."""
    return a / b if b else 0.0


def secs(value: float) -> str:
    """Seconds for a table cell."""
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    if value >= 0.1 or value == 0:
        return f"{value:.2f}"
    return f"{value:.3f}"


def times(value: float) -> str:
    """A ratio for a table cell, like ``4.9×``."""
    return f"{value:.1f}×" if value >= 1.95 else f"{value:.2f}×"


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)
