"""TextGrad's ``engine.guidance`` path: constrained decoding with ``guidance`` is not offered."""

from __future__ import annotations

from typing import Any

from ..errors import UserError
from .base import EngineLM

__all__ = ["GuidanceEngine"]


class GuidanceEngine(EngineLM):
    """Not offered: tg_core runs models behind an API, not inside the process.

    Serve the model with vLLM, SGLang, llama.cpp or Ollama and use
    ``tg.get_engine("openai/<model>", api_base=...)``; the optimizer's tag parsing and repair
    request stand in for guidance's constrained output.

    Raises:
        UserError: always, saying what to use instead.

    Example:
        >>> GuidanceEngine()  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        tg_core.errors.UserError: GuidanceEngine (in-process guidance models) is not offered...
    """

    def __init__(self, model_string: str = "", *args: Any, **kwargs: Any) -> None:
        raise UserError(
            "GuidanceEngine (in-process guidance models) is not offered by tg_core: serve the "
            "model with vLLM, SGLang, llama.cpp or Ollama and use "
            "tg.get_engine('openai/<model>', api_base='http://<host>:<port>/v1')"
        )

    def generate(self, prompt: Any, system_prompt: str | None = None, **kwargs: Any) -> str:
        """Never reached: the constructor refuses."""
        raise UserError("GuidanceEngine is not offered by tg_core")
