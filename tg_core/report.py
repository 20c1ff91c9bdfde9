"""Run report: score curve, every version of every parameter with diffs, usage, graph picture."""

from __future__ import annotations

import difflib
import html
import json
from pathlib import Path
from typing import Any

from .errors import UserError
from .train.checkpoint import load_checkpoint, scrub
from .visualize import mermaid_source


def _svg_curve(history: list[dict[str, Any]], initial: float | None) -> str:
    points = [(0, initial, True)] if initial is not None else []
    points += [
        (r["step"] + 1, r["val_score"], r["accepted"])
        for r in history
        if r["val_score"] is not None
    ]
    width, height, pad = 520, 220, 36
    if not points:
        return f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="60"><text x="10" y="30">no validation scores</text></svg>'
    max_x = max(1, max(p[0] for p in points))

    def xy(step: float, score: float) -> tuple[float, float]:
        return pad + step / max_x * (width - 2 * pad), height - pad - score * (height - 2 * pad)

    accepted = [xy(s, v) for s, v, ok in points if ok and v is not None]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-size="11">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" stroke="black"/>',
        f'<line x1="{pad}" y1="{pad}" x2="{pad}" y2="{height - pad}" stroke="black"/>',
        f'<text x="{width / 2 - 20}" y="{height - 8}">step</text>',
        f'<text x="4" y="{pad - 8}">validation score</text>',
    ]
    for tick in (0.0, 0.5, 1.0):
        _, y = xy(0, tick)
        parts.append(f'<text x="8" y="{y + 4}">{tick:.1f}</text>')
    if len(accepted) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in accepted)
        parts.append(f'<polyline points="{path}" fill="none" stroke="steelblue" stroke-width="2"/>')
    for step, score, ok in points:
        if score is None:
            continue
        x, y = xy(step, score)
        color = "seagreen" if ok else "crimson"
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{color}"><title>step {step}: {score:.3f}</title></circle>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _svg_graph(graph: dict[str, Any] | None) -> str:
    if not graph or not graph.get("nodes"):
        return "<p>no graph recorded</p>"
    nodes = {n[0]: n for n in graph["nodes"]}
    depth: dict[int, int] = {}
    for node_id in nodes:  # nodes are in topological order: inputs first
        preds = [a for a, b in graph["edges"] if b == node_id and a in nodes]
        depth[node_id] = 1 + max((depth.get(p, 0) for p in preds), default=-1)
    columns: dict[int, list[int]] = {}
    for node_id, d in depth.items():
        columns.setdefault(d, []).append(node_id)
    box_w, box_h, gap_x, gap_y = 170, 44, 40, 14
    pos = {}
    for d, ids in columns.items():
        for row, node_id in enumerate(ids):
            pos[node_id] = (10 + d * (box_w + gap_x), 10 + row * (box_h + gap_y))
    width = 20 + (max(columns) + 1) * (box_w + gap_x)
    height = 20 + max(len(v) for v in columns.values()) * (box_h + gap_y)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-size="10">'
    ]
    for a, b in graph["edges"]:
        if a in pos and b in pos:
            (x1, y1), (x2, y2) = pos[a], pos[b]
            parts.append(
                f'<line x1="{x1 + box_w}" y1="{y1 + box_h / 2}" x2="{x2}" y2="{y2 + box_h / 2}" stroke="#888"/>'
            )
    for node_id, (x, y) in pos.items():
        _, role, value, grad, _g = nodes[node_id]
        fill = "#dbe9f6" if grad else "#eeeeee"
        parts.append(
            f'<rect x="{x}" y="{y}" width="{box_w}" height="{box_h}" rx="4" fill="{fill}" stroke="#555"/>'
        )
        parts.append(
            f'<text x="{x + 4}" y="{y + 14}" font-weight="bold">{html.escape(str(role)[:30])}</text>'
        )
        parts.append(f'<text x="{x + 4}" y="{y + 30}">{html.escape(str(value)[:32])}</text>')
        parts.append(f"<title>{html.escape(str(value))}</title>")
    parts.append("</svg>")
    return "".join(parts)


def _diff(old: str, new: str) -> str:
    lines = difflib.unified_diff(old.splitlines(), new.splitlines(), "before", "after", lineterm="")
    return "\n".join(lines) or "(no textual change)"


