"""A picture of a recorded computation graph: a layered layout, computed here, drawn as SVG.

Nodes go in columns by depth (inputs left, the loss right); an edge that spans several
columns passes through a placeholder in each, and the order within a column is improved
by barycenter sweeps, keeping the order with the fewest crossings.
"""

from __future__ import annotations

import itertools
import math
import textwrap
from dataclasses import dataclass, field
from html import escape
from typing import Any

BOX_W, LINE_H, PAD = 210, 14, 7
GAP_X, GAP_Y, DUMMY_H = 74, 16, 10
ROLE_CHARS, VALUE_CHARS, VALUE_LINES = 30, 33, 3


@dataclass
class _Item:
    """A node, or a placeholder of an edge crossing a column (``node`` is None)."""

    key: str
    node: int | None
    preds: list[str] = field(default_factory=list)
    succs: list[str] = field(default_factory=list)


def wrap_label(text: str, width: int, max_lines: int | None = None) -> list[str]:
    """``text`` in lines of at most ``width`` characters, broken between words; when cut
    to ``max_lines`` the last line ends with an ellipsis after a whole word.

    Example:
        >>> wrap_label("evaluation of the response from the language model", 20)
        ['evaluation of the', 'response from the', 'language model']
        >>> wrap_label("one two three four five", 9, max_lines=2)
        ['one two', 'three …']
    """
    lines = textwrap.wrap(" ".join(text.split()), width, break_on_hyphens=False) or [""]
    if max_lines is None or len(lines) <= max_lines:
        return lines
    kept = lines[:max_lines]
    words = kept[-1].split(" ")
    while len(" ".join(words)) + 2 > width and len(words) > 1:
        words.pop()
    kept[-1] = " ".join(words) + " …"
    return kept


def _layers(ids: list[int], edges: list[tuple[int, int]]) -> dict[int, int]:
    """Depth of each node: the longest path from an input; an input sits just left of its
    first consumer, so a shared instruction does not drag a long edge behind it."""
    preds: dict[int, list[int]] = {i: [] for i in ids}
    succs: dict[int, list[int]] = {i: [] for i in ids}
    for a, b in edges:
        preds[b].append(a)
        succs[a].append(b)
    layer: dict[int, int] = {}
    for i in ids:  # topological order: inputs first
        layer[i] = 1 + max((layer[p] for p in preds[i] if p in layer), default=-1)
    for i in ids:
        if not preds[i] and succs[i]:
            layer[i] = max(0, min(layer[s] for s in succs[i]) - 1)
    return layer


def _crossings(columns: list[list[str]], items: dict[str, _Item]) -> int:
    total = 0
    for left, right in itertools.pairwise(columns):
        pos = {k: n for n, k in enumerate(right)}
        pairs = [(a, pos[s]) for a, k in enumerate(left) for s in items[k].succs if s in pos]
        total += sum(
            1 for i, (a, b) in enumerate(pairs) for c, d in pairs[i + 1 :] if (a - c) * (b - d) < 0
        )
    return total


def _centre(key: str, near: list[str], ref: dict[str, int], at: int) -> float:
    """Mean position of ``near`` in the neighbouring column (``at`` when none is there)."""
    known = [ref[k] for k in near if k in ref]
    return sum(known) / len(known) if known else float(at)


def _order(columns: list[list[str]], items: dict[str, _Item]) -> list[list[str]]:
    best, best_cross = [list(c) for c in columns], _crossings(columns, items)
    current = [list(c) for c in columns]
    for sweep in range(8):
        down = sweep % 2 == 0
        span = range(1, len(current)) if down else range(len(current) - 2, -1, -1)
        for c in span:
            ref = {k: n for n, k in enumerate(current[c - 1 if down else c + 1])}
            keyed = sorted(
                (_centre(k, items[k].preds if down else items[k].succs, ref, n), n, k)
                for n, k in enumerate(current[c])
            )
            current[c] = [k for _, _, k in keyed]
        cross = _crossings(current, items)
        if cross < best_cross:
            best, best_cross = [list(c) for c in current], cross
    return best


def _pack(col: list[str], want: dict[str, float], size: dict[str, float]) -> dict[str, float]:
    """Tops as close to ``want`` as the order and spacing allow: the mean of packing from
    the top and from the bottom (both keep every gap, so their mean does too)."""
    down: dict[str, float] = {}
    floor = -math.inf
    for k in col:
        down[k] = max(want[k], floor)
        floor = down[k] + size[k] + GAP_Y
    up: dict[str, float] = {}
    ceiling = math.inf
    for k in reversed(col):
        up[k] = min(want[k], ceiling - size[k])
        ceiling = up[k] - GAP_Y
    return {k: (down[k] + up[k]) / 2 for k in col}


def _place(
    columns: list[list[str]], items: dict[str, _Item], size: dict[str, float]
) -> dict[str, float]:
    """Top y of every item: stacked first, then pulled towards the centres of its
    neighbours, column by column, left to right and back."""
    top: dict[str, float] = {}
    for col in columns:
        y = 0.0
        for k in col:
            top[k], y = y, y + size[k] + GAP_Y
    for sweep in range(6):
        down = sweep % 2 == 0
        for col in columns if down else list(reversed(columns)):
            want = {}
            for k in col:
                near = items[k].preds if down else items[k].succs
                centres = [top[n] + size[n] / 2 for n in near]
                want[k] = sum(centres) / len(centres) - size[k] / 2 if centres else top[k]
            top.update(_pack(col, want, size))
    return top


