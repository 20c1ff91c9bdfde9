"""LiteLLM engine against injected faults: retries, typed errors, budgets and the answer cache."""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import tg_core.engine.retry as retry
from tg_core.engine.cache import ResponseCache
from tg_core.engine.litellm_engine import LiteLLMEngine
from tg_core.engine.usage import Budget, track_usage
from tg_core.errors import BudgetExceeded, EngineError, TransientEngineError
from tg_core.testing.openai_sim import FaultKind, FaultPlan, SimServer, default_responder

MakeSim = Callable[..., SimServer]
MakeEngine = Callable[..., LiteLLMEngine]
QUESTION = "How many legs do two spiders have?"

TRANSIENT: list[tuple[FaultKind, int]] = [
    ("http_429", 2),
    ("http_500", 2),
    ("http_503", 2),
    ("drop", 2),
    ("hang", 1),
]


def expected_answer(server: SimServer) -> str:
    """What the fault-free server answers to the last request it received."""
    return default_responder(server.received()[-1])


@pytest.mark.parametrize(("kind", "times"), TRANSIENT)
async def test_transient_fault_is_retried_and_nothing_is_lost(
    sim: MakeSim, engine_for: MakeEngine, kind: FaultKind, times: int
) -> None:
    server = sim(FaultPlan(script=[kind] * times, retry_after=0.05, hang_s=10.0))
    engine = engine_for(server, timeout=1.0, max_retries=3)
    started = time.monotonic()
    with track_usage("t") as scope:
        answer = await engine.agenerate(QUESTION)
    elapsed = time.monotonic() - started
    stats = server.stats()
    assert answer == expected_answer(server)
    assert stats.faults == {kind: times}
    assert stats.requests == times + 1
    assert (scope.usage.calls, scope.usage.failed_calls) == (times + 1, times)
    if kind == "hang":  # the attempt timed out after `timeout`, not after the hang
        assert 0.9 < elapsed < 5.0
    if kind == "http_429":  # Retry-After was honoured
        assert elapsed >= 0.05 * times


async def test_retry_after_header_sets_the_wait(sim: MakeSim, engine_for: MakeEngine) -> None:
    server = sim(FaultPlan(script=["http_429"], retry_after=0.6))
    engine = engine_for(server, backoff_s=0.001)
    started = time.monotonic()
    await engine.agenerate(QUESTION)
    assert 0.6 <= time.monotonic() - started < 5.0


