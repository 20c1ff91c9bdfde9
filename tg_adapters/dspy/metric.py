"""Calling a DSPy metric of any accepted shape, and reading its score and feedback."""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import DSPyAdapterError

Metric = Callable[..., Any]


@dataclass
class MetricOutcome:
    """What a metric said about one prediction.

    Attributes:
        score: the score (a bool counts as 1.0 or 0.0); 0.0 when the metric failed.
        feedback: the metric's feedback text, when it gave one.
        failed: True when the metric raised or returned no usable score.
        reason: why it failed.

    Example:
        >>> MetricOutcome(0.0, failed=True, reason="the metric returned None").failed
        True
    """

    score: float
    feedback: str | None = None
    failed: bool = False
    reason: str = ""


def metric_arity(metric: Metric) -> int:
    """How many positional arguments to pass: 5 (GEPA's form), 3 (with ``trace``) or 2.

    Example:
        >>> metric_arity(lambda example, pred, trace=None, pred_name=None, pred_trace=None: 1)
        5
        >>> metric_arity(lambda example, pred: 1)
        2
    """
    try:
        params = list(inspect.signature(metric).parameters.values())
    except (TypeError, ValueError):
        return 3
    if any(p.kind is p.VAR_POSITIONAL for p in params):
        return 5
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if len(positional) >= 5:
        return 5
    if len(positional) >= 3:
        return 3
    if len(positional) == 2:
        return 2
    raise DSPyAdapterError(
        "the metric must take (example, prediction), (example, prediction, trace) or "
        "(example, prediction, trace, pred_name, pred_trace)"
    )


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _read(result: Any) -> tuple[Any, Any]:
    """(score, feedback) from a number, a dict, or a ``dspy.Prediction``-like object."""
    if isinstance(result, (bool, int, float)):
        return result, None
    if isinstance(result, dict):
        return result.get("score"), result.get("feedback")
    if hasattr(result, "score") or hasattr(result, "feedback"):
        return getattr(result, "score", None), getattr(result, "feedback", None)
    return result, None


def interpret(result: Any) -> MetricOutcome:
    """Turn a metric's return value into a :class:`MetricOutcome`.

    Example:
        >>> interpret(True).score, interpret(0.5).score
        (1.0, 0.5)
        >>> interpret({"score": 0, "feedback": "Count again."}).feedback
        'Count again.'
        >>> interpret(float("nan")).failed
        True
    """
    if result is None:
        return MetricOutcome(0.0, failed=True, reason="the metric returned None")
    raw, feedback = _read(result)
    if raw is None:
        return MetricOutcome(0.0, failed=True, reason="the metric's result has no score")
    score = _number(raw)
    if score is None:
        return MetricOutcome(
            0.0, failed=True, reason=f"the metric returned {raw!r}, which is not a number"
        )
    if not math.isfinite(score):
        return MetricOutcome(0.0, failed=True, reason=f"the metric returned {score}")
    text = str(feedback).strip() if feedback is not None else ""
    return MetricOutcome(score, text or None)


def call_metric(
    metric: Metric,
    example: Any,
    prediction: Any,
    trace: Any = None,
    *,
    arity: int | None = None,
) -> MetricOutcome:
    """Call ``metric`` with as many arguments as it takes; never raises for bad output.

    Exceptions, None, NaN and non-numbers become a failed outcome (score 0 with a reason).

    Example:
        >>> call_metric(lambda ex, pred: 1 / 0, {}, {}).reason
        'the metric raised ZeroDivisionError: division by zero'
    """
    n = arity if arity is not None else metric_arity(metric)
    try:
        if n >= 5:
            result = metric(example, prediction, trace, None, None)
        elif n == 3:
            result = metric(example, prediction, trace)
        else:
            result = metric(example, prediction)
    except Exception as exc:
        return MetricOutcome(
            0.0, failed=True, reason=f"the metric raised {type(exc).__name__}: {exc}"
        )
    return interpret(result)
