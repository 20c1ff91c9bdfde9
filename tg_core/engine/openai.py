"""TextGrad's ``engine.openai`` path: OpenAI (or any OpenAI-compatible ``base_url``) and Azure."""

from __future__ import annotations

import os
from typing import Any

from .litellm_engine import DEFAULT_SYSTEM_PROMPT
from .provider_engines import ProviderEngine

__all__ = ["OLLAMA_BASE_URL", "AzureChatOpenAI", "ChatOpenAI"]

OLLAMA_BASE_URL = os.getenv("OLLAMA_BASE_URL") or "http://localhost:11434/v1"
"""Where an Ollama server answers (``$OLLAMA_BASE_URL``, else Ollama's default port)."""


class ChatOpenAI(ProviderEngine):
    """OpenAI chat models; with ``base_url`` any OpenAI-compatible server (Ollama, vLLM ...).

    The key comes from ``$OPENAI_API_KEY`` (or ``api_key=``); a server at ``base_url`` needs
    none (Ollama's gets ``"ollama"``).

    Example:
        >>> ChatOpenAI("llama3", base_url=OLLAMA_BASE_URL).model_string
        'openai/llama3'
    """

    provider = "openai"
    key_env = ("OPENAI_API_KEY",)
    default_model = "gpt-3.5-turbo-0613"

    def __init__(
        self,
        model_string: str = default_model,
        system_prompt: str = DEFAULT_SYSTEM_PROMPT,
        is_multimodal: bool = False,
        base_url: str | None = None,
        **kwargs: Any,
    ) -> None:
        if base_url:
            kwargs.setdefault("api_base", base_url.rstrip("/"))
            if base_url == OLLAMA_BASE_URL:
                kwargs.setdefault("api_key", "ollama")
        super().__init__(model_string, system_prompt, is_multimodal, **kwargs)
        self.base_url = base_url


class AzureChatOpenAI(ProviderEngine):
    """An Azure OpenAI deployment: ``$AZURE_OPENAI_API_KEY``, ``$AZURE_OPENAI_API_BASE`` and
    ``$AZURE_OPENAI_API_VERSION`` (default ``2023-07-01-preview``), as TextGrad reads them.

    Example:
        >>> AzureChatOpenAI("my-gpt4", api_key="k", api_base="https://x.azure.com").model_string
        'azure/my-gpt4'
    """

    provider = "azure"
    key_env = ("AZURE_OPENAI_API_KEY", "AZURE_API_KEY")
    default_model = "gpt-35-turbo"
    keyless_with_api_base = False

    def __init__(
        self,
        model_string: str = default_model,
        system_prompt: str = DEFAULT_SYSTEM_PROMPT,
        **kwargs: Any,
    ) -> None:
        base = os.getenv("AZURE_OPENAI_API_BASE")
        if base:
            kwargs.setdefault("api_base", base)
        kwargs.setdefault(
            "api_version", os.getenv("AZURE_OPENAI_API_VERSION", "2023-07-01-preview")
        )
        super().__init__(model_string, system_prompt, **kwargs)
