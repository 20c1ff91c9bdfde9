"""TextGrad's ``engine.engine_utils`` path: recognise image bytes by their magic number."""

from __future__ import annotations

from .content import image_mime

__all__ = ["get_image_type_from_bytes", "is_jpeg", "is_png"]


def is_jpeg(data: bytes) -> bool:
    """Whether ``data`` starts like a JPEG file.

    Example:
        >>> is_jpeg(b"\\xff\\xd8\\xff\\xe0"), is_jpeg(b"GIF89a")
        (True, False)
    """
    return data[:3] == b"\xff\xd8\xff"


def is_png(data: bytes) -> bool:
    """Whether ``data`` starts like a PNG file.

    Example:
        >>> is_png(b"\\x89PNG\\r\\n\\x1a\\n..."), is_png(b"abc")
        (True, False)
    """
    return data.startswith(b"\x89PNG\r\n\x1a\n")


def get_image_type_from_bytes(data: bytes) -> str:
    """``"png"``, ``"jpeg"``, ``"gif"`` or ``"webp"`` for image bytes.

    Raises:
        UserError: the bytes are not one of those images (a ``ValueError``, as in TextGrad).

    Example:
        >>> get_image_type_from_bytes(b"\\xff\\xd8\\xff\\xe0")
        'jpeg'
    """
    return image_mime(data).split("/", 1)[1]
