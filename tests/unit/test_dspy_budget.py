"""A compile's budget and usage cover the program's own dspy.LM calls, not only tg_core's."""

from __future__ import annotations

import asyncio
import warnings
from pathlib import Path
from typing import Any

import dspy
import pytest
from dspy.lm15 import Config, Message, Request, Response

import tg_core as tg
from tg_adapters.dspy import DSPyLMEngine, TextGradOptimizer
from tg_adapters.dspy.budgeted_lm import BudgetedLM, budgeted_program_lms
from tg_adapters.dspy.testing import FunctionLM, LMCall, chat_answer
from tg_core.engine.fake import FakeEngine


def answer_lm() -> FunctionLM:
    return FunctionLM(lambda call: chat_answer(answer=call.inputs["question"].split()[-1]))


def examples(n: int) -> list[dspy.Example]:
    return [
        dspy.Example(question=f"count to {i}", answer=str(i + 1)).with_inputs("question")
        for i in range(n)
    ]


def exact(example: Any, pred: Any) -> bool:
    return bool(example.answer == pred.answer)


def test_compile_usage_counts_the_programs_calls() -> None:
    lm, engine = answer_lm(), FakeEngine()
    opt = TextGradOptimizer(exact, engine=engine, steps=2, batch_size=2)
    with dspy.context(lm=lm):
        opt.compile(dspy.Predict("question -> answer"), trainset=examples(4), valset=examples(3))
    assert opt.result is not None
    usage = opt.result.usage
    assert len(lm.calls) > 0 and len(engine.calls) > 0
    assert usage.calls == len(lm.calls) + len(engine.calls)
    words = sum(len(m["content"].split()) for c in lm.calls for m in c.messages)
    assert usage.prompt_tokens >= words  # FunctionLM's own counts reached the totals


def test_budget_stops_compile_on_program_calls_and_keeps_the_best() -> None:
    lm, engine = answer_lm(), FakeEngine()
    opt = TextGradOptimizer(
        exact, engine=engine, steps=10, batch_size=2, budget=tg.Budget(max_calls=7)
    )
    student = dspy.Predict("question -> answer")
    start = student.signature.instructions
    with dspy.context(lm=lm):
        optimized = opt.compile(student, trainset=examples(4), valset=examples(3))
    assert opt.result is not None
    assert "budget" in opt.result.stopped_reason
    assert len(lm.calls) + len(engine.calls) <= 7
    assert opt.result.usage.calls <= 7
    assert student.signature.instructions == start
    assert isinstance(optimized, dspy.Predict) and optimized.lm is None


def test_a_predictor_with_its_own_lm_is_budgeted_and_put_back() -> None:
    own, engine = answer_lm(), FakeEngine()
    student = dspy.Predict("question -> answer")
    student.lm = own
    opt = TextGradOptimizer(exact, engine=engine, steps=1, batch_size=2, validate=False)
    optimized = opt.compile(student, trainset=examples(2))
    assert opt.result is not None
    assert opt.result.usage.calls == len(own.calls) + len(engine.calls)
    assert type(optimized.lm) is FunctionLM  # the deep copy's own LM, unwrapped again
    assert student.lm is own


def test_budgeted_lm_is_transparent_to_dspy() -> None:
    inner = FunctionLM(lambda call: chat_answer(reasoning="r", answer=call.inputs["question"][-1]))
    lm = BudgetedLM(inner)
    assert lm.model == inner.model and lm.kwargs is inner.kwargs
    assert BudgetedLM(lm).inner is inner
    with tg.track_usage("x") as scope, dspy.context(lm=lm):
        out = dspy.ChainOfThought("question -> answer")(question="count to 3")
    assert out.answer == "3" and scope.usage.calls == 1 == len(inner.calls)
    assert inner.history and lm.history is inner.history


async def test_budgeted_lm_async_calls_hold_the_budget() -> None:
    inner = answer_lm()
    with tg.track_usage("x", tg.Budget(max_calls=1)) as scope, dspy.context(lm=BudgetedLM(inner)):
        program = dspy.Predict("question -> answer")
        first = await program.acall(question="count to 2")
        with pytest.raises(tg.BudgetExceeded):
            await program.acall(question="count to 5")
    assert first.answer == "2" and scope.usage.calls == 1 and len(inner.calls) == 1


def test_budgeted_lm_saves_as_the_lm_it_wraps(tmp_path: Path) -> None:
    real = dspy.LM("openai/gpt-4o-mini", api_key="sk-test-not-saved", max_tokens=50)
    program = dspy.Predict("question -> answer")
    program.lm = BudgetedLM(real)
    assert program.lm.dump_state() == real.dump_state()
    path = tmp_path / "program.json"
    program.save(str(path))
    text = path.read_text()
    assert "BudgetedLM" not in text and "gpt-4o-mini" in text and "sk-test" not in text


def test_a_failing_call_counts_as_failed_and_releases_its_hold() -> None:
    def broken(call: LMCall) -> str:
        raise RuntimeError("provider down")

    inner = FunctionLM(broken)
    with tg.track_usage("x", tg.Budget(max_calls=5)) as scope:
        with pytest.raises(Exception, match="provider down"):
            BudgetedLM(inner)(messages=[{"role": "user", "content": "hi"}])
    assert scope.usage.failed_calls >= 1 and scope._reserved_calls == 0


def test_budgeted_program_lms_restores_on_error() -> None:
    own = answer_lm()
    program = dspy.Predict("question -> answer")
    program.lm = own
    with pytest.raises(KeyError), budgeted_program_lms(program):
        assert isinstance(program.lm, BudgetedLM)
        raise KeyError("boom")
    assert program.lm is own


def test_budgeted_lm_holds_and_counts_request_calls() -> None:
    """DSPy 3.5's adapters call an LM with a ``dspy.lm15.Request``; the wrapper keeps that form."""
    inner = answer_lm()
    lm = BudgetedLM(inner)
    request = Request(
        model=inner.model,
        messages=(Message.user("[[ ## question ## ]]\ncount to 3"),),
        config=Config(max_tokens=20),
    )
    with tg.track_usage("x", tg.Budget(max_calls=2)) as scope:
        first = lm(request)
        second = asyncio.run(lm.acall(request))
        with pytest.raises(tg.BudgetExceeded):
            lm(request)
    assert isinstance(first, Response) and isinstance(second, Response)
    assert "3" in (first.text or "") and len(inner.calls) == 2
    assert scope.usage.calls == 2 and scope._reserved_calls == 0
    assert scope.usage.prompt_tokens == 2 * first.usage.input_tokens  # FunctionLM's counts


def test_a_compile_emits_no_dspy_deprecation_warning() -> None:
    lm = answer_lm()
    backward = DSPyLMEngine(FunctionLM(lambda call: "Count more carefully."))
    opt = TextGradOptimizer(exact, engine=backward, steps=1, batch_size=2)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        warnings.filterwarnings("error", message=".*DSPy", category=DeprecationWarning)
        with dspy.context(lm=lm):
            opt.compile(dspy.Predict("question -> answer"), trainset=examples(4))
    deprecations = [str(w.message) for w in seen if issubclass(w.category, DeprecationWarning)]
    assert [m for m in deprecations if "DSPy" in m or "dspy" in m] == []
    assert opt.history is not None and opt.history.program_failures == []
    assert len(lm.calls) > 0 and len(backward.lm.calls) > 0
