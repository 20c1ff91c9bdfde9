"""Why model calls stopped: the finish reasons of the calls made inside a block of code."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar

# Finish reasons of an answer the provider cut short: returned, never cached.
PARTIAL_FINISH = frozenset({"length", "content_filter"})

_SEEN: ContextVar[list[str | None] | None] = ContextVar("tg_core_finish_reasons", default=None)


@contextmanager
def finish_reasons() -> Iterator[list[str | None]]:
    """Collect the finish reason of every engine call made inside the block.

    Each call adds one item: ``"stop"``, ``"length"`` (cut at ``max_tokens``) ... as the
    provider said, ``None`` when it did not say. An answer served from the cache adds
    ``"stop"``, since a cut answer is never cached. Calls in tasks started inside the block
    are collected too; blocks may nest (the inner one collects its own calls only).

    Example:
        >>> import asyncio
        >>> from tg_core.engine.base import Answer
        >>> from tg_core.engine.fake import FakeEngine
        >>> engine = FakeEngine([Answer("Step 1: the", "length")])
        >>> with finish_reasons() as seen:
        ...     _ = engine.generate("Who lies?")
        >>> seen, was_cut(seen)
        (['length'], True)
    """
    seen: list[str | None] = []
    token = _SEEN.set(seen)
    try:
        yield seen
    finally:
        _SEEN.reset(token)


def note_finish(reason: str | None) -> None:
    """Record one call's finish reason in the innermost :func:`finish_reasons` block, if any.

    Example:
        >>> with finish_reasons() as seen:
        ...     note_finish("stop")
        >>> seen
        ['stop']
    """
    seen = _SEEN.get()
    if seen is not None:
        seen.append(reason)


def was_cut(reasons: Sequence[str | None]) -> bool:
    """True when any of ``reasons`` says the answer was cut short.

    Example:
        >>> was_cut(["stop", "length"]), was_cut(["stop", None])
        (True, False)
    """
    return any(reason in PARTIAL_FINISH for reason in reasons)
