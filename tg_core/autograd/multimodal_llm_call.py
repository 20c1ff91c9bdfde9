"""``MultimodalLLMCall``: a model call on a list of text and image variables."""

from __future__ import annotations

from typing import Any

from ..engine.base import agenerate_with
from ..engine.registry import resolve_engine
from ..errors import UserError
from ..variable import Variable
from .function import conversation_text, new_result
from .llm_call import LLMCall, llm_backward


class MultimodalLLMCall(LLMCall):
    """Call a model on text and images; feedback reaches the text inputs.

    Images (bytes values) are sent as image parts and shown as ``[image]`` to the critic.

    Example:
        >>> from tg_core.engine.fake import FakeEngine
        >>> call = MultimodalLLMCall(FakeEngine(["an ant"]))
        >>> png = b"\\x89PNG\\r\\n\\x1a\\n" + b"0" * 8
        >>> img = Variable(png, role_description="image", requires_grad=False)
        >>> call([img, Variable("What is this?", role_description="question")]).value
        'an ant'
    """

    async def aforward(  # type: ignore[override]
        self,
        inputs: list[Variable],
        response_role_description: str = "response from the language model",
        **generate_kwargs: Any,
    ) -> Variable:
        """Send every input's value in order (images as image parts) and return the answer."""
        if not inputs or not all(isinstance(v, Variable) for v in inputs):
            raise UserError("MultimodalLLMCall takes a non-empty list of Variables")
        content = [v.value for v in inputs]
        return await self._call(inputs, content, response_role_description, generate_kwargs)

    async def _call(
        self,
        inputs: list[Variable],
        content: list[str | bytes],
        response_role_description: str,
        generate_kwargs: dict[str, Any],
    ) -> Variable:
        """Send ``content`` (built from ``inputs``) and wire the answer to ``inputs``."""
        engine = resolve_engine(self.engine, type(self).__name__)
        system = str(self.system_prompt) if self.system_prompt is not None else None
        text = await agenerate_with(engine, content, system_prompt=system, **generate_kwargs)
        preds = list(inputs)
        if self.system_prompt is not None:
            preds.append(self.system_prompt)
        response = new_result(text, preds, response_role_description)
        if response.predecessors:
            shown = "\n".join("[image]" if isinstance(c, bytes) else str(c) for c in content)
            text_inputs = [v for v in preds if not isinstance(v.value, bytes)]
            conversation = conversation_text(system, shown, text)
            response.set_grad_fn(llm_backward(response, text_inputs, conversation))
        return response
