"""Retries of transient failures with exponential backoff, each attempt guarded and counted."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import Any

from ..errors import EngineError, TransientEngineError
from .guard import guarded_attempt

MAX_BACKOFF_S = 60.0


def retry_after_seconds(headers: Any) -> float | None:
    """The wait a provider asked for in its ``Retry-After`` header, in seconds (or None).

    ``headers`` is any mapping with ``get`` (a dict, aiohttp's or httpx's headers); both
    spellings of the name are looked up, so a plain dict works too.

    Example:
        >>> retry_after_seconds({"retry-after": "2"}), retry_after_seconds({"Retry-After": "x"})
        (2.0, None)
        >>> retry_after_seconds(None) is None
        True
    """
    if headers is None:
        return None
    try:
        value = headers.get("retry-after") or headers.get("Retry-After")
        return float(value) if value is not None else None
    except (AttributeError, TypeError, ValueError):
        return None


async def call_with_retries(
    attempt: Callable[[], Awaitable[str]],
    *,
    engine: str,
    prompt_text: str,
    max_tokens: int | None,
    max_retries: int | None,
    backoff_s: float,
    cost_estimate: float | None = None,
) -> str:
    """Run ``attempt`` under :func:`guarded_attempt`, retrying a TransientEngineError.

    The wait is the provider's ``Retry-After`` when given, else ``backoff_s * 2**n`` times a
    random factor in [0.5, 1.5), at most 60 s. After ``max_retries`` retries the last failure
    becomes an :class:`~tg_core.errors.EngineError` that says so. With ``max_retries=None``
    (an engine without a retry policy) there is one attempt and its error is raised as it is.

    Example:
        >>> async def ok() -> str:
        ...     return "done"
        >>> asyncio.run(call_with_retries(ok, engine="e", prompt_text="p", max_tokens=None,
        ...                               max_retries=2, backoff_s=0.0))
        'done'
    """
    if max_retries is None:
        return await guarded_attempt(prompt_text, max_tokens, attempt, cost_estimate)
    attempt_no = 0
    while True:
        try:
            return await guarded_attempt(prompt_text, max_tokens, attempt, cost_estimate)
        except TransientEngineError as exc:
            if attempt_no >= max_retries:
                raise EngineError(
                    f"gave up after {attempt_no + 1} attempts ({exc})",
                    engine=engine,
                    status=exc.status,
                    body=exc.body,
                    hint="the provider kept failing; raise max_retries or try later",
                ) from exc
            delay = exc.retry_after
            if delay is None:
                delay = backoff_s * (2**attempt_no) * (0.5 + random.random())
            await asyncio.sleep(min(delay, MAX_BACKOFF_S))
            attempt_no += 1
