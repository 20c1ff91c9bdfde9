"""Reading a metric: one policy for every framework's numbers, bools, scores with feedback and failures."""

from __future__ import annotations

import inspect
import math
import numbers
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .._async import run_sync
from ..engine.workers import run_in_worker
from ..errors import BudgetExceeded, UserError

Metric = Callable[[Any, Any], Any]
"""``metric(example, prediction)``: a number or bool, or a dict/object with ``score`` and
optional ``feedback``; may be async."""


class MetricError(UserError):
    """The metric raised, returned None or NaN, or returned something that is not a score.

    Raised only when a run is told to stop on bad metric output (``on_metric_error="raise"``);
    otherwise such an example counts as a failure with score 0.

    Example:
        >>> str(MetricError("the metric returned None"))
        'the metric returned None'
    """


@dataclass(frozen=True)
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


def _is_number(value: Any) -> bool:
    return not isinstance(value, (str, bytes)) and hasattr(type(value), "__float__")


def _parts(result: Any) -> tuple[Any, Any]:
    """(score, feedback) of a number, a dict, or an object with ``score``/``feedback``."""
    if isinstance(result, numbers.Real):
        return result, None
    if isinstance(result, Mapping):
        return result.get("score"), result.get("feedback")
    if hasattr(result, "score") or hasattr(result, "feedback"):
        return getattr(result, "score", None), getattr(result, "feedback", None)
    return result, None


def read_metric(result: Any) -> MetricOutcome:
    """Turn a metric's return value into a :class:`MetricOutcome`; never raises.

    None, NaN, infinities and values that are not numbers (a string included) give a failed
    outcome with score 0 and the reason.

    Example:
        >>> read_metric(True).score, read_metric(0.5).score
        (1.0, 0.5)
        >>> read_metric({"score": 0, "feedback": " Count again. "}).feedback
        'Count again.'
        >>> read_metric(float("nan")).reason
        'the metric returned nan'
    """
    if result is None:
        return MetricOutcome(0.0, failed=True, reason="the metric returned None")
    raw, feedback = _parts(result)
    if raw is None:
        return MetricOutcome(0.0, failed=True, reason="the metric's result has no score")
    if not _is_number(raw):
        return MetricOutcome(
            0.0, failed=True, reason=f"the metric returned {raw!r}, which is not a number"
        )
    score = float(raw)
    if not math.isfinite(score):
        return MetricOutcome(0.0, failed=True, reason=f"the metric returned {score}")
    text = str(feedback).strip() if feedback is not None else ""
    return MetricOutcome(score, text or None)


def require_score(result: Any) -> MetricOutcome:
    """:func:`read_metric`, for a caller that wants a usable score or an error.

    Raises:
        MetricError: the value has no usable score (None, NaN, a string ...).

    Example:
        >>> require_score(True)
        MetricOutcome(score=1.0, feedback=None, failed=False, reason='')
        >>> require_score({"score": 0, "feedback": "Count the fruit only."}).feedback
        'Count the fruit only.'
    """
    outcome = read_metric(result)
    if outcome.failed:
        raise MetricError(
            f"{outcome.reason}: a metric returns a number, a bool, or a dict/object with "
            "'score' (and optionally 'feedback')"
        )
    return outcome


def _raised(exc: Exception) -> MetricOutcome:
    return MetricOutcome(0.0, failed=True, reason=f"the metric raised {type(exc).__name__}: {exc}")


async def acall_metric(metric: Metric, example: Any, prediction: Any) -> MetricOutcome:
    """Call ``metric(example, prediction)`` and read its verdict; never raises for bad output.

    An async metric is awaited; a sync one runs in a worker thread (it may call a model).
    Only :class:`~tg_core.errors.BudgetExceeded` passes through.

    Example:
        >>> import asyncio
        >>> asyncio.run(acall_metric(lambda ex, pred: ex == pred, "4", "4")).score
        1.0
    """
    try:
        if inspect.iscoroutinefunction(metric):
            result = await metric(example, prediction)
        else:
            result = await run_in_worker(metric, example, prediction)
        if inspect.isawaitable(result):
            result = await result
    except BudgetExceeded:
        raise
    except Exception as exc:
        return _raised(exc)
    return read_metric(result)


def call_metric(metric: Metric, example: Any, prediction: Any) -> MetricOutcome:
    """Sync :func:`acall_metric`, called in this thread.

    Example:
        >>> call_metric(lambda ex, pred: 1 / 0, {}, {}).reason
        'the metric raised ZeroDivisionError: division by zero'
    """
    try:
        result = metric(example, prediction)
        if inspect.isawaitable(result):
            result = run_sync(_awaited(result))
    except BudgetExceeded:
        raise
    except Exception as exc:
        return _raised(exc)
    return read_metric(result)


async def _awaited(value: Any) -> Any:
    return await value
