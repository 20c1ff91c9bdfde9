"""``DSPyProgram``: a ``dspy.Module`` as the core's Program (recorded runs, bound instructions)."""

from __future__ import annotations

import contextlib
from typing import Any

from tg_core.extend import Variable, run_in_worker
from tg_core.program.protocol import ProgramRun, expected_fields, shown
from tg_core.program.slots import RunSlots

from .bindings import named_parameters
from .errors import DSPyAdapterError
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


def tape_run(
    example: Any, prediction: Any, error: BaseException | None = None, tape: Tape | None = None
) -> ProgramRun:
    """The core's view of one run; with its ``tape``, its output is wired into the graph.

    A run that raised points at the completion DSPy could not use, when the model answered.

    Example:
        >>> import dspy
        >>> from tg_adapters.dspy.testing import FunctionLM, chat_answer
        >>> program = dspy.Predict("question -> answer")
        >>> ex = dspy.Example(question="2+2?", answer="4").with_inputs("question")
        >>> with dspy.context(lm=FunctionLM(lambda c: chat_answer(answer="5"))):
        ...     with DSPyRecorder(program) as recorder:
        ...         pred = program(question="2+2?")
        >>> run = tape_run(ex, pred, tape=recorder.last)
        >>> run.output.value, run.expected_text, run.output_text
        ('5', 'answer: 4', 'answer: 5')
    """
    inputs = example_inputs(example)
    run = ProgramRun(
        prediction,
        error=error,
        input_text=shown(inputs),
        output_text=shown(prediction) if prediction is not None else "",
        expected_text=expected_fields(example, inputs),
    )
    return run if tape is None else tape.wire(run)


class DSPyProgram:
    """A DSPy module as a :class:`~tg_core.program.protocol.Program`.

    Its parameters are the predictors' instructions (and, with ``prefixes``, output-field
    prefixes) bound with :func:`~tg_adapters.dspy.bindings.named_parameters`; a run calls the
    module in a worker thread with the caller's ``dspy.context``, recorded by a fresh
    :class:`~tg_adapters.dspy.recorder.DSPyRecorder` when asked.

    Args:
        module: the ``dspy.Module`` to run (optimizing it writes into its predictors).
        prefixes: also optimize each output field's prefix.
        num_threads: program runs in flight at once.

    Example:
        >>> import asyncio, dspy
        >>> from tg_adapters.dspy.testing import FunctionLM, chat_answer
        >>> program = DSPyProgram(dspy.Predict("question -> answer"))
        >>> ex = dspy.Example(question="2+2?", answer="4").with_inputs("question")
        >>> with dspy.context(lm=FunctionLM(lambda c: chat_answer(answer="4"))):
        ...     run = asyncio.run(program.arun(ex, record=True))
        >>> run.prediction.answer, run.output.value
        ('4', '4')
    """

    def __init__(self, module: Any, *, prefixes: bool = False, num_threads: int = 8) -> None:
        self._slots = RunSlots(num_threads, DSPyAdapterError)
        self.module = module
        self.named = named_parameters(module, prefixes=prefixes)

    def parameters(self) -> list[Variable]:
        """The bound Variables, in ``named_predictors()`` order."""
        return [v for _, v in self.named]

    async def arun(self, example: Any, *, record: bool) -> ProgramRun:
        """Run the module on ``example.inputs()``; with ``record`` its graph is built."""
        inputs = example_inputs(example)
        recorder = DSPyRecorder(self.module) if record else None

        def call() -> Any:
            with recorder if recorder is not None else contextlib.nullcontext():
                return self.module(**inputs)

        prediction, error = await self._slots.run(lambda: run_in_worker(call))
        tape = recorder.tape_of(prediction, error) if recorder is not None else None
        return tape_run(example, prediction, error, tape)
