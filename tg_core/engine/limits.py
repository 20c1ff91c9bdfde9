"""A process-wide limit on model calls in flight, shared by every thread and event loop."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import threading
from collections import deque
from collections.abc import AsyncIterator, Iterator

from ..errors import UserError

_DEFAULT_MAX_CONCURRENCY = 16


class ConcurrencyLimiter:
    """Counts calls in flight and makes callers over the limit wait, across loops and threads.

    Example:
        >>> limiter = ConcurrencyLimiter(2)
        >>> limiter.in_flight
        0
    """

    def __init__(self, limit: int) -> None:
        self._lock = threading.Lock()
        self._limit = limit
        self.in_flight = 0
        self.peak = 0
        self._waiters: deque[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = deque()

    @property
    def limit(self) -> int:
        """The current maximum of calls in flight."""
        return self._limit

    def set_limit(self, limit: int) -> None:
        """Change the limit; waiters are let in if there is room now."""
        if limit < 1:
            raise UserError(f"max_concurrency must be >= 1, got {limit}")
        with self._lock:
            self._limit = limit
        self._wake()

    def _wake(self) -> None:
        with self._lock:
            while self._waiters and self.in_flight < self._limit:
                loop, fut = self._waiters.popleft()
                if fut.done():
                    continue
                self.in_flight += 1
                self.peak = max(self.peak, self.in_flight)
                loop.call_soon_threadsafe(_grant, fut)

    async def acquire(self) -> None:
        """Wait for a free slot."""
        loop = asyncio.get_running_loop()
        with self._lock:
            if self.in_flight < self._limit and not self._waiters:
                self.in_flight += 1
                self.peak = max(self.peak, self.in_flight)
                return
            fut: asyncio.Future[None] = loop.create_future()
            self._waiters.append((loop, fut))
        try:
            await fut
        except asyncio.CancelledError:
            with self._lock:
                granted = fut.done() and not fut.cancelled()
            if granted:
                self.release()
            raise

    def release(self) -> None:
        """Give a slot back."""
        with self._lock:
            self.in_flight -= 1
        self._wake()

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """``async with limiter.slot():`` holds one slot for the block."""
        await self.acquire()
        try:
            yield
        finally:
            self.release()


def _grant(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.set_result(None)


_PROCESS_LIMITER = ConcurrencyLimiter(_DEFAULT_MAX_CONCURRENCY)
_SCOPED: contextvars.ContextVar[ConcurrencyLimiter | None] = contextvars.ContextVar(
    "tg_core_limiter", default=None
)


def current_limiter() -> ConcurrencyLimiter:
    """The limiter in force here: a :func:`concurrency` scope's, else the process one."""
    return _SCOPED.get() or _PROCESS_LIMITER


def set_max_concurrency(limit: int) -> None:
    """Set how many model calls may be in flight at once in this process (default 16).

    Example:
        >>> set_max_concurrency(8); current_limiter().limit
        8
        >>> set_max_concurrency(16)
    """
    _PROCESS_LIMITER.set_limit(limit)


@contextlib.contextmanager
def concurrency(limit: int) -> Iterator[ConcurrencyLimiter]:
    """Use a separate limit of ``limit`` calls in flight inside the block.

    Example:
        >>> with concurrency(4) as lim:
        ...     lim.limit
        4
    """
    if limit < 1:
        raise UserError(f"max_concurrency must be >= 1, got {limit}")
    limiter = ConcurrencyLimiter(limit)
    token = _SCOPED.set(limiter)
    try:
        yield limiter
    finally:
        _SCOPED.reset(token)
