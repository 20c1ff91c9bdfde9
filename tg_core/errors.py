"""Typed errors raised by tg_core: caller mistakes, engine failures, budgets and proposals."""

from __future__ import annotations


class TgCoreError(Exception):
    """Base class of every error tg_core raises on purpose."""


class UserError(TgCoreError, ValueError):
    """The caller passed something tg_core cannot work with; the message says what to change.

    Example:
        >>> raise UserError("role_description is required")
        Traceback (most recent call last):
        ...
        tg_core.errors.UserError: role_description is required
    """


class NoEngineError(UserError):
    """No engine was given and none is set for this context or process."""


class PromptTemplateError(UserError):
    """A prompt template was rendered with a missing or unexpected variable."""


class EngineError(TgCoreError):
    """A model call failed for good.

    Attributes:
        engine: the model string of the engine that failed.
        status: the HTTP status when there was one.
        body: the provider's answer, shortened.
        hint: what the caller can do about it.
    """

    def __init__(
        self,
        message: str,
        *,
        engine: str,
        status: int | None = None,
        body: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.engine = engine
        self.status = status
        self.body = body
        self.hint = hint
        parts = [f"[{engine}] {message}"]
        if status is not None:
            parts.append(f"status={status}")
        if body:
            parts.append(f"body={body[:500]!r}")
        if hint:
            parts.append(f"hint: {hint}")
        super().__init__("; ".join(parts))


class TransientEngineError(EngineError):
    """A model call failed in a way that is worth retrying (429, 5xx, timeout, dropped link)."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: object) -> None:
        self.retry_after = retry_after
        super().__init__(message, **kw)  # type: ignore[arg-type]


class BudgetExceeded(TgCoreError):
    """Work stopped before a call that would have gone over a budget.

    Attributes:
        limit: which limit ("calls", "tokens" or "cost_usd").
        used: what was used when the call was refused.
        maximum: the limit's value.
    """

    def __init__(self, limit: str, used: float, maximum: float) -> None:
        self.limit = limit
        self.used = used
        self.maximum = maximum
        super().__init__(
            f"budget for {limit} reached: used {used:g} of {maximum:g}; "
            "raise the budget or resume later: finished work is kept"
        )


class ProposalError(TgCoreError):
    """An optimizer proposal could not be used (no tags, empty, or refused by a validator)."""


class BindingRejected(ProposalError):
    """A bound framework object refused a new value (for example a template lost a variable)."""


class ProposalRejectedWarning(UserWarning):
    """Warned when an optimizer kept a parameter's old value because no proposal was usable."""
