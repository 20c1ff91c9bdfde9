"""Usage accounting (calls, tokens, cost, latency) in nested scopes, and budgets that stop work."""

from __future__ import annotations

import contextlib
import contextvars
import threading
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from ..errors import BudgetExceeded, UserError


def estimate_tokens(text: str) -> int:
    """Rough token count of ``text`` (four characters a token), for budgets and fakes.

    Example:
        >>> estimate_tokens("abcdefgh")
        2
    """
    return max(1, (len(text) + 3) // 4) if text else 0


@dataclass
class Usage:
    """Totals of model calls.

    ``cost_known`` is False as soon as one call had no price (an unknown or local model); its
    tokens still count. ``failed_calls`` counts attempts that raised (retries included).

    Example:
        >>> u = Usage(); u.add_call(prompt_tokens=10, completion_tokens=5, cost_usd=0.001)
        >>> (u.calls, u.total_tokens)
        (1, 15)
    """

    calls: int = 0
    cached_calls: int = 0
    failed_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    cost_known: bool = True
    latency_s: float = 0.0

    @property
    def total_tokens(self) -> int:
        """Prompt plus completion tokens."""
        return self.prompt_tokens + self.completion_tokens

    def add_call(
        self,
        *,
        prompt_tokens: int = 0,
        completion_tokens: int = 0,
        cost_usd: float | None = 0.0,
        latency_s: float = 0.0,
        cached: bool = False,
        failed: bool = False,
    ) -> None:
        """Count one call (or one cache hit, or one failed attempt)."""
        if cached:
            self.cached_calls += 1
            return
        self.calls += 1
        if failed:
            self.failed_calls += 1
        self.prompt_tokens += prompt_tokens
        self.completion_tokens += completion_tokens
        self.latency_s += latency_s
        if cost_usd is None:
            self.cost_known = False
        else:
            self.cost_usd += cost_usd

    def merge(self, other: Usage) -> None:
        """Add another set of totals to this one."""
        self.calls += other.calls
        self.cached_calls += other.cached_calls
        self.failed_calls += other.failed_calls
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens
        self.cost_usd += other.cost_usd
        self.cost_known = self.cost_known and other.cost_known
        self.latency_s += other.latency_s

    def since(self, before: Usage) -> Usage:
        """What was used after ``before`` (a copy taken earlier of these totals)."""
        out = self.copy()
        for name in ("calls", "cached_calls", "failed_calls", "prompt_tokens", "completion_tokens"):
            setattr(out, name, getattr(self, name) - getattr(before, name))
        out.cost_usd = self.cost_usd - before.cost_usd
        out.latency_s = self.latency_s - before.latency_s
        return out

    def copy(self) -> Usage:
        """An independent copy of these totals."""
        out = Usage()
        out.merge(self)
        return out

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict, with ``total_tokens``."""
        d = asdict(self)
        d["total_tokens"] = self.total_tokens
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Usage:
        """Inverse of :meth:`to_dict`."""
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**known)

    def __str__(self) -> str:
        cost = f"${self.cost_usd:.4f}" if self.cost_known else "cost unknown"
        return (
            f"{self.calls} calls ({self.cached_calls} cached, {self.failed_calls} failed), "
            f"{self.prompt_tokens}+{self.completion_tokens} tokens, {cost}"
        )


@dataclass(frozen=True)
class Budget:
    """Limits on what a scope may spend; ``None`` means no limit.

    Example:
        >>> Budget(max_calls=100, max_cost_usd=0.5).max_calls
        100
    """

    max_calls: int | None = None
    max_tokens: int | None = None
    max_cost_usd: float | None = None

    def __post_init__(self) -> None:
        for name in ("max_calls", "max_tokens", "max_cost_usd"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise UserError(f"Budget.{name} must be >= 0 or None, got {value!r}")


@dataclass
class UsageScope:
    """One accounting scope: its usage, an optional budget, and calls reserved but not done."""

    name: str
    budget: Budget | None = None
    usage: Usage = field(default_factory=Usage)
    _reserved_calls: int = 0
    _reserved_tokens: int = 0
    _reserved_cost: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def _check(self, tokens: int, cost: float | None) -> None:
        b = self.budget
        if b is None:
            return
        used = self.usage
        if b.max_calls is not None and used.calls + self._reserved_calls + 1 > b.max_calls:
            raise BudgetExceeded("calls", used.calls, b.max_calls)
        if b.max_tokens is not None and (
            used.total_tokens + self._reserved_tokens + tokens > b.max_tokens
        ):
            raise BudgetExceeded("tokens", used.total_tokens, b.max_tokens)
        if b.max_cost_usd is not None:
            if not used.cost_known:
                raise UserError(
                    f"budget {self.name!r} has max_cost_usd but a call's price is unknown (a model "
                    "without a price in litellm's table), so dollars cannot be counted; "
                    "use max_tokens or max_calls for this model"
                )
            held = used.cost_usd + self._reserved_cost
            if used.cost_usd >= b.max_cost_usd or (cost and held + cost > b.max_cost_usd):
                raise BudgetExceeded("cost_usd", used.cost_usd, b.max_cost_usd)


_GLOBAL = UsageScope("process")
_SCOPES: contextvars.ContextVar[tuple[UsageScope, ...]] = contextvars.ContextVar(
    "tg_core_usage_scopes", default=(_GLOBAL,)
)
_LOCK = threading.Lock()


def process_usage() -> Usage:
    """Totals of every call this process made through tg_core.

    Example:
        >>> process_usage().calls >= 0
        True
    """
    return _GLOBAL.usage


@contextlib.contextmanager
def track_usage(name: str = "scope", budget: Budget | None = None) -> Iterator[UsageScope]:
    """Count every model call made inside the block; with ``budget``, refuse calls past it.

    Scopes nest: a call counts in every enclosing scope and each scope's budget is checked.

    Example:
        >>> with track_usage("demo", Budget(max_calls=10)) as scope:
        ...     pass
        >>> scope.usage.calls
        0
    """
    scope = UsageScope(name, budget)
    token = _SCOPES.set((*_SCOPES.get(), scope))
    try:
        yield scope
    finally:
        _SCOPES.reset(token)


class Reservation:
    """Calls, tokens and dollars held against every active budget while one call is in flight.

    ``cost`` is the call's least cost (its prompt at the model's price) when known, so
    concurrent calls cannot together overrun a dollar budget by more than one call's answer.
    """

    def __init__(self, tokens: int, cost: float | None = None) -> None:
        self.scopes = _SCOPES.get()
        self.tokens = tokens
        self.cost = cost or 0.0
        with _LOCK:
            for scope in self.scopes:
                scope._check(tokens, cost)
            for scope in self.scopes:
                scope._reserved_calls += 1
                scope._reserved_tokens += tokens
                scope._reserved_cost += self.cost

    def settle(
        self,
        *,
        prompt_tokens: int,
        completion_tokens: int,
        cost_usd: float | None,
        latency_s: float,
        failed: bool = False,
        cached: bool = False,
    ) -> None:
        """Release the hold and count what the call really used (a cache hit: no tokens)."""
        with _LOCK:
            for scope in self.scopes:
                scope._reserved_calls -= 1
                scope._reserved_tokens -= self.tokens
                scope._reserved_cost -= self.cost
                scope.usage.add_call(
                    prompt_tokens=prompt_tokens,
                    completion_tokens=completion_tokens,
                    cost_usd=cost_usd,
                    latency_s=latency_s,
                    failed=failed,
                    cached=cached,
                )


def dollar_budget_active() -> bool:
    """True when a scope in force here has a ``max_cost_usd`` limit."""
    return any(s.budget is not None and s.budget.max_cost_usd is not None for s in _SCOPES.get())


def record_cache_hit() -> None:
    """Count a call answered from the cache (no tokens, no cost) in every active scope."""
    with _LOCK:
        for scope in _SCOPES.get():
            scope.usage.add_call(cached=True)
