"""Differentiable operations: model calls, string functions, sum and aggregate."""

from .formatted_llm_call import FormattedLLMCall
from .function import Function
from .llm_call import LLMCall
from .multimodal_llm_call import MultimodalLLMCall
from .reduce_ops import aggregate, concatenate, sum
from .string_based import StringBasedFunction

__all__ = [
    "FormattedLLMCall",
    "Function",
    "LLMCall",
    "MultimodalLLMCall",
    "StringBasedFunction",
    "aggregate",
    "concatenate",
    "sum",
]
