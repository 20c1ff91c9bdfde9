"""The program layer: what an optimizer needs from a framework, and the one path that uses it.

A :class:`Program` gives its bound parameters and runs one example (recorded or not);
reading the metric, the loss, the fit loop and budgets are here, the same for DSPy,
LangChain and plain Python.
"""

from .accounting import CallUsage, FrameworkCall
from .fit import FailureLog, aoptimize, optimize
from .history import StepSummary, TextGradHistory
from .loss import ExampleFailed, failure_loss, feedback_loss, loss_text, metric_loss
from .metric import Metric, MetricError, MetricOutcome, acall_metric, call_metric, read_metric
from .nodes import model_call, pass_through, unique
from .protocol import (
    Program,
    ProgramRun,
    expected_fields,
    fields_of,
    shown,
    synced,
    value_text,
)
from .records import NotRecordedError
from .values import Produced, ValueIndex

__all__ = [
    "CallUsage",
    "ExampleFailed",
    "FailureLog",
    "FrameworkCall",
    "Metric",
    "MetricError",
    "MetricOutcome",
    "NotRecordedError",
    "Produced",
    "Program",
    "ProgramRun",
    "StepSummary",
    "TextGradHistory",
    "ValueIndex",
    "acall_metric",
    "aoptimize",
    "call_metric",
    "expected_fields",
    "failure_loss",
    "feedback_loss",
    "fields_of",
    "loss_text",
    "metric_loss",
    "model_call",
    "optimize",
    "pass_through",
    "read_metric",
    "shown",
    "synced",
    "unique",
    "value_text",
]
