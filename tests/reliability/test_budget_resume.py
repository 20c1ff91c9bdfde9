"""Budgets count every attempt and stop work before the limit; a checkpoint resumes the run."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import tg_core as tg
from tg_core.engine.litellm_engine import LiteLLMEngine
from tg_core.errors import BudgetExceeded
from tg_core.testing.openai_sim import FaultKind, FaultPlan, SimServer
from tg_core.train import FitResult, afit, load_checkpoint

MakeSim = Callable[..., SimServer]
MakeEngine = Callable[..., LiteLLMEngine]
QUESTIONS = [f"Question SAMPLE-{i}: what is {i} + {i}?" for i in range(4)]


async def concurrent_calls(engine: LiteLLMEngine, n: int) -> list[str | BaseException]:
    return list(
        await asyncio.gather(
            *(engine.agenerate(f"Question {i}") for i in range(n)), return_exceptions=True
        )
    )


async def test_concurrent_calls_never_exceed_the_call_budget(
    sim: MakeSim, engine_for: MakeEngine
) -> None:
    server = sim(latency_s=0.05)
    engine = engine_for(server)
    with tg.track_usage("run", tg.Budget(max_calls=10)) as scope:
        results = await concurrent_calls(engine, 40)
    refused = [r for r in results if isinstance(r, BudgetExceeded)]
    assert len(refused) == 30
    assert server.stats().requests == scope.usage.calls == 10


async def test_retries_under_concurrency_never_exceed_the_call_budget(
    sim: MakeSim, engine_for: MakeEngine
) -> None:
    server = sim(FaultPlan(rates={"http_503": 0.5}, seed=11), latency_s=0.02)
    engine = engine_for(server, max_retries=6)
    with tg.track_usage("run", tg.Budget(max_calls=25)) as scope:
        results = await concurrent_calls(engine, 20)
    answered = [r for r in results if isinstance(r, str)]
    assert all(isinstance(r, (str, BudgetExceeded)) for r in results)
    assert server.stats().requests == scope.usage.calls <= 25
    assert scope.usage.failed_calls == server.stats().faults["http_503"]
    assert len(answered) == scope.usage.calls - scope.usage.failed_calls


async def run_fit(engine: LiteLLMEngine, run_dir: Path, budget: tg.Budget) -> FitResult:
    prompt = tg.Variable("Answer briefly.", role_description="system prompt", requires_grad=True)
    model = tg.BlackboxLLM(engine, system_prompt=prompt)
    judge = tg.TextLoss("Evaluate the answer.", engine=engine)

    async def loss_fn(question: str) -> tg.Variable:
        x = tg.Variable(question, role_description="question", requires_grad=False)
        return await judge.aforward(await model.aforward(x))

    async def score_fn(question: str) -> float:
        return 1.0

    return await afit(
        [prompt],
        loss_fn,
        score_fn,
        QUESTIONS,
        QUESTIONS[:2],
        engine=engine,
        steps=3,
        batch_size=2,
        budget=budget,
        run_dir=run_dir,
        progress=False,
        report=False,
    )


async def test_fit_stops_at_the_budget_counting_retries_and_resumes(
    sim: MakeSim, engine_for: MakeEngine, tmp_path: Path
) -> None:
    kinds: list[FaultKind | None] = ["http_500", None, "http_429", None, "drop", None] * 3
    server = sim(FaultPlan(script=kinds, retry_after=0.01))
    engine = engine_for(server, max_retries=4)
    first = await run_fit(engine, tmp_path / "run", tg.Budget(max_calls=20))
    assert first.stopped_reason.startswith("budget")
    assert 1 <= len(first.history) < 3
    assert server.stats().requests == first.usage.calls <= 20
    assert first.usage.failed_calls == sum(server.stats().faults.values()) > 0
    saved = load_checkpoint(tmp_path / "run")
    assert saved is not None
    assert saved["next_step"] == len(first.history)
    assert saved["values"] == first.best_values
    assert saved["usage"]["calls"] == first.usage.calls

    second = await run_fit(engine, tmp_path / "run", tg.Budget(max_calls=200))
    assert second.stopped_reason == "completed"
    assert len(second.history) == 3
    assert [r.to_dict() for r in second.history[: len(first.history)]] == [
        r.to_dict() for r in first.history
    ]
    assert second.usage.calls == server.stats().requests
