"""Losses of recorded DSPy runs, by tape: the core's metric and failure losses."""

from __future__ import annotations

from typing import Any

from tg_core.extend import Variable
from tg_core.program import loss as core
from tg_core.program.loss import feedback_loss
from tg_core.program.metric import MetricOutcome
from tg_core.program.protocol import expected_fields, shown

from .errors import DSPyAdapterError
from .program import example_inputs, tape_run
from .tape import Tape

__all__ = ["failure_loss", "feedback_loss", "loss_text", "metric_loss"]


def loss_text(example: Any, prediction: Any, outcome: MetricOutcome) -> str:
    """The loss in words: the metric's feedback, or its score with expected and actual output.

    Example:
        >>> import dspy
        >>> ex = dspy.Example(question="2+2?", answer="4").with_inputs("question")
        >>> print(loss_text(ex, dspy.Prediction(answer="5"), MetricOutcome(0.0)))
        The metric scored the program's output 0 (higher is better).
        Expected output:
        answer: 4
        The program's output:
        answer: 5
    """
    try:
        expected = expected_fields(example, example_inputs(example))
    except DSPyAdapterError:  # an Example without inputs set: show nothing rather than guess
        expected = ""
    return core.loss_text(outcome, expected_text=expected, output_text=shown(prediction))


def metric_loss(
    tape: Tape, example: Any, outcome: MetricOutcome, *, perfect_score: float = 1.0
) -> Variable:
    """The loss of one recorded run, judged by the metric (see :func:`tg_core.program.metric_loss`).

    Raises:
        ExampleFailed: the metric failed, or no output of the run is wired into its graph.

    Example:
        >>> import dspy
        >>> from tg_adapters.dspy.recorder import DSPyRecorder
        >>> from tg_adapters.dspy.testing import FunctionLM, chat_answer
        >>> program = dspy.Predict("question -> answer")
        >>> ex = dspy.Example(question="2+2?", answer="4").with_inputs("question")
        >>> with dspy.context(lm=FunctionLM(lambda c: chat_answer(answer="5"))):
        ...     with DSPyRecorder(program) as recorder:
        ...         pred = program(question="2+2?")
        >>> loss = metric_loss(recorder.last, ex, MetricOutcome(0.0, "It is 4."))
        >>> loss.predecessors == [recorder.last.output("answer")]
        True
    """
    run = tape_run(example, tape.prediction, tape=tape)
    return core.metric_loss(run, outcome, perfect_score=perfect_score)


def failure_loss(tape: Tape) -> Variable:
    """The loss of a run that raised: the error, as feedback on the completion that caused it.

    Raises:
        ExampleFailed: the model never answered (nothing in the graph to blame).

    Example:
        >>> import dspy
        >>> from tg_adapters.dspy.recorder import DSPyRecorder
        >>> from tg_adapters.dspy.testing import FunctionLM
        >>> program = dspy.Predict("question -> answer")
        >>> adapter = dspy.ChatAdapter(use_json_adapter_fallback=False)
        >>> with dspy.context(lm=FunctionLM(lambda c: "no format"), adapter=adapter):
        ...     with DSPyRecorder(program) as recorder:
        ...         try:
        ...             program(question="2+2?")
        ...         except Exception:
        ...             pass
        >>> failure_loss(recorder.last).predecessors[0].value
        'no format'
    """
    error = RuntimeError(tape.error or "the program failed")
    return core.failure_loss(tape_run(tape.inputs, None, error, tape))
