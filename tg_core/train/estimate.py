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
    relay: bool = False,
    val_sample: int | None = None,
    model_made: int | None = None,
) -> RunEstimate:
    """Estimate a run: per step, forward and loss calls for each example, about one backward
    call per model call (none with relayed feedback), one update per parameter, and a
    validation pass after each step that proposed a change (plus one before the run). With
    several ``candidates`` a step makes one update call per model-made candidate
    (``model_made``, default all) and parameter and screens each candidate on the batch; with
    ``val_sample`` a candidate is validated on the sample and, about half the time, the rest.

    Example:
        >>> estimate_run(n_val=10, batch_size=3, steps=3, n_params=1, candidates=4,
        ...              relay=True, val_sample=5, model_made=2).calls
        91
    """
    per_example = forward_calls_per_example + loss_calls_per_example
    made = candidates if model_made is None else min(model_made, candidates)
    per_val = n_val if val_sample is None else min(n_val, val_sample + (n_val - val_sample) // 2)
    return RunEstimate(
        forward_calls=steps * batch_size * (per_example + (candidates if candidates > 1 else 0)),
        backward_calls=0 if relay else steps * batch_size * (per_example + 1),
        update_calls=steps * n_params * made,
        validation_calls=(n_val + steps * per_val) * forward_calls_per_example,
        tokens_per_call=tokens_per_call,
    )


def tokens_per_call(texts: list[str], answer_tokens: int = 150) -> int:
    """A typical call's tokens: the mean prompt (``texts``: parameter values and example
    inputs, at four characters a token) plus an answer.

    Example:
        >>> tokens_per_call(["x" * 400, "y" * 200])
        225
    """
    if not texts:
        return 800
    return sum(len(t) for t in texts) // (4 * len(texts)) + answer_tokens
