"""TextGradOptimizer: compile on a copy, metrics of every shape, save/load, history."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import dspy
import pytest

from tg_adapters.dspy import MetricError, TextGradOptimizer, parameters
from tg_adapters.dspy.testing import FunctionLM, LMCall, chat_answer
from tg_core.engine.fake import FakeEngine

GOOD = "improved variable"  # what FakeEngine proposes for every parameter


class DraftRefine(dspy.Module):
    """Draft then refine; answers right only once both instructions were optimized."""

    def __init__(self) -> None:
        super().__init__()
        self.draft = dspy.ChainOfThought("question -> draft_answer")
        self.refine = dspy.Predict("question, draft_answer -> answer")

    def forward(self, question: str) -> Any:
        draft = self.draft(question=question)
        return self.refine(question=question, draft_answer=draft.draft_answer)


def program_lm() -> FunctionLM:
    def respond(call: LMCall) -> str:
        n = call.inputs["question"].split()[-1]
        if "draft_answer" in call.inputs:
            draft = call.inputs["draft_answer"]
            good = GOOD in call.system and draft == n
            return chat_answer(answer=n if good else "0")
        return chat_answer(reasoning="count", draft_answer=n if GOOD in call.system else "?")

    return FunctionLM(respond)


def examples(n: int, start: int = 0) -> list[dspy.Example]:
    return [
        dspy.Example(question=f"count to {i}", answer=str(i)).with_inputs("question")
        for i in range(start, start + n)
    ]


def exact(example: Any, pred: Any, trace: Any = None) -> bool:
    return bool(example.answer == pred.answer)


def test_compile_optimizes_a_copy_and_leaves_the_student(tmp_path: Path) -> None:
    student = DraftRefine()
    before = {name: p.signature for name, p in student.named_predictors()}
    texts = {name: s.instructions for name, s in before.items()}
    opt = TextGradOptimizer(exact, engine=FakeEngine(), steps=1, batch_size=3, search=False)
    with dspy.context(lm=program_lm()):
        optimized = opt.compile(student, trainset=examples(3), valset=examples(4, 10))
    assert optimized is not student
    for name, pred in student.named_predictors():
        assert pred.signature is before[name]
        assert pred.signature.instructions == texts[name]
    assert [p.signature.instructions for _, p in optimized.named_predictors()] == [GOOD, GOOD]
    history = optimized.textgrad_history
    assert history is opt.history and opt.result is not None
    assert history.initial_score == 0.0 and history.best_score == 1.0
    assert history.steps[0].accepted and history.steps[0].val_score == 1.0
    assert history.versions() == {name: [texts[name], GOOD] for name in texts}
    assert history.usage["calls"] > 0


def test_optimized_program_saves_loads_and_runs_alone(tmp_path: Path) -> None:
    opt = TextGradOptimizer(exact, engine=FakeEngine(), steps=1, validate=False, search=False)
    with dspy.context(lm=program_lm()):
        optimized = opt.compile(DraftRefine(), trainset=examples(2))
    path = tmp_path / "program.json"
    optimized.save(str(path))
    fresh = DraftRefine()
    fresh.load(str(path))
    assert [p.signature.instructions for _, p in fresh.named_predictors()] == [GOOD, GOOD]
    assert not dspy.settings.get("callbacks")
    with dspy.context(lm=program_lm()):
        assert fresh(question="count to 7").answer == "7"


def test_metric_returning_a_float_gives_expected_output_in_the_loss() -> None:
    engine = FakeEngine()
    opt = TextGradOptimizer(
        lambda example, pred: 0.25,
        engine=engine,
        steps=1,
        batch_size=1,
        validate=False,
        search=False,
    )
    with dspy.context(lm=program_lm()):
        optimized = opt.compile(DraftRefine(), trainset=examples(1, 5))
    loss_prompts = [p for p in engine.prompts if "scored the program's output 0.25" in p]
    assert loss_prompts and "Expected output:\nanswer: 5" in loss_prompts[0]
    assert all(p.signature.instructions == GOOD for p in optimized.predictors())


def test_gepa_style_metric_feedback_becomes_the_loss() -> None:
    seen: list[tuple[Any, ...]] = []

    def metric(
        example: Any, pred: Any, trace: Any = None, pred_name: Any = None, pred_trace: Any = None
    ) -> dspy.Prediction:
        seen.append((trace, pred_name, pred_trace))
        return dspy.Prediction(score=0.0, feedback="Count the words of the question again.")

    engine = FakeEngine()
    opt = TextGradOptimizer(metric, engine=engine, steps=1, batch_size=2, validate=False)
    with dspy.context(lm=program_lm()):
        opt.compile(DraftRefine(), trainset=examples(2))
    assert seen and all(s == (None, None, None) for s in seen)
    assert sum("Count the words of the question again." in p for p in engine.prompts) >= 2


@pytest.mark.parametrize("bad", [ValueError("boom"), None, math.nan, "n/a"])
def test_bad_metric_output_counts_as_failure_without_losing_the_step(bad: Any) -> None:
    def metric(example: Any, pred: Any) -> Any:
        if example.answer == "0":
            if isinstance(bad, Exception):
                raise bad
            return bad
        return 0.0

    opt = TextGradOptimizer(
        metric, engine=FakeEngine(), steps=1, batch_size=3, validate=False, search=False
    )
    with dspy.context(lm=program_lm()):
        optimized = opt.compile(DraftRefine(), trainset=examples(3))
    history = optimized.textgrad_history
    assert history.metric_failures and "metric" in history.metric_failures[0]
    assert history.steps[0].failed_examples == 1
    assert all(p.signature.instructions == GOOD for p in optimized.predictors())


def test_bad_metric_output_can_raise_a_clear_error() -> None:
    opt = TextGradOptimizer(
        lambda example, pred: None, engine=FakeEngine(), steps=1, on_metric_error="raise"
    )
    with dspy.context(lm=program_lm()), pytest.raises(MetricError, match="returned None"):
        opt.compile(DraftRefine(), trainset=examples(2))


def test_validation_rejects_a_step_that_makes_things_worse() -> None:
    def metric(example: Any, pred: Any) -> float:
        return 0.0 if pred.answer == example.answer else 0.5  # rewards being wrong

    opt = TextGradOptimizer(metric, engine=FakeEngine(), steps=1, batch_size=2)
    student = DraftRefine()
    with dspy.context(lm=program_lm()):
        optimized = opt.compile(student, trainset=examples(2, 1), valset=examples(2, 3))
    assert not optimized.textgrad_history.steps[0].accepted
    assert [p.signature.instructions for p in optimized.predictors()] == [
        p.signature.instructions for p in student.predictors()
    ]


def test_engine_can_be_a_dspy_lm_and_defaults_to_the_configured_lm(tmp_path: Path) -> None:
    def optimizer_model(call: LMCall) -> str:
        if "<IMPROVED_VARIABLE>" in call.user:
            return f"<IMPROVED_VARIABLE>{GOOD}</IMPROVED_VARIABLE>"
        return "Name the number at the end of the question."

    backward_lm = FunctionLM(optimizer_model, model="function/optimizer")
    opt = TextGradOptimizer(
        exact, engine=backward_lm, steps=1, validate=False, run_dir=tmp_path, search=False
    )
    program_model = program_lm()
    with dspy.context(lm=program_model):
        optimized = opt.compile(DraftRefine(), trainset=examples(2))
    assert backward_lm.calls and all(
        p.signature.instructions == GOOD for p in optimized.predictors()
    )
    assert (tmp_path / "checkpoint.json").is_file()
    calls = len(backward_lm.calls) + len(program_model.calls)  # the program's calls count too
    assert optimized.textgrad_history.usage["calls"] == calls

    both = FunctionLM(
        lambda c: optimizer_model(c) if "<VARIABLE" in c.user else program_lm().responder(c)
    )
    with dspy.context(lm=both):
        TextGradOptimizer(exact, steps=1, validate=False, search=False).compile(
            DraftRefine(), trainset=examples(1, 4)
        )
    assert any("<VARIABLE" in c.user for c in both.calls), [c.user[:60] for c in both.calls]


def test_a_failing_program_teaches_its_output_format() -> None:
    calls: list[str] = []

    def respond(call: LMCall) -> str:
        calls.append(call.system)
        return "I will not use the format" if GOOD not in call.system else chat_answer(answer="1")

    engine = FakeEngine()
    opt = TextGradOptimizer(
        exact, engine=engine, steps=1, batch_size=1, validate=False, search=False
    )
    program = dspy.Predict("question -> answer")
    with dspy.context(
        lm=FunctionLM(respond), adapter=dspy.ChatAdapter(use_json_adapter_fallback=False)
    ):
        optimized = opt.compile(program, trainset=examples(1, 1))
    assert any("The program failed at the DSPy predictor" in p for p in engine.prompts)
    assert optimized.signature.instructions == GOOD
    assert parameters(optimized)[0].value == GOOD
    assert "AdapterParseError" in optimized.textgrad_history.program_failures[0]


def test_caller_mistakes_are_reported() -> None:
    from tg_adapters.dspy import DSPyAdapterError

    with pytest.raises(DSPyAdapterError):
        TextGradOptimizer(lambda: 1)
    with pytest.raises(DSPyAdapterError):
        TextGradOptimizer(exact, engine=FakeEngine()).compile(DraftRefine(), trainset=[])
    with pytest.raises(DSPyAdapterError, match="with_inputs"):
        TextGradOptimizer(exact, engine=FakeEngine(), validate=False).compile(
            DraftRefine(), trainset=[dspy.Example(question="q", answer="a")]
        )


def test_require_improvement_undoes_a_step_that_only_ties() -> None:
    # The program answers "0" whatever the instructions, so every proposal ties at 0.0.
    opt = TextGradOptimizer(
        exact,
        engine=FakeEngine(),
        steps=1,
        batch_size=2,
        require_improvement=True,
        search=False,
    )
    student = DraftRefine()
    with dspy.context(
        lm=FunctionLM(lambda call: chat_answer(reasoning="r", draft_answer="?", answer="0"))
    ):
        optimized = opt.compile(student, trainset=examples(2, 1), valset=examples(2, 5))
    assert opt.history is not None
    assert [s.accepted for s in opt.history.steps] == [False]
    assert "did not improve" in opt.history.steps[0].reason
    assert [p.signature.instructions for p in optimized.predictors()] == [
        p.signature.instructions for p in student.predictors()
    ]
