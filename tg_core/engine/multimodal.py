"""Whether an engine takes images: TextGrad's ``validate_multimodal_engine``."""

from __future__ import annotations

from typing import Any

from ..errors import UserError

# The models TextGrad 0.1.8 accepts for image inputs by name.
TEXTGRAD_MULTIMODAL_MODELS = frozenset(
    {
        "gpt-4-turbo",
        "gpt-4o",
        "claude-3-5-sonnet-20240620",
        "claude-3-opus-20240229",
        "claude-3-sonnet-20240229",
        "claude-3-haiku-20240307",
        "gpt-4-turbo-2024-04-09",
    }
)


def validate_multimodal_engine(engine: Any) -> None:
    """Raise unless ``engine`` takes images: it says so (``is_multimodal``) or its model is one
    TextGrad lists as multimodal.

    Raises:
        UserError: the engine does not take images (a ``ValueError``, as in TextGrad).

    Example:
        >>> from tg_core.engine.litellm_engine import LiteLLMEngine
        >>> validate_multimodal_engine(LiteLLMEngine("openai/gpt-4o"))
        >>> from tg_core.engine.fake import FakeEngine
        >>> validate_multimodal_engine(FakeEngine())  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        tg_core.errors.UserError: the engine FakeEngine('fake') does not take images...
    """
    model = str(getattr(engine, "model_string", ""))
    if getattr(engine, "is_multimodal", False) or model.rsplit("/", 1)[-1] in (
        TEXTGRAD_MULTIMODAL_MODELS
    ):
        return
    raise UserError(
        f"the engine {engine!r} does not take images; use a multimodal model such as "
        "'gpt-4o' or 'claude-3-5-sonnet-20240620', or an engine with is_multimodal=True"
    )
