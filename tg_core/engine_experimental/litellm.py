"""TextGrad-compatible import path for :class:`~tg_core.engine.litellm_engine.LiteLLMEngine`."""

from ..engine.litellm_engine import LiteLLMEngine

__all__ = ["LiteLLMEngine"]
