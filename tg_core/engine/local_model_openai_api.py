"""TextGrad's ``engine.local_model_openai_api`` path: an engine from an OpenAI client object."""

from __future__ import annotations

from typing import Any

from .litellm_engine import DEFAULT_SYSTEM_PROMPT
from .provider_engines import ProviderEngine, client_settings

__all__ = ["ChatExternalClient"]


class ChatExternalClient(ProviderEngine):
    """The model behind an ``openai.OpenAI(base_url=..., api_key=...)`` client (LM Studio,
    llama.cpp, vLLM, Ollama ...): calls go to the client's ``base_url`` with its key.

    Example:
        >>> class Client:
        ...     base_url, api_key = "http://127.0.0.1:1234/v1/", "lm-studio"
        >>> engine = ChatExternalClient(client=Client(), model_string="qwen2.5")
        >>> engine.model_string, engine.api_base
        ('openai/qwen2.5', 'http://127.0.0.1:1234/v1')
    """

    provider = "openai"

    def __init__(
        self,
        client: Any,
        model_string: str,
        system_prompt: str = DEFAULT_SYSTEM_PROMPT,
        **kwargs: Any,
    ) -> None:
        super().__init__(model_string, system_prompt, **{**client_settings(client), **kwargs})
        self.client = client
