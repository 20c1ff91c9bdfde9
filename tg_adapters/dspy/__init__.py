"""Textual autograd for DSPy programs: recorder, bound instructions, optimizer, LM engine.

Importing this package imports ``dspy``; importing :mod:`tg_adapters` alone does not.
"""

from tg_core.program.history import StepSummary, TextGradHistory
from tg_core.program.records import Attempt, PredictorCall, ToolCall

from .bindings import (
    InstructionBinding,
    PrefixBinding,
    instruction_variable,
    named_parameters,
    parameters,
    prefix_variables,
)
from .budgeted_lm import BudgetedLM, budgeted_program_lms
from .engine import DSPyLMEngine, resolve_engine
from .errors import DSPyAdapterError, ExampleFailed, MetricError, NotRecordedError
from .loss import failure_loss, feedback_loss, loss_text, metric_loss
from .metric import MetricOutcome, call_metric, interpret, metric_arity
from .optimizer import TextGradOptimizer
from .program import DSPyProgram
from .recorder import DSPyRecorder
from .tape import Tape

__all__ = [
    "Attempt",
    "BudgetedLM",
    "DSPyAdapterError",
    "DSPyLMEngine",
    "DSPyProgram",
    "DSPyRecorder",
    "ExampleFailed",
    "InstructionBinding",
    "MetricError",
    "MetricOutcome",
    "NotRecordedError",
    "PredictorCall",
    "PrefixBinding",
    "StepSummary",
    "Tape",
    "TextGradHistory",
    "TextGradOptimizer",
    "ToolCall",
    "budgeted_program_lms",
    "call_metric",
    "failure_loss",
    "feedback_loss",
    "instruction_variable",
    "interpret",
    "loss_text",
    "metric_arity",
    "metric_loss",
    "named_parameters",
    "parameters",
    "prefix_variables",
    "resolve_engine",
]
