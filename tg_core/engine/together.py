"""TextGrad's ``engine.together`` path: models hosted by Together AI (``$TOGETHER_API_KEY``)."""

from __future__ import annotations

from .provider_engines import ProviderEngine

__all__ = ["ChatTogether"]


class ChatTogether(ProviderEngine):
    """Together AI through litellm.

    Example:
        >>> ChatTogether("meta-llama/Llama-3-8b-chat-hf", api_key="k").model_string
        'together_ai/meta-llama/Llama-3-8b-chat-hf'
    """

    provider = "together_ai"
    key_env = ("TOGETHER_API_KEY", "TOGETHERAI_API_KEY")
    default_model = "meta-llama/Llama-3-70b-chat-hf"
    keyless_with_api_base = False
