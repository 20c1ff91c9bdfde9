"""The test override: while set, every engine name and every litellm call goes to one engine."""

from __future__ import annotations

import contextvars
from typing import Any

_OVERRIDE: contextvars.ContextVar[Any] = contextvars.ContextVar(
    "tg_core_engine_override", default=None
)


def active_override() -> Any:
    """The engine set by ``override_engines`` here, or None."""
    return _OVERRIDE.get()
