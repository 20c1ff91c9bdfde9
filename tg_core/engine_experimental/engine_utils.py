"""TextGrad's ``engine_experimental.engine_utils`` path: image checks and chat content parts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..engine.content import content_parts
from ..engine.engine_utils import get_image_type_from_bytes, is_jpeg, is_png

__all__ = ["get_image_type_from_bytes", "is_jpeg", "is_png", "open_ai_like_formatting"]


def open_ai_like_formatting(content: Sequence[str | bytes]) -> list[dict[str, Any]]:
    """Text and image bytes as OpenAI chat content parts (images inline as data URLs).

    Example:
        >>> open_ai_like_formatting(["hi"])
        [{'type': 'text', 'text': 'hi'}]
    """
    parts = content_parts(list(content))
    assert isinstance(parts, list)
    return parts
