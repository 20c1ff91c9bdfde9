"""Metric results (a number, or a score with feedback) and the loss they become."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tg_core.extend import BackwardContext, UserError, Variable

from .values import text_of


@dataclass(frozen=True)
class MetricResult:
    """A metric's verdict on one output.

    Attributes:
        score: in [0, 1], higher is better.
        feedback: what was wrong, in words, when the metric said so.

    Example:
        >>> MetricResult(0.0, "Count the fruit only.").feedback
        'Count the fruit only.'
    """

    score: float
    feedback: str | None = None


def read_metric(value: Any) -> MetricResult:
    """Read what a metric returned: a number or bool, or a dict/object with ``score`` and
    optionally ``feedback``.

    Raises:
        UserError: the value has no usable score.

    Example:
        >>> read_metric(True)
        MetricResult(score=1.0, feedback=None)
        >>> read_metric({"score": 0, "feedback": "Count the fruit only."}).feedback
        'Count the fruit only.'
    """
    feedback: Any = None
    score: Any = value
    if isinstance(value, Mapping):
        score, feedback = value.get("score"), value.get("feedback")
    elif not isinstance(value, (bool, int, float)) and hasattr(value, "score"):
        score, feedback = value.score, getattr(value, "feedback", None)
    if isinstance(score, bool):
        score = float(score)
    if not isinstance(score, (int, float)) or not math.isfinite(score):
        raise UserError(
            f"the metric must return a number, a bool, or a dict/object with 'score' "
            f"(and optionally 'feedback'); got {value!r}"
        )
    text = str(feedback).strip() if feedback is not None else ""
    return MetricResult(float(score), text or None)


def default_feedback(example: Any, output: Any, score: float) -> str:
    """Feedback text for a metric that gave only a score.

    Example:
        >>> print(default_feedback({"question": "2+2?", "answer": "4"}, "5", 0.0))
        The metric scored this output 0 (1 is best).
        The example it was judged against:
        question: 2+2?
        answer: 4
    """
    return (
        f"The metric scored this output {score:g} (1 is best).\n"
        f"The example it was judged against:\n{text_of(example)}"
    )


def feedback_loss(output: Variable, feedback: str) -> Variable:
    """A loss whose value is ``feedback``; backward hands it to ``output`` without a model call.

    Example:
        >>> out = Variable("5", role_description="answer")
        >>> loss = feedback_loss(out, "The answer is 4.")
        >>> _ = loss.backward(engine="fake")
        >>> out.get_gradient_text()
        'The answer is 4.'
    """
    loss = Variable(
        feedback,
        predecessors=[output],
        requires_grad=output.requires_grad,
        role_description=f"evaluation of the {output.get_role_description()}",
    )

    async def grad_fn(ctx: BackwardContext) -> None:
        if not output.requires_grad:
            return
        given = [loss] if ctx.is_objective else ctx.gradients
        for g in given:
            gradient = Variable(
                str(g.value),
                requires_grad=False,
                role_description=f"feedback to {output.get_role_description()}",
            )
            output.add_gradient(gradient, None)

    loss.set_grad_fn(grad_fn)
    return loss
