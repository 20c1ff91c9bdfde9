"""Running a DSPy program on one example in a worker thread, recorded or not."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tg_core.extend import BudgetExceeded, run_in_worker

from .errors import DSPyAdapterError, NotRecordedError
from .metric import Metric, MetricOutcome, call_metric
from .recorder import DSPyRecorder
from .tape import Tape


def example_inputs(example: Any) -> dict[str, Any]:
    """The keyword inputs of an example: ``example.inputs()`` for a ``dspy.Example``.

    Raises:
        DSPyAdapterError: a ``dspy.Example`` without ``with_inputs(...)``, or not a mapping.

    Example:
        >>> import dspy
        >>> example_inputs(dspy.Example(q="2+2?", a="4").with_inputs("q"))
        {'q': '2+2?'}
    """
    inputs = getattr(example, "inputs", None)
    if callable(inputs):
        try:
            return dict(inputs().items())
        except ValueError as exc:
            raise DSPyAdapterError(
                f"{exc}; mark the input fields with example.with_inputs('question', ...)"
            ) from exc
    if isinstance(example, dict):
        return dict(example)
    raise DSPyAdapterError(f"examples must be dspy.Example objects, got {type(example).__name__}")


@dataclass
class Outcome:
    """One run of the program on one example, and the metric's verdict.

    Attributes:
        prediction: what the program returned (None if it raised).
        error: the program's exception, if it raised.
        metric: the metric's outcome (None when the program raised).
        tape: the recording, when the run was recorded.

    Example:
        >>> Outcome(None, ValueError("bad input"), None, None).error
        ValueError('bad input')
    """

    prediction: Any
    error: BaseException | None
    metric: MetricOutcome | None
    tape: Tape | None


async def run_example(
    program: Any,
    example: Any,
    metric: Metric,
    *,
    arity: int,
    record: bool,
) -> Outcome:
    """Run ``program`` on ``example`` in a worker thread, then score it with ``metric``.

    With ``record`` the run happens under a fresh :class:`DSPyRecorder` and its tape is
    returned. The caller's context (``dspy.context`` settings) reaches the thread. A
    program exception is returned in the outcome, except
    :class:`~tg_core.errors.BudgetExceeded`, which is raised.

    Example:
        >>> import asyncio, dspy
        >>> from tg_adapters.dspy.testing import FunctionLM, chat_answer
        >>> program = dspy.Predict("question -> answer")
        >>> ex = dspy.Example(question="2+2?", answer="4").with_inputs("question")
        >>> with dspy.context(lm=FunctionLM(lambda c: chat_answer(answer="4"))):
        ...     run = asyncio.run(run_example(program, ex, lambda e, p: e.answer == p.answer,
        ...                                   arity=2, record=True))
        >>> run.metric.score, [c.name for c in run.tape.calls]
        (1.0, ['self'])
    """
    inputs = example_inputs(example)
    recorder = DSPyRecorder(program) if record else None

    def call() -> Outcome:
        try:
            if recorder is not None:
                with recorder:
                    prediction = program(**inputs)
            else:
                prediction = program(**inputs)
        except BudgetExceeded:
            raise  # the run's budget, not a fault of the program
        except Exception as exc:
            tape = recorder.last if recorder is not None and recorder.tapes else None
            return Outcome(None, exc, None, tape)
        tape = None
        if recorder is not None:
            try:
                tape = recorder.tape_for(prediction)
            except NotRecordedError:
                tape = recorder.last if recorder.tapes else None
        return Outcome(
            prediction, None, call_metric(metric, example, prediction, arity=arity), tape
        )

    result: Outcome = await run_in_worker(call)
    return result
