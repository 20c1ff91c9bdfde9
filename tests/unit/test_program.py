"""The core program layer on a plain-Python Program: metric policy, losses, failures, options."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pytest

import tg_core as tg
from tg_core.engine.fake import FakeCall, FakeEngine, default_answer
from tg_core.errors import UserError
from tg_core.program import (
    FailureLog,
    FrameworkCall,
    MetricError,
    MetricOutcome,
    Program,
    ProgramRun,
    acall_metric,
    call_metric,
    expected_fields,
    optimize,
    read_metric,
)
from tg_core.program import fit as fit_module
from tg_core.program.fit import fit_config
from tg_core.train.config import FitConfig
from tg_core.train.samples import Sample

GOOD = "improved variable"  # what FakeEngine proposes for every parameter


def respond(call: FakeCall) -> str:
    """The program's model doubles the number only once its prompt was improved."""
    if call.text.startswith("double "):
        n = int(call.text.split()[-1])
        return str(2 * n) if GOOD in (call.system_prompt or "") else "0"
    return default_answer(call)


class Doubler:
    """A plain-Python Program: one prompt Variable, one model call per example."""

    def __init__(self, engine: FakeEngine, fail_on: str | None = None) -> None:
        self.prompt = tg.Variable("Answer.", role_description="system prompt")
        self.model = tg.BlackboxLLM(engine, system_prompt=self.prompt)
        self.fail_on = fail_on

    def parameters(self) -> list[tg.Variable]:
        return [self.prompt]

    async def arun(self, example: dict[str, str], *, record: bool) -> ProgramRun:
        inputs = {"q": example["q"]}
        run = ProgramRun(input_text=example["q"], expected_text=expected_fields(example, inputs))
        if example["q"] == self.fail_on:
            run.error = RuntimeError("the program broke")
            return run
        question = tg.Variable(example["q"], role_description="question", requires_grad=False)
        out = await self.model.aforward(question)
        run.prediction, run.output_text = out.value, out.value
        run.output = out if record else None
        return run


def examples(*numbers: int) -> list[dict[str, str]]:
    return [{"q": f"double {n}", "answer": str(2 * n)} for n in numbers]


def exact(example: dict[str, str], prediction: str) -> bool:
    return example["answer"] == prediction


def test_a_plain_program_is_a_program_and_gets_optimized() -> None:
    engine = FakeEngine(respond)
    program = Doubler(engine)
    assert isinstance(program, Program)
    result = optimize(
        program,
        examples(1, 2),
        exact,
        examples(3, 4),
        config=FitConfig.textgrad_loop(steps=1),
        engine=engine,
    )
    assert (result.initial_score, result.best_score) == (0.0, 1.0)
    assert program.prompt.value == GOOD and result.history[0].accepted
    # The loss shows the score with the expected and the actual output to the critic.
    critic = [p for p in engine.prompts if "scored the program's output 0" in p]
    for answer in ("2", "4"):
        assert any(f"Expected output:\nanswer: {answer}\n" in p for p in critic), answer


def test_metric_feedback_is_the_loss_and_perfect_scores_give_no_gradient() -> None:
    engine = FakeEngine(respond)
    optimize(
        Doubler(engine),
        examples(1),
        lambda ex, pred: {"score": 0.0, "feedback": "Double the number."},
        config=FitConfig.textgrad_loop(steps=1, validate=False),
        engine=engine,
    )
    assert any("Double the number." in p for p in engine.prompts)
    quiet = FakeEngine(respond)
    config = FitConfig.textgrad_loop(steps=1)
    result = optimize(
        Doubler(quiet), examples(1, 2), lambda ex, pred: 1.0, config=config, engine=quiet
    )
    assert [c.text.split()[0] for c in quiet.calls] == ["double"] * 4  # runs only, no backward
    assert not result.history[0].accepted


@dataclass
class Verdict:
    score: Any
    feedback: str | None = None


class Raises:
    def __repr__(self) -> str:
        return "raises"


POLICY: list[tuple[Any, MetricOutcome | str]] = [
    (0.25, MetricOutcome(0.25)),
    (1, MetricOutcome(1.0)),
    (True, MetricOutcome(1.0)),
    (False, MetricOutcome(0.0)),
    ({"score": 0.5, "feedback": "  Be exact. "}, MetricOutcome(0.5, "Be exact.")),
    ({"score": 1, "feedback": ""}, MetricOutcome(1.0)),
    (Verdict(0.0, "Count again."), MetricOutcome(0.0, "Count again.")),
    (Verdict(False), MetricOutcome(0.0)),
    (None, "the metric returned None"),
    (math.nan, "the metric returned nan"),
    (math.inf, "the metric returned inf"),
    ("0.5", "the metric returned '0.5', which is not a number"),
    ({"feedback": "no score"}, "the metric's result has no score"),
    (Verdict("high"), "the metric returned 'high', which is not a number"),
    (Raises(), "the metric raised KeyError: 'answer'"),
]