def _versions(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Per parameter: its initial value and every proposal with its diff and outcome."""
    history = data["history"]
    roles = data["fingerprint"]["roles"]
    out = []
    for index, role in enumerate(roles):
        first = next(
            (p["old"] for r in history for p in r["proposals"] if p["index"] == index), None
        )
        current = first if first is not None else data["values"][index]
        versions = []
        for r in history:
            for p in r["proposals"]:
                if p["index"] != index or p["status"] not in ("updated", "rejected"):
                    continue
                kept = r["accepted"] and p["status"] == "updated"
                versions.append(
                    {
                        "step": r["step"],
                        "kept": kept,
                        "value": p["new"],
                        "diff": _diff(current, p["new"]),
                        "why": r["reason"] if p["status"] == "updated" else p["reason"],
                        "feedback": p["feedback"],
                        "val_score": r["val_score"],
                    }
                )
                if kept:
                    current = p["new"]
        out.append(
            {
                "role": role,
                "initial": first if first is not None else current,
                "final": data["best_values"][index],
                "versions": versions,
            }
        )
    return out


def render_markdown(data: dict[str, Any]) -> str:
    """The report as Markdown (the score curve is the file ``score_curve.svg`` beside it)."""
    usage = data["usage"]
    lines = [
        "# Optimization report",
        "",
        f"- initial validation score: {data['initial_score']}",
        f"- best validation score: {data['best_score']}",
        f"- steps run: {len(data['history'])} (accepted {sum(r['accepted'] for r in data['history'])})",
        f"- stopped: {data['stopped_reason']}",
        f"- usage: {usage['calls']} calls, {usage['total_tokens']} tokens, "
        + (f"${usage['cost_usd']:.4f}" if usage["cost_known"] else "cost unknown"),
        f"- estimated before the run: {data['estimate'].get('calls')} calls, {data['estimate'].get('tokens')} tokens",
        "",
        "![score curve](score_curve.svg)",
        "",
        "## Steps",
        "",
        "| step | kept | validation | calls | tokens | cost | why |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in data["history"]:
        u = r["usage"]
        lines.append(
            f"| {r['step']} | {'yes' if r['accepted'] else 'no'} | {r['val_score']} | {u.get('calls')} "
            f"| {u.get('total_tokens')} | {u.get('cost_usd', 0):.4f} | {r['reason'].replace('|', '/')} |"
        )
    for param in _versions(data):
        lines += [
            "",
            f"## Parameter: {param['role']}",
            "",
            "Initial value:",
            "",
            "```",
            param["initial"],
            "```",
        ]
        for v in param["versions"]:
            status = "kept" if v["kept"] else "rejected"
            lines += [
                "",
                f"### Step {v['step']}: {status} ({v['why']})",
                "",
                "```diff",
                v["diff"],
                "```",
            ]
            if v["kept"] and v["feedback"]:
                lines += ["", "Feedback that led to it:", "", "```", v["feedback"][:4000], "```"]
        lines += ["", "Final value:", "", "```", param["final"], "```"]
    graph = data.get("graph") or {}
    if graph.get("nodes"):
        labels = ((n[0], str(n[1])[:40]) for n in graph["nodes"])
        source = mermaid_source(labels, graph["edges"])
        lines += ["", "## One recorded graph", "", "```mermaid", source, "```"]
    return "\n".join(lines) + "\n"


def render_html(data: dict[str, Any]) -> str:
    """The report as one self-contained HTML page (inline SVG pictures, no scripts)."""
    esc = html.escape
    usage = data["usage"]
    rows = "".join(
        f"<tr><td>{r['step']}</td><td>{'yes' if r['accepted'] else 'no'}</td><td>{r['val_score']}</td>"
        f"<td>{r['usage'].get('calls')}</td><td>{r['usage'].get('total_tokens')}</td>"
        f"<td>{r['usage'].get('cost_usd', 0):.4f}</td><td>{esc(r['reason'])}</td></tr>"
        for r in data["history"]
    )
    params = []
    for param in _versions(data):
        items = []
        for v in param["versions"]:
            status = "kept" if v["kept"] else "rejected"
            feedback = (
                f"<details><summary>feedback</summary><pre>{esc(v['feedback'][:4000])}</pre></details>"
                if v["kept"] and v["feedback"]
                else ""
            )
            items.append(
                f"<h4>step {v['step']}: {status} — {esc(v['why'])}</h4><pre class=diff>{esc(v['diff'])}</pre>{feedback}"
            )
        params.append(
            f"<h2>Parameter: {esc(param['role'])}</h2><h3>initial</h3><pre>{esc(param['initial'])}</pre>"
            + "".join(items)
            + f"<h3>final</h3><pre>{esc(param['final'])}</pre>"
        )
    cost = f"${usage['cost_usd']:.4f}" if usage["cost_known"] else "cost unknown"
    return (
        "<!doctype html><html><head><meta charset=utf-8><title>Optimization report</title>"
        "<style>body{font-family:sans-serif;max-width:960px;margin:auto}pre{background:#f6f6f6;padding:6px;white-space:pre-wrap}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 6px}</style></head><body>"
        f"<h1>Optimization report</h1><p>initial validation score {data['initial_score']}, best {data['best_score']}; "
        f"{len(data['history'])} steps; stopped: {esc(str(data['stopped_reason']))}; "
        f"{usage['calls']} calls, {usage['total_tokens']} tokens, {cost}</p>"
        f"<h2>Score curve</h2>{_svg_curve(data['history'], data['initial_score'])}"
        f"<h2>Steps</h2><table><tr><th>step</th><th>kept</th><th>validation</th><th>calls</th><th>tokens</th><th>cost</th><th>why</th></tr>{rows}</table>"
        + "".join(params)
        + f"<h2>One recorded graph</h2>{_svg_graph(data.get('graph'))}</body></html>"
    )


def write_report(run_dir: str | Path) -> Path:
    """Render ``report.md``, ``report.html`` and ``score_curve.svg`` from a run's checkpoint.

    Example:
        >>> write_report("/nonexistent")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        tg_core.errors.UserError: no checkpoint.json in /nonexistent...
    """
    path = Path(run_dir)
    data = load_checkpoint(path)
    if data is None:
        raise UserError(f"no checkpoint.json in {path}; pass the run_dir of a fit run")
    data = scrub(json.loads(json.dumps(data)))
    (path / "score_curve.svg").write_text(
        _svg_curve(data["history"], data["initial_score"]), "utf-8"
    )
    (path / "report.md").write_text(render_markdown(data), "utf-8")
    out = path / "report.html"
    out.write_text(render_html(data), "utf-8")
    return out
