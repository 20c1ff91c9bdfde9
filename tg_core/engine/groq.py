"""TextGrad's ``engine.groq`` path: models hosted by Groq (key in ``$GROQ_API_KEY``)."""

from __future__ import annotations

from typing import Any

from .litellm_engine import DEFAULT_SYSTEM_PROMPT
from .provider_engines import ProviderEngine

__all__ = ["ChatGroq"]


class ChatGroq(ProviderEngine):
    """Groq-hosted models through litellm (a ``groq-`` prefix, as TextGrad names them, is dropped).

    Example:
        >>> ChatGroq("groq-llama3-70b-8192", api_key="k").model_string
        'groq/llama3-70b-8192'
    """

    provider = "groq"
    key_env = ("GROQ_API_KEY",)
    default_model = "llama3-70b-8192"
    keyless_with_api_base = False

    def __init__(
        self,
        model_string: str = default_model,
        system_prompt: str = DEFAULT_SYSTEM_PROMPT,
        **kwargs: Any,
    ) -> None:
        super().__init__(model_string.removeprefix("groq-"), system_prompt, **kwargs)
