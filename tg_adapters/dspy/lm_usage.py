"""What one ``dspy.LM`` call used, read from the LM's own history entry of that call."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class CallUsage:
    """Tokens and cost of one LM call as DSPy recorded them.

    Attributes:
        prompt_tokens: prompt tokens (None when the provider reported none).
        completion_tokens: completion tokens (None when the provider reported none).
        cost_usd: the provider's price of the call, when DSPy knew it.
        cache_hit: the answer came from DSPy's cache (nothing was billed).

    Example:
        >>> CallUsage(10, 2, None, False).prompt_tokens
        10
    """

    prompt_tokens: int | None
    completion_tokens: int | None
    cost_usd: float | None
    cache_hit: bool


def call_usage(lm: Any, outputs: Any) -> CallUsage | None:
    """The usage of the call of ``lm`` that returned ``outputs`` (None if DSPy kept no entry).

    DSPy stores the very list it returns in the history entry, so the entry is found by
    identity even when other threads call the same LM at the same time.

    Example:
        >>> out = ["hi"]
        >>> class Lm: history = [{"outputs": out, "usage": {"prompt_tokens": 3,
        ...                       "completion_tokens": 1}}]
        >>> call_usage(Lm(), out).completion_tokens
        1
    """
    history = list(getattr(lm, "history", None) or [])[-64:]
    entry = next(
        (e for e in reversed(history) if isinstance(e, dict) and e.get("outputs") is outputs),
        None,
    )
    if entry is None:
        return None
    if getattr(entry.get("response"), "cache_hit", False):
        return CallUsage(0, 0, 0.0, True)
    usage = entry.get("usage") or {}
    prompt = usage.get("prompt_tokens")
    completion = usage.get("completion_tokens")
    cost = entry.get("cost")
    return CallUsage(
        prompt if isinstance(prompt, int) else None,
        completion if isinstance(completion, int) else None,
        float(cost) if isinstance(cost, (int, float)) else None,
        False,
    )
