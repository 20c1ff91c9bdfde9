"""A framework's own model call held against tg_core's budgets, then counted in its usage."""

from __future__ import annotations

import threading
import time
from collections.abc import Hashable
from dataclasses import dataclass

from ..engine.base import Answer
from ..engine.usage import Reservation, estimate_tokens


@dataclass(frozen=True)
class CallUsage:
    """Tokens and cost of one framework model call, as the framework recorded them.

    Attributes:
        prompt_tokens: prompt tokens (None when the provider reported none).
        completion_tokens: completion tokens (None when the provider reported none).
        cost_usd: the provider's price of the call, when the framework knew it.
        cache_hit: the answer came from the framework's cache (nothing was billed).

    Example:
        >>> CallUsage(10, 2).answer("4").completion_tokens
        2
    """

    prompt_tokens: int | None
    completion_tokens: int | None
    cost_usd: float | None = None
    cache_hit: bool = False

    def answer(self, text: str) -> Answer:
        """``text`` as an engine's :class:`~tg_core.engine.base.Answer` with these counts.

        A cache hit used nothing; a call missing either count is left to the engine's
        estimate.

        Example:
            >>> CallUsage(None, 2).answer("4").prompt_tokens is None
            True
        """
        if self.cache_hit:
            return Answer(text, prompt_tokens=0, completion_tokens=0, cost_usd=0.0)
        if self.prompt_tokens is None or self.completion_tokens is None:
            return Answer(text)
        return Answer(text, None, self.prompt_tokens, self.completion_tokens, self.cost_usd)


class FrameworkCall:
    """One model call a framework makes itself (a ``dspy.LM``, a LangChain chat model).

    Made just before the call: the request's estimated tokens plus ``max_tokens`` are held
    against every budget in force, so a call past a budget raises
    :class:`~tg_core.errors.BudgetExceeded` and is never sent. After the call, exactly one
    of :meth:`settle` (with the tokens and cost the framework reported, estimated from the
    texts where it reported none), :meth:`cached` or :meth:`failed` counts it; :meth:`finish`
    picks the one that fits what the framework recorded. Used as a context manager, a call
    the block did not count (it raised, or returned nothing) counts as failed.

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
        self.counted = False

    def __enter__(self) -> FrameworkCall:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if not self.counted:
            self.failed()

    def settle(
        self,
        *,
        prompt_tokens: int | None,
        completion_tokens: int | None,
        cost_usd: float | None = None,
        answer_text: str = "",
    ) -> None:
        """Count what the call used (missing token counts are estimated from the texts)."""
        self.counted = True
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
        self.counted = True
        self.reservation.settle(
            prompt_tokens=0, completion_tokens=0, cost_usd=0.0, latency_s=0.0, cached=True
        )

    def failed(self) -> None:
        """Count a call that raised (no tokens, no cost)."""
        self.counted = True
        self.reservation.settle(
            prompt_tokens=0,
            completion_tokens=0,
            cost_usd=0.0,
            latency_s=time.perf_counter() - self.started,
            failed=True,
        )

    def finish(self, usage: CallUsage | None, answer_text: str = "") -> None:
        """Count a call that returned: cached for a cache hit, else what ``usage`` says
        (estimated from the texts where it says nothing).

        Example:
            >>> import tg_core as tg
            >>> with tg.track_usage("app") as scope:
            ...     FrameworkCall("What is 2+2?").finish(CallUsage(0, 0, cache_hit=True))
            >>> scope.usage.cached_calls
            1
        """
        if usage is not None and usage.cache_hit:
            self.cached()
            return
        self.settle(
            prompt_tokens=usage.prompt_tokens if usage else None,
            completion_tokens=usage.completion_tokens if usage else None,
            cost_usd=usage.cost_usd if usage else None,
            answer_text=answer_text,
        )


class HeldCalls:
    """Framework calls held between the callbacks that report their start and their end.

    A framework that reports a model call in two callbacks (start, then end or error, with
    a run id) holds the call at the start and settles what :meth:`pop` gives back at the
    end. Thread-safe.

    Example:
        >>> import tg_core as tg
        >>> held = HeldCalls()
        >>> with tg.track_usage("app") as scope:
        ...     held.hold("run-1", "What is 2+2?", max_tokens=5)
        ...     held.pop("run-1").finish(CallUsage(4, 1), "4")
        >>> scope.usage.calls, held.pop("run-1") is None
        (1, True)
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: dict[Hashable, FrameworkCall] = {}

    def hold(self, key: Hashable, request_text: str, max_tokens: int | None = None) -> None:
        """Hold a call against the budgets (raises BudgetExceeded past one) under ``key``."""
        call = FrameworkCall(request_text, max_tokens)
        with self._lock:
            self._held[key] = call

    def pop(self, key: Hashable) -> FrameworkCall | None:
        """The call held under ``key``, no longer held (None when there is none)."""
        with self._lock:
            return self._held.pop(key, None)
