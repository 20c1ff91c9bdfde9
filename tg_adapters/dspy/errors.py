"""Typed errors of the DSPy adapter: caller mistakes, metric failures, missing records."""

from __future__ import annotations

from tg_core.extend import TgCoreError, UserError


class DSPyAdapterError(UserError):
    """A DSPy object was used in a way the adapter cannot work with; the message says why.

    Example:
        >>> raise DSPyAdapterError("the program has no predictors")
        Traceback (most recent call last):
        ...
        tg_adapters.dspy.errors.DSPyAdapterError: the program has no predictors
    """


class MetricError(UserError):
    """The metric raised, returned None or NaN, or returned something that is not a score.

    Raised only when the optimizer is told to stop on bad metric output
    (``on_metric_error="raise"``); otherwise such an example counts as a failure with score 0.

    Example:
        >>> str(MetricError("metric returned None for example 3"))
        'metric returned None for example 3'
    """


class NotRecordedError(DSPyAdapterError):
    """The recording of a run does not hold what was asked for (an output, a finished run).

    Example:
        >>> raise NotRecordedError("no output field 'answer' in this run")
        Traceback (most recent call last):
        ...
        tg_adapters.dspy.errors.NotRecordedError: no output field 'answer' in this run
    """


class ExampleFailed(TgCoreError):
    """One training example produced no usable loss (the program or the metric failed).

    The training loop counts it as a failed example of its step and goes on with the others.

    Example:
        >>> str(ExampleFailed("metric returned NaN"))
        'metric returned NaN'
    """
