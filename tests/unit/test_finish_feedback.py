"""Cut-off answers: engines report finish reasons, and the QA recipe's feedback names the cut."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tg_core.engine.base import Answer
from tg_core.engine.cache import ResponseCache
from tg_core.engine.fake import FakeEngine
from tg_core.engine.finish import finish_reasons, was_cut
from tg_core.recipes import QATask, SystemPromptProgram

TASK = QATask(
    "lies",
    [("Does Ka tell the truth?", "Yes")],
    [],
    [],
    lambda out, target: int(out.strip().endswith(target)),
    "Think step by step. The last line must be 'Answer: Yes' or 'Answer: No'.",
)


def test_each_call_in_the_block_and_its_tasks_is_recorded() -> None:
    engine = FakeEngine([Answer("a", "stop"), Answer("b", "length"), "c", Answer("d", "length")])

    async def run() -> list[str | None]:
        with finish_reasons() as seen:
            await engine.agenerate("one")
            await asyncio.gather(engine.agenerate("two"), engine.agenerate("three"))
        await engine.agenerate("outside")
        return seen

    seen = asyncio.run(run())
    assert sorted(seen, key=str) == sorted(["stop", "length", None], key=str)
    assert was_cut(seen) and len(engine.calls) == 4


def test_a_cached_answer_counts_as_finished_and_a_cut_one_is_asked_again(tmp_path: Path) -> None:
    engine = FakeEngine(
        [Answer("Yes", "stop"), Answer("Step 1:", "length"), Answer("Step 1:", "length")]
    )
    engine.cache = ResponseCache(tmp_path)

    async def run() -> list[list[str | None]]:
        out = []
        for prompt in ["q1", "q1", "q2", "q2"]:
            with finish_reasons() as seen:
                await engine.agenerate(prompt)
            out.append(seen)
        return out

    assert asyncio.run(run()) == [["stop"], ["stop"], ["length"], ["length"]]
    assert len(engine.calls) == 3


def test_nested_blocks_collect_their_own_calls() -> None:
    engine = FakeEngine([Answer("a", "length"), Answer("b", "stop")])
    with finish_reasons() as outer:
        engine.generate("x")
        with finish_reasons() as inner:
            engine.generate("y")
    assert (outer, inner) == (["length"], ["stop"])


def _feedback(answer: Answer | str) -> tuple[float, str]:
    program = SystemPromptProgram(FakeEngine([answer]), TASK, max_tokens=64)
    sample = asyncio.run(program.loss(TASK.train[0]))
    output = sample.loss.predecessors[0] if sample.loss.predecessors else None
    gradient = ""
    if output is not None:
        asyncio.run(sample.loss.abackward(engine=FakeEngine()))
        gradient = output.get_gradient_text()
    return sample.score, gradient


def test_feedback_on_an_answer_cut_at_the_length_limit_says_it_was_cut() -> None:
    score, feedback = _feedback(Answer("Ka says Sal lies. Sal says", "length"))
    assert score == 0.0
    assert "cut off" in feedback and "64 tokens" in feedback
    assert "The correct final answer is Yes." in feedback


def test_feedback_on_a_finished_wrong_answer_gives_the_right_one_and_no_cut() -> None:
    score, feedback = _feedback(Answer("Answer: No", "stop"))
    assert score == 0.0
    assert "cut off" not in feedback
    assert "the correct final answer is Yes" in feedback


def test_a_right_answer_has_no_feedback_to_give() -> None:
    score, feedback = _feedback("Answer: Yes")
    assert (score, feedback) == (1.0, "")
