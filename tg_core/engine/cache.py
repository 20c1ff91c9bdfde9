"""Disk cache of model answers, keyed by a SHA-256 of canonical JSON without secrets."""

from __future__ import annotations

import functools
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from ..fs import ensure_private_dir as make_private_dir
from ..fs import tg_core_home
from ..secrets import is_secret_name

__all__ = [
    "ResponseCache",
    "cache_key",
    "default_cache_dir",
    "key_settings",
    "make_private_dir",
    "tg_core_home",
]

# Settings that say where or how to connect, not what to answer: left out of the key.
_TRANSPORT = {
    "api_base",
    "base_url",
    "api_version",
    "organization",
    "headers",
    "extra_headers",
    "timeout",
    "num_retries",
    "max_retries",
    "metadata",
}


def default_cache_dir() -> Path:
    """Default answer-cache folder: ``$TG_CORE_CACHE_DIR`` or ``<tg_core_home>/llm_cache``."""
    env = os.environ.get("TG_CORE_CACHE_DIR")
    return Path(env) if env else tg_core_home() / "llm_cache"


def key_settings(settings: dict[str, Any]) -> dict[str, Any]:
    """The settings that belong in a cache key: no secrets, no transport options.

    Example:
        >>> key_settings({"temperature": 0, "api_key": "sk-x", "max_tokens": 5})
        {'max_tokens': 5, 'temperature': 0}
    """
    out: dict[str, Any] = {}
    for name in sorted(settings):
        if name in _TRANSPORT:
            continue
        if is_secret_name(name):
            continue
        out[name] = settings[name]
    return out


def cache_key(model: str, messages: list[dict[str, Any]], settings: dict[str, Any]) -> str:
    """SHA-256 of canonical JSON of model, messages and the answer-shaping settings.

    Example:
        >>> k = cache_key("m", [{"role": "user", "content": "hi"}], {"api_key": "sk-secret"})
        >>> k == cache_key("m", [{"role": "user", "content": "hi"}], {})
        True
    """
    payload = {"model": model, "messages": messages, "settings": key_settings(settings)}
    blob = json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )
    # surrogatepass: text decoded with errors="surrogateescape" still gets a stable key
    return hashlib.sha256(blob.encode("utf-8", "surrogatepass")).hexdigest()


@functools.cache
def _text_only_disk() -> Any:
    """A diskcache ``Disk`` that never unpickles: a pickled entry reads as a miss.

    Answers are stored as text; anything pickled in the folder was not written by us, and
    unpickling it could run code.
    """
    import diskcache
    from diskcache.core import MODE_PICKLE

    class TextOnlyDisk(diskcache.Disk):  # type: ignore[misc]
        def get(self, key: Any, raw: bool) -> Any:
            return super().get(key, raw) if raw else None

        def fetch(self, mode: int, filename: str | None, value: Any, read: bool) -> Any:
            return None if mode == MODE_PICKLE else super().fetch(mode, filename, value, read)

    return TextOnlyDisk


class ResponseCache:
    """Answers on disk (diskcache, safe across processes); opened on first use.

    Only non-empty text answers are stored, and only text is read back: a pickled entry
    planted in the folder is never unpickled.

    Example:
        >>> import tempfile
        >>> c = ResponseCache(tempfile.mkdtemp())
        >>> c.set("k", "answer"); c.get("k")
        'answer'
    """

    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        self.directory = Path(directory) if directory is not None else default_cache_dir()
        self._cache: Any = None

    def _open(self) -> Any:
        if self._cache is None:
            import diskcache

            make_private_dir(self.directory)
            self._cache = diskcache.Cache(str(self.directory), disk=_text_only_disk())
        return self._cache

    def get(self, key: str) -> str | None:
        """The stored answer for ``key``, or None."""
        value = self._open().get(key)
        return value if isinstance(value, str) else None

    def set(self, key: str, answer: str) -> None:
        """Store ``answer`` under ``key`` unless it is empty or not valid Unicode text."""
        if not answer:
            return
        try:
            answer.encode("utf-8")
        except UnicodeEncodeError:  # lone surrogates: a malformed answer is not kept
            return
        self._open().set(key, answer)

    def clear(self) -> None:
        """Remove every stored answer."""
        self._open().clear()

    def close(self) -> None:
        """Close the files; the cache reopens on next use."""
        if self._cache is not None:
            self._cache.close()
            self._cache = None

    def __len__(self) -> int:
        return len(self._open())

    def __bool__(self) -> bool:
        return True  # an empty cache is still a cache
