"""optimize()/aoptimize(): the fit loop over a chain, metrics with feedback, chat-model engines."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import BaseMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from test_langchain_fakes import EchoChatModel

import tg_core as tg
from tg_adapters.langchain import (
    ChatModelEngine,
    MetricResult,
    NoPromptTemplatesError,
    aoptimize,
    optimize,
    read_metric,
)
from tg_core.engine.fake import FakeCall, FakeEngine
from tg_core.errors import UserError

NEW = "Be {style}. Count every item."


def respond(call: FakeCall) -> str:
    if "<IMPROVED_VARIABLE>" in call.text:
        return f"<IMPROVED_VARIABLE>{NEW}</IMPROVED_VARIABLE>"
    return "Tell the model to count every item."


def make_chain() -> tuple[Any, ChatPromptTemplate]:
    prompt = ChatPromptTemplate.from_messages([("system", "Be {style}."), ("human", "{q}")])
    return prompt | EchoChatModel() | StrOutputParser(), prompt


def template(prompt: ChatPromptTemplate) -> str:
    return str(prompt.messages[0].prompt.template)  # type: ignore[union-attr]


TRAIN = [{"style": "brief", "q": f"How many in {i}?"} for i in range(4)]


def test_optimize_rewrites_the_template_from_metric_feedback(tmp_path: Path) -> None:
    chain, prompt = make_chain()
    engine = FakeEngine(respond)

    def metric(example: dict[str, str], output: str) -> dict[str, Any]:
        return {"score": 0.0, "feedback": f"Wrong count for {example['q']}"}

    result = optimize(
        chain,
        TRAIN,
        metric,
        engine=engine,
        steps=1,
        batch_size=2,
        run_dir=tmp_path / "run",
        search=False,
    )
    assert result.chain is chain
    assert template(prompt) == NEW
    assert result.history[0].accepted
    assert chain.invoke({"style": "brief", "q": "x"}) == "<Be brief. Count every item.> x"
    assert any("Wrong count for" in p for p in engine.prompts)
    assert (tmp_path / "run" / "checkpoint.json").is_file()


def test_validation_gates_a_step_that_lowers_the_score() -> None:
    chain, prompt = make_chain()

    def metric(example: dict[str, str], output: str) -> float:
        return 1.0 if output.startswith("<Be brief.>") else 0.0  # the original prompt is best

    result = optimize(chain, TRAIN, metric, valset=TRAIN[:2], engine=FakeEngine(respond), steps=1)
    assert not result.history[0].accepted
    assert template(prompt) == "Be {style}."
    assert result.fit.initial_score == 1.0


def test_require_improvement_undoes_a_tie() -> None:
    def metric(example: dict[str, str], output: str) -> float:
        return 0.5  # every prompt scores the same

    chain, prompt = make_chain()
    tied = optimize(
        chain, TRAIN, metric, valset=TRAIN[:2], engine=FakeEngine(respond), steps=1, search=False
    )
    assert tied.history[0].accepted and template(prompt) == NEW

    chain, prompt = make_chain()
    strict = optimize(
        chain,
        TRAIN,
        metric,
        valset=TRAIN[:2],
        engine=FakeEngine(respond),
        steps=1,
        require_improvement=True,
        search=False,
    )
    assert not strict.history[0].accepted and template(prompt) == "Be {style}."
    assert strict.history[0].reason == "validation did not improve (0.500)"


def test_aoptimize_with_a_chat_model_as_engine_counts_its_tokens() -> None:
    chain, prompt = make_chain()

    def critic(messages: list[BaseMessage]) -> str:
        return respond(FakeCall(str(messages[-1].content), None))

    critic_model = EchoChatModel(answer=critic)
    with tg.track_usage("test") as scope:
        result = asyncio.run(
            aoptimize(
                chain,
                TRAIN[:2],
                lambda ex, out: False,
                engine=critic_model,
                steps=1,
                search=False,
            )
        )
    assert template(prompt) == NEW
    assert result.fit.usage.calls >= 3
    assert scope.usage.prompt_tokens > 0 and scope.usage.completion_tokens > 0


def test_async_metrics_and_object_verdicts() -> None:
    chain, prompt = make_chain()

    async def metric(example: Any, output: str) -> MetricResult:
        return MetricResult(0.5, "Count slower.")

    asyncio.run(
        aoptimize(chain, TRAIN[:1], metric, engine=FakeEngine(respond), steps=1, search=False)
    )
    assert template(prompt) == NEW


def test_a_chain_without_optimizable_templates_is_refused() -> None:
    prompt = ChatPromptTemplate.from_messages([("human", "{q}")])
    with pytest.raises(NoPromptTemplatesError):
        optimize(prompt | EchoChatModel(), TRAIN, lambda e, o: 1.0, engine="fake", steps=1)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, MetricResult(1.0)),
        (0, MetricResult(0.0)),
        ({"score": 0.25, "feedback": " too long "}, MetricResult(0.25, "too long")),
        (MetricResult(1.0, ""), MetricResult(1.0)),
    ],
)
def test_read_metric(value: Any, expected: MetricResult) -> None:
    assert read_metric(value) == expected


@pytest.mark.parametrize("value", ["0.5", None, {"feedback": "x"}, float("nan")])
def test_read_metric_refuses_values_without_a_score(value: Any) -> None:
    with pytest.raises(UserError):
        read_metric(value)


def test_chat_model_engine_calls_the_model_with_two_messages() -> None:
    seen: list[list[BaseMessage]] = []

    def answer(messages: list[BaseMessage]) -> str:
        seen.append(messages)
        return "ok"

    engine = ChatModelEngine(EchoChatModel(answer=answer))
    assert engine.generate("Critique.", system_prompt="You are a critic.") == "ok"
    assert [m.type for m in seen[0]] == ["system", "human"]
    assert seen[0][0].content == "You are a critic."
    with tg.track_usage("t", tg.Budget(max_calls=0)), pytest.raises(tg.BudgetExceeded):
        engine.generate("again")


def test_chat_model_engine_maps_failures_to_engine_errors() -> None:
    def broken(messages: list[BaseMessage]) -> str:
        raise ConnectionError("down")

    engine = ChatModelEngine(EchoChatModel(answer=broken), max_retries=1, backoff_s=0.0)
    with pytest.raises(tg.EngineError, match="gave up after 2 attempts"):
        engine.generate("hi")
    with pytest.raises(UserError):
        ChatModelEngine("not a model")  # type: ignore[arg-type]


def test_perfect_scores_without_feedback_give_no_gradient() -> None:
    chain, prompt = make_chain()
    engine = FakeEngine(respond)
    result = optimize(chain, TRAIN[:2], lambda ex, out: 1.0, engine=engine, steps=1)
    assert template(prompt) == "Be {style}."
    assert engine.calls == []  # nothing to learn: no backward and no update calls
    assert not result.history[0].accepted


def test_a_separate_optimizer_engine_writes_the_updates() -> None:
    chain, prompt = make_chain()
    critic = FakeEngine(lambda call: "Count every item.")
    writer = FakeEngine(respond)
    optimize(
        chain,
        TRAIN[:2],
        lambda ex, out: 0.0,
        engine=critic,
        optimizer_engine=writer,
        steps=1,
        validate=False,
        num_threads=1,
        gradient_memory=2,
        search=False,
    )
    assert template(prompt) == NEW
    assert critic.calls and writer.calls
    assert all("<IMPROVED_VARIABLE>" not in p for p in critic.prompts)


def test_the_chains_own_model_calls_count_in_usage_and_budgets() -> None:
    chain, _ = make_chain()
    engine = FakeEngine(respond)

    def metric(example: dict[str, str], output: str) -> dict[str, Any]:
        return {"score": 0.0, "feedback": "count every item"}

    result = optimize(
        chain,
        TRAIN,
        metric,
        valset=TRAIN[:2],
        engine=engine,
        steps=5,
        batch_size=2,
        budget=tg.Budget(max_calls=9),
    )
    # 2 validation runs, then a step: 2 chain runs + feedback and update calls on the engine.
    chain_calls = result.fit.usage.calls - len(engine.calls)
    assert chain_calls >= 4
    assert result.fit.usage.calls <= 9
    assert result.fit.stopped_reason.startswith("budget")
