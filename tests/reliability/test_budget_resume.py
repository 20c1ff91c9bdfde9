"""Budgets count every attempt and stop work before the limit; a checkpoint resumes the run."""

from __future__ import annotations

import asyncio
import itertools
import warnings
from collections.abc import Callable
from pathlib import Path

import pytest

import tg_core as tg
from tg_core.engine.fake import FakeCall, FakeEngine, default_answer
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
        search=False,
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
    resumed = load_checkpoint(tmp_path / "run")
    assert resumed is not None
    assert resumed["optimizer"]["state"]["0"]["steps"] == 3  # counted on from the saved state


def priced_engine(server: SimServer) -> LiteLLMEngine:
    """An engine whose calls litellm prices (gpt-4o-mini's rates, from its local table)."""
    return LiteLLMEngine(
        "openai/gpt-4o-mini", api_base=server.base_url, api_key="sim-key", cache=False
    )


DOLLARS = 2e-5  # about one call of the prompt below at gpt-4o-mini's rates
PROMPT = "How many legs do two spiders have? " * 10


async def test_dollar_budget_stops_sequential_calls_after_the_call_that_crossed_it(
    sim: MakeSim,
) -> None:
    server = sim()
    engine = priced_engine(server)
    sent = 0
    with tg.track_usage("run", tg.Budget(max_cost_usd=DOLLARS)) as scope:
        for _ in range(10):
            try:
                await engine.agenerate(PROMPT)
            except BudgetExceeded as exc:
                assert exc.limit == "cost_usd"
                break
            sent += 1
    assert scope.usage.cost_known and scope.usage.cost_usd >= DOLLARS
    assert server.stats().requests == sent < 10
    per_call = scope.usage.cost_usd / sent
    assert scope.usage.cost_usd < DOLLARS + per_call


async def test_dollar_budget_holds_under_concurrency(sim: MakeSim) -> None:
    server = sim(latency_s=0.05)
    engine = priced_engine(server)
    with tg.track_usage("run", tg.Budget(max_cost_usd=DOLLARS)):
        await asyncio.gather(*(engine.agenerate(PROMPT) for _ in range(20)), return_exceptions=True)
    assert server.stats().requests <= 3


async def test_dollar_budget_does_not_pass_silently_when_the_price_is_unknown(
    sim: MakeSim, engine_for: MakeEngine
) -> None:
    server = sim()
    engine = engine_for(server)
    with (
        tg.track_usage("run", tg.Budget(max_cost_usd=DOLLARS)) as scope,
        pytest.raises((BudgetExceeded, tg.UserError)),
    ):
        for _ in range(5):
            await engine.agenerate(PROMPT)
    assert not scope.usage.cost_known


async def test_a_step_undone_by_the_budget_leaves_no_trace_in_the_optimizer(tmp_path: Path) -> None:
    counter = itertools.count()

    def respond(call: FakeCall) -> str:
        answer = default_answer(call)
        return answer.replace("improved variable", f"version {next(counter)}")

    engine = FakeEngine(respond)
    for max_calls in range(15, 40):
        prompt = tg.Variable("Answer.", role_description="system prompt", requires_grad=True)
        model = tg.BlackboxLLM(engine, system_prompt=prompt)
        optimizer = tg.TGD([prompt], engine=engine, gradient_memory=3)

        async def loss_fn(q: str, model: tg.BlackboxLLM = model) -> tg.Variable:
            x = tg.Variable(q, role_description="question", requires_grad=False)
            return await tg.TextLoss("Judge.", engine=engine).aforward(await model.aforward(x))

        async def score_fn(q: str, model: tg.BlackboxLLM = model) -> float:
            with tg.no_grad():
                await model.aforward(tg.Variable(q, role_description="question"))
            return 1.0

        run = tmp_path / f"run-{max_calls}"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", tg.ProposalRejectedWarning)
            await afit(
                [prompt],
                loss_fn,
                score_fn,
                ["a", "b", "c", "d"],
                ["v1", "v2"],
                engine=engine,
                optimizer=optimizer,
                steps=3,
                batch_size=2,
                budget=tg.Budget(max_calls=max_calls),
                run_dir=run,
                progress=False,
                report=False,
                search=False,
            )
        saved = load_checkpoint(run)
        assert saved is not None
        state = saved["optimizer"]["state"]["0"]
        assert state.get("steps", 0) == saved["next_step"], f"max_calls={max_calls}"
        assert len(state.get("memory", [])) == saved["next_step"], f"max_calls={max_calls}"
