"""Engine for the embedded local model: starts (or reuses) the local server on first call."""

from __future__ import annotations

import asyncio
from typing import Any

from ..errors import TransientEngineError
from .base import Answer, EngineRequest
from .litellm_engine import LiteLLMEngine

LOCAL_PREFIX = "local"
DEFAULT_LOCAL_MAX_TOKENS = 512


class LocalEngine(LiteLLMEngine):
    """The local model behind llama.cpp's OpenAI-compatible server (Qwen2.5-Coder-0.5B by default).

    The server is found or started on the first call, not when the engine is made. The model
    is the bundled one, or the user's GGUF named by ``TG_CORE_LOCAL_MODEL`` (checked here, so
    a wrong path fails at once). The cache key uses the model's name, not the server's port,
    so answers are reused across runs.

    Raises:
        OwnModelError: ``TG_CORE_LOCAL_MODEL`` names no readable GGUF file.

    Example:
        >>> LocalEngine(cache=False).model_string
        'local/qwen2.5-coder-0.5b-instruct'
    """

    def __init__(self, cache: Any = True, **kwargs: Any) -> None:
        from ..local.choice import chosen_model

        alias = chosen_model().alias
        kwargs.setdefault("max_tokens", DEFAULT_LOCAL_MAX_TOKENS)
        kwargs.setdefault("temperature", 0.0)
        kwargs.setdefault("timeout", 600.0)
        super().__init__(f"{LOCAL_PREFIX}/{alias}", cache=cache, **kwargs)
        self._alias = alias
        self._api_key = "EMPTY"

    async def _acall(self, request: EngineRequest) -> Answer:
        try:
            return await super()._acall(request)
        except TransientEngineError:
            self.api_base = None  # the server may have moved: find (or start) it again on retry
            raise

    async def _price_rates(self) -> tuple[float, float] | None:
        """The local model costs nothing per token."""
        return (0.0, 0.0)

    async def _resolve_endpoint(self) -> tuple[str, str | None]:
        if self.api_base is None:
            from ..local import ensure_server

            server = await asyncio.to_thread(ensure_server)
            self.api_base = server.base_url
        return f"openai/{self._alias}", self.api_base