@pytest.mark.parametrize(("value", "expected"), POLICY, ids=[repr(v) for v, _ in POLICY])
async def test_one_metric_policy(value: Any, expected: MetricOutcome | str) -> None:
    def metric(example: Any, prediction: Any) -> Any:
        if isinstance(value, Raises):
            raise KeyError("answer")
        return value

    async def async_metric(example: Any, prediction: Any) -> Any:
        return metric(example, prediction)

    outcomes = [
        call_metric(metric, {}, "out"),
        await acall_metric(metric, {}, "out"),
        await acall_metric(async_metric, {}, "out"),
    ]
    if not isinstance(value, Raises):
        outcomes.append(read_metric(value))
    if isinstance(expected, str):
        expected = MetricOutcome(0.0, failed=True, reason=expected)
    assert outcomes == [expected] * len(outcomes)


def test_a_failing_metric_counts_as_a_failed_example_or_raises() -> None:
    def metric(example: dict[str, str], prediction: str) -> float | None:
        return None if example["q"] == "double 1" else 0.0

    engine = FakeEngine(respond)
    log = FailureLog()
    config = FitConfig.textgrad_loop(steps=1, batch_size=2, validate=False)
    program = Doubler(engine)
    result = optimize(program, examples(1, 2), metric, config=config, engine=engine, failures=log)
    assert result.history[0].failed_examples == 1 and result.history[0].accepted
    assert log.metric == ["the metric returned None"] and log.program == []
    with pytest.raises(MetricError, match="failed 1 time"):
        optimize(
            Doubler(FakeEngine(respond)),
            examples(1, 2),
            metric,
            config=config.updated(on_metric_error="raise"),
            engine=FakeEngine(respond),
        )


def test_a_run_that_raises_teaches_its_output_or_fails_the_example() -> None:
    engine = FakeEngine(respond)
    log = FailureLog()
    program = Doubler(engine, fail_on="double 1")
    config = FitConfig.textgrad_loop(steps=1, batch_size=2, validate=False)
    result = optimize(program, examples(1, 2), exact, config=config, engine=engine, failures=log)
    assert log.program == ["RuntimeError: the program broke"]
    assert result.history[0].failed_examples == 1  # no answer to blame: no loss
    answer = tg.Variable("garbled", role_description="raw answer")
    run = ProgramRun(output=answer, error=ValueError("cannot parse"), input_text="double 2")
    loss = fit_module.failure_loss(run)
    loss.backward(engine=FakeEngine())
    assert "cannot parse" in answer.get_gradient_text()


async def test_the_loss_function_hands_the_loop_a_sample(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[Any] = []

    async def loop(
        params: Any, loss_fn: Any, score_fn: Any, train: Any, val: Any, **kw: Any
    ) -> str:
        seen.append(await loss_fn(train[0]))
        return "done"

    monkeypatch.setattr(fit_module, "afit", loop)
    engine = FakeEngine(respond)
    await fit_module.aoptimize(Doubler(engine), examples(3), exact, engine=engine)
    (sample,) = seen
    assert isinstance(sample, Sample) and isinstance(sample.loss, tg.Variable)
    assert (sample.score, sample.input_text, sample.output_text, sample.expected_text) == (
        0.0,
        "double 3",
        "0",
        "answer: 6",
    )


def test_fit_config_takes_options_as_keywords() -> None:
    base = FitConfig(steps=2, batch_size=3)
    config = fit_config(base, validate=False, constraints=None, patience=None, seed=4)
    assert (config.steps, config.batch_size, config.validate_steps, config.seed) == (2, 3, False, 4)
    assert config.constraints == () and config.patience is None
    assert fit_config(validate_steps=False).validate_steps is False
    assert fit_config() == FitConfig()
    with pytest.raises(UserError, match="no_such_option"):
        fit_config(no_such_option=1)
    with pytest.raises(UserError, match="no_such_option"):
        fit_config(no_such_option=None)
    with pytest.raises(UserError, match="batch_size"):
        fit_config(batch_size=0)


def test_framework_calls_hold_and_count() -> None:
    with tg.track_usage("app", tg.Budget(max_calls=2)) as scope:
        call = FrameworkCall("question " * 8)
        call.settle(prompt_tokens=None, completion_tokens=None, answer_text="an answer")
        FrameworkCall("again").cached()
        FrameworkCall("and again").failed()
        with pytest.raises(tg.BudgetExceeded):
            FrameworkCall("one too many")
    usage = scope.usage
    assert (usage.calls, usage.cached_calls, usage.failed_calls) == (2, 1, 1)
    assert scope._reserved_calls == 0
    assert usage.prompt_tokens == 18 and usage.completion_tokens == 3