def _build(graph: dict[str, Any]) -> tuple[list[list[str]], dict[str, _Item], dict[int, list[Any]]]:
    nodes = {int(n[0]): n for n in graph["nodes"]}
    ids = list(nodes)
    pairs = [(int(a), int(b)) for a, b in graph["edges"]]
    edges = list(dict.fromkeys((a, b) for a, b in pairs if a in nodes and b in nodes))
    layer = _layers(ids, edges)
    items = {f"n{i}": _Item(f"n{i}", i) for i in ids}
    for a, b in edges:
        chain = [f"n{a}"] + [f"d{a}-{b}-{c}" for c in range(layer[a] + 1, layer[b])] + [f"n{b}"]
        for left, right in itertools.pairwise(chain):
            items.setdefault(right, _Item(right, None))
            items[left].succs.append(right)
            items[right].preds.append(left)
    columns: list[list[str]] = [[] for _ in range(max(layer.values()) + 1)]
    for i in ids:
        columns[layer[i]].append(f"n{i}")
    for key in items:
        if key.startswith("d"):
            columns[int(key.rsplit("-", 1)[1])].append(key)
    return _order(columns, items), items, nodes


def _label(node: list[Any]) -> tuple[list[str], list[str]]:
    role = wrap_label(str(node[1]), ROLE_CHARS)
    value = wrap_label(str(node[2]), VALUE_CHARS, VALUE_LINES)
    return role, value


def graph_svg(graph: dict[str, Any] | None) -> str:
    """The SVG picture of ``graph`` (``{"nodes": [[id, role, value, requires_grad, grad]],
    "edges": [[from, to]]}``), or a note when none was recorded.

    Example:
        >>> g = {"nodes": [[0, "question", "How many?", False, ""],
        ...                [1, "answer", "Three <b>", True, ""]], "edges": [[0, 1]]}
        >>> svg = graph_svg(g)
        >>> 'marker-end="url(#arrow)"' in svg and "Three &lt;b&gt;" in svg
        True
    """
    if not graph or not graph.get("nodes"):
        return "<p>No graph was recorded.</p>"
    columns, items, nodes = _build(graph)
    labels = {i: _label(n) for i, n in nodes.items()}
    box_h = {f"n{i}": 2 * PAD + (len(r) + len(v)) * LINE_H for i, (r, v) in labels.items()}
    tops = _place(columns, items, {k: box_h.get(k, DUMMY_H) for k in items})
    low = min(tops.values())
    pos: dict[str, tuple[float, float, float]] = {}  # key -> (x, top y, height)
    for c, col in enumerate(columns):
        for k in col:
            pos[k] = (12 + c * (BOX_W + GAP_X), 12 + tops[k] - low, box_h.get(k, DUMMY_H))
    total_h = max(y + h for _, y, h in pos.values()) + 12
    width = 24 + len(columns) * BOX_W + (len(columns) - 1) * GAP_X
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="graph" width="{width}" '
        f'height="{total_h}" viewBox="0 0 {width} {total_h}" font-family="sans-serif" '
        'font-size="11"><defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" '
        'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
        '<path d="M0,0 L10,5 L0,10 z" fill="#6e7781"/></marker></defs>'
    ]
    for key, item in items.items():
        if item.node is None:
            continue
        for succ in item.succs:
            out.append(_edge(key, succ, items, pos))
    for i, node in nodes.items():
        x, y, h = pos[f"n{i}"]
        role, value = labels[i]
        fill, stroke = ("#ddf4ff", "#54aeff") if node[3] else ("#f6f8fa", "#afb8c1")
        param = node[3] and not items[f"n{i}"].preds
        border = ' stroke-width="2.5"' if param else ""
        tip = f"{node[1]}\n\n{node[2]}" + (f"\n\nfeedback: {node[4]}" if node[4] else "")
        text = [
            f'<tspan x="{x + PAD}" dy="{LINE_H if n else 0}" font-weight="bold">{escape(t)}</tspan>'
            for n, t in enumerate(role)
        ] + [f'<tspan x="{x + PAD}" dy="{LINE_H}">{escape(t)}</tspan>' for t in value]
        out.append(
            f'<g class="node"><title>{escape(tip)}</title>'
            f'<rect x="{x}" y="{y:.1f}" width="{BOX_W}" height="{h}" rx="5" fill="{fill}" '
            f'stroke="{"#0969da" if param else stroke}"{border}/><text y="{y + PAD + 10:.1f}">{"".join(text)}</text></g>'
        )
    out.append("</svg>")
    return "".join(out)


def _edge(
    start: str, succ: str, items: dict[str, _Item], pos: dict[str, tuple[float, float, float]]
) -> str:
    """One edge from node ``start`` through its placeholders to the next node, with an arrow."""
    x, y, h = pos[start]
    points = [(x + BOX_W, y + h / 2)]
    key = succ
    while items[key].node is None:
        dx, dy, dh = pos[key]
        points += [(dx, dy + dh / 2), (dx + BOX_W, dy + dh / 2)]
        key = items[key].succs[0]
    tx, ty, th = pos[key]
    points.append((tx - 1, ty + th / 2))
    path = [f"M{points[0][0]:.1f},{points[0][1]:.1f}"]
    for (x1, y1), (x2, y2) in itertools.pairwise(points):
        if y1 == y2 or x2 - x1 >= BOX_W:
            path.append(f"L{x2:.1f},{y2:.1f}")
        else:
            mid = (x1 + x2) / 2
            path.append(f"C{mid:.1f},{y1:.1f} {mid:.1f},{y2:.1f} {x2:.1f},{y2:.1f}")
    return (
        f'<path d="{" ".join(path)}" fill="none" stroke="#8c959f" stroke-width="1.3" '
        'marker-end="url(#arrow)"/>'
    )
