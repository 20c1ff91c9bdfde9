"""TextGrad-compatible path ``engine_experimental``: the litellm engine lives here too."""

from .litellm import LiteLLMEngine
from .openai import OpenAIEngine

__all__ = ["LiteLLMEngine", "OpenAIEngine"]
