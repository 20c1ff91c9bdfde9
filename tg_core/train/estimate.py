"""A rough count of the calls and tokens a training run will need, shown before it starts."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class RunEstimate:
    """Estimated calls and tokens of a run, split by phase.

    Example:
        >>> e = estimate_run(n_val=10, batch_size=4, steps=2, n_params=1)
        >>> e.calls
        72
    """

    forward_calls: int
    backward_calls: int
    update_calls: int
    validation_calls: int
    tokens_per_call: int

    @property
    def calls(self) -> int:
        """All calls."""
        return self.forward_calls + self.backward_calls + self.update_calls + self.validation_calls

    @property
    def tokens(self) -> int:
        """All tokens, at ``tokens_per_call`` each."""
        return self.calls * self.tokens_per_call

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict with totals."""
        return {**asdict(self), "calls": self.calls, "tokens": self.tokens}

    def __str__(self) -> str:
        return (
            f"about {self.calls} calls (~{self.tokens:,} tokens): {self.forward_calls} forward, "
            f"{self.backward_calls} backward, {self.update_calls} update, "
            f"{self.validation_calls} validation"
        )


def estimate_run(
    *,
    n_val: int,
    batch_size: int,
    steps: int,
    n_params: int,
    forward_calls_per_example: int = 1,
    loss_calls_per_example: int = 1,
    tokens_per_call: int = 800,
    candidates: int = 1,
) -> RunEstimate:
    """Estimate a run: per step, forward and loss calls for each example, about one backward
    call per model call, one update per parameter, and a validation pass after each step that
    proposed a change (plus one before the run). With several ``candidates`` a step makes
    one update call per candidate and parameter and screens each candidate on the batch.
    """
    per_example = forward_calls_per_example + loss_calls_per_example
    return RunEstimate(
        forward_calls=steps * batch_size * (per_example + (candidates if candidates > 1 else 0)),
        backward_calls=steps * batch_size * (per_example + 1),
        update_calls=steps * n_params * candidates,
        validation_calls=(steps + 1) * n_val * forward_calls_per_example,
        tokens_per_call=tokens_per_call,
    )
