"""Turns prompt content (text, image bytes, paths, URLs) into chat message parts."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import UserError
from ..utils.image_utils import ImageURL

_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp")


def image_mime(data: bytes) -> str:
    """MIME type of image bytes from their magic number.

    Example:
        >>> image_mime(b"\\x89PNG\\r\\n\\x1a\\n....")
        'image/png'
    """
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    raise UserError(
        "content holds bytes that are not a PNG, JPEG, GIF or WebP image; "
        "pass text as str and images as their file bytes"
    )


def _is_image_url(item: str) -> bool:
    low = item.lower().split("?", 1)[0]
    return item.startswith(("http://", "https://")) and low.endswith(_IMAGE_SUFFIXES)


def content_parts(content: str | Sequence[Any]) -> str | list[dict[str, Any]]:
    """Message content for a chat API: a str stays a str, a list becomes typed parts.

    Bytes and :class:`pathlib.Path` items become inline images, an
    :class:`~tg_core.utils.image_utils.ImageURL` or an ``http(s)`` URL ending in an image
    suffix becomes an image URL, other strings become text parts.

    Example:
        >>> content_parts(["what is this?"])
        [{'type': 'text', 'text': 'what is this?'}]
    """
    if isinstance(content, str):
        return content
    parts: list[dict[str, Any]] = []
    for item in content:
        if isinstance(item, Path):
            item = item.read_bytes()
        if isinstance(item, (bytes, bytearray)):
            data = bytes(item)
            url = f"data:{image_mime(data)};base64,{base64.b64encode(data).decode('ascii')}"
            parts.append({"type": "image_url", "image_url": {"url": url}})
        elif isinstance(item, ImageURL) or (isinstance(item, str) and _is_image_url(item)):
            parts.append({"type": "image_url", "image_url": {"url": item}})
        elif isinstance(item, str):
            parts.append({"type": "text", "text": item})
        else:
            raise UserError(
                f"content items must be str, bytes or pathlib.Path, got {type(item).__name__}"
            )
    return parts


def content_text(content: str | Sequence[Any]) -> str:
    """The text of prompt content, with each image counted as a short placeholder.

    Example:
        >>> content_text(["a", b"\\x89PNG\\r\\n\\x1a\\n"])
        'a\\n[image]'
    """
    if isinstance(content, str):
        return content
    out = []
    for item in content:
        out.append(item if isinstance(item, str) else "[image]")
    return "\n".join(out)
