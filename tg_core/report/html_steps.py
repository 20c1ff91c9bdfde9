"""The HTML of each step: its minibatch, scores, spend, and every candidate with its diff."""

from __future__ import annotations

import re
from html import escape

from .diff import change_counts, word_diff_html
from .fmt import DASH, ScoreFormat, count, money, seconds
from .view import Change, Choice, StepView

FEEDBACK_CHARS = 20000


def status_class(status: str) -> str:
    """The CSS class of a status (``screened out`` -> ``s-screened-out``).

    Example:
        >>> status_class("screened out")
        's-screened-out'
    """
    return "s-" + "-".join(re.sub(r"[^a-z0-9]+", " ", status.lower()).split())


def badge(status: str) -> str:
    """A coloured label for a status."""
    return f'<span class="badge {status_class(status)}">{escape(status)}</span>'


def usage_text(usage: dict[str, object]) -> str:
    """Calls, tokens and cost of a usage dict, for people."""
    known = bool(usage.get("cost_known", True))
    cost = usage.get("cost_usd")
    return (
        f"{count(usage.get('calls'))} calls · {count(usage.get('total_tokens'))} tokens · "  # type: ignore[arg-type]
        f"{money(cost if isinstance(cost, (int, float)) else None, known)}"
    )


def _change_html(change: Change) -> str:
    added, removed = change_counts(change.before, change.after)
    what = "refused text" if change.refused else "proposed text"
    head = (
        f'<div class="param"><b>{escape(change.role)}</b> · {what}, against the value it '
        f"started from: <ins>+{added}</ins> <del>−{removed}</del> words</div>"
    )
    full = f"<details><summary>full {what}</summary><pre>{escape(change.after)}</pre></details>"
    return f'{head}<pre class="diff">{word_diff_html(change.before, change.after)}</pre>{full}'


def _feedback_html(feedback: str) -> str:
    if not feedback:
        return ""
    shown = feedback[:FEEDBACK_CHARS]
    more = f"\n… ({len(feedback) - FEEDBACK_CHARS:,} more characters)" if shown != feedback else ""
    return (
        f"<details><summary>feedback that produced it ({len(feedback):,} characters)"
        f"</summary><pre>{escape(shown + more)}</pre></details>"
    )


def choice_html(choice: Choice, fmt: ScoreFormat) -> str:
    """One candidate (or proposal): status, reason, scores, text with its diff, feedback."""
    scores = choice.score_parts(fmt)
    changes = "".join(_change_html(c) for c in choice.changes) or (
        '<p class="muted">No text was proposed.</p>'
    )
    reason = f'<p class="reason">{escape(choice.reason)}</p>' if choice.reason else ""
    return (
        f'<article class="cand {status_class(choice.status)}"><header>'
        f"<b>{escape(choice.title)}</b> · {escape(choice.operator)} {badge(choice.status)}"
        f'<span class="scores">{escape(" · ".join(scores))}</span></header>'
        f"{reason}{changes}{_feedback_html(choice.feedback)}</article>"
    )


def _minibatch(step: StepView) -> str:
    failed = f", {step.failed} failed" if step.failed else ""
    indices = ", ".join(str(i) for i in step.batch) or DASH
    return f"training examples {indices} (n={len(step.batch)}{failed}), epoch {step.epoch}"


def step_html(step: StepView, fmt: ScoreFormat) -> str:
    """The section of one step."""
    start = f"pool candidate #{step.parent}" if step.parent is not None else "the current values"
    facts = [
        ("minibatch", _minibatch(step)),
        ("started from", start),
        ("minibatch score before", fmt.with_n(step.train, step.train_n)),
        ("validation", fmt.with_n(step.val, step.val_n)),
        ("best so far", fmt.score(step.best)),
        ("spent", f"{usage_text(step.usage)} · {seconds(step.seconds)}"),
    ]
    dl = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in facts)
    outcome = "kept" if step.accepted else "rejected"
    choices = "".join(choice_html(c, fmt) for c in step.choices) or (
        '<p class="muted">No candidate was made in this step.</p>'
    )
    label = (
        "candidates"
        if any(c.title.startswith("candidate") for c in step.choices)
        else ("proposals")
    )
    return (
        f'<section class="step" id="step-{step.number}"><h3>Step {step.number} '
        f'{badge(outcome)}</h3><p class="why">{escape(step.reason)}</p>'
        f'<dl class="facts">{dl}</dl><h4>{label} ({len(step.choices)})</h4>{choices}</section>'
    )
