"""Graph pictures: one Mermaid builder for the notebook view and the run report."""

from __future__ import annotations

from typing import Any

import tg_core as tg
from tg_core.report import render_markdown
from tg_core.visualize import GraphView, mermaid_source

REPORT_GRAPH = [
    "## Computation graph of one step",
    "",
    "```mermaid",
    "flowchart LR",
    "  n3[\"a 'quoted' question role: 2+2?\"]",
    '  n4["an answer role that is long enough to be cut after forty: 4"]',
    "  n3 --> n4",
    "```",
]


def minimal_run(graph: dict[str, Any]) -> dict[str, Any]:
    usage = {"calls": 0, "total_tokens": 0, "cost_usd": 0.0, "cost_known": True}
    return {
        "usage": usage,
        "initial_score": 0.5,
        "best_score": 0.5,
        "history": [],
        "stopped_reason": "done",
        "estimate": {},
        "fingerprint": {"roles": []},
        "values": [],
        "graph": graph,
    }


def test_report_graph_section_is_unchanged() -> None:
    graph = {
        "nodes": [
            [3, 'a "quoted" question role', "2+2?", False, ""],
            [4, "an answer role that is long enough to be cut after forty", "4", True, ""],
        ],
        "edges": [[3, 4]],
    }
    text = render_markdown(minimal_run(graph))
    assert text.endswith("\n".join(REPORT_GRAPH) + "\n")


def test_graph_view_mermaid_shows_role_and_short_value() -> None:
    a = tg.Variable('say "hi"', role_description="question")
    b = tg.Variable("word " * 30, role_description="answer", predecessors=[a])
    shown = "word " * 11 + "wo..."
    assert GraphView.of(b).to_mermaid() == "\n".join(
        [
            "flowchart LR",
            f"  n{a.id}[\"question: say 'hi'\"]",
            f'  n{b.id}["answer: {shown}"]',
            f"  n{a.id} --> n{b.id}",
        ]
    )
    assert GraphView.of(b).to_mermaid() == mermaid_source(
        [(a.id, 'question: say "hi"'), (b.id, f"answer: {shown}")], [(a.id, b.id)]
    )
