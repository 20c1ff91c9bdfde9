"""TextGrad's ``engine_experimental.openai`` path: OpenAI, or the server behind a client object."""

from __future__ import annotations

from typing import Any

from ..engine.litellm_engine import DEFAULT_SYSTEM_PROMPT
from ..engine.provider_engines import ProviderEngine, client_settings

__all__ = ["OpenAICompatibleEngine", "OpenAIEngine"]


class OpenAIEngine(ProviderEngine):
    """OpenAI chat models (key in ``$OPENAI_API_KEY``); ``cache`` defaults to off, as in TextGrad.

    Example:
        >>> OpenAIEngine("gpt-4o-mini", api_key="k").model_string
        'openai/gpt-4o-mini'
    """

    provider = "openai"
    key_env = ("OPENAI_API_KEY",)

    def __init__(
        self,
        model_string: str,
        system_prompt: str = DEFAULT_SYSTEM_PROMPT,
        is_multimodal: bool = False,
        cache: Any = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(model_string, system_prompt, is_multimodal, cache=cache, **kwargs)


class OpenAICompatibleEngine(OpenAIEngine):
    """The model behind an ``openai.OpenAI(base_url=..., api_key=...)`` client object.

    Example:
        >>> class Client:
        ...     base_url, api_key = "http://127.0.0.1:8000/v1", "EMPTY"
        >>> OpenAICompatibleEngine(Client(), "my-model").api_base
        'http://127.0.0.1:8000/v1'
    """

    def __init__(
        self,
        client: Any,
        model_string: str,
        system_prompt: str = DEFAULT_SYSTEM_PROMPT,
        is_multimodal: bool = False,
        cache: Any = False,
        **kwargs: Any,
    ) -> None:
        settings = {**client_settings(client), **kwargs}
        super().__init__(model_string, system_prompt, is_multimodal, cache, **settings)
        self.client = client
