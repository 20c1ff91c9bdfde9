"""Turns one recorded run into a textual-autograd graph: one model-call node per predictor call.

Predictor calls and tool calls are linked by value (frameworks record no data flow): an input
comes from the earlier outputs it equals or contains. The adapter says which parameters each
predictor has and what the framework calls a predictor.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..variable import Variable
from .nodes import chat_conversation, model_call, pass_through
from .protocol import value_text
from .records import PredictorCall, ToolCall
from .values import MIN_CONTAINED_CHARS, Produced, ValueIndex, find_sources, remember

ParametersOf = Callable[[PredictorCall], list[Variable]]
"""The bound parameters of a call's predictor, its instructions first (then any others)."""


@dataclass
class CallNode:
    """The graph of one predictor call.

    Attributes:
        call: the recorded call.
        instruction: the predictor's bound instructions Variable (shared across runs).
        inputs: one Variable per input field (earlier outputs where the value came from one).
        completion: the raw completion, a model-call result of the instructions and inputs.
        outputs: one Variable per parsed output field, each fed by the completion.

    Example:
        >>> CallNode(PredictorCall("c", None, {}, 0), Variable("x", role_description="i")).outputs
        {}
    """

    call: PredictorCall
    instruction: Variable
    inputs: dict[str, Variable] = field(default_factory=dict)
    completion: Variable | None = None
    outputs: dict[str, Variable] = field(default_factory=dict)


@dataclass
class RunGraph:
    """Every node of one run, in call order, and the values later calls can link to.

    Example:
        >>> RunGraph().nodes
        []
    """

    nodes: list[CallNode] = field(default_factory=list)
    tools: dict[str, Variable] = field(default_factory=dict)
    values: ValueIndex = field(default_factory=ValueIndex)

    @property
    def produced(self) -> list[Produced]:
        """Every value a call or tool of the run produced, in the order they were added."""
        return self.values.produced


def _input_variable(name: str, value: Any, owner: str, sources: list[Produced]) -> Variable:
    text = value_text(value)
    role = f"input `{name}` of the {owner}"
    if not sources:
        return Variable(text, requires_grad=False, role_description=role)
    if len(sources) == 1 and sources[0].text.strip() == text.strip():
        return sources[0].variable
    made_from = ", ".join(f"`{s.field}`" for s in sources)
    role = f"{role}, built from the earlier output(s) {made_from}"
    return pass_through(text, [s.variable for s in sources], role)


@dataclass
class _Builder:
    graph: RunGraph
    run_inputs: list[str]
    min_contained: int
    parameters_of: ParametersOf
    label: str

    def sources(self, value: Any, before: int) -> list[Produced]:
        return find_sources(
            value,
            self.graph.values,
            before=before,
            run_inputs=self.run_inputs,
            min_contained=self.min_contained,
        )

    def tool(self, tool: ToolCall) -> None:
        if tool.end is None or tool.error is not None:
            return
        sources = self.sources(tool.inputs, tool.start)
        role = f"result of the tool `{tool.name}`"
        result = pass_through(value_text(tool.output), [s.variable for s in sources], role)
        self.graph.tools[tool.call_id] = result
        remember(self.graph.values, Produced(tool.end, value_text(tool.output), result, tool.name))

    def call(self, call: PredictorCall) -> CallNode:
        name = call.name or type(call.predictor).__name__
        owner = f"{self.label} `{name}`"
        params = self.parameters_of(call)
        node = CallNode(call, params[0])
        for field_name, value in call.inputs.items():
            sources = self.sources(value, call.start)
            node.inputs[field_name] = _input_variable(field_name, value, owner, sources)
        final = call.final
        if final is None or not final.completions:
            return node
        completion = model_call(
            call.completion,
            [*params, *node.inputs.values()],
            conversation=chat_conversation(final.messages, call.completion),
            role=f"raw completion of the {owner}",
        )
        node.completion = completion
        end = call.end if call.end is not None else call.start
        for out_name, value in call.outputs.items():
            out = pass_through(
                value_text(value), [completion], f"output field `{out_name}` of the {owner}"
            )
            node.outputs[out_name] = out
            text = out.value if isinstance(out.value, str) else ""
            remember(self.graph.values, Produced(end, text, out, out_name))
        return node


def build_graph(
    calls: list[PredictorCall],
    tools: list[ToolCall],
    run_inputs: list[str],
    *,
    parameters_of: ParametersOf,
    label: str = "predictor",
    min_contained: int = MIN_CONTAINED_CHARS,
) -> RunGraph:
    """Build the graph of a finished run.

    Calls and tool calls are visited in the order they started; an input links to the
    outputs (or tool results) that ended before its call started and whose values it holds.

    Args:
        calls: the run's predictor calls.
        tools: the run's tool calls.
        run_inputs: texts of the run's own inputs (never taken for earlier outputs).
        parameters_of: the bound parameters of a call's predictor, its instructions first.
        label: what the framework's predictors are called in role descriptions.
        min_contained: shortest earlier value linked when it appears inside an input.

    Example:
        >>> build_graph([], [], [], parameters_of=lambda call: []).nodes
        []
    """
    builder = _Builder(RunGraph(), run_inputs, min_contained, parameters_of, label)
    events: list[tuple[int, PredictorCall | ToolCall]] = [(c.start, c) for c in calls]
    events += [(t.start, t) for t in tools]
    for _, item in sorted(events, key=lambda e: e[0]):
        if isinstance(item, ToolCall):
            builder.tool(item)
        else:
            builder.graph.nodes.append(builder.call(item))
    return builder.graph
