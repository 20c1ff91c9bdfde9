"""Engine names: TextGrad's shortcuts, and refusing a model string no provider can serve."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import UserError

# TextGrad's one-word shortcuts and the model each one names.
SHORTCUTS = {
    "opus": "claude-3-opus-20240229",
    "haiku": "claude-3-haiku-20240307",
    "sonnet": "claude-3-sonnet-20240229",
    "sonnet-3.5": "claude-3-5-sonnet-20240620",
    "together-llama-3-70b": "together-meta-llama/Llama-3-70b-chat-hf",
    "vllm-llama-3-8b": "vllm-meta-llama/Meta-Llama-3-8B-Instruct",
}

# litellm providers common enough to accept by prefix without importing litellm (slow).
_COMMON_PROVIDERS = frozenset(
    {
        "openai",
        "azure",
        "anthropic",
        "gemini",
        "vertex_ai",
        "bedrock",
        "together_ai",
        "groq",
        "ollama",
        "ollama_chat",
        "hosted_vllm",
        "cohere",
        "cohere_chat",
        "mistral",
        "deepseek",
        "openrouter",
        "fireworks_ai",
        "huggingface",
        "xai",
        "perplexity",
        "lm_studio",
    }
)
# Bare names OpenAI, Anthropic and Google models start with (litellm routes them by name).
_BARE_PREFIXES = ("gpt-", "chatgpt-", "o1", "o3", "o4", "claude-", "gemini-", "command")

KNOWN_FORMS = (
    "a TextGrad short name ('gpt-4o', 'claude-3-5-sonnet-20240620', 'sonnet-3.5', "
    "'together-<model>', 'ollama-<model>', 'groq-<model>', 'azure-<deployment>'), "
    "a litellm model string '<provider>/<model>' ('openai/gpt-4o-mini', "
    "'anthropic/claude-3-5-sonnet-20240620', 'gemini/gemini-1.5-pro'), "
    "'openai/<model>' with api_base= for a self-hosted OpenAI-compatible server, "
    "'experimental:<litellm model>', 'local' (the embedded model) or 'fake' (offline tests)"
)


def expand_shortcut(name: str) -> str:
    """The model a TextGrad shortcut stands for (other names unchanged).

    Example:
        >>> expand_shortcut("sonnet-3.5"), expand_shortcut("gpt-4o")
        ('claude-3-5-sonnet-20240620', 'gpt-4o')
    """
    return SHORTCUTS.get(name, name)


def check_routable(model: str, settings: Mapping[str, Any]) -> str:
    """Return ``model`` if some provider can serve it, else raise a UserError listing the forms.

    A model with an ``api_base`` or a ``router`` in ``settings`` is the caller's to route;
    common provider prefixes and bare OpenAI/Anthropic/Gemini names are accepted at once;
    anything else is asked of litellm's provider resolution (which imports litellm).

    Example:
        >>> check_routable("openai/my-model", {"api_base": "http://localhost:8000/v1"})
        'openai/my-model'
        >>> check_routable("gpt-4o-mini", {})
        'gpt-4o-mini'
    """
    if settings.get("api_base") is not None or settings.get("router") is not None:
        return model
    provider, slash, _ = model.partition("/")
    if (slash and provider in _COMMON_PROVIDERS) or (
        not slash and model.startswith(_BARE_PREFIXES)
    ):
        return model
    from .litellm_engine import import_litellm

    try:
        import_litellm().get_llm_provider(model)
    except Exception as exc:
        raise UserError(f"no provider serves the model {model!r}; use {KNOWN_FORMS}") from exc
    return model
