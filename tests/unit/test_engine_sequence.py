"""The one engine sequence: override, cache, retries and guard around each engine's one method."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel

import tg_core as tg
from tg_adapters.dspy import DSPyLMEngine
from tg_adapters.dspy.testing import FunctionLM
from tg_adapters.langchain import ChatModelEngine
from tg_core.engine.base import Answer, EngineRequest
from tg_core.engine.cache import ResponseCache, cache_key
from tg_core.engine.fake import FakeEngine
from tg_core.engine.litellm_engine import LiteLLMEngine
from tg_core.errors import EngineError, TransientEngineError
from tg_core.testing.openai_sim import SimServer

PNG = b"\x89PNG\r\n\x1a\n1234"


class Flaky(tg.EngineLM):
    """A TextGrad-style engine: only ``generate``; fails transiently ``failures`` times."""

    model_string = "flaky"

    def __init__(self, failures: int, max_retries: int | None) -> None:
        self.failures = failures
        self.max_retries = max_retries
        self.backoff_s = 0.0
        self.seen: list[tuple[Any, str | None, dict[str, Any]]] = []

    def generate(self, prompt: Any, system_prompt: str | None = None, **kwargs: Any) -> str:
        self.seen.append((prompt, system_prompt, kwargs))
        if self.failures:
            self.failures -= 1
            raise TransientEngineError("busy", engine=self.model_string, status=503)
        return f"answer to {prompt}"


class Counted(tg.EngineLM):
    """An engine written for tg_core: one ``_acall`` that reports its tokens."""

    model_string = "counted"

    def __init__(self, cache: ResponseCache | None = None) -> None:
        self.cache = cache
        self.requests: list[EngineRequest] = []

    async def _acall(self, request: EngineRequest) -> Answer:
        self.requests.append(request)
        return Answer(f"<{request.content}>", "stop", prompt_tokens=7, completion_tokens=3)


def test_cache_keys_are_pinned() -> None:
    engine = LiteLLMEngine("openai/sim-model", temperature=0, max_tokens=32)
    text_key = cache_key(
        engine.model_string, engine.messages("What is 2+2?", None), {**engine.sampling, "seed": 7}
    )
    image_key = cache_key(
        engine.model_string, engine.messages(["look", PNG], "Be brief."), engine.sampling
    )
    assert text_key == "bbbfc345ecca452d46fd5e375ae57aa124f281cd7e4800894dfd6ed422f8cc69"
    assert image_key == "ab07f1a50333f1526b699844f4cf9b13987a1d8e5155b7f91e1226daa4f0e454"


def test_the_engine_stores_its_answer_under_the_pinned_key(tmp_path: Path) -> None:
    with SimServer(latency_s=0) as sim:
        engine = LiteLLMEngine(
            "openai/sim-model",
            api_base=sim.base_url,
            api_key="sk-pinned-key-123456",
            cache=tmp_path / "c",
            temperature=0,
            max_tokens=32,
        )
        answer = engine.generate("What is 2+2?", seed=7)
    assert isinstance(engine.cache, ResponseCache)
    store = engine.cache._open()
    assert list(store.iterkeys()) == [
        "bbbfc345ecca452d46fd5e375ae57aa124f281cd7e4800894dfd6ed422f8cc69"
    ]
    assert engine.cache.get(next(store.iterkeys())) == answer
    engine.cache.close()


def test_every_engine_goes_to_the_override() -> None:
    flaky, counted, fake = Flaky(0, None), Counted(), FakeEngine(["own answer"])
    engines: list[tg.EngineLM] = [
        flaky,
        counted,
        fake,
        DSPyLMEngine(FunctionLM(lambda call: "dspy answer")),
        ChatModelEngine(GenericFakeChatModel(messages=iter(["chat answer"]))),
        LiteLLMEngine("openai/unreachable", api_base="http://127.0.0.1:9/v1", max_retries=0),
    ]
    override = FakeEngine(lambda call: f"override: {call.text}")

    async def ask_all() -> list[str]:
        return [await e.agenerate(f"q{i}", system_prompt="s") for i, e in enumerate(engines)]

    with tg.override_engines(override):
        answers = asyncio.run(ask_all())
    assert answers == [f"override: q{i}" for i in range(len(engines))]
    assert [c.system_prompt for c in override.calls] == ["s"] * len(engines)
    assert flaky.seen == [] and counted.requests == [] and fake.calls == []


def test_a_textgrad_style_engine_is_retried_and_counted() -> None:
    engine = Flaky(failures=2, max_retries=2)
    with tg.track_usage("t") as scope:
        text = tg.BlackboxLLM(engine, system_prompt="sys")(
            tg.Variable("q2", role_description="question")
        ).value
        assert engine.generate("q") == "answer to q"  # its own generate, called directly
    assert text == "answer to q2"
    assert engine.seen == [("q2", "sys", {})] * 3 + [("q", None, {})]
    assert (scope.usage.calls, scope.usage.failed_calls) == (3, 2)


def test_an_engine_without_retries_raises_its_error_as_it_is() -> None:
    error = TransientEngineError("busy", engine="fake", status=503)
    with pytest.raises(TransientEngineError) as info:
        FakeEngine([error]).generate("q")
    assert info.value is error
    with pytest.raises(TransientEngineError):
        asyncio.run(Flaky(failures=1, max_retries=None).agenerate("q"))


def test_retries_give_up_with_a_typed_error() -> None:
    engine = Flaky(failures=5, max_retries=1)
    with tg.track_usage("t") as scope, pytest.raises(EngineError) as info:
        asyncio.run(engine.agenerate("q"))
    assert not isinstance(info.value, TransientEngineError)
    assert "gave up after 2 attempts" in str(info.value)
    assert (scope.usage.calls, scope.usage.failed_calls) == (2, 2)


def test_an_acall_engine_reports_tokens_and_uses_its_cache(tmp_path: Path) -> None:
    engine = Counted(ResponseCache(tmp_path))
    with tg.track_usage("t") as scope:
        first = engine.generate("hi", temperature=0)
        second = engine.generate("hi", temperature=0)
        other = engine.generate("hi", temperature=1)
    assert first == second == other == "<hi>"
    assert len(engine.requests) == 2
    assert engine.requests[0].settings == {"temperature": 0}
    assert engine.requests[0].system is None and engine.requests[0].system_prompt is None
    assert (scope.usage.calls, scope.usage.cached_calls) == (2, 1)
    assert (scope.usage.prompt_tokens, scope.usage.completion_tokens) == (14, 6)
    assert scope.usage.cost_known is False
    assert engine.cache is not None
    engine.cache.close()


def test_a_budget_stops_an_acall_engine_before_the_call() -> None:
    engine = Counted()
    with tg.track_usage("t", tg.Budget(max_calls=1)):
        engine.generate("one")
        with pytest.raises(tg.BudgetExceeded):
            engine.generate("two")
    assert [r.content for r in engine.requests] == ["one"]


def test_an_engine_needs_generate_or_acall() -> None:
    class Nothing(tg.EngineLM):
        pass

    with pytest.raises(TypeError, match="generate"):
        Nothing()
    with pytest.raises(TypeError):
        tg.EngineLM()
