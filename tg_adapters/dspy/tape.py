"""``Tape``: the recording of one top-level call of a DSPy program, as a differentiable graph."""

from __future__ import annotations

from tg_core.extend import Variable
from tg_core.program import tape as core
from tg_core.program.records import PredictorCall

from .bindings import instruction_variable, known_prefix_variables
from .errors import NotRecordedError


class Tape(core.Tape):
    """One run of a DSPy program: its predictor calls, and a graph you can backpropagate on.

    A tape is made by :class:`~tg_adapters.dspy.recorder.DSPyRecorder` for every top-level
    module call. After the run has finished, :meth:`output` gives the program's output field
    as a :class:`tg_core.Variable`; a loss on it sends feedback through every predictor that
    contributed to the instructions Variables of :func:`~tg_adapters.dspy.parameters`.

    Its attributes are those of :class:`tg_core.program.tape.Tape` (``call_id`` is DSPy's
    id of the top-level call).

    Example:
        >>> import dspy, tg_core as tg
        >>> from dspy.utils import DummyLM
        >>> from tg_core.engine.fake import FakeEngine
        >>> from tg_adapters.dspy import DSPyRecorder
        >>> program = dspy.Predict("question -> answer")
        >>> recorder = DSPyRecorder(program)
        >>> with dspy.context(lm=DummyLM([{"answer": "5"}])), recorder:
        ...     _ = program(question="2+2?")
        >>> tape = recorder.last
        >>> judge = tg.TextLoss("Is it right?", engine=FakeEngine(["Wrong: 4."]))
        >>> loss = judge(tape.output("answer"))
        >>> _ = loss.backward(engine=FakeEngine())
        >>> len(tape.parameters()[0].gradients)
        1
    """

    label = "DSPy predictor"
    program_kind = "DSPy program"
    prediction_kind = "dspy.Prediction"
    not_recorded = NotRecordedError

    def parameters_of(self, call: PredictorCall) -> list[Variable]:
        """A predictor's bound instructions, then the prefixes bound so far."""
        instruction = instruction_variable(call.predictor, call.name or None)
        return [instruction, *known_prefix_variables(call.predictor)]
