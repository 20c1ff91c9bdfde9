"""``Tape``: the recording of one top-level call of a program, as a differentiable graph.

A framework's recorder fills a tape with the predictor and tool calls of one run; a subclass
says what the framework is: how its predictors are called, their bound parameters, and the
error raised when the recording does not hold what was asked for.
"""

from __future__ import annotations

import threading
from typing import Any

from ..prompts import render
from ..variable import Variable
from .nodes import pass_through
from .protocol import ProgramRun, shown
from .protocol import value_text as as_text
from .records import NotRecordedError, PredictorCall, ToolCall
from .run_graph import CallNode, RunGraph, build_graph
from .values import MIN_CONTAINED_CHARS


class Tape:
    """One run of a program: its predictor calls, and a graph you can backpropagate on.

    After the run has finished, :meth:`output` gives the program's output field as a
    :class:`tg_core.Variable`; a loss on it sends feedback through every predictor call
    that contributed to the bound parameters of those predictors. Subclasses set
    ``label`` (what a predictor is called in role descriptions), ``prediction_kind`` (what
    a run returns), ``not_recorded`` (the error raised) and :meth:`parameters_of`.

    Attributes:
        call_id: the framework's id of the top-level call.
        module: the module that was called.
        inputs: its keyword inputs.
        calls: the predictor calls, in the order they started.
        tools: the tool calls, in the order they started.
        prediction: what the top-level call returned (None if it raised).
        error: the exception's text when it raised.
        done: whether the top-level call has returned.

    Example:
        >>> from tg_core.program.records import Attempt
        >>> instructions = Variable("Answer.", role_description="instructions")
        >>> class QATape(Tape):
        ...     def parameters_of(self, call):
        ...         return [instructions]
        >>> tape = QATape("run", None, {"question": "2+2?"}, {})
        >>> call = PredictorCall("c1", None, {"question": "2+2?"}, start=0, end=1, name="qa")
        >>> call.attempts.append(Attempt([], ["answer: 5"], {"answer": "5"}))
        >>> tape.calls.append(call)
        >>> tape.prediction, tape.done = {"answer": "5"}, True
        >>> tape.output("answer").value, tape.parameters() == [instructions]
        ('5', True)
    """

    label = "predictor"
    program_kind = "program"
    prediction_kind = "prediction with fields"
    not_recorded: type[NotRecordedError] = NotRecordedError

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
        """The predictor's name in the program, or its class name."""
        return self._names.get(id(predictor), type(predictor).__name__)

    def calls_of(self, name: str) -> list[PredictorCall]:
        """The calls of the predictor named ``name``, in order."""
        return [c for c in self.calls if c.name == name]

    def trace(self) -> list[tuple[Any, dict[str, Any], Any]]:
        """The run as a trace (DSPy's form): ``(predictor, inputs, prediction)`` per finished call."""
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

    def parameters_of(self, call: PredictorCall) -> list[Variable]:
        """The bound parameters of ``call``'s predictor, its instructions first.

        Raises:
            NotImplementedError: always; a framework's tape says.
        """
        raise NotImplementedError("a framework's Tape subclass gives its predictors' parameters")

    # -- the graph ------------------------------------------------------------------------
    def graph(self) -> RunGraph:
        """Build (once) and return the graph of this finished run.

        Raises:
            NotRecordedError: the run has not returned yet.
        """
        with self._lock:
            if not self.done:
                raise self.not_recorded(
                    "this run has not finished yet; build its graph after the call returns"
                )
            if self._graph is None:
                run_inputs = [as_text(v) for v in self.inputs.values()]
                self._graph = build_graph(
                    self.calls,
                    self.tools,
                    run_inputs,
                    parameters_of=self.parameters_of,
                    label=self.label,
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
            raise self.not_recorded(
                f"this run returned no prediction (error: {self.error or 'none recorded'})"
            )
        if hasattr(prediction, "items"):
            return dict(prediction.items())
        raise self.not_recorded(
            f"the program returned {type(prediction).__name__}, not a {self.prediction_kind}; "
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
            raise self.not_recorded(
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
                    raise self.not_recorded(
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
            except self.not_recorded:
                continue
        return out

    def run_output(self) -> Variable | None:
        """The run's output fields as one Variable wired into its graph (None if none is)."""
        try:
            outputs = list(self.outputs().values())
        except self.not_recorded:
            return None
        if len(outputs) <= 1:
            return outputs[0] if outputs else None
        return pass_through(shown(self.prediction), outputs, f"output of the {self.program_kind}")

    def failure_text(self) -> str:
        """What the answer of the call that failed must do ('' when no predictor call failed)."""
        failed = self.failed_call
        if failed is None:
            return ""
        predictor = f"{self.label} `{failed.name}`"
        return render("predictor_failed", predictor=predictor, error=str(failed.error))

    def failure_variable(self) -> Variable | None:
        """The raw completion of the call that failed, when the model did answer.

        A loss on it (e.g. "the answer could not be parsed: ...") teaches that predictor's
        instructions to produce output the framework can parse.
        """
        failed = self.failed_call
        if failed is None:
            return None
        for node in self.graph().nodes:
            if node.call is failed:
                return node.completion
        return None

    def wire(self, run: ProgramRun) -> ProgramRun:
        """``run`` (this tape's run) with its output wired into the graph.

        A run that returned gets :meth:`run_output`; a run that raised points at the
        completion the framework could not use (:meth:`failure_variable`), with
        :meth:`failure_text` saying what it must do differently.

        Example:
            >>> tape = Tape("run", None, {}, {})
            >>> tape.wire(ProgramRun(error=ValueError("no answer"))).output is None
            True
        """
        if run.error is None:
            run.output = self.run_output()
            return run
        run.output = self.failure_variable()
        run.failure_text = self.failure_text()
        return run


def _latest(graph: RunGraph, keep: Any) -> Variable | None:
    matches = [p for p in graph.produced if keep(p)]
    if not matches:
        return None
    return max(matches, key=lambda p: p.end).variable
