"""TextGrad's ``autograd.functional`` path: ``sum``, ``aggregate`` and model calls as functions."""

from __future__ import annotations

from typing import Any

from ..variable import Variable
from .formatted_llm_call import FormattedLLMCall
from .llm_call import LLMCall
from .reduce_ops import aggregate, sum

__all__ = ["aggregate", "formatted_llm_call", "llm_call", "sum"]

_DEFAULT_ROLE = "response from the language model"


def llm_call(
    input_variable: Variable,
    engine: Any,
    response_role_description: str | None = None,
    system_prompt: Variable | str | None = None,
) -> Variable:
    """Call ``engine`` on ``input_variable``; the answer is differentiable (``LLMCall``).

    Example:
        >>> from tg_core.engine.fake import FakeEngine
        >>> llm_call(Variable("2+2?", role_description="q"), FakeEngine(["4"])).value
        '4'
    """
    call = LLMCall(engine, system_prompt=system_prompt)
    return call(input_variable, response_role_description or _DEFAULT_ROLE)


def formatted_llm_call(
    inputs: dict[str, Variable],
    response_role_description: str,
    engine: Any,
    format_string: str,
    fields: dict[str, Any],
    system_prompt: Variable | str | None = None,
) -> Variable:
    """Fill ``format_string`` from ``inputs`` and call ``engine`` (``FormattedLLMCall``).

    Example:
        >>> from tg_core.engine.fake import FakeEngine
        >>> q = Variable("why?", role_description="question")
        >>> formatted_llm_call({"q": q}, "answer", FakeEngine(["because"]), "Q: {q}", {"q": None}).value
        'because'
    """
    call = FormattedLLMCall(engine, format_string, fields, system_prompt=system_prompt)
    return call(inputs=inputs, response_role_description=response_role_description)
