"""``RunSlots``: how many program runs are in flight, and which failures a run reports."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from ..errors import BudgetExceeded, UserError


class RunSlots:
    """At most ``num_threads`` runs of a program at once; a run's own failure is returned.

    A program's :meth:`~tg_core.program.protocol.Program.arun` reports what its framework
    raised in ``ProgramRun.error``; :class:`~tg_core.errors.BudgetExceeded` belongs to the
    whole fit, not to the run, so it is raised.

    Args:
        num_threads: runs in flight at once (at least 1).
        error: the error type raised for a bad ``num_threads`` (an adapter's own).

    Raises:
        UserError: ``num_threads`` is below 1.

    Example:
        >>> import asyncio
        >>> async def fails() -> int:
        ...     raise ValueError("bad input")
        >>> slots = RunSlots(2)
        >>> asyncio.run(slots.run(fails))
        (None, ValueError('bad input'))
    """

    def __init__(self, num_threads: int, error: type[UserError] = UserError) -> None:
        if num_threads < 1:
            raise error("num_threads must be >= 1")
        self._slots = asyncio.Semaphore(num_threads)

    async def run(self, call: Callable[[], Awaitable[Any]]) -> tuple[Any, BaseException | None]:
        """``(result, None)`` of ``call()`` in a free slot, or ``(None, error)`` when it raised.

        Example:
            >>> import asyncio
            >>> async def four() -> int:
            ...     return 4
            >>> asyncio.run(RunSlots(1).run(four))
            (4, None)
        """
        try:
            async with self._slots:
                return await call(), None
        except BudgetExceeded:
            raise  # the fit's budget, not a fault of the program
        except Exception as exc:
            return None, exc
