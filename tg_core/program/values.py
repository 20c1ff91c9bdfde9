"""``ValueIndex``: what earlier steps of a recorded run produced, found again by value.

Frameworks report which calls ran but not which value went where, so a recorder links a
call's input to the earlier output it equals (or, for long values, contains). Each adapter
says how a value is keyed (its text, a message's role and content); the index keeps the
latest producer per key.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import Any

from ..variable import Variable
from .protocol import value_text


@dataclass(frozen=True)
class Produced:
    """A value some earlier step of the run produced, and its graph variable.

    Attributes:
        end: order of the producing step's end among the run's events.
        text: the value as text.
        variable: the graph variable holding it.
        field: the output field (or tool, or step) name.

    Example:
        >>> Produced(3, "five", Variable("five", role_description="draft"), "draft_answer").end
        3
    """

    end: int
    text: str
    variable: Variable
    field: str = ""


class ValueIndex:
    """Produced values of one run by key; a lookup returns the latest producer.

    A child index (``ValueIndex(parent)``, a nested step) also sees its parent's values;
    what is added to the child stays in it.

    Example:
        >>> outer, v = ValueIndex(), Variable("4", role_description="answer")
        >>> outer.add([("text", "4")], Produced(1, "4", v))
        >>> ValueIndex(outer).find([("text", "4")]).variable is v
        True
    """

    def __init__(self, parent: ValueIndex | None = None) -> None:
        self.parent = parent
        self.produced: list[Produced] = []
        self._by_key: dict[Hashable, list[Produced]] = {}

    def add(self, keys: Iterable[Hashable], produced: Produced) -> None:
        """Remember ``produced`` under each of ``keys``."""
        self.produced.append(produced)
        for key in keys:
            self._by_key.setdefault(key, []).append(produced)

    def find(self, keys: Iterable[Hashable], *, before: int | None = None) -> Produced | None:
        """The latest value under the first key that has one (most specific key first).

        The nearest index wins over its parents; within one, the latest ``end`` (the later
        added on a tie). With ``before``, only values whose step ended before it count.
        """
        for key in keys:
            index: ValueIndex | None = self
            while index is not None:
                found = [p for p in index._by_key.get(key, ()) if before is None or p.end < before]
                if found:
                    return max(reversed(found), key=lambda p: p.end)
                index = index.parent
        return None


#: Shortest earlier output that is linked when it only appears inside a longer input.
MIN_CONTAINED_CHARS = 16


def remember(index: ValueIndex, produced: Produced) -> None:
    """Add an output (or tool result) to the run's index, keyed by its text.

    Example:
        >>> index = ValueIndex()
        >>> remember(index, Produced(1, " five ", Variable("five", role_description="d")))
        >>> index.find([("text", "five")]).end
        1
    """
    index.add([("text", produced.text.strip())], produced)


def _pieces(value: Any) -> list[str]:
    """The value's text, and the texts of its items when it is a list, tuple or dict."""
    pieces = [value_text(value).strip()]
    if isinstance(value, dict):
        pieces.extend(value_text(v).strip() for v in value.values())
    elif isinstance(value, (list, tuple)):
        pieces.extend(value_text(v).strip() for v in value)
    return [p for p in pieces if p]


def find_sources(
    value: Any,
    produced: ValueIndex,
    *,
    before: int,
    run_inputs: list[str] | tuple[str, ...] = (),
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
        produced: the run's earlier values.
        before: only values whose producer ended before this event order count.
        run_inputs: texts of the run's own inputs.
        min_contained: shortest value linked by containment.

    Example:
        >>> index = ValueIndex()
        >>> remember(index, Produced(1, "five apples", Variable("five apples",
        ...     role_description="draft"), "draft"))
        >>> [p.field for p in find_sources("five apples", index, before=2)]
        ['draft']
    """
    own = {t.strip() for t in run_inputs if t.strip()}
    pieces = _pieces(value)
    if not pieces or pieces[0] in own:
        return []
    whole = pieces[0]
    found: list[Produced] = []

    def add(item: Produced) -> None:
        if all(item.variable is not f.variable for f in found):
            found.append(item)

    for piece in pieces:
        exact = None if piece in own else produced.find([("text", piece)], before=before)
        if exact is not None:
            add(exact)
    if found and any(f.text.strip() == whole for f in found):
        return found
    # Longest first (latest first among equals): a value inside a longer linked value is
    # explained by it (a draft quoted by the refined answer that the input quotes).
    candidates = sorted((p for p in produced.produced if p.end < before), key=lambda p: p.end)
    for p in sorted(reversed(candidates), key=lambda c: -len(c.text.strip())):
        text = p.text.strip()
        if len(text) < min_contained or text not in whole:
            continue
        if any(text in t for t in own) or any(text in f.text for f in found):
            continue
        add(p)
    return found
