"""One short TextGradOptimizer compile on the embedded local model, end to end."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dspy
import pytest

from tg_adapters.dspy import DSPyLMEngine, TextGradOptimizer
from tg_core.local import LOCAL_MODEL_ALIAS, LocalServer, ensure_server
from tg_core.tasks.answers import integers_match

pytestmark = pytest.mark.integration

QUESTIONS = [
    ("I have a chair, two potatoes, and a cabbage. How many vegetables do I have?", "3"),
    ("I have a flute, a piano, and a trombone. How many musical instruments do I have?", "3"),
    ("I have two dogs, a cat, and a car. How many animals do I have?", "3"),
]


class DraftRefine(dspy.Module):
    """Count with reasoning, then give the final number."""

    def __init__(self) -> None:
        super().__init__()
        self.draft = dspy.ChainOfThought("question -> draft_answer")
        self.refine = dspy.Predict("question, draft_answer -> answer", max_tokens=32)

    def forward(self, question: str) -> Any:
        draft = self.draft(question=question)
        return self.refine(question=question, draft_answer=draft.draft_answer)


def metric(
    example: Any, pred: Any, trace: Any = None, pred_name: Any = None, pred_trace: Any = None
) -> dspy.Prediction:
    right = integers_match(str(pred.answer), example.answer)
    verdict = "Correct" if right else f"Wrong: the program answered {pred.answer!r}"
    return dspy.Prediction(
        score=float(right), feedback=f"{verdict}; the correct count is {example.answer}."
    )


@pytest.fixture(scope="module")
def server() -> Iterator[LocalServer]:
    """The embedded server of the user's tg_core home (reused when it already runs)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("TG_CORE_HOME", raising=False)
        yield ensure_server(n_ctx=4096, timeout=600)


def test_compile_one_step_on_the_local_model(
    server: LocalServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("TG_CORE_HOME", raising=False)
    monkeypatch.setenv("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no price-table download
    lm = dspy.LM(
        f"openai/{LOCAL_MODEL_ALIAS}",
        api_base=server.base_url,
        api_key="EMPTY",
        max_tokens=96,
        temperature=0.0,
        cache=False,
        engine="litellm",  # sends max_tokens, which llama-cpp-python's server honors
    )
    data = [dspy.Example(question=q, answer=a).with_inputs("question") for q, a in QUESTIONS]
    student = DraftRefine()
    before = [p.signature.instructions for p in student.predictors()]
    optimizer = TextGradOptimizer(
        metric,
        engine=DSPyLMEngine(lm, max_tokens=160),
        steps=1,
        batch_size=1,
        num_threads=1,
        run_dir=tmp_path / "run",
    )
    started = time.perf_counter()
    with dspy.context(lm=lm):
        optimized = optimizer.compile(student, trainset=data[:1], valset=data[2:])
    wall = time.perf_counter() - started
    history = optimized.textgrad_history
    print(
        f"\ncompile wall time {wall:.1f}s, LM calls {len(lm.history)} "
        f"(counted by tg_core: {history.usage['calls']}), "
        f"validation {history.initial_score} -> {history.best_score}, "
        f"step: {history.steps[0].reason}"
    )
    assert [p.signature.instructions for p in student.predictors()] == before
    assert len(history.steps) == 1
    assert history.usage["calls"] == len(lm.history)  # the program's calls count too
    assert all(p.signature.instructions.strip() for p in optimized.predictors())
    assert (tmp_path / "run" / "checkpoint.json").is_file()
    with dspy.context(lm=lm):
        assert optimized(question=QUESTIONS[0][0]).answer is not None
