"""The core's metric reading and feedback loss, in the shapes the LangChain API has."""

from __future__ import annotations

from tg_core.extend import Variable
from tg_core.program import loss as core_loss
from tg_core.program import metric as core_metric

MetricResult = core_metric.MetricOutcome
"""A metric's verdict on one output (the core's :class:`~tg_core.program.MetricOutcome`)."""

read_metric = core_metric.require_score
"""Read what a metric returned by the core's one policy; a value it cannot read raises
:class:`~tg_core.program.MetricError` (see :func:`tg_core.program.metric.require_score`)."""

__all__ = ["MetricResult", "feedback_loss", "read_metric"]


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