async def test_retry_after_is_capped(
    sim: MakeSim, engine_for: MakeEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(retry, "MAX_BACKOFF_S", 0.2)
    server = sim(FaultPlan(script=["http_429"], retry_after=3600))
    started = time.monotonic()
    await engine_for(server).agenerate(QUESTION)
    assert time.monotonic() - started < 5.0


async def test_mixed_transient_faults_at_random_lose_nothing(
    sim: MakeSim, engine_for: MakeEngine
) -> None:
    rates: dict[Any, float] = {"http_429": 0.1, "http_500": 0.1, "http_503": 0.1, "drop": 0.1}
    server = sim(FaultPlan(rates=rates, seed=7, retry_after=0.01))
    clean = sim()
    engine, reference = engine_for(server, max_retries=8), engine_for(clean)
    questions = [f"{QUESTION} (variant {i})" for i in range(24)]
    with track_usage("t") as scope:
        answers = [await engine.agenerate(q) for q in questions]
    expected = [await reference.agenerate(q) for q in questions]
    injected = sum(server.stats().faults.values())
    assert answers == expected
    assert injected > 0
    assert scope.usage.calls == len(questions) + injected
    assert scope.usage.failed_calls == injected


async def test_persistent_transient_fault_gives_up_with_a_typed_error(
    sim: MakeSim, engine_for: MakeEngine
) -> None:
    server = sim(FaultPlan.always("http_503"))
    engine = engine_for(server, max_retries=2)
    with track_usage("t") as scope, pytest.raises(EngineError) as info:
        await engine.agenerate(QUESTION)
    error = info.value
    assert not isinstance(error, TransientEngineError)
    assert (error.engine, error.status) == ("openai/sim-model", 503)
    assert "gave up after 3 attempts" in str(error)
    assert error.hint and "max_retries" in error.hint
    assert server.stats().requests == 3
    assert (scope.usage.calls, scope.usage.failed_calls) == (3, 3)


@pytest.mark.parametrize(
    ("status", "hint_word"),
    [(400, "refused"), (401, "api_key"), (403, "api_key"), (404, "model name")],
)
async def test_permanent_fault_is_not_retried_and_is_typed(
    sim: MakeSim, engine_for: MakeEngine, status: int, hint_word: str
) -> None:
    server = sim(status=status)
    engine = engine_for(server, max_retries=4)
    with track_usage("t") as scope, pytest.raises(EngineError) as info:
        await engine.agenerate(QUESTION)
    error = info.value
    assert not isinstance(error, TransientEngineError)
    assert (error.engine, error.status) == ("openai/sim-model", status)
    text = str(error)
    assert "openai/sim-model" in text and f"status={status}" in text
    assert error.hint and hint_word in error.hint and "hint:" in text
    assert server.stats().requests == 1
    assert (scope.usage.calls, scope.usage.failed_calls) == (1, 1)


async def test_error_message_never_carries_the_api_key(
    sim: MakeSim, engine_for: MakeEngine
) -> None:
    key = "planted-nonstandard-key-7f3a9c1e5b"
    server = sim(status=401, body="Incorrect API key provided: {auth}")
    with pytest.raises(EngineError) as info:
        await engine_for(server, api_key=key).agenerate(QUESTION)
    assert key not in str(info.value)
    assert key not in repr(info.value.body)
    assert "Incorrect API key provided" in str(info.value)
    assert key not in "".join(traceback.format_exception(info.value))


async def test_budget_counts_retried_calls_and_stops_before_exceeding(
    sim: MakeSim, engine_for: MakeEngine
) -> None:
    server = sim(FaultPlan(script=["http_500", "http_500"]))
    engine = engine_for(server)
    with track_usage("run", Budget(max_calls=2)) as scope, pytest.raises(BudgetExceeded) as info:
        await engine.agenerate(QUESTION)
    assert info.value.limit == "calls"
    assert server.stats().requests == 2
    assert (scope.usage.calls, scope.usage.failed_calls) == (2, 2)


async def test_budget_with_room_for_retries_succeeds(sim: MakeSim, engine_for: MakeEngine) -> None:
    server = sim(FaultPlan(script=["http_500", "drop"]))
    with track_usage("run", Budget(max_calls=3)) as scope:
        answer = await engine_for(server).agenerate(QUESTION)
    assert answer == expected_answer(server)
    assert (scope.usage.calls, scope.usage.failed_calls) == (3, 2)


def cached_values(directory: Path) -> list[str]:
    cache = ResponseCache(directory)
    try:
        store = cache._open()
        return [store[k] for k in store.iterkeys()]
    finally:
        cache.close()


async def test_cache_never_stores_a_failed_answer(
    sim: MakeSim, engine_for: MakeEngine, tmp_path: Path
) -> None:
    server = sim(FaultPlan.always("http_500"))
    engine = engine_for(server, cache=tmp_path / "cache", max_retries=1)
    with pytest.raises(EngineError):
        await engine.agenerate(QUESTION)
    assert cached_values(tmp_path / "cache") == []


async def test_cache_never_stores_an_empty_answer(
    sim: MakeSim, engine_for: MakeEngine, tmp_path: Path
) -> None:
    server = sim(FaultPlan(script=["empty"]))
    engine = engine_for(server, cache=tmp_path / "cache")
    assert await engine.agenerate(QUESTION) == ""
    assert cached_values(tmp_path / "cache") == []
    good = await engine.agenerate(QUESTION)
    assert good == expected_answer(server)
    assert await engine.agenerate(QUESTION) == good
    assert server.stats().requests == 2
    assert cached_values(tmp_path / "cache") == [good]


async def test_cache_never_stores_a_partial_answer(
    sim: MakeSim, engine_for: MakeEngine, tmp_path: Path
) -> None:
    server = sim()
    engine = engine_for(server, cache=tmp_path / "cache", max_tokens=3)
    first = await engine.agenerate(QUESTION)
    assert 0 < len(first) <= 12  # cut by max_tokens: finish_reason "length"
    assert cached_values(tmp_path / "cache") == []
    assert await engine.agenerate(QUESTION) == first
    assert server.stats().requests == 2


@pytest.mark.parametrize("kind", ["http_503", "drop", "non_utf8"])
async def test_cache_stores_only_the_answer_that_succeeded(
    sim: MakeSim, engine_for: MakeEngine, tmp_path: Path, kind: FaultKind
) -> None:
    server = sim(FaultPlan(script=[kind]))
    engine = engine_for(server, cache=tmp_path / "cache")
    answer = await engine.agenerate(QUESTION)
    assert answer == expected_answer(server)
    assert cached_values(tmp_path / "cache") == [answer]
    assert await engine.agenerate(QUESTION) == answer
    assert server.stats().requests == 2


async def test_cache_hit_crosses_engines_and_skips_the_server(
    sim: MakeSim, engine_for: MakeEngine, tmp_path: Path
) -> None:
    server = sim()
    first = await engine_for(server, cache=tmp_path / "c", api_key="key-one").agenerate(QUESTION)
    other = sim(FaultPlan.always("http_500"))
    again = await engine_for(other, cache=tmp_path / "c", api_key="key-two").agenerate(QUESTION)
    assert again == first
    assert other.stats().requests == 0
