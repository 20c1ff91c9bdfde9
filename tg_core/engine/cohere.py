"""TextGrad's ``engine.cohere`` path: Cohere's Command models (key in ``$COHERE_API_KEY``)."""

from __future__ import annotations

from .provider_engines import ProviderEngine

__all__ = ["ChatCohere"]


class ChatCohere(ProviderEngine):
    """Cohere's chat models through litellm.

    Example:
        >>> ChatCohere("command-r", api_key="k").model_string
        'cohere_chat/command-r'
    """

    provider = "cohere_chat"
    key_env = ("COHERE_API_KEY",)
    default_model = "command-r-plus"
    keyless_with_api_base = False
