"""Guarded model calls: a budget hold settled with what the call used, and one guarded attempt."""

from __future__ import annotations

import contextvars
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from .limits import current_limiter
from .usage import Reservation, estimate_tokens


@dataclass
class ReportedUsage:
    """Token counts and cost an engine reports for the attempt in progress."""

    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cost_usd: float | None = None
    cost_known: bool = False


_CURRENT: contextvars.ContextVar[ReportedUsage | None] = contextvars.ContextVar(
    "tg_core_reported_usage", default=None
)


def report_usage(prompt_tokens: int, completion_tokens: int, cost_usd: float | None = None) -> None:
    """Called by an engine inside an attempt to give real token counts and cost.

    Engines that never call it get estimated tokens and an unknown cost.

    Example:
        >>> report_usage(10, 3)  # outside an attempt it does nothing
    """
    slot = _CURRENT.get()
    if slot is None:
        return
    slot.prompt_tokens = prompt_tokens
    slot.completion_tokens = completion_tokens
    slot.cost_usd = cost_usd
    slot.cost_known = cost_usd is not None


class CallHold:
    """One model call held against every budget in force, from before it starts until settled.

    Making the hold checks the budgets and holds the call's estimated tokens (its request
    plus ``max_tokens``) and ``cost_estimate`` dollars, so a call past a budget raises
    :class:`~tg_core.errors.BudgetExceeded` before it is sent. Settle it once, with what the
    call used: :meth:`succeeded`, :meth:`failed` or :meth:`cached`; a count the provider did
    not give is estimated from the text, an unknown cost marks the scope's cost unknown.

    Args:
        request_text: the text sent (prompt and system prompt).
        max_tokens: the answer length the call may reach.
        cost_estimate: dollars the call costs at least, held against dollar budgets.

    Example:
        >>> from tg_core.engine.usage import track_usage
        >>> with track_usage("demo") as scope:
        ...     hold = CallHold("What is 2+2?", max_tokens=8)
        ...     hold.succeeded("4", prompt_tokens=9, completion_tokens=1)
        >>> scope.usage.calls, scope.usage.total_tokens
        (1, 10)
    """

    def __init__(
        self, request_text: str, max_tokens: int | None = None, cost_estimate: float | None = None
    ) -> None:
        self.prompt_estimate = estimate_tokens(request_text)
        self._reservation = Reservation(self.prompt_estimate + (max_tokens or 0), cost_estimate)
        self._settled = False
        self.started = time.perf_counter()

    def restart_clock(self) -> None:
        """Measure latency from now (after waiting for a concurrency slot, say)."""
        self.started = time.perf_counter()

    def _settle(self, prompt: int, completion: int, cost: float | None, **flags: bool) -> None:
        if self._settled:
            return
        self._settled = True
        self._reservation.settle(
            prompt_tokens=prompt,
            completion_tokens=completion,
            cost_usd=cost,
            latency_s=time.perf_counter() - self.started,
            **flags,
        )

    def succeeded(
        self,
        answer_text: str,
        *,
        prompt_tokens: int | None = None,
        completion_tokens: int | None = None,
        cost_usd: float | None = None,
    ) -> None:
        """Count a call that answered ``answer_text``; ``cost_usd=None`` means unknown."""
        self._settle(
            prompt_tokens if prompt_tokens is not None else self.prompt_estimate,
            completion_tokens if completion_tokens is not None else estimate_tokens(answer_text),
            cost_usd,
        )

    def failed(
        self,
        *,
        prompt_tokens: int | None = None,
        completion_tokens: int | None = None,
        cost_usd: float | None = None,
    ) -> None:
        """Count a failed attempt: what the provider reported it used, else nothing."""
        self._settle(
            prompt_tokens or 0,
            completion_tokens or 0,
            cost_usd if cost_usd is not None else 0.0,
            failed=True,
        )

    def cached(self) -> None:
        """Count a call answered from a cache: no tokens, no cost."""
        self._settle(0, 0, 0.0, cached=True)


async def guarded_attempt(
    prompt_text: str,
    max_tokens: int | None,
    attempt: Callable[[], Awaitable[str]],
    cost_estimate: float | None = None,
) -> str:
    """Run one attempt of a model call under the budgets and the concurrency limit.

    The budget is checked (and the call's estimated tokens held) before the call starts, so
    a call that would go past a budget raises :class:`~tg_core.errors.BudgetExceeded` and is
    never sent. Failed attempts count as calls, so retries are visible in the usage.
    ``cost_estimate`` (dollars the call costs at least) is held against dollar budgets.

    Example:
        >>> import asyncio
        >>> async def call() -> str:
        ...     return "hi"
        >>> asyncio.run(guarded_attempt("hello", 16, call))
        'hi'
    """
    hold = CallHold(prompt_text, max_tokens, cost_estimate)
    slot = ReportedUsage()
    failed = True
    text = ""
    try:
        async with current_limiter().slot():
            hold.restart_clock()
            token = _CURRENT.set(slot)
            try:
                text = await attempt()
            finally:
                _CURRENT.reset(token)
        failed = False
        return text
    finally:
        prompt, completion, cost = slot.prompt_tokens, slot.completion_tokens, slot.cost_usd
        if failed:
            hold.failed(prompt_tokens=prompt, completion_tokens=completion, cost_usd=cost)
        else:
            hold.succeeded(text, prompt_tokens=prompt, completion_tokens=completion, cost_usd=cost)
