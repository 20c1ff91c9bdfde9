"""Backward semantics: every input once, summed losses keep their objective, concurrency."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

import tg_core as tg
from tg_core.engine.fake import FakeCall, FakeEngine
from tg_core.graph import BackwardError


def _echo_feedback(call: FakeCall) -> str:
    """Feedback that names the variable it is about, so tests can check routing."""
    text = call.text
    marker = "Give feedback on this input"
    if marker in text:
        block = text.split(marker, 1)[1]
        value = block.split(">", 1)[1].split("</VARIABLE>", 1)[0].strip()
        return f"feedback on [{value}]"
    return f"answer to [{text[:30]}]"


def test_llm_call_feedback_reaches_input_and_system_prompt() -> None:
    engine = FakeEngine(_echo_feedback)
    system = tg.Variable("Be terse.", role_description="system prompt")
    question = tg.Variable("What is 2+2?", role_description="question")
    answer = tg.autograd.LLMCall(engine, system_prompt=system)(question)
    loss = tg.TextLoss("Judge it.", engine=engine)(answer)
    loss.backward(engine=engine)
    assert answer.get_gradient_text() == f"feedback on [{answer.value}]"
    assert question.get_gradient_text() == "feedback on [What is 2+2?]"
    assert system.get_gradient_text() == "feedback on [Be terse.]"
    ctx = system.gradients_context[system.gradients[0]]
    assert ctx is not None and "What is 2+2?" in ctx["conversation"]
    assert ctx["prompt_id"] == "backward_llm_with_gradient@1"
    root_prompt = [p for p in engine.prompts if "it is the objective" in p]
    assert len(root_prompt) == 1 and "Judge it." in root_prompt[0]


def test_summed_losses_each_keep_their_objective_and_feed_each_input_once() -> None:
    engine = FakeEngine(_echo_feedback)
    system = tg.Variable("Think.", role_description="system prompt")
    model = tg.BlackboxLLM(engine, system_prompt=system)
    losses = []
    for i in range(4):
        answer = model(tg.Variable(f"q{i}", role_description="question", requires_grad=False))
        losses.append(tg.TextLoss(f"Objective {i}", engine=engine)(answer))
    total = tg.sum(losses)
    total.backward(engine=engine)
    # Each loss was treated as its own objective (the root prompt, with its own instruction).
    root_prompts = [p for p in engine.prompts if "it is the objective" in p]
    assert sorted(p.split("<SYSTEM_PROMPT>\n", 1)[1][:11] for p in root_prompts) == [
        f"Objective {i}" for i in range(4)
    ]
    # The shared system prompt got exactly one gradient per sample, in sample order.
    assert len(system.gradients) == 4
    assert len({id(g) for g in system.gradients}) == 4


def test_sum_with_feedback_passes_it_to_every_input_once() -> None:
    a = tg.Variable("a", role_description="first")
    b = tg.Variable("b", role_description="second")
    total = tg.sum([a, b])
    engine = FakeEngine(["criticism of the sum", "feedback on the sum"])
    loss = tg.TextLoss("judge", engine=engine)(total)
    loss.backward(engine=engine)
    assert total.get_gradient_text() == "feedback on the sum"
    assert len(engine.calls) == 2
    for v in (a, b):
        assert len(v.gradients) == 1
        assert v.gradients[0] is total.gradients[0]


def test_aggregate_feeds_every_input() -> None:
    inputs = [tg.Variable(f"v{i}", role_description=f"part {i}") for i in range(3)]
    agg = tg.aggregate(inputs)
    engine = FakeEngine(_echo_feedback)
    tg.TextLoss("judge", engine=engine)(agg).backward(engine=engine)
    assert all(len(v.gradients) == 1 for v in inputs)


def test_gradients_accumulate_across_backward_calls_until_zero_grad() -> None:
    engine = FakeEngine(_echo_feedback)
    system = tg.Variable("S", role_description="system prompt")
    model = tg.BlackboxLLM(engine, system_prompt=system)
    opt = tg.TGD([system], engine=engine)
    for i in range(2):
        answer = model(tg.Variable(f"q{i}", role_description="question", requires_grad=False))
        tg.TextLoss("judge", engine=engine)(answer).backward(engine=engine)
    assert len(system.gradients) == 2
    opt.zero_grad()
    assert system.gradients == []


def test_a_shared_intermediate_is_not_propagated_twice() -> None:
    engine = FakeEngine(_echo_feedback)
    system = tg.Variable("S", role_description="system prompt")
    answer = tg.BlackboxLLM(engine, system_prompt=system)(
        tg.Variable("q", role_description="question", requires_grad=False)
    )
    tg.TextLoss("judge 1", engine=engine)(answer).backward(engine=engine)
    tg.TextLoss("judge 2", engine=engine)(answer).backward(engine=engine)
    assert len(answer.gradients) == 2
    assert len(system.gradients) == 2  # one per backward, not 1 + 2


def test_backward_runs_independent_calls_concurrently() -> None:
    engine = FakeEngine(_echo_feedback, latency=0.05)
    system = tg.Variable("S", role_description="system prompt")
    model = tg.BlackboxLLM(engine, system_prompt=system)
    losses = [
        tg.TextLoss("judge", engine=engine)(
            model(tg.Variable(f"q{i}", role_description="question", requires_grad=False))
        )
        for i in range(8)
    ]
    engine.peak_in_flight = 0
    tg.sum(losses).backward(engine=engine)
    # Level 1: 8 loss-input gradients at once; level 2: 8 system-prompt gradients at once.
    assert engine.peak_in_flight == 8


def test_concurrency_limit_bounds_calls_in_flight() -> None:
    engine = FakeEngine(_echo_feedback, latency=0.02)
    answers = [tg.Variable(f"a{i}", role_description="answer") for i in range(10)]
    losses = [tg.TextLoss("judge", engine=engine)(a) for a in answers]
    engine.peak_in_flight = 0
    with tg.concurrency(3):
        tg.sum(losses).backward(engine=engine)
    assert engine.peak_in_flight == 3
    assert all(len(a.gradients) == 1 for a in answers)


def test_a_failed_call_keeps_the_other_gradients() -> None:
    answers = [tg.Variable(f"a{i}", role_description=f"answer {i}") for i in range(3)]
    losses = [
        tg.Variable(f"loss {i}", role_description="evaluation", predecessors=[a])
        for i, a in enumerate(answers)
    ]
    scripted = {"loss 1"}

    def respond(call: FakeCall) -> str:
        if any(f"<OUTPUT>\n{s}" in call.text for s in scripted):
            raise RuntimeError("provider down")
        return "ok feedback"

    engine = FakeEngine(respond)
    from tg_core.autograd.llm_call import llm_backward

    for a, loss in zip(answers, losses):
        loss.set_grad_fn(
            llm_backward(
                loss, [a], f"<INPUT>\n{a.value}\n</INPUT>\n<OUTPUT>\n{loss.value}\n</OUTPUT>"
            )
        )
    with pytest.raises(tg.TgCoreError):
        tg.sum(losses).backward(engine=engine)
    assert [len(a.gradients) for a in answers] == [1, 0, 1]


def test_backward_error_lists_every_failure() -> None:
    err = BackwardError([RuntimeError("a"), ValueError("b")])
    assert "2 backward call(s) failed" in str(err) and len(err.errors) == 2


def test_budget_stops_backward_before_the_call_that_would_exceed_it() -> None:
    engine = FakeEngine(_echo_feedback)
    answers = [tg.Variable(f"a{i}", role_description="answer") for i in range(6)]
    losses = [tg.TextLoss("judge", engine=engine)(a) for a in answers]
    calls_before = len(engine.calls)
    with tg.track_usage("test", tg.Budget(max_calls=4)) as scope, pytest.raises(tg.BudgetExceeded):
        tg.sum(losses).backward(engine=engine)
    assert len(engine.calls) - calls_before == 4
    assert scope.usage.calls == 4
    assert sum(len(a.gradients) for a in answers) == 4


def test_string_based_function_backward_explains_the_purpose() -> None:
    engine = FakeEngine(_echo_feedback)
    prediction = tg.Variable("Answer: 5", role_description="prediction")
    truth = tg.Variable("6", role_description="ground truth", requires_grad=False)
    fn = tg.autograd.StringBasedFunction(
        lambda prediction, truth: int(prediction.value.endswith(truth.value)), "checks the answer"
    )
    out = fn(inputs={"prediction": prediction, "truth": truth})
    assert out.value == "0"
    out.backward(engine=engine)
    assert prediction.get_gradient_text() == "feedback on [Answer: 5]"
    assert "checks the answer" in engine.prompts[0]
    assert truth.gradients == []


async def test_a_cancelled_backward_leaves_no_task_running() -> None:
    engine = FakeEngine(_echo_feedback)
    answers = [tg.Variable(f"a{i}", role_description="answer") for i in range(6)]
    losses = [tg.TextLoss("judge", engine=engine)(a) for a in answers]
    engine.latency = 5.0  # backward calls hang until cancelled
    before = asyncio.all_tasks()
    task = asyncio.ensure_future(tg.sum(losses).abackward(engine))
    await asyncio.sleep(0.05)
    assert engine.in_flight == 6
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.sleep(0)
    assert asyncio.all_tasks() - before - {asyncio.current_task()} == set()
    assert engine.in_flight == 0


async def test_a_wide_graph_runs_no_more_node_tasks_than_the_concurrency_limit() -> None:
    engine = FakeEngine(_echo_feedback, latency=0.01)
    answers = [tg.Variable(f"a{i}", role_description="answer") for i in range(40)]
    losses = [tg.TextLoss("judge", engine=engine)(a) for a in answers]
    running = peak = 0

    def counted(grad_fn: Any) -> Any:
        async def wrapper(ctx: Any) -> None:
            nonlocal running, peak
            running += 1
            peak = max(peak, running)
            try:
                await grad_fn(ctx)
            finally:
                running -= 1

        return wrapper

    for loss in losses:
        loss.grad_fn = counted(loss.grad_fn)
    with tg.concurrency(4):
        await tg.sum(losses).abackward(engine)
    assert peak == 4  # prompts are built only as calls can be sent: memory stays bounded
    assert all(len(a.gradients) == 1 for a in answers)
