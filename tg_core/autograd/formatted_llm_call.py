"""``FormattedLLMCall``: a model call whose prompt is a format string filled with variables."""

from __future__ import annotations

import string
from typing import Any

from ..engine.base import agenerate_with
from ..engine.registry import resolve_engine
from ..errors import UserError
from ..variable import Variable
from .function import conversation_text, new_result
from .llm_call import LLMCall, llm_backward


class FormattedLLMCall(LLMCall):
    """Fill ``format_string`` with variables by name, call the model, and differentiate.

    Args:
        engine: an engine or engine name.
        format_string: a ``str.format`` template, e.g. ``"Problem: {problem}\\nCode: {code}"``.
        fields: the names the template uses (values are ignored; TextGrad passes ``None``).
        system_prompt: optional system prompt Variable or string.

    Example:
        >>> from tg_core.engine.fake import FakeEngine
        >>> call = FormattedLLMCall(FakeEngine(["ok"]), "Q: {q}", {"q": None})
        >>> call(inputs={"q": Variable("why?", role_description="question")}).value
        'ok'
    """

    def __init__(
        self,
        engine: Any,
        format_string: str,
        fields: dict[str, Any],
        system_prompt: Variable | str | None = None,
    ) -> None:
        super().__init__(engine, system_prompt)
        names = {f for _, f, _, _ in string.Formatter().parse(format_string) if f}
        if names != set(fields):
            raise UserError(
                f"format_string uses fields {sorted(names)} but fields= names {sorted(fields)}; "
                "make them the same"
            )
        self.format_string = format_string
        self.fields = fields

    async def aforward(  # type: ignore[override]
        self,
        inputs: dict[str, Variable],
        response_role_description: str = "response from the language model",
        **generate_kwargs: Any,
    ) -> Variable:
        """Fill the template from ``inputs`` (name → Variable), call the model."""
        if set(inputs) != set(self.fields):
            raise UserError(
                f"inputs have keys {sorted(inputs)} but the template needs {sorted(self.fields)}"
            )
        prompt = self.format_string.format(**{k: str(v) for k, v in inputs.items()})
        engine = resolve_engine(self.engine, "FormattedLLMCall")
        system = str(self.system_prompt) if self.system_prompt is not None else None
        text = await agenerate_with(engine, prompt, system_prompt=system, **generate_kwargs)
        preds = [inputs[k] for k in self.fields]
        if self.system_prompt is not None:
            preds.append(self.system_prompt)
        response = new_result(text, preds, response_role_description)
        if response.predecessors:
            conversation = conversation_text(system, prompt, text)
            response.set_grad_fn(llm_backward(response, preds, conversation))
        return response
