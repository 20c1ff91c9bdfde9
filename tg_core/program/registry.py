"""``ParameterRegistry``: one bound Variable per framework object and key, while it lives."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Hashable
from typing import Any

from ..variable import Variable
from .protocol import synced


class ParameterRegistry:
    """The bound Variables made for framework objects (a predictor, a prompt), made once each.

    Asking again for the same object and key returns the same Variable, synced with its
    binding, so gradients from every recorded run of a program land on it. Objects are held
    weakly: their Variables go when they do.

    Example:
        >>> class Predictor: ...
        >>> registry, owner = ParameterRegistry(), Predictor()
        >>> make = lambda: Variable("Be brief.", role_description="instructions")
        >>> registry.variable(owner, "text", make) is registry.variable(owner, "text", make)
        True
        >>> list(registry.known(owner))
        ['text']
    """

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._made: weakref.WeakKeyDictionary[Any, dict[Hashable, Variable]] = (
            weakref.WeakKeyDictionary()
        )

    def variable(self, owner: Any, key: Hashable, make: Callable[[], Variable]) -> Variable:
        """The Variable of ``owner`` under ``key``, made with ``make()`` the first time."""
        with self.lock:
            known = self._made.setdefault(owner, {})
            if key not in known:
                known[key] = make()
            return synced(known[key])

    def known(self, owner: Any) -> dict[Hashable, Variable]:
        """The Variables made so far for ``owner``, by key, in the order they were made."""
        with self.lock:
            return {key: synced(v) for key, v in self._made.get(owner, {}).items()}
