"""A framework's own model call held against tg_core's budgets, then counted in its usage."""

from __future__ import annotations

import time

from ..engine.usage import Reservation, estimate_tokens


class FrameworkCall:
    """One model call a framework makes itself (a ``dspy.LM``, a LangChain chat model).

    Made just before the call: the request's estimated tokens plus ``max_tokens`` are held
    against every budget in force, so a call past a budget raises
    :class:`~tg_core.errors.BudgetExceeded` and is never sent. After the call, exactly one
    of :meth:`settle` (with the tokens and cost the framework reported, estimated from the
    texts where it reported none), :meth:`cached` or :meth:`failed` counts it.

    Args:
        request_text: the text sent (for the estimate).
        max_tokens: the call's answer limit, when it has one.

    Example:
        >>> import tg_core as tg
        >>> with tg.track_usage("app") as scope:
        ...     call = FrameworkCall("What is 2+2?", max_tokens=5)
        ...     call.settle(prompt_tokens=None, completion_tokens=1, answer_text="4")
        >>> scope.usage.calls, scope.usage.prompt_tokens, scope.usage.completion_tokens
        (1, 3, 1)
    """

    def __init__(self, request_text: str, max_tokens: int | None = None) -> None:
        self.request_text = request_text
        self.reservation = Reservation(estimate_tokens(request_text) + int(max_tokens or 0))
        self.started = time.perf_counter()

    def settle(
        self,
        *,
        prompt_tokens: int | None,
        completion_tokens: int | None,
        cost_usd: float | None = None,
        answer_text: str = "",
    ) -> None:
        """Count what the call used (missing token counts are estimated from the texts)."""
        self.reservation.settle(
            prompt_tokens=prompt_tokens
            if prompt_tokens is not None
            else estimate_tokens(self.request_text),
            completion_tokens=completion_tokens
            if completion_tokens is not None
            else estimate_tokens(answer_text),
            cost_usd=cost_usd,
            latency_s=time.perf_counter() - self.started,
        )

    def cached(self) -> None:
        """Count a call answered from the framework's cache (nothing was billed)."""
        self.reservation.settle(
            prompt_tokens=0, completion_tokens=0, cost_usd=0.0, latency_s=0.0, cached=True
        )

    def failed(self) -> None:
        """Count a call that raised (no tokens, no cost)."""
        self.reservation.settle(
            prompt_tokens=0,
            completion_tokens=0,
            cost_usd=0.0,
            latency_s=time.perf_counter() - self.started,
            failed=True,
        )
