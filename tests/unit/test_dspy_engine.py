"""DSPyLMEngine: a configured dspy.LM as tg_core engine, with usage, budgets and errors."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import warnings

import dspy
import pytest
from dspy.lm15 import Request

import tg_core as tg
from tg_adapters.dspy import DSPyLMEngine, resolve_engine
from tg_adapters.dspy.testing import FunctionLM, LMCall
from tg_core.engine.fake import FakeEngine
from tg_core.errors import EngineError


def echo(call: LMCall) -> str:
    return f"system={call.system!r} user={call.user!r}"


def test_generate_sends_system_and_user_messages_and_reports_usage() -> None:
    lm = FunctionLM(echo)
    engine = DSPyLMEngine(lm)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with tg.track_usage("t") as scope:
            text = engine.generate("How should it change?", system_prompt="You critique.")
    assert text == "system='You critique.' user='How should it change?'"
    assert lm.calls[0].messages[0] == {"role": "system", "content": "You critique."}
    assert scope.usage.calls == 1
    assert scope.usage.prompt_tokens == 6  # FunctionLM counts words: 2 + 4
    assert scope.usage.completion_tokens == len(text.split())
    assert engine.model_string == "function/test-lm"


def test_budget_and_concurrency_apply() -> None:
    engine = DSPyLMEngine(FunctionLM(echo))
    with tg.track_usage("b", tg.Budget(max_calls=2)):
        engine.generate("one")
        engine.generate("two")
        with pytest.raises(tg.BudgetExceeded):
            engine.generate("three")

    async def many() -> list[str]:
        return await asyncio.gather(*(engine.agenerate(f"q{i}") for i in range(8)))

    assert len(set(asyncio.run(many()))) == 8


def test_lm_errors_become_engine_errors() -> None:
    def broken(call: LMCall) -> str:
        raise RuntimeError("server down")

    lm = FunctionLM(broken)
    lm.num_retries = 0
    with pytest.raises(EngineError, match="server down"):
        DSPyLMEngine(lm).generate("hi")


def test_engine_resolution() -> None:
    lm = FunctionLM(echo)
    assert isinstance(resolve_engine(lm), DSPyLMEngine)
    fake = FakeEngine()
    assert resolve_engine(fake) is fake
    assert isinstance(resolve_engine("fake"), FakeEngine)
    assert resolve_engine(None) is None
    with pytest.raises(tg.UserError):
        DSPyLMEngine(object())


def test_dspy_lm_engine_works_as_a_tg_core_backward_engine() -> None:
    lm = FunctionLM(lambda call: "Be more careful.")
    x = tg.Variable("2+2=5", role_description="answer")
    loss = tg.TextLoss("Check it.", engine=DSPyLMEngine(lm))(x)
    loss.backward(engine=DSPyLMEngine(lm))
    assert x.get_gradient_text() == "Be more careful."
    assert dspy.settings.get("callbacks") in (None, [])


def test_importing_tg_adapters_does_not_import_dspy() -> None:
    code = "import sys, tg_adapters; assert 'dspy' not in sys.modules, 'dspy imported'"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_the_lm_is_called_with_a_request_carrying_its_own_settings() -> None:
    lm = FunctionLM(echo)
    lm.kwargs["max_tokens"] = 40
    engine = DSPyLMEngine(lm, temperature=0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        engine.generate("hi", system_prompt="Be brief.")
    request = lm.history[-1]["request"]
    assert isinstance(request, Request)
    assert (request.config.max_tokens, request.config.temperature) == (40, 0.5)
    assert request.system == "Be brief." and request.messages[0].text == "hi"
