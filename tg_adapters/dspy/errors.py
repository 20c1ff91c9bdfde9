"""Typed errors of the DSPy adapter: caller mistakes and missing records (metric and example
failures are the core's)."""

from __future__ import annotations

from tg_core.extend import UserError
from tg_core.program.loss import ExampleFailed
from tg_core.program.metric import MetricError
from tg_core.program.records import NotRecordedError as CoreNotRecorded

__all__ = ["DSPyAdapterError", "ExampleFailed", "MetricError", "NotRecordedError"]


class DSPyAdapterError(UserError):
    """A DSPy object was used in a way the adapter cannot work with; the message says why.

    Example:
        >>> raise DSPyAdapterError("the program has no predictors")
        Traceback (most recent call last):
        ...
        tg_adapters.dspy.errors.DSPyAdapterError: the program has no predictors
    """


class NotRecordedError(DSPyAdapterError, CoreNotRecorded):
    """The recording of a run does not hold what was asked for (an output, a finished run).

    Example:
        >>> raise NotRecordedError("no output field 'answer' in this run")
        Traceback (most recent call last):
        ...
        tg_adapters.dspy.errors.NotRecordedError: no output field 'answer' in this run
    """
