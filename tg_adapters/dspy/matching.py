"""Data-flow edges between predictors, inferred by matching values (DSPy records none)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from tg_core.extend import Variable

from .nodes import as_text

#: Shortest earlier output that is linked when it only appears inside a longer input.
MIN_CONTAINED_CHARS = 16


@dataclass(frozen=True)
class Produced:
    """A value some earlier call of the run produced, and its graph variable.

    Attributes:
        end: order of the producing call's end among the run's events.
        text: the value as text.
        variable: the graph variable holding it.
        field: the output field (or tool) name.

    Example:
        >>> Produced(3, "five", Variable("five", role_description="draft"), "draft_answer").end
        3
    """

    end: int
    text: str
    variable: Variable
    field: str


def _pieces(value: Any) -> list[str]:
    """The value's text, and the texts of its items when it is a list, tuple or dict."""
    pieces = [as_text(value).strip()]
    if isinstance(value, dict):
        pieces.extend(as_text(v).strip() for v in value.values())
    elif isinstance(value, (list, tuple)):
        pieces.extend(as_text(v).strip() for v in value)
    return [p for p in pieces if p]


def find_sources(
    value: Any,
    produced: Iterable[Produced],
    *,
    before: int,
    run_inputs: Iterable[str] = (),
    min_contained: int = MIN_CONTAINED_CHARS,
) -> list[Produced]:
    """The earlier values an input was made from.

    An input equal to an earlier value (or whose list/dict items equal earlier values) links
    to the latest such value; an earlier value of at least ``min_contained`` characters that
    appears inside the input (an f-string, a joined list, a ReAct trajectory) links too,
    unless it only appears as part of a longer linked value.
    Values that equal an input of the run itself are the caller's, not an earlier output's.

    Args:
        value: the input value of the later call.
        produced: earlier values, in any order.
        before: only values whose producer ended before this event order count.
        run_inputs: texts of the run's own inputs.
        min_contained: shortest value linked by containment.

    Example:
        >>> a = Variable("five apples", role_description="draft")
        >>> earlier = [Produced(1, "five apples", a, "draft")]
        >>> [p.field for p in find_sources("five apples", earlier, before=2)]
        ['draft']
    """
    own = {t.strip() for t in run_inputs if t.strip()}
    candidates = sorted((p for p in produced if p.end < before), key=lambda p: p.end)
    pieces = _pieces(value)
    if not pieces:
        return []
    whole = pieces[0]
    if whole in own:
        return []
    found: list[Produced] = []

    def add(item: Produced) -> None:
        if all(item.variable is not f.variable for f in found):
            found.append(item)

    for piece in pieces:
        if piece in own:
            continue
        exact = [p for p in candidates if p.text.strip() == piece]
        if exact:
            add(exact[-1])
    if found and any(f.text.strip() == whole for f in found):
        return found
    # Longest first (latest first among equals): a value inside a longer linked value is
    # explained by it (a draft quoted by the refined answer that the input quotes).
    for p in sorted(reversed(candidates), key=lambda c: -len(c.text.strip())):
        text = p.text.strip()
        if len(text) < min_contained or text not in whole:
            continue
        if any(text in t for t in own):
            continue
        if any(text in f.text for f in found):
            continue
        add(p)
    return found
