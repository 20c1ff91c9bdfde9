"""Worker threads for blocking calls: results, errors, context, cancellation, many loops."""

from __future__ import annotations

import asyncio
import contextvars
import threading
import time

import pytest

from tg_core._async import run_sync
from tg_core.engine.workers import WorkerPool, run_in_worker

LABEL: contextvars.ContextVar[str] = contextvars.ContextVar("label", default="none")


async def test_results_errors_and_kwargs_come_back_to_their_callers() -> None:
    def square(x: int, *, plus: int = 0) -> int:
        if x == 13:
            raise ValueError("unlucky")
        return x * x + plus

    results = await asyncio.gather(
        *(run_in_worker(square, i, plus=1) for i in range(200)), return_exceptions=True
    )
    assert isinstance(results[13], ValueError) and str(results[13]) == "unlucky"
    assert [r for i, r in enumerate(results) if i != 13] == [
        i * i + 1 for i in range(200) if i != 13
    ]


async def test_context_variables_reach_the_thread() -> None:
    async def labelled(name: str) -> str:
        LABEL.set(name)
        return str(await run_in_worker(LABEL.get))

    assert await asyncio.gather(*(labelled(f"t{i}") for i in range(20))) == [
        f"t{i}" for i in range(20)
    ]


async def test_a_cancelled_caller_does_not_break_later_calls() -> None:
    gate = threading.Event()
    task = asyncio.ensure_future(run_in_worker(gate.wait, 5))
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    gate.set()  # the thread finishes; its result is dropped
    assert await run_in_worker(lambda: "still served") == "still served"


def test_calls_from_several_event_loops_at_once() -> None:
    def from_thread(i: int, out: list[int]) -> None:
        out.append(run_sync(run_in_worker(lambda: i * 10)))

    out: list[int] = []
    threads = [threading.Thread(target=from_thread, args=(i, out)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert sorted(out) == [i * 10 for i in range(8)]


def test_the_pool_starts_no_more_threads_than_its_maximum() -> None:
    pool = WorkerPool(max_workers=3)
    running = 0
    peak = 0
    lock = threading.Lock()
    done = threading.Semaphore(0)

    def job() -> None:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.02)
        with lock:
            running -= 1
        done.release()

    for _ in range(12):
        pool.submit(job)
    for _ in range(12):
        assert done.acquire(timeout=5)
    assert peak == 3 and pool._threads == 3
