"""Differentiable operations: model calls, string functions, sum and aggregate."""

from .formatted_llm_call import FormattedLLMCall
from .function import Function
from .llm_call import LLMCall
from .llm_ops import LLMCall_with_in_context_examples
from .module import Module
from .multimodal_llm_call import MultimodalLLMCall
from .multimodal_ops import OrderedFieldsMultimodalLLMCall
from .reduce_ops import aggregate, concatenate, sum
from .string_based import StringBasedFunction

__all__ = [
    "FormattedLLMCall",
    "Function",
    "LLMCall",
    "LLMCall_with_in_context_examples",
    "Module",
    "MultimodalLLMCall",
    "OrderedFieldsMultimodalLLMCall",
    "StringBasedFunction",
    "aggregate",
    "concatenate",
    "sum",
]
