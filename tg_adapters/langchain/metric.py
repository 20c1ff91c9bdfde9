"""The core's metric reading and feedback loss, in the shapes the LangChain API has."""

from __future__ import annotations

from typing import Any

from tg_core.extend import Variable
from tg_core.program import loss as core_loss
from tg_core.program import metric as core_metric

MetricResult = core_metric.MetricOutcome
"""A metric's verdict on one output (the core's :class:`~tg_core.program.MetricOutcome`)."""

__all__ = ["MetricResult", "feedback_loss", "read_metric"]


def read_metric(value: Any) -> MetricResult:
    """Read what a metric returned: a number or bool, or a dict/object with ``score`` and
    optionally ``feedback``, by the core's one policy; a value it cannot read raises.

    Raises:
        MetricError: the value has no usable score (None, NaN, a string ...).

    Example:
        >>> read_metric(True)
        MetricOutcome(score=1.0, feedback=None, failed=False, reason='')
        >>> read_metric({"score": 0, "feedback": "Count the fruit only."}).feedback
        'Count the fruit only.'
    """
    outcome = core_metric.read_metric(value)
    if outcome.failed:
        raise core_metric.MetricError(
            f"{outcome.reason}: a metric returns a number, a bool, or a dict/object with "
            "'score' (and optionally 'feedback')"
        )
    return outcome


def feedback_loss(output: Variable, feedback: str) -> Variable:
    """A loss whose value is ``feedback``; backward hands it to ``output`` without a model call.

    Example:
        >>> out = Variable("5", role_description="answer")
        >>> loss = feedback_loss(out, "The answer is 4.")
        >>> _ = loss.backward(engine="fake")
        >>> out.get_gradient_text()
        'The answer is 4.'
    """
    return core_loss.feedback_loss(feedback, [output])
