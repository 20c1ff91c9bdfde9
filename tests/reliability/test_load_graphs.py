"""Load: 200 concurrent optimization graphs (threads, asyncio, both) under a call limit."""

from __future__ import annotations

import asyncio
import concurrent.futures
import re
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import httpx
import pytest

import tg_core as tg
from tg_core.engine.litellm_engine import LiteLLMEngine
from tg_core.testing.openai_sim import ChatRequest, FaultPlan, SimServer

MakeSim = Callable[..., SimServer]
S, E = "<IMPROVED_VARIABLE>", "</IMPROVED_VARIABLE>"
GRAPHS = 200
LIMIT = 24
LATENCY_S = 0.02
DEADLINE_S = 60.0
PEAK_MEMORY_LIMIT = 64 * 2**20
MARK = re.compile(r"GRAPH-\d{3}")
Outcome = tuple[str, list[str]]


def echo_marks(request: ChatRequest) -> str:
    """Answers that name every graph marker the request carries, and nothing else."""
    label = " ".join(sorted(set(MARK.findall(request.prompt_text)))) or "no graph"
    if S in request.last_user_text:
        return f"{S}Answer for {label}, improved.{E}"
    return f"Feedback about {label}."


class SimHTTPEngine(tg.EngineLM):
    """A TextGrad-style engine (sync ``generate``) over one pooled HTTP client."""

    model_string = "sim-model"

    def __init__(self, base_url: str) -> None:
        self.client = httpx.Client(
            base_url=base_url,
            timeout=10.0,
            limits=httpx.Limits(max_connections=LIMIT + 8, max_keepalive_connections=LIMIT + 8),
        )

    def generate(
        self, prompt: str | Sequence[Any], system_prompt: str | None = None, **kwargs: Any
    ) -> str:
        messages = [{"role": "system", "content": system_prompt}] if system_prompt else []
        messages.append({"role": "user", "content": str(prompt)})
        reply = self.client.post("/chat/completions", json={"model": "m", "messages": messages})
        reply.raise_for_status()
        return str(reply.json()["choices"][0]["message"]["content"])


def make_param(i: int) -> tg.Variable:
    return tg.Variable(f"Answer for GRAPH-{i:03d}.", role_description="answer", requires_grad=True)


def outcome(param: tg.Variable) -> Outcome:
    return str(param.value), [str(g.value) for g in param.gradients]


async def graph_async(i: int, engine: Any) -> Outcome:
    param = make_param(i)
    loss = await tg.TextLoss("Evaluate the answer.", engine=engine).aforward(param)
    await loss.abackward(engine)
    await tg.TGD([param], engine=engine).astep()
    return outcome(param)


def graph_sync(i: int, engine: Any) -> Outcome:
    param = make_param(i)
    loss = tg.TextLoss("Evaluate the answer.", engine=engine)(param)
    loss.backward(engine)
    tg.TGD([param], engine=engine).step()
    return outcome(param)


def expected(i: int) -> Outcome:
    return f"Answer for GRAPH-{i:03d}, improved.", [f"Feedback about GRAPH-{i:03d}."]


def run_threads(engine: Any, ids: Sequence[int]) -> dict[int, Outcome]:
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=len(ids))
    try:
        futures = {pool.submit(graph_sync, i, engine): i for i in ids}
        done, pending = concurrent.futures.wait(futures, timeout=DEADLINE_S)
        assert not pending, f"{len(pending)} graphs still running after {DEADLINE_S}s"
        return {futures[f]: f.result() for f in done}
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


@pytest.fixture
def measured(capsys: pytest.CaptureFixture[str]) -> Iterator[Callable[[str, SimServer], None]]:
    """Traces memory for the test; call it with a label to print requests/s and peak memory."""
    tracemalloc.start()
    started = time.perf_counter()

    def report(label: str, server: SimServer) -> None:
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        stats = server.stats()
        with capsys.disabled():
            print(
                f"\n[load] {label}: {stats.requests} requests in {elapsed:.1f}s = "
                f"{stats.requests / elapsed:.0f} req/s; peak in flight {stats.peak_in_flight} "
                f"(limit {LIMIT}); peak traced memory {peak / 2**20:.1f} MiB"
            )
        assert peak < PEAK_MEMORY_LIMIT
        assert stats.peak_in_flight <= LIMIT

    yield report
    tracemalloc.stop()


def check(results: dict[int, Outcome], ids: Sequence[int]) -> None:
    crossed = {i: got for i, got in results.items() if got != expected(i)}
    assert sorted(results) == sorted(ids)
    assert not crossed, f"{len(crossed)} graphs got someone else's text, e.g. {crossed}"


