"""``BlackboxLLM``: a model with an (optionally optimizable) system prompt."""

from __future__ import annotations

from typing import Any

from ._async import run_sync
from .autograd.llm_call import LLMCall
from .autograd.module import Module
from .variable import Variable


class BlackboxLLM(Module):
    """A model you call on variables; its system prompt is its parameter.

    Args:
        engine: engine or name; ``None`` uses the backward engine at call time.
        system_prompt: a Variable (set ``requires_grad=True`` to optimize it) or a string.

    Example:
        >>> from tg_core.engine.fake import FakeEngine
        >>> model = BlackboxLLM(FakeEngine(["Paris"]), system_prompt="Be brief.")
        >>> model(Variable("Capital of France?", role_description="question")).value
        'Paris'
    """

    def __init__(self, engine: Any = None, system_prompt: Variable | str | None = None) -> None:
        self.llm_call = LLMCall(engine, system_prompt=system_prompt)
        self.engine = self.llm_call.engine
        self.system_prompt = self.llm_call.system_prompt

    def parameters(self) -> list[Variable]:
        """The system prompt, when there is one."""
        return [self.system_prompt] if self.system_prompt is not None else []

    async def aforward(self, x: Variable, **generate_kwargs: Any) -> Variable:
        """Answer ``x``."""
        return await self.llm_call.aforward(x, **generate_kwargs)

    def forward(self, x: Variable, **generate_kwargs: Any) -> Variable:
        """Sync :meth:`aforward`."""
        return run_sync(self.aforward(x, **generate_kwargs))

    def __call__(self, x: Variable, **generate_kwargs: Any) -> Variable:
        return self.forward(x, **generate_kwargs)
