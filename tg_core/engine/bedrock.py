"""TextGrad's ``engine.bedrock`` path: models on AWS Bedrock (AWS credentials as usual)."""

from __future__ import annotations

from typing import Any

from .litellm_engine import DEFAULT_SYSTEM_PROMPT
from .provider_engines import ProviderEngine

__all__ = ["ChatBedrockEngine"]


class ChatBedrockEngine(ProviderEngine):
    """A Bedrock model through litellm; the client's region is used, credentials come from
    the usual AWS chain (environment, profile, role).

    Example:
        >>> ChatBedrockEngine(None, "anthropic.claude-3-haiku-20240307-v1:0").model_string
        'bedrock/anthropic.claude-3-haiku-20240307-v1:0'
    """

    provider = "bedrock"
    default_model = "anthropic.claude-3-sonnet-20240229-v1:0"

    def __init__(
        self,
        bedrock_client: Any = None,
        model_string: str = default_model,
        system_prompt: str = DEFAULT_SYSTEM_PROMPT,
        is_multimodal: bool = False,
        **kwargs: Any,
    ) -> None:
        region = getattr(getattr(bedrock_client, "meta", None), "region_name", None)
        if region:
            kwargs.setdefault("aws_region_name", region)
        super().__init__(model_string, system_prompt, is_multimodal, **kwargs)
        self.bedrock_client = bedrock_client
