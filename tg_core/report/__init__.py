"""Run report: ``report.md`` and ``report.html`` (plus ``score_curve.svg``) from a checkpoint.

The page shows, step by step, the minibatch, every candidate with its text, diff, reason and
the feedback behind it, the scores with their sample sizes and the spend; a chart of the
validation score; the candidate pool; and a picture of one recorded computation graph.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..errors import UserError
from ..train.checkpoint import load_checkpoint, scrub
from .chart import score_chart
from .html import chart_points, render_page
from .markdown import render_view_markdown
from .view import RunView, build_view

__all__ = ["RunView", "build_view", "render_html", "render_markdown", "write_report"]


def render_markdown(data: dict[str, Any]) -> str:
    """The report of checkpoint dict ``data`` as Markdown (the chart is ``score_curve.svg``)."""
    return render_view_markdown(build_view(data))


def render_html(data: dict[str, Any]) -> str:
    """The report of checkpoint dict ``data`` as one self-contained HTML page (no scripts)."""
    return render_page(build_view(data))


def write_report(run_dir: str | Path) -> Path:
    """Render ``report.md``, ``report.html`` and ``score_curve.svg`` from a run's checkpoint.

    Example:
        >>> write_report("/nonexistent")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        tg_core.errors.UserError: no checkpoint.json in /nonexistent...
    """
    path = Path(run_dir)
    data = load_checkpoint(path)
    if data is None:
        raise UserError(f"no checkpoint.json in {path}; pass the run_dir of a fit run")
    view = build_view(scrub(json.loads(json.dumps(data))))
    (path / "score_curve.svg").write_text(score_chart(chart_points(view), view.fmt), "utf-8")
    (path / "report.md").write_text(render_view_markdown(view), "utf-8")
    out = path / "report.html"
    out.write_text(render_page(view), "utf-8")
    return out
