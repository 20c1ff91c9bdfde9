"""TextGrad's ``engine.anthropic`` path: Claude models (key in ``$ANTHROPIC_API_KEY``)."""

from __future__ import annotations

from .provider_engines import ProviderEngine

__all__ = ["ChatAnthropic"]


class ChatAnthropic(ProviderEngine):
    """Anthropic's Claude models through litellm.

    Example:
        >>> ChatAnthropic("claude-3-5-sonnet-20240620", api_key="k").model_string
        'anthropic/claude-3-5-sonnet-20240620'
    """

    provider = "anthropic"
    key_env = ("ANTHROPIC_API_KEY",)
    default_model = "claude-3-opus-20240229"
    keyless_with_api_base = False
