"""Sync engines: worker threads for real calls, inline once calls prove to take microseconds."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import tg_core as tg
from tg_core.engine.placement import FAST_STREAK, call_sync


class Recorder(tg.EngineLM):
    """A sync engine that records the thread of every call and sleeps ``delay`` seconds."""

    model_string = "recorder"

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.threads: list[int] = []

    def generate(self, prompt: Any, system_prompt: str | None = None, **kwargs: Any) -> str:
        self.threads.append(threading.get_ident())
        if self.delay:
            time.sleep(self.delay)
        return f"answer to {prompt}"


async def test_a_microsecond_engine_is_called_inline_after_a_streak() -> None:
    engine = Recorder()
    loop_thread = threading.get_ident()
    for i in range(FAST_STREAK + 5):
        assert await engine.agenerate(f"q{i}") == f"answer to q{i}"
    assert loop_thread not in engine.threads[:FAST_STREAK]
    assert engine.threads[-5:] == [loop_thread] * 5


async def test_one_slow_call_sends_the_engine_back_to_threads_for_good() -> None:
    engine = Recorder()
    loop_thread = threading.get_ident()
    for i in range(FAST_STREAK):
        await engine.agenerate(f"q{i}")
    engine.delay = 0.02
    await engine.agenerate("slow")  # runs inline, is caught being slow
    assert engine.threads[-1] == loop_thread
    engine.delay = 0.0
    for i in range(FAST_STREAK + 5):
        await engine.agenerate(f"again {i}")
    assert loop_thread not in engine.threads[-(FAST_STREAK + 5) :]


async def test_blocking_calls_still_overlap() -> None:
    engine = Recorder(delay=0.1)
    started = time.perf_counter()
    answers = await asyncio.gather(*(engine.agenerate(f"q{i}") for i in range(8)))
    assert len(answers) == 8 and time.perf_counter() - started < 0.5  # not 8 × 0.1 s
    assert threading.get_ident() not in engine.threads


async def test_objects_without_weak_references_always_use_threads() -> None:
    loop_thread = threading.get_ident()
    seen: list[int] = []

    def generate(prompt: str) -> str:
        seen.append(threading.get_ident())
        return prompt

    owner = 42  # an int cannot be weakly referenced
    for _ in range(FAST_STREAK + 2):
        assert await call_sync(owner, generate, "x") == "x"
    assert loop_thread not in seen
