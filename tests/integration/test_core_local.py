"""The core end to end on the real local model: forward, loss, backward, step, cache, fit."""

from __future__ import annotations

from pathlib import Path

import pytest

import tg_core as tg
from tg_core.train import fit

pytestmark = pytest.mark.integration


def _words_at_least(n: int):  # type: ignore[no-untyped-def]
    def check(value: str) -> str | None:
        return None if len(value.split()) >= n else f"use at least {n} words"

    return check


def test_forward_loss_backward_step_on_the_local_model(tmp_path: Path) -> None:
    engine = tg.get_engine("local", cache=tmp_path / "cache", max_tokens=120)
    prompt = tg.Variable(
        "You answer arithmetic questions.",
        role_description="system prompt of an arithmetic assistant",
    )
    model = tg.BlackboxLLM(engine, system_prompt=prompt)
    question = tg.Variable("What is 17 + 25?", role_description="question", requires_grad=False)
    with tg.track_usage("it") as scope:
        answer = model(question)
        loss = tg.TextLoss("Check the arithmetic and the format. Be brief.", engine=engine)(answer)
        loss.backward(engine=engine)
        assert answer.gradients and prompt.gradients  # feedback reached both
        optimizer = tg.TGD([prompt], engine=engine, constraints=[_words_at_least(4)])
        report = optimizer.step()
    update = report.updates[0]
    assert update.status in ("updated", "unchanged", "rejected")
    if update.status == "updated":
        assert prompt.value != "You answer arithmetic questions."
    assert len(str(prompt.value).split()) >= 4  # the constraint holds whatever happened
    assert scope.usage.calls >= 5 and scope.usage.completion_tokens > 0

    with tg.track_usage("repeat") as again:
        repeat = tg.BlackboxLLM(engine, system_prompt="You answer arithmetic questions.")(question)
    assert again.usage.cached_calls == 1 and again.usage.calls == 0
    assert repeat.value == answer.value


def test_a_short_fit_with_a_report(tmp_path: Path) -> None:
    engine = tg.get_engine("local", cache=tmp_path / "cache", max_tokens=80)
    prompt = tg.Variable(
        "Reply with the number only.", role_description="system prompt of a counting assistant"
    )
    model = tg.BlackboxLLM(engine, system_prompt=prompt)
    data = [("How many legs do two cats have?", "8"), ("How many days are in two weeks?", "14")]

    async def loss_fn(example: tuple[str, str]) -> tg.Variable:
        q = tg.Variable(example[0], role_description="question", requires_grad=False)
        out = await model.aforward(q)
        return await tg.TextLoss(
            f"The right answer is {example[1]}. Judge briefly.", engine=engine
        ).aforward(out)

    async def score_fn(example: tuple[str, str]) -> float:
        q = tg.Variable(example[0], role_description="question", requires_grad=False)
        out = await model.aforward(q)
        return float(example[1] in str(out.value))

    result = fit(
        [prompt],
        loss_fn,
        score_fn,
        data,
        data[:1],
        engine=engine,
        steps=1,
        batch_size=2,
        run_dir=tmp_path / "run",
        progress=False,
    )
    assert len(result.history) == 1 and result.usage.calls > 0
    report = (tmp_path / "run" / "report.md").read_text()
    assert "Reply with the number only." in report
    assert (tmp_path / "run" / "report.html").exists()
