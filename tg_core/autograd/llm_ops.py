"""TextGrad's ``autograd.llm_ops`` path: model calls, and a call that sees in-context examples."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..engine.base import agenerate_with
from ..engine.registry import resolve_engine
from ..prompts import render
from ..tags import parse_tagged
from ..variable import Variable
from .formatted_llm_call import FormattedLLMCall
from .function import conversation_text, new_result
from .llm_call import LLMCall, llm_backward

__all__ = ["FormattedLLMCall", "LLMCall", "LLMCall_with_in_context_examples"]


class LLMCall_with_in_context_examples(LLMCall):  # TextGrad's class name
    """A model call whose answer is read between ``<FINAL>`` tags, with examples for the critic.

    The model must put its final answer between ``<FINAL>`` and ``</FINAL>``; that text is the
    result. When it contains :attr:`STOP_PHRASE` the call returns ``None`` (the plan needs no
    more work). ``in_context_examples`` are shown to the critic in the backward pass.

    Raises:
        ProposalError: the answer has no ``<FINAL> ... </FINAL>`` pair.

    Example:
        >>> from tg_core.engine.fake import FakeEngine
        >>> call = LLMCall_with_in_context_examples(FakeEngine(["Plan: <FINAL>walk</FINAL>"]))
        >>> call(Variable("Plan a trip", role_description="task")).value
        'walk'
    """

    STOP_PHRASE = "The plan doesn't need to be improved"

    async def aforward(  # type: ignore[override]
        self,
        input_variable: Variable,
        response_role_description: str = "response from the language model",
        in_context_examples: Sequence[str] | None = None,
        **generate_kwargs: Any,
    ) -> Variable | None:
        """Call the model; the text between the ``<FINAL>`` tags is the result (or None)."""
        engine = resolve_engine(self.engine, "LLMCall_with_in_context_examples")
        system = str(self.system_prompt) if self.system_prompt is not None else None
        text = await agenerate_with(
            engine, str(input_variable.value), system_prompt=system, **generate_kwargs
        )
        final = parse_tagged(text, "<FINAL>", "</FINAL>").strip()
        if self.STOP_PHRASE in final:
            return None
        inputs = [input_variable]
        if self.system_prompt is not None:
            inputs.append(self.system_prompt)
        response = new_result(final, inputs, response_role_description)
        if response.predecessors:
            extra = ""
            if in_context_examples:
                extra = render(
                    "backward_in_context_examples", examples="\n".join(in_context_examples)
                )
            conversation = conversation_text(system, str(input_variable), text)
            response.set_grad_fn(llm_backward(response, inputs, conversation, extra))
        return response

    def forward(self, *args: Any, **kwargs: Any) -> Variable | None:  # type: ignore[override]
        """Sync :meth:`aforward`."""
        from .._async import run_sync

        return run_sync(self.aforward(*args, **kwargs))

    def __call__(self, *args: Any, **kwargs: Any) -> Variable | None:  # type: ignore[override]
        return self.forward(*args, **kwargs)
