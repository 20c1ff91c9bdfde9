"""DSPy's metric shapes (2, 3 or GEPA's 5 arguments) as the core's ``metric(example, prediction)``."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from tg_core.program import metric as core
from tg_core.program.metric import MetricOutcome

from .errors import DSPyAdapterError

Metric = Callable[..., Any]
interpret = core.read_metric
"""Turn a metric's return value into a :class:`MetricOutcome` (the core's one policy)."""

__all__ = ["Metric", "MetricOutcome", "call_metric", "interpret", "metric_arity", "two_argument"]


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
    if len(positional) >= 2:
        return 5 if len(positional) >= 5 else (3 if len(positional) >= 3 else 2)
    raise DSPyAdapterError(
        "the metric must take (example, prediction), (example, prediction, trace) or "
        "(example, prediction, trace, pred_name, pred_trace)"
    )


def two_argument(metric: Metric, arity: int | None = None, trace: Any = None) -> core.Metric:
    """``metric`` as ``metric(example, prediction)``, the form the core calls.

    Example:
        >>> two_argument(lambda ex, pred, trace=None: trace is None)({}, {})
        True
    """
    n = arity if arity is not None else metric_arity(metric)
    if n >= 5:
        return lambda example, prediction: metric(example, prediction, trace, None, None)
    if n == 3:
        return lambda example, prediction: metric(example, prediction, trace)
    return lambda example, prediction: metric(example, prediction)


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
    return core.call_metric(two_argument(metric, arity, trace), example, prediction)
