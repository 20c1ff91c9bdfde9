"""The engine protocol: ``EngineLM`` (TextGrad-compatible) with an async ``agenerate``."""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

from .content import content_text
from .guard import guarded_attempt
from .placement import call_sync


class EngineLM(ABC):
    """Base class of every engine; subclass it and implement ``generate`` (sync) to plug in a model.

    The core calls :meth:`agenerate`. For a subclass that only implements ``generate`` (the
    TextGrad style) ``agenerate`` runs it in a worker thread, so many calls run at once,
    counted in usage and held to budgets and the concurrency limit (an engine whose calls
    take microseconds is called inline instead: see :func:`~tg_core.engine.placement.call_sync`).

    Example:
        >>> class Echo(EngineLM):
        ...     model_string = "echo"
        ...     def generate(self, prompt, system_prompt=None, **kwargs):
        ...         return f"echo: {prompt}"
        >>> Echo()("hi")
        'echo: hi'
    """

    system_prompt: str = "You are a helpful, creative, and smart assistant."
    model_string: str = "custom"
    is_multimodal: bool = False

    @abstractmethod
    def generate(
        self, prompt: str | Sequence[Any], system_prompt: str | None = None, **kwargs: Any
    ) -> str:
        """Answer ``prompt`` (text, or a list of text and image parts)."""

    async def agenerate(
        self, prompt: str | Sequence[Any], system_prompt: str | None = None, **kwargs: Any
    ) -> str:
        """Async ``generate``: the method the core calls."""
        text = content_text(prompt) + (system_prompt or "")

        async def attempt() -> str:
            result = await call_sync(self, self.generate, prompt, system_prompt, **kwargs)
            return str(result)

        return await guarded_attempt(text, kwargs.get("max_tokens"), attempt)

    def __call__(self, prompt: Any, system_prompt: str | None = None, **kwargs: Any) -> str:
        """Same as :meth:`generate`."""
        return self.generate(prompt, system_prompt=system_prompt, **kwargs)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.model_string!r})"


CachedEngine = EngineLM
"""Alias kept for code written against TextGrad's ``CachedEngine`` base."""


async def agenerate_with(
    engine: Any, prompt: str | Sequence[Any], system_prompt: str | None = None, **kwargs: Any
) -> str:
    """Call any engine-like object asynchronously.

    Our engines (anything with ``agenerate``) are awaited; a foreign object that only has a
    sync ``generate`` (for example a TextGrad engine instance) runs in a worker thread under
    the same budget and concurrency rules.

    Example:
        >>> import asyncio
        >>> from tg_core.engine.fake import FakeEngine
        >>> asyncio.run(agenerate_with(FakeEngine(["ok"]), "hi"))
        'ok'
    """
    agen = getattr(engine, "agenerate", None)
    if agen is not None and asyncio.iscoroutinefunction(agen):
        return str(await agen(prompt, system_prompt=system_prompt, **kwargs))
    gen = getattr(engine, "generate", None)
    if gen is None:
        raise TypeError(f"{engine!r} is not an engine: it has neither agenerate nor generate")
    text = content_text(prompt) + (system_prompt or "")

    async def attempt() -> str:
        return str(await call_sync(engine, gen, prompt, system_prompt=system_prompt, **kwargs))

    return await guarded_attempt(text, kwargs.get("max_tokens"), attempt)
