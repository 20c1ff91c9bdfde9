"""Worker threads for blocking calls, with results handed back to the event loop in batches."""

from __future__ import annotations

import asyncio
import contextvars
import functools
import queue
import threading
import weakref
from collections import deque
from typing import Any


class WorkerPool:
    """Daemon threads that run submitted jobs in order; started as needed, up to a maximum.

    Lighter than ``concurrent.futures.ThreadPoolExecutor`` (no future or condition per job):
    results travel back through the event loop's inbox instead.

    Example:
        >>> import threading
        >>> done = threading.Event()
        >>> worker_pool().submit(done.set)
        >>> done.wait(5)
        True
    """

    def __init__(self, max_workers: int) -> None:
        self.max_workers = max_workers
        self._jobs: queue.SimpleQueue[tuple[Any, tuple[Any, ...]]] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._threads = 0
        self._idle = 0

    def submit(self, job: Any, *args: Any) -> None:
        """Queue ``job(*args)``; start a thread when none is free and the maximum allows."""
        self._jobs.put((job, args))
        with self._lock:
            if self._idle > 0:
                self._idle -= 1
                return
            if self._threads >= self.max_workers:
                return
            self._threads += 1
            number = self._threads
        threading.Thread(target=self._work, name=f"tg_core-engine-{number}", daemon=True).start()

    def _work(self) -> None:
        while True:
            job, args = self._jobs.get()
            try:
                job(*args)
            except BaseException:  # a job reports its own errors; the thread keeps serving
                pass
            with self._lock:
                self._idle += 1


_POOL_LOCK = threading.Lock()
_POOL: WorkerPool | None = None


def worker_pool() -> WorkerPool:
    """Threads for sync engines; wide enough that the concurrency limit, not it, binds.

    Example:
        >>> worker_pool() is worker_pool()
        True
    """
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = WorkerPool(max_workers=256)
        return _POOL


class _Inbox:
    """Finished calls waiting for their loop; one wake-up per batch, not one per call."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.finished: deque[tuple[asyncio.Future[Any], bool, Any]] = deque()
        self.lock = threading.Lock()
        self.wake_pending = False

    def put(self, future: asyncio.Future[Any], ok: bool, value: Any) -> None:
        """Called by a worker thread with the outcome of one call."""
        with self.lock:
            self.finished.append((future, ok, value))
            if self.wake_pending:
                return
            self.wake_pending = True
        try:
            self.loop.call_soon_threadsafe(self.deliver)
        except RuntimeError:  # the loop is closed: nobody waits for these results any more
            pass

    def deliver(self) -> None:
        """Runs on the loop: resolves every future finished so far."""
        with self.lock:
            batch = list(self.finished)
            self.finished.clear()
            self.wake_pending = False
        for future, ok, value in batch:
            if future.done():  # cancelled while the thread ran
                continue
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)


_INBOXES: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Inbox] = weakref.WeakKeyDictionary()
_INBOX_LOCK = threading.Lock()


def _inbox(loop: asyncio.AbstractEventLoop) -> _Inbox:
    with _INBOX_LOCK:
        box = _INBOXES.get(loop)
        if box is None:
            box = _INBOXES[loop] = _Inbox(loop)
        return box


def _run_call(
    box: _Inbox, future: asyncio.Future[Any], ctx: contextvars.Context, fn: Any, args: Any
) -> None:
    try:
        value = ctx.run(fn, *args)
    except BaseException as exc:  # handed to the awaiting task, as run_in_executor does
        box.put(future, False, exc)
    else:
        box.put(future, True, value)


async def run_in_worker(fn: Any, /, *args: Any, **kwargs: Any) -> Any:
    """Run a blocking function in tg_core's worker threads, keeping context variables.

    Calls that finish together wake the event loop once, so thousands of quick calls cost
    little more than the calls themselves.

    Example:
        >>> import asyncio
        >>> asyncio.run(run_in_worker(sum, [1, 2, 3]))
        6
    """
    if kwargs:
        fn = functools.partial(fn, **kwargs)
    loop = asyncio.get_running_loop()
    future: asyncio.Future[Any] = loop.create_future()
    worker_pool().submit(_run_call, _inbox(loop), future, contextvars.copy_context(), fn, args)
    return await future
