"""``ValueIndex``: what earlier steps of a recorded run produced, found again by value.

Frameworks report which calls ran but not which value went where, so a recorder links a
call's input to the earlier output it equals. Each adapter says how a value is keyed (its
text, a message's role and content); the index keeps the latest producer per key.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass

from ..variable import Variable


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
