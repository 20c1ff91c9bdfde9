"""Pictures of a computation graph: Graphviz DOT and Mermaid sources, shown in notebooks."""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from .graph import topological_order
from .variable import OPERATIONS, Variable


def mermaid_source(nodes: Iterable[tuple[int, str]], edges: Iterable[Sequence[int]]) -> str:
    """Mermaid flowchart source: one box per ``(node id, label)``, one arrow per edge.

    Example:
        >>> print(mermaid_source([(1, 'say "hi"'), (2, "answer")], [(1, 2)]))
        flowchart LR
          n1["say 'hi'"]
          n2["answer"]
          n1 --> n2
    """
    lines = ["flowchart LR"]
    for node_id, label in nodes:
        shown = label.replace('"', "'")
        lines.append(f'  n{node_id}["{shown}"]')
    lines.extend(f"  n{a} --> n{b}" for a, b in edges)
    return "\n".join(lines)


def _short(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass
class GraphView:
    """Nodes and edges of the graph behind a variable, ready to draw.

    Example:
        >>> from tg_core.variable import Variable
        >>> a = Variable("a", role_description="input")
        >>> b = Variable("b", role_description="output", predecessors=[a])
        >>> "->" in GraphView.of(b).to_dot()
        True
    """

    nodes: list[tuple[int, str, str, bool, str]] = field(default_factory=list)
    edges: list[tuple[int, int]] = field(default_factory=list)

    @classmethod
    def of(cls, root: Variable, print_gradients: bool = False) -> GraphView:
        """Collect the graph that leads to ``root``."""
        view = cls()
        for node in topological_order(root):
            grads = _short(node.get_gradient_text(), 200) if print_gradients else ""
            view.nodes.append(
                (node.id, node.get_role_description(), _short(str(node)), node.requires_grad, grads)
            )
            for pred in node.predecessors:
                view.edges.append((pred.id, node.id))
        return view

    @property
    def source(self) -> str:
        """DOT source (the attribute graphviz users read)."""
        return self.to_dot()

    def to_dot(self) -> str:
        """Graphviz DOT source of the graph."""
        lines = ["digraph textual_graph {", "  rankdir=LR; node [shape=box, fontsize=10];"]
        for node_id, role, value, grad, grads in self.nodes:
            label = f"{role}\\n{value}" + (f"\\ngrad: {grads}" if grads else "")
            label = label.replace('"', "'")
            color = "lightblue" if grad else "lightgrey"
            lines.append(f'  n{node_id} [label="{label}", style=filled, fillcolor={color}];')
        lines.extend(f"  n{a} -> n{b};" for a, b in self.edges)
        lines.append("}")
        return "\n".join(lines)

    def to_mermaid(self) -> str:
        """Mermaid flowchart source of the graph."""
        labels = ((i, f"{role}: {_short(value, 60)}") for i, role, value, _g, _gr in self.nodes)
        return mermaid_source(labels, self.edges)

    def to_html(self) -> str:
        """A self-contained HTML table of the nodes and edges (no scripts)."""
        rows = "".join(
            f"<tr><td>n{i}</td><td>{html.escape(r)}</td><td>{html.escape(v)}</td></tr>"
            for i, r, v, _g, _gr in self.nodes
        )
        edges = ", ".join(f"n{a}→n{b}" for a, b in self.edges)
        return (
            "<table><tr><th>node</th><th>role</th><th>value</th></tr>"
            f"{rows}</table><p>edges: {html.escape(edges)}</p>"
        )

    def _repr_markdown_(self) -> str:
        return "```mermaid\n" + self.to_mermaid() + "\n```"


OPERATIONS.graph_view = GraphView.of
