"""Call budgets for the drivers (stdlib only): a hard per-call limit and an iteration stopper.

Example:
    >>> budget = CallBudget(2)
    >>> send = budget.counted(lambda q: q.upper())
    >>> budget.check(); send("a")
    'A'
    >>> budget.check(); send("b"), budget.left
    ('B', 0)
    >>> budget.check()  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    ...
    BudgetReached: call budget of 2 reached (2 made)
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


class BudgetReached(Exception):
    """The next model call would pass the budget; nothing was sent."""

    def __init__(self, used: int, limit: int) -> None:
        super().__init__(f"call budget of {limit} reached ({used} made)")
        self.used = used
        self.limit = limit


class CallBudget:
    """Counts model calls; :meth:`check` refuses the one that would pass ``limit``.

    Wrap the function that sends a request (not a cache lookup) with :meth:`counted`, so only
    calls that reach the model count, and call :meth:`check` where a call starts (before any
    cache lookup or retry loop), so the stop is raised outside the library's retries.
    ``limit=None`` counts without a limit.
    """

    def __init__(self, limit: int | None) -> None:
        if limit is not None and limit < 0:
            raise ValueError(f"a call budget must be >= 0 or None, got {limit!r}")
        self.limit = limit
        self.used = 0

    @property
    def left(self) -> int | None:
        """Calls still allowed (None: no limit)."""
        return None if self.limit is None else self.limit - self.used

    def check(self) -> None:
        """Raise :class:`BudgetReached` if no call is left (before anything is sent)."""
        if self.limit is not None and self.used >= self.limit:
            raise BudgetReached(self.used, self.limit)

    def counted(self, send: F) -> F:
        """``send`` that counts one call per request (it never refuses: see :meth:`check`)."""

        @wraps(send)
        def call(*args: Any, **kwargs: Any) -> Any:
            self.used += 1
            return send(*args, **kwargs)

        return call  # type: ignore[return-value]


class CallStopper:
    """Stops an optimizer between its iterations: True once fewer than ``reserve`` calls are
    left of ``limit``, counted by ``count()`` (for example a proxy's request counter).

    ``reserve`` is the cheapest useful iteration, so no iteration starts that cannot finish
    its first evaluation; an iteration already running may still end past the limit.

    Example:
        >>> used = [7]
        >>> stop = CallStopper(lambda: used[0], limit=10, reserve=3)
        >>> stop(None)
        False
        >>> used[0] = 8
        >>> stop(None)
        True
    """

    def __init__(self, count: Callable[[], int], limit: int, reserve: int = 1) -> None:
        self.count = count
        self.limit = limit
        self.reserve = max(1, reserve)

    def __call__(self, state: Any) -> bool:
        return self.limit - self.count() < self.reserve
