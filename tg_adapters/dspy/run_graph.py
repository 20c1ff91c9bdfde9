"""Turns one recorded run into a textual-autograd graph: one model-call node per predictor."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tg_core.extend import Variable
from tg_core.program.nodes import model_call, pass_through
from tg_core.program.values import Produced, ValueIndex

from .bindings import instruction_variable, known_prefix_variables
from .matching import MIN_CONTAINED_CHARS, find_sources, remember
from .nodes import as_text, render_conversation
from .records import PredictorCall, ToolCall


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
        >>> import dspy
        >>> from tg_adapters.dspy.records import PredictorCall
        >>> pred = dspy.Predict("q -> a")
        >>> CallNode(PredictorCall("c", pred, {}, 0), Variable("x", role_description="i")).outputs
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


def _input_variable(
    name: str,
    value: Any,
    owner: str,
    sources: list[Produced],
) -> Variable:
    text = as_text(value)
    role = f"input `{name}` of the DSPy predictor `{owner}`"
    if not sources:
        return Variable(text, requires_grad=False, role_description=role)
    if len(sources) == 1 and sources[0].text.strip() == text.strip():
        return sources[0].variable
    made_from = ", ".join(f"`{s.field}`" for s in sources)
    role = f"{role}, built from the earlier output(s) {made_from}"
    return pass_through(text, [s.variable for s in sources], role)


def _tool_node(tool: ToolCall, graph: RunGraph, run_inputs: list[str], min_contained: int) -> None:
    if tool.end is None or tool.error is not None:
        return
    sources = find_sources(
        tool.inputs,
        graph.values,
        before=tool.start,
        run_inputs=run_inputs,
        min_contained=min_contained,
    )
    role = f"result of the tool `{tool.name}`"
    result = pass_through(as_text(tool.output), [s.variable for s in sources], role)
    graph.tools[tool.call_id] = result
    remember(graph.values, Produced(tool.end, as_text(tool.output), result, tool.name))


def _call_node(
    call: PredictorCall, graph: RunGraph, run_inputs: list[str], min_contained: int
) -> CallNode:
    name = call.name or type(call.predictor).__name__
    node = CallNode(call, instruction_variable(call.predictor, call.name or None))
    for field_name, value in call.inputs.items():
        sources = find_sources(
            value,
            graph.values,
            before=call.start,
            run_inputs=run_inputs,
            min_contained=min_contained,
        )
        node.inputs[field_name] = _input_variable(field_name, value, name, sources)
    final = call.final
    if final is None or not final.completions:
        return node
    targets = [node.instruction, *known_prefix_variables(call.predictor), *node.inputs.values()]
    completion = model_call(
        call.completion,
        targets,
        conversation=render_conversation(final.messages, call.completion),
        role=f"raw completion of the DSPy predictor `{name}`",
    )
    node.completion = completion
    end = call.end if call.end is not None else call.start
    for out_name, value in call.outputs.items():
        role = f"output field `{out_name}` of the DSPy predictor `{name}`"
        out = pass_through(as_text(value), [completion], role)
        node.outputs[out_name] = out
        text = out.value if isinstance(out.value, str) else ""
        remember(graph.values, Produced(end, text, out, out_name))
    return node


def build_graph(
    calls: list[PredictorCall],
    tools: list[ToolCall],
    run_inputs: list[str],
    *,
    min_contained: int = MIN_CONTAINED_CHARS,
) -> RunGraph:
    """Build the graph of a finished run.

    Calls and tool calls are visited in the order they started; an input links to the
    outputs (or tool results) that ended before its call started and whose values it holds.

    Args:
        calls: the run's predictor calls.
        tools: the run's tool calls.
        run_inputs: texts of the run's own inputs (never taken for earlier outputs).
        min_contained: shortest earlier value linked when it appears inside an input.

    Example:
        >>> build_graph([], [], []).nodes
        []
    """
    graph = RunGraph()
    events: list[tuple[int, PredictorCall | ToolCall]] = [(c.start, c) for c in calls]
    events += [(t.start, t) for t in tools]
    for _, item in sorted(events, key=lambda e: e[0]):
        if isinstance(item, ToolCall):
            _tool_node(item, graph, run_inputs, min_contained)
        else:
            graph.nodes.append(_call_node(item, graph, run_inputs, min_contained))
    return graph
