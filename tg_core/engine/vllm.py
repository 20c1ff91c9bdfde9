"""TextGrad's ``engine.vllm`` path: a model served by vLLM, reached over its OpenAI API."""

from __future__ import annotations

import os
from typing import Any

from ..errors import UserError
from .litellm_engine import DEFAULT_SYSTEM_PROMPT
from .provider_engines import ProviderEngine

__all__ = ["ChatVLLM"]


class ChatVLLM(ProviderEngine):
    """A vLLM server's model (``vllm serve <model>``): give ``api_base=`` or ``$VLLM_API_BASE``.

    TextGrad loads the model inside the Python process; here the model runs in vLLM's own
    server, so one server can serve many processes and scale out.

    Raises:
        UserError: no server address was given.

    Example:
        >>> ChatVLLM("meta-llama/Meta-Llama-3-8B-Instruct", api_base="http://gpu:8000/v1").model_string
        'hosted_vllm/meta-llama/Meta-Llama-3-8B-Instruct'
    """

    provider = "hosted_vllm"
    default_model = "meta-llama/Meta-Llama-3-8B-Instruct"

    def __init__(
        self,
        model_string: str = default_model,
        system_prompt: str = DEFAULT_SYSTEM_PROMPT,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("api_base", os.getenv("VLLM_API_BASE"))
        if not kwargs["api_base"]:
            raise UserError(
                "ChatVLLM talks to a vLLM server: start one (vllm serve <model>) and pass "
                "api_base='http://<host>:8000/v1' or set $VLLM_API_BASE"
            )
        super().__init__(model_string, system_prompt, **kwargs)
