"""Turns a provider's or a framework's exception into a typed engine error, with secrets redacted."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from ..errors import EngineError, TransientEngineError
from ..secrets import redact_text
from .openai_http import status_hint
from .retry import retry_after_seconds

_TRANSIENT_NAMES = frozenset({"Timeout", "APIConnectionError", "APITimeoutError", "ReadTimeout"})


def to_engine_error(
    exc: BaseException, engine: str, secrets: Sequence[str | None] = ()
) -> EngineError:
    """Map a provider exception to a typed error: transient (retried) or permanent.

    Transient: HTTP 408, 409, 429 and 5xx, timeouts and dropped connections (with the
    provider's ``Retry-After`` when it sent one). The body is redacted: ``secrets`` (the
    engine's key), keys found in the environment and key-shaped strings never reach the
    message, even when the provider echoes them.

    Example:
        >>> type(to_engine_error(TimeoutError("slow"), "openai/m")).__name__
        'TransientEngineError'
        >>> to_engine_error(ValueError("bad"), "openai/m").body
        'bad'
    """
    status = getattr(exc, "status_code", None)
    status = status if isinstance(status, int) else None
    name = type(exc).__name__
    body = redact_text(str(getattr(exc, "message", None) or exc), secrets)
    transient = (
        status in (408, 409, 429)
        or (status is not None and status >= 500)
        or name in _TRANSIENT_NAMES
        or isinstance(exc, (asyncio.TimeoutError, ConnectionError))
    )
    if transient:
        headers = getattr(getattr(exc, "response", None), "headers", None)
        return TransientEngineError(
            name, engine=engine, status=status, body=body, retry_after=retry_after_seconds(headers)
        )
    return EngineError(name, engine=engine, status=status, body=body, hint=status_hint(status))
