"""Textual autograd for LangChain runnables: record runs as graphs, rewrite prompt templates.

Example:
    >>> from tg_adapters.langchain import TextGradCallbackHandler, differentiable, parameters
"""

from tg_core.program.run_tree import RecordedRun

from .binding import PromptTemplateBinding
from .differentiable import (
    DifferentiableRunnable,
    Traced,
    TracedStr,
    differentiable,
    variable_of,
)
from .engine import ChatModelEngine, as_tg_engine
from .errors import (
    NoPromptTemplatesError,
    RunNotRecordedError,
    TemplateRejected,
    TemplateVariablesChanged,
)
from .handler import TextGradCallbackHandler
from .metric import MetricResult, feedback_loss, read_metric
from .optimize import OptimizeResult, aoptimize, optimize
from .params import parameters, prompt_templates
from .program import LangChainProgram
from .template_vars import check_template_variables, escape_literal_braces, template_variables
from .usage import UsageCallbackHandler

__all__ = [
    "ChatModelEngine",
    "DifferentiableRunnable",
    "LangChainProgram",
    "MetricResult",
    "NoPromptTemplatesError",
    "OptimizeResult",
    "PromptTemplateBinding",
    "RecordedRun",
    "RunNotRecordedError",
    "TemplateRejected",
    "TemplateVariablesChanged",
    "TextGradCallbackHandler",
    "Traced",
    "TracedStr",
    "UsageCallbackHandler",
    "aoptimize",
    "as_tg_engine",
    "check_template_variables",
    "differentiable",
    "escape_literal_braces",
    "feedback_loss",
    "optimize",
    "parameters",
    "prompt_templates",
    "read_metric",
    "template_variables",
    "variable_of",
]
