"""TextGrad's ``engine.gemini`` path: Google's Gemini models (key in ``$GOOGLE_API_KEY``)."""

from __future__ import annotations

from .provider_engines import ProviderEngine

__all__ = ["ChatGemini"]


class ChatGemini(ProviderEngine):
    """Gemini through litellm; the key is TextGrad's ``$GOOGLE_API_KEY`` (or ``$GEMINI_API_KEY``).

    Example:
        >>> ChatGemini("gemini-1.5-pro", api_key="k").model_string
        'gemini/gemini-1.5-pro'
    """

    provider = "gemini"
    key_env = ("GOOGLE_API_KEY", "GEMINI_API_KEY")
    default_model = "gemini-pro"
    keyless_with_api_base = False
