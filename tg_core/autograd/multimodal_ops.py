"""TextGrad's ``autograd.multimodal_ops`` path: model calls on text and images, by field too."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..errors import UserError
from ..utils.image_utils import ImageURL
from ..variable import Variable
from .multimodal_llm_call import MultimodalLLMCall

__all__ = ["MultimodalLLMCall", "OrderedFieldsMultimodalLLMCall"]


class OrderedFieldsMultimodalLLMCall(MultimodalLLMCall):
    """A multimodal call on named inputs sent in ``fields`` order, text labelled by its field.

    A text input goes out as ``"<field>: <value>"``, an image (bytes or an image URL) as the
    image itself.

    Args:
        engine: an engine or engine name (``None``: the backward engine at call time).
        fields: the input names, in the order they are sent.
        system_prompt: optional system prompt Variable or string.

    Example:
        >>> from tg_core.engine.fake import FakeEngine
        >>> fake = FakeEngine(["a red square"])
        >>> call = OrderedFieldsMultimodalLLMCall(fake, fields=["Question", "Image"])
        >>> png = b"\\x89PNG\\r\\n\\x1a\\n" + b"0" * 8
        >>> out = call({"Image": Variable(png, role_description="image", requires_grad=False),
        ...             "Question": Variable("What is it?", role_description="question")})
        >>> out.value, fake.calls[0].content[0]
        ('a red square', 'Question: What is it?')
    """

    def __init__(
        self, engine: Any, fields: Sequence[str], system_prompt: Variable | str | None = None
    ) -> None:
        super().__init__(engine, system_prompt)
        self.fields = list(fields)

    async def aforward(  # type: ignore[override]
        self,
        inputs: dict[str, Variable],
        response_role_description: str = "response from the language model",
        **generate_kwargs: Any,
    ) -> Variable:
        """Send the inputs in field order and return the answer."""
        if set(inputs) != set(self.fields):
            raise UserError(f"inputs have keys {sorted(inputs)} but the fields are {self.fields}")
        ordered = [inputs[f] for f in self.fields]
        content: list[str | bytes] = [
            v.value if isinstance(v.value, (bytes, ImageURL)) else f"{f}: {v.value}"
            for f, v in zip(self.fields, ordered)
        ]
        return await self._call(ordered, content, response_role_description, generate_kwargs)
