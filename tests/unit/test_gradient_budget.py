"""The feedback token budget: a process default, and scopes per block and per task."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

import tg_core as tg
from tg_core.engine.fake import FakeCall, FakeEngine
from tg_core.reduce import gradient_token_budget


@pytest.fixture(autouse=True)
def _default_restored() -> Iterator[None]:
    yield
    tg.set_gradient_token_budget(3000)


def test_the_process_default_and_a_scope_over_it() -> None:
    assert gradient_token_budget() == 3000
    tg.set_gradient_token_budget(800)
    assert gradient_token_budget() == 800
    with tg.gradient_budget(200) as tokens:
        assert tokens == 200 and gradient_token_budget() == 200
        with tg.gradient_budget(150):
            assert gradient_token_budget() == 150
        tg.set_gradient_token_budget(900)  # the default changes, the scope still wins
        assert gradient_token_budget() == 200
    assert gradient_token_budget() == 900


@pytest.mark.parametrize("tokens", [0, 99])
def test_a_budget_under_100_tokens_is_refused(tokens: int) -> None:
    with pytest.raises(tg.UserError, match=">= 100"):
        tg.set_gradient_token_budget(tokens)
    with pytest.raises(tg.UserError, match=">= 100"), tg.gradient_budget(tokens):
        pass
    assert gradient_token_budget() == 3000


def test_concurrent_tasks_keep_their_own_budget() -> None:
    async def read_in_scope(tokens: int, gate: asyncio.Event, seen: list[int]) -> None:
        with tg.gradient_budget(tokens):
            await gate.wait()  # both scopes are open at once here
            seen.append(gradient_token_budget())

    async def main() -> tuple[list[int], list[int], int]:
        gate = asyncio.Event()
        a: list[int] = []
        b: list[int] = []
        tasks = [
            asyncio.create_task(read_in_scope(500, gate, a)),
            asyncio.create_task(read_in_scope(700, gate, b)),
        ]
        await asyncio.sleep(0)
        gate.set()
        await asyncio.gather(*tasks)
        return a, b, gradient_token_budget()

    assert asyncio.run(main()) == ([500], [700], 3000)


def judged_three_times(engine: FakeEngine) -> tuple[tg.Variable, tg.Variable]:
    """An answer judged by three losses: its feedback arrives three times, then goes on."""
    prompt = tg.Variable("Answer.", role_description="system prompt")
    question = tg.Variable("question", role_description="question", requires_grad=False)
    answer = tg.BlackboxLLM(engine, system_prompt=prompt)(question)
    losses = [tg.TextLoss(f"Judge it ({i}).", engine=engine)(answer) for i in range(3)]
    return answer, tg.sum(losses)


def respond(call: FakeCall) -> str:
    if "pieces of feedback" in call.text:
        return "merged feedback"
    return "long feedback " * 60


def test_a_backward_pass_uses_the_budget_of_its_scope() -> None:
    engine = FakeEngine(respond)
    answer, total = judged_three_times(engine)
    with tg.gradient_budget(100):
        total.backward(engine=engine)
    merges = [p for p in engine.prompts if "pieces of feedback" in p]
    assert len(answer.gradients) == 3 and len(merges) >= 1
    assert "merged feedback" in engine.prompts[-1]  # what reached the system prompt's critic

    engine = FakeEngine(respond)
    answer, total = judged_three_times(engine)
    total.backward(engine=engine)  # the default of 3000 tokens: nothing to merge
    assert not [p for p in engine.prompts if "pieces of feedback" in p]
    assert "merged feedback" not in engine.prompts[-1]
