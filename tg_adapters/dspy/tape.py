"""``Tape``: the recording of one top-level call of a DSPy program, as a differentiable graph."""

from __future__ import annotations

import threading
from typing import Any

from tg_core.extend import Variable
from tg_core.program.nodes import pass_through
from tg_core.program.protocol import value_text as as_text
from tg_core.program.records import PredictorCall, ToolCall
from tg_core.program.run_graph import CallNode, RunGraph, build_graph
from tg_core.program.values import MIN_CONTAINED_CHARS

from .bindings import instruction_variable, known_prefix_variables
from .errors import NotRecordedError


class Tape:
    """One run of a DSPy program: its predictor calls, and a graph you can backpropagate on.

    A tape is made by :class:`~tg_adapters.dspy.recorder.DSPyRecorder` for every top-level
    module call. After the run has finished, :meth:`output` gives the program's output field
    as a :class:`tg_core.Variable`; a loss on it sends feedback through every predictor that
    contributed to the instructions Variables of :func:`~tg_adapters.dspy.parameters`.

    Attributes:
        call_id: DSPy's id of the top-level call.
        module: the module that was called.
        inputs: its keyword inputs.
        calls: the predictor calls, in the order they started.
        tools: the tool calls, in the order they started.
        prediction: what the top-level call returned (None if it raised).
        error: the exception's text when it raised.
        done: whether the top-level call has returned.

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

    def __init__(self, call_id: str, module: Any, inputs: dict[str, Any], names: dict[int, str]):
        self.call_id = call_id
        self.module = module
        self.inputs = inputs
        self.calls: list[PredictorCall] = []
        self.tools: list[ToolCall] = []
        self.prediction: Any = None
        self.error: str | None = None
        self.done = False
        self.min_contained = MIN_CONTAINED_CHARS
        self._names = names
        self._lock = threading.Lock()
        self._graph: RunGraph | None = None
        self._program_outputs: dict[str, Variable] = {}

    # -- what happened --------------------------------------------------------------------
    def __repr__(self) -> str:
        names = ", ".join(c.name or "?" for c in self.calls)
        state = "done" if self.done else "running"
        return f"Tape({type(self.module).__name__}, {state}, calls=[{names}])"

    def name_of(self, predictor: Any) -> str:
        """The predictor's name in the program (``named_predictors()``), or its class name."""
        return self._names.get(id(predictor), type(predictor).__name__)

    def calls_of(self, name: str) -> list[PredictorCall]:
        """The calls of the predictor named ``name``, in order."""
        return [c for c in self.calls if c.name == name]

    def trace(self) -> list[tuple[Any, dict[str, Any], Any]]:
        """The run as DSPy's trace: ``(predictor, inputs, prediction)`` per finished call."""
        return [
            (c.predictor, dict(c.inputs), c.prediction) for c in self.calls if c.end is not None
        ]

    @property
    def failed_call(self) -> PredictorCall | None:
        """The last predictor call that raised (e.g. its completion could not be parsed)."""
        for call in reversed(self.calls):
            if call.error is not None:
                return call
        return None

    # -- the graph ------------------------------------------------------------------------
    def graph(self) -> RunGraph:
        """Build (once) and return the graph of this finished run.

        Raises:
            NotRecordedError: the run has not returned yet.
        """
        with self._lock:
            if not self.done:
                raise NotRecordedError(
                    "this run has not finished yet; build its graph after the call returns"
                )
            if self._graph is None:
                run_inputs = [as_text(v) for v in self.inputs.values()]
                self._graph = build_graph(
                    self.calls,
                    self.tools,
                    run_inputs,
                    parameters_of=_parameters_of,
                    label="DSPy predictor",
                    min_contained=self.min_contained,
                )
            return self._graph

    def nodes(self) -> list[CallNode]:
        """One node per predictor call: instructions, inputs, completion, outputs."""
        return list(self.graph().nodes)

    def parameters(self) -> list[Variable]:
        """The instructions Variables of the predictors that ran, once each, in call order."""
        seen: list[Variable] = []
        for node in self.graph().nodes:
            if all(node.instruction is not v for v in seen):
                seen.append(node.instruction)
        return seen

    def _prediction_fields(self) -> dict[str, Any]:
        prediction = self.prediction
        if prediction is None:
            raise NotRecordedError(
                f"this run returned no prediction (error: {self.error or 'none recorded'})"
            )
        if hasattr(prediction, "items"):
            return dict(prediction.items())
        raise NotRecordedError(
            f"the program returned {type(prediction).__name__}, not a dspy.Prediction; "
            "use tape.nodes() to reach the predictor outputs"
        )

    def output(self, field: str) -> Variable:
        """The program's output ``field`` as a Variable wired into this run's graph.

        It is the output Variable of the predictor call that produced the value (the latest
        one with the same field name and value); when the program changed the value on the
        way out, a Variable built from the predictor outputs it contains.

        Raises:
            NotRecordedError: no such field, or no predictor output it came from.
        """
        fields = self._prediction_fields()
        if field not in fields:
            raise NotRecordedError(
                f"the run's prediction has no field {field!r}; it has {sorted(fields)}"
            )
        graph = self.graph()
        with self._lock:
            if field in self._program_outputs:
                return self._program_outputs[field]
            text = as_text(fields[field]).strip()
            found = _latest(graph, lambda p: p.field == field and p.text.strip() == text)
            found = found or _latest(graph, lambda p: p.text.strip() == text)
            if found is None:
                parts = [
                    p.variable
                    for p in graph.produced
                    if len(p.text.strip()) >= self.min_contained and p.text.strip() in text
                ]
                if not parts:
                    raise NotRecordedError(
                        f"the value of output {field!r} does not come from any recorded "
                        "predictor output, so feedback on it has nowhere to go"
                    )
                found = pass_through(
                    as_text(fields[field]), parts, f"output `{field}` of the program"
                )
            self._program_outputs[field] = found
            return found

    def outputs(self) -> dict[str, Variable]:
        """Every output field of the run's prediction that is wired into the graph."""
        out: dict[str, Variable] = {}
        for name in self._prediction_fields():
            try:
                out[name] = self.output(name)
            except NotRecordedError:
                continue
        return out

    def failure_variable(self) -> Variable | None:
        """The raw completion of the call that failed, when the model did answer.

        A loss on it (e.g. "the answer could not be parsed: ...") teaches that predictor's
        instructions to produce output DSPy can parse.
        """
        failed = self.failed_call
        if failed is None:
            return None
        for node in self.graph().nodes:
            if node.call is failed:
                return node.completion
        return None


def _parameters_of(call: PredictorCall) -> list[Variable]:
    """A predictor's bound instructions, then the prefixes bound so far."""
    instruction = instruction_variable(call.predictor, call.name or None)
    return [instruction, *known_prefix_variables(call.predictor)]


def _latest(graph: RunGraph, keep: Any) -> Variable | None:
    matches = [p for p in graph.produced if keep(p)]
    if not matches:
        return None
    return max(matches, key=lambda p: p.end).variable
