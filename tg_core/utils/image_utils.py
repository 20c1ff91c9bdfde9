"""Images for variables: file paths read to bytes, URLs kept as typed image URLs, a URL cache."""

from __future__ import annotations

import hashlib
from pathlib import Path
from urllib.parse import urlparse

from ..errors import TgCoreError, UserError

__all__ = ["ImageURL", "download_and_cache_image", "is_valid_url", "read_image_source"]


class ImageURL(str):
    """A URL that names an image: sent to the model as an image part, never as text.

    Example:
        >>> url = ImageURL("https://example.com/cat.png")
        >>> isinstance(url, str), url
        (True, 'https://example.com/cat.png')
    """

    __slots__ = ()


def is_valid_url(url: str) -> bool:
    """Whether ``url`` has a scheme and a host (``https://host/...``), unlike a file path.

    Example:
        >>> is_valid_url("https://example.com/a.png"), is_valid_url("images/a.png")
        (True, False)
    """
    parsed = urlparse(url)
    return bool(parsed.scheme and parsed.netloc)


def read_image_source(image_path: str) -> bytes | ImageURL:
    """The value of an image variable: a URL stays a (typed) URL, a file is read as bytes.

    The engine's content builder forwards a URL to the provider as an image part, so nothing
    is downloaded here.

    Raises:
        UserError: the path is not a readable file.

    Example:
        >>> read_image_source("https://example.com/cat.png")
        'https://example.com/cat.png'
        >>> read_image_source("/no/such/image.png")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        tg_core.errors.UserError: image_path '/no/such/image.png' is not a readable file...
    """
    if is_valid_url(image_path):
        return ImageURL(image_path)
    path = Path(image_path)
    try:
        return path.read_bytes()
    except OSError as exc:
        raise UserError(
            f"image_path {image_path!r} is not a readable file ({exc.strerror}); "
            "give the path of a PNG/JPEG file or an http(s) URL of an image"
        ) from exc


def download_and_cache_image(image_url: str) -> bytes:
    """The bytes of the image at ``image_url``, downloaded once into ``<tg_core home>/image_cache``.

    Raises:
        UserError: ``image_url`` is not an http(s) URL.
        TgCoreError: the download failed.

    Example:
        >>> download_and_cache_image("not a url")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        tg_core.errors.UserError: not an image URL: 'not a url'...
    """
    if not is_valid_url(image_url):
        raise UserError(f"not an image URL: {image_url!r}; give an http(s) URL")
    import httpx

    from ..engine.cache import make_private_dir, tg_core_home

    folder = tg_core_home() / "image_cache"
    target = folder / hashlib.sha256(image_url.encode("utf-8")).hexdigest()
    if target.is_file():
        return target.read_bytes()
    try:
        response = httpx.get(image_url, timeout=30.0, follow_redirects=True)
        response.raise_for_status()
    except httpx.HTTPError as exc:
        raise TgCoreError(f"could not download the image {image_url} ({exc})") from exc
    make_private_dir(folder)
    partial = target.with_suffix(".part")
    partial.write_bytes(response.content)
    partial.replace(target)
    return response.content
