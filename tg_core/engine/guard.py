"""One guarded model-call attempt: budget check, concurrency slot, timing and usage record."""

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
    prompt_estimate = estimate_tokens(prompt_text)
    reservation = Reservation(prompt_estimate + (max_tokens or 0), cost_estimate)
    slot = ReportedUsage()
    failed = True
    text = ""
    start = time.perf_counter()
    try:
        async with current_limiter().slot():
            start = time.perf_counter()
            token = _CURRENT.set(slot)
            try:
                text = await attempt()
            finally:
                _CURRENT.reset(token)
        failed = False
        return text
    finally:
        latency = time.perf_counter() - start
        prompt_tokens = slot.prompt_tokens if slot.prompt_tokens is not None else prompt_estimate
        if slot.completion_tokens is not None:
            completion_tokens = slot.completion_tokens
        else:
            completion_tokens = estimate_tokens(text)
        reservation.settle(
            prompt_tokens=prompt_tokens if not failed or slot.prompt_tokens else 0,
            completion_tokens=completion_tokens,
            cost_usd=slot.cost_usd if slot.cost_known else (0.0 if failed else None),
            latency_s=latency,
            failed=failed,
        )
