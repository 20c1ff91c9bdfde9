"""``DSPyLMEngine``: a tg_core engine that calls a configured ``dspy.LM``."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

from tg_core.extend import Answer, EngineError, EngineLM, EngineRequest, TgCoreError, run_in_worker
from tg_core.extend import as_engine as core_as_engine

from .errors import DSPyAdapterError
from .lm_calls import build_request, call_usage


class DSPyLMEngine(EngineLM):
    """Use the ``dspy.LM`` you configured as the backward and optimizer engine.

    Each call is one ``lm.acall(Request)`` with a ``dspy.lm15.Request`` (the request form
    DSPy keeps; ``lm(Request)`` in a worker thread for an LM without ``acall``), run under
    tg_core's budgets and concurrency limit; token counts and cost come from the LM's own
    record of the call when it has one. DSPy's response cache and retries apply as for any
    call of that LM.

    Args:
        lm: a ``dspy.LM`` (or any ``dspy.BaseLM``).
        **defaults: generation settings for every call (``temperature``, ``max_tokens``...).

    Example:
        >>> from dspy.utils import DummyLM
        >>> engine = DSPyLMEngine(DummyLM([{"answer": "Be brief."}]))
        >>> "Be brief." in engine.generate("How should the prompt change?")
        True
    """

    def __init__(self, lm: Any, **defaults: Any) -> None:
        if not (hasattr(lm, "acall") or callable(lm)):
            raise DSPyAdapterError(f"{lm!r} is not a DSPy LM")
        self.lm = lm
        self.defaults = defaults
        self.model_string = str(getattr(lm, "model", type(lm).__name__))

    def _system_for(self, system_prompt: str | None) -> str | None:
        return system_prompt or None  # no system message unless one is given

    def _default_settings(self) -> dict[str, Any]:
        return self.defaults

    def _max_tokens(self, settings: dict[str, Any]) -> int | None:
        value = settings.get("max_tokens") or getattr(self.lm, "kwargs", {}).get("max_tokens")
        return value if isinstance(value, int) else None

    async def _call(self, messages: list[dict[str, Any]], settings: dict[str, Any]) -> Any:
        request, options = build_request(self.lm, messages, settings)
        acall = getattr(self.lm, "acall", None)
        if acall is not None and inspect.iscoroutinefunction(acall):
            return await acall(request, **options)
        return await run_in_worker(self.lm, request, **options)

    async def _acall(self, request: EngineRequest) -> Answer:
        """Call the LM once with an optional system message and the prompt as user message."""
        try:
            response = await self._call(request.messages, request.settings)
        except (TgCoreError, asyncio.CancelledError):
            raise
        except Exception as exc:
            raise EngineError(
                f"the DSPy LM call failed: {type(exc).__name__}: {exc}",
                engine=self.model_string,
                hint="check the LM's model name, api_base and api_key",
            ) from exc
        text = getattr(response, "text", None)
        if not isinstance(text, str):
            raise EngineError("the DSPy LM returned no text", engine=self.model_string)
        used = call_usage(self.lm, response)
        return used.answer(text) if used is not None else Answer(text)


def resolve_engine(engine: Any) -> Any:
    """A tg_core engine for ``engine``: a ``dspy.LM`` is wrapped, names and engines pass.

    Example:
        >>> from dspy.utils import DummyLM
        >>> type(resolve_engine(DummyLM([]))).__name__
        'DSPyLMEngine'
    """
    if engine is None:
        return None
    import dspy

    if isinstance(engine, dspy.BaseLM):
        return DSPyLMEngine(engine)
    return core_as_engine(engine)
