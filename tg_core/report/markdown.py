"""The report as Markdown: summary, steps table, every candidate with a line diff, Mermaid graph."""

from __future__ import annotations

import re
from html import escape

from ..visualize import GraphView
from .diff import line_diff
from .fmt import DASH, count, seconds
from .html_steps import usage_text
from .view import Choice, RunView


def _cell(text: str) -> str:
    """Text for a table cell: one line, pipes and tags escaped."""
    return escape(" ".join(text.split()), quote=False).replace("|", "\\|")


def _fence(text: str, lang: str = "") -> list[str]:
    """A code block around ``text`` with a fence longer than any backtick run inside it."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    ticks = "`" * max(3, longest + 1)
    return [f"{ticks}{lang}", text, ticks]


def _choice(choice: Choice, view: RunView) -> list[str]:
    scores = choice.score_parts(view.fmt)
    lines = [
        "",
        f"#### {choice.title} ({choice.operator}): {choice.status}",
        "",
        f"{choice.reason or DASH}" + (f" — {'; '.join(scores)}" if scores else ""),
    ]
    for change in choice.changes:
        what = "refused text" if change.refused else "proposed text"
        lines += ["", f"{change.role}, {what}:", ""]
        lines += _fence(change.after)
        lines += ["", "Against the value it started from:", ""]
        lines += _fence(line_diff(change.before, change.after), "diff")
    if not choice.changes:
        lines += ["", "No text was proposed."]
    if choice.feedback:
        lines += ["", "<details><summary>feedback that produced it</summary>", ""]
        lines += [*_fence(choice.feedback[:20000]), "", "</details>"]
    return lines


def render_view_markdown(view: RunView) -> str:
    """The Markdown page for ``view`` (the chart is ``score_curve.svg`` beside it)."""
    fmt, est = view.fmt, view.estimate
    n_val = view.settings.get("n_val", 0)
    lines = [
        "# Optimization report",
        "",
        f"- validation score: {fmt.score(view.initial)} at the start, best "
        f"{fmt.score(view.best)} ({fmt.delta(view.initial, view.best)}; n={n_val})",
        f"- steps: {len(view.steps)} run, {view.kept_steps} kept; stopped: {view.stopped}",
        f"- spent: {usage_text(view.usage)}",
        f"- estimated before the run: {count(est.get('calls'))} calls, "
        f"{count(est.get('tokens'))} tokens",
        f"- {fmt.note} Steps are numbered from 1; a dash means there is no value.",
        "",
        "![validation score per step](score_curve.svg)",
        "",
        "## Steps",
        "",
        "| step | minibatch | minibatch score | validation | best so far | kept | spent | why |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for s in view.steps:
        lines.append(
            f"| {s.number} | {', '.join(map(str, s.batch))} | {fmt.with_n(s.train, s.train_n)} "
            f"| {fmt.with_n(s.val, s.val_n)} | {fmt.score(s.best)} "
            f"| {'yes' if s.accepted else 'no'} | {usage_text(s.usage)} | {_cell(s.reason)} |"
        )
    for i, role in enumerate(view.roles):
        lines += ["", f"## Parameter: {role}", "", "Starting value:", ""]
        lines += _fence(view.initial_values[i])
        lines += ["", "Best value (what the parameter holds now):", ""]
        lines += _fence(view.final_values[i])
    for s in view.steps:
        lines += [
            "",
            f"## Step {s.number}: {'kept' if s.accepted else 'rejected'}",
            "",
            s.reason,
            "",
            f"- minibatch: training examples {', '.join(map(str, s.batch)) or DASH} "
            f"(n={len(s.batch)}), epoch {s.epoch}",
            f"- minibatch score before: {fmt.with_n(s.train, s.train_n)}; validation: "
            f"{fmt.with_n(s.val, s.val_n)}; best so far: {fmt.score(s.best)}",
            f"- spent: {usage_text(s.usage)} · {seconds(s.seconds)}",
        ]
        for choice in s.choices:
            lines += _choice(choice, view)
    if view.pool:
        lines += [
            "",
            "## Candidate pool",
            "",
            "| id | made in | operator | parent | mean validation | Pareto front |",
            "|---|---|---|---|---|---|",
        ]
        for c in view.pool:
            made = "start" if c.step is None else f"step {c.step}"
            parent = DASH if c.parent is None else f"#{c.parent}"
            best = " (best)" if c.best else ""
            lines.append(
                f"| #{c.id}{best} | {made} | {c.operator} | {parent} "
                f"| {fmt.with_n(c.mean, c.n)} | {'yes' if c.front else 'no'} |"
            )
    graph = view.graph or {}
    if graph.get("nodes"):
        mermaid = GraphView(
            [tuple(n) for n in graph["nodes"]],
            [(int(a), int(b)) for a, b in graph["edges"]],
        ).to_mermaid()
        lines += ["", "## Computation graph of one step", "", *_fence(mermaid, "mermaid")]
    return "\n".join(lines) + "\n"
