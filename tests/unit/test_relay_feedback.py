"""Relayed feedback: the output's feedback reaches the prompt word for word, with no critic call."""

from __future__ import annotations

import asyncio

from tg_core.engine.fake import FakeCall, FakeEngine
from tg_core.recipes import QATask, SystemPromptProgram, aoptimize_system_prompt
from tg_core.train import FitConfig

TASK = QATask(
    "lies",
    [("Does Ka tell the truth?", "Yes"), ("Does Bo tell the truth?", "No")],
    [("Does Cy tell the truth?", "Yes")],
    [],
    lambda out, target: int(out.strip().endswith(target)),
    "Think step by step.",
)


def _run(feedback: str) -> list[FakeCall]:
    def respond(call: FakeCall) -> str:
        if "<IMPROVED_VARIABLE>" in call.text or "new_value" in call.text:
            return "<IMPROVED_VARIABLE>Answer with Yes or No only.</IMPROVED_VARIABLE>"
        if call.system_prompt and "Think step by step" in call.system_prompt:
            return "Answer: Maybe"
        return "The prompt should ask for a short answer."

    engine = FakeEngine(respond)
    program = SystemPromptProgram(engine, TASK, max_tokens=64)
    config = FitConfig.textgrad_loop(steps=1, batch_size=2, progress=False, feedback=feedback)
    asyncio.run(aoptimize_system_prompt(program, config=config))
    return engine.calls


def _critic_calls(calls: list[FakeCall]) -> list[FakeCall]:
    return [c for c in calls if "Give feedback on this input" in c.text]


def test_relayed_feedback_makes_no_critic_call_and_shows_the_metric_s_words() -> None:
    calls = _run("relay")
    assert _critic_calls(calls) == []
    update = [c for c in calls if "IMPROVED_VARIABLE" in c.text]
    assert len(update) == 1
    assert "the correct final answer is Yes" in update[0].text
    assert "the correct final answer is No" in update[0].text


def test_critic_feedback_asks_the_model_for_each_run() -> None:
    calls = _run("critic")
    assert len(_critic_calls(calls)) == 2
    update = [c for c in calls if "IMPROVED_VARIABLE" in c.text]
    assert "The prompt should ask for a short answer." in update[0].text