def test_200_graphs_on_asyncio(sim: MakeSim, measured: Callable[[str, SimServer], None]) -> None:
    server = sim(responder=echo_marks, latency_s=LATENCY_S)
    engine = SimHTTPEngine(server.base_url)

    async def main() -> list[Outcome]:
        with tg.concurrency(LIMIT):
            runs = asyncio.gather(*(graph_async(i, engine) for i in range(GRAPHS)))
            return list(await asyncio.wait_for(runs, DEADLINE_S))

    results = dict(enumerate(asyncio.run(main())))
    measured("asyncio, 200 graphs", server)
    check(results, range(GRAPHS))
    assert server.stats().requests == 3 * GRAPHS


def test_200_graphs_on_threads(sim: MakeSim, measured: Callable[[str, SimServer], None]) -> None:
    server = sim(responder=echo_marks, latency_s=LATENCY_S)
    engine = SimHTTPEngine(server.base_url)
    tg.set_max_concurrency(LIMIT)
    results = run_threads(engine, range(GRAPHS))
    measured("threads, 200 graphs", server)
    check(results, range(GRAPHS))
    assert server.stats().requests == 3 * GRAPHS


def test_threads_and_asyncio_at_once_share_the_process_limit(
    sim: MakeSim, measured: Callable[[str, SimServer], None]
) -> None:
    server = sim(responder=echo_marks, latency_s=LATENCY_S)
    engine = SimHTTPEngine(server.base_url)
    tg.set_max_concurrency(LIMIT)
    total = GRAPHS // 2
    half = total // 2
    threaded: dict[int, Outcome] = {}
    worker = threading.Thread(
        target=lambda: threaded.update(run_threads(engine, range(half))), daemon=True
    )

    async def main() -> list[Outcome]:
        runs = asyncio.gather(*(graph_async(i, engine) for i in range(half, total)))
        return list(await asyncio.wait_for(runs, DEADLINE_S))

    worker.start()
    looped = dict(zip(range(half, total), asyncio.run(main())))
    worker.join(DEADLINE_S)
    assert not worker.is_alive()
    measured(f"threads + asyncio at once, {half} + {total - half} graphs", server)
    check({**threaded, **looped}, range(total))


def test_litellm_engine_graphs_under_transient_faults(
    sim: MakeSim, engine_for: Callable[..., LiteLLMEngine], capsys: pytest.CaptureFixture[str]
) -> None:
    graphs = 40
    rates: dict[Any, float] = {"http_429": 0.05, "http_503": 0.05, "drop": 0.03}
    server = sim(
        FaultPlan(rates=rates, seed=3, retry_after=0.01), responder=echo_marks, latency_s=LATENCY_S
    )
    engine = engine_for(server, timeout=10.0, max_retries=6)

    async def main() -> list[Outcome]:
        with tg.concurrency(LIMIT):
            runs = asyncio.gather(*(graph_async(i, engine) for i in range(graphs)))
            return list(await asyncio.wait_for(runs, DEADLINE_S))

    started = time.perf_counter()
    results = dict(enumerate(asyncio.run(main())))
    elapsed = time.perf_counter() - started
    stats = server.stats()
    with capsys.disabled():
        print(
            f"\n[load] LiteLLMEngine, asyncio, {graphs} graphs with faults {stats.faults}: "
            f"{stats.requests} requests in {elapsed:.1f}s = {stats.requests / elapsed:.0f} req/s"
        )
    check(results, range(graphs))
    assert stats.peak_in_flight <= LIMIT
    assert stats.requests == 3 * graphs + sum(stats.faults.values())


def test_limit_binds_across_threads_and_event_loops(sim: MakeSim) -> None:
    server = sim(responder=echo_marks, latency_s=0.2)
    engine = SimHTTPEngine(server.base_url)
    tg.set_max_concurrency(6)
    calls = 30

    def one_sync(i: int) -> str:
        return str(tg.TextLoss("Evaluate.", engine=engine)(make_param(i)).value)

    async def many_async() -> list[str]:
        judge = tg.TextLoss("Evaluate.", engine=engine)
        outs = await asyncio.gather(*(judge.aforward(make_param(i)) for i in range(calls)))
        return [str(o.value) for o in outs]

    with concurrent.futures.ThreadPoolExecutor(max_workers=calls) as pool:
        threaded = pool.map(one_sync, range(calls, 2 * calls))
        looped = asyncio.run(asyncio.wait_for(many_async(), DEADLINE_S))
        answers = [*looped, *threaded]
    assert answers == [f"Feedback about GRAPH-{i:03d}." for i in range(2 * calls)]
    assert server.stats().peak_in_flight == 6
