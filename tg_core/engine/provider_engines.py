"""TextGrad's per-provider engine classes, each a litellm engine on that provider's models."""

from __future__ import annotations

import os
from typing import Any, ClassVar

from ..errors import UserError
from .litellm_engine import DEFAULT_SYSTEM_PROMPT, LiteLLMEngine


class ProviderEngine(LiteLLMEngine):
    """A :class:`LiteLLMEngine` for one provider, built with TextGrad's constructor arguments.

    Subclasses name the litellm ``provider`` prefix, the environment variables that may hold
    the key (the first one set is sent, unless ``api_key=`` is given) and a default model.
    A missing key is refused when the engine is made, not at its first call.

    Example:
        >>> class Echo(ProviderEngine):
        ...     provider, default_model = "openai", "gpt-4o-mini"
        >>> Echo(api_base="http://localhost:8000/v1").model_string
        'openai/gpt-4o-mini'
    """

    provider: ClassVar[str] = "openai"
    key_env: ClassVar[tuple[str, ...]] = ()
    default_model: ClassVar[str] = ""
    keyless_with_api_base: ClassVar[bool] = True
    """Whether a self-hosted endpoint (``api_base=``) may go without a key."""

    def __init__(
        self,
        model_string: str | None = None,
        system_prompt: str = DEFAULT_SYSTEM_PROMPT,
        is_multimodal: bool = False,
        *,
        cache: Any = True,
        **kwargs: Any,
    ) -> None:
        model = model_string or self.default_model
        if not model:
            raise UserError(f"{type(self).__name__} needs a model_string")
        if kwargs.get("api_key") is None and self.key_env:
            found = [os.environ[k] for k in self.key_env if os.environ.get(k)]
            if found:
                kwargs["api_key"] = found[0]
            elif not (self.keyless_with_api_base and kwargs.get("api_base")):
                raise UserError(
                    f"{type(self).__name__} needs an API key: set {' or '.join(self.key_env)} "
                    "in the environment, or pass api_key="
                )
        prefix = f"{self.provider}/"
        full = model if model.startswith(prefix) else prefix + model
        super().__init__(full, system_prompt, is_multimodal, cache=cache, **kwargs)


def client_settings(client: Any) -> dict[str, Any]:
    """``api_base`` and ``api_key`` of an ``openai.OpenAI``-style client object.

    Example:
        >>> class Client:
        ...     base_url, api_key = "http://127.0.0.1:8000/v1/", "EMPTY"
        >>> client_settings(Client())
        {'api_base': 'http://127.0.0.1:8000/v1', 'api_key': 'EMPTY'}
    """
    base = getattr(client, "base_url", None)
    if base is None:
        raise UserError(
            f"{type(client).__name__} has no base_url: pass an openai.OpenAI(base_url=..., "
            "api_key=...) client"
        )
    return {"api_base": str(base).rstrip("/"), "api_key": getattr(client, "api_key", None)}
