"""Where a sync engine's call runs: a worker thread, or inline when its calls take microseconds."""

from __future__ import annotations

import time
import weakref
from dataclasses import dataclass
from typing import Any

from .workers import run_in_worker

FAST_S = 0.0002  # a call this quick is not worth a thread hand-off
SLOW_S = 0.005  # one call this slow marks the engine as blocking, for good
FAST_STREAK = 64  # consecutive quick calls before calls run inline


@dataclass
class _Record:
    fast_streak: int = 0
    blocking: bool = False

    def observe(self, seconds: float) -> None:
        if seconds > SLOW_S:
            self.blocking = True
        self.fast_streak = self.fast_streak + 1 if seconds < FAST_S else 0

    @property
    def inline(self) -> bool:
        return not self.blocking and self.fast_streak >= FAST_STREAK


_RECORDS: weakref.WeakKeyDictionary[Any, _Record] = weakref.WeakKeyDictionary()


def _record(owner: Any) -> _Record | None:
    try:
        found = _RECORDS.get(owner)
        if found is None:
            found = _RECORDS[owner] = _Record()
        return found
    except TypeError:  # not weak-referenceable: always a worker thread
        return None


def _timed(fn: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - started


async def call_sync(owner: Any, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
    """Run ``fn(*args, **kwargs)`` (a sync engine's ``generate``) without blocking the loop.

    Calls run in worker threads, so real model calls overlap. Once ``owner`` has answered
    64 calls in a row in under 0.2 ms each (an in-process engine: a table, a rule, a stub),
    its calls run inline instead, since a thread hand-off would cost more than the call;
    the first call that then takes over 5 ms sends the engine back to threads for good.

    Example:
        >>> import asyncio
        >>> class Table:
        ...     def generate(self, prompt: str) -> str:
        ...         return prompt.upper()
        >>> engine = Table()
        >>> asyncio.run(call_sync(engine, engine.generate, "hi"))
        'HI'
    """
    record = _record(owner)
    if record is not None and record.inline:
        result, seconds = _timed(fn, args, kwargs)
        record.observe(seconds)
        return result
    result, seconds = await run_in_worker(_timed, fn, args, kwargs)
    if record is not None:
        record.observe(seconds)
    return result
