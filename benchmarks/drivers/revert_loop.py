"""Minibatch steps with validation revert, stopped by a call budget (stdlib only).

The loop of TextGrad's prompt-optimization experiments, with the library's parts passed in:
validate the starting value; for each minibatch take one step; validate the new value and
undo the step if the score fell (a tie is kept). When the budget refuses a call
(:class:`~budget.BudgetReached`), the step in progress is dropped and the last kept value
restored.

Example:
    >>> value = ["seed"]
    >>> scores = iter([0.5, 0.75, 0.25])
    >>> def step(batch): value[0] = f"v{batch[0]}"
    >>> out = revert_loop([[1], [2]], validate=lambda: next(scores), step=step,
    ...                   value=lambda: value[0], restore=lambda v: value.__setitem__(0, v))
    >>> out.final_value, out.initial_val, out.best_val, [h["accepted"] for h in out.history]
    ('v1', 0.5, 0.75, [True, False])
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from budget import BudgetReached


class NoUpdate(Exception):
    """The step produced no new value (for example, the reply had no update tags)."""


@dataclass
class LoopResult:
    """How the loop ended: scores, the kept value, one record per step, why it stopped."""

    initial_val: float | None
    best_val: float | None
    final_value: str
    history: list[dict[str, Any]] = field(default_factory=list)
    stopped: str = "completed"


def revert_loop(
    batches: Sequence[list[int]],
    *,
    validate: Callable[[], float],
    step: Callable[[list[int]], None],
    value: Callable[[], str],
    restore: Callable[[str], None],
) -> LoopResult:
    """Run ``step`` over ``batches`` with validation revert, until done or out of budget."""
    out = LoopResult(None, None, value())
    index = -1
    try:
        out.initial_val = out.best_val = validate()
        for index, batch in enumerate(batches):
            record: dict[str, Any] = {"step": index, "batch": batch, "val_score": None}
            try:
                step(batch)
            except NoUpdate as exc:
                restore(out.final_value)
                out.history.append({**record, "accepted": False, "reason": f"no update: {exc}"})
                continue
            if value() == out.final_value:
                out.history.append({**record, "accepted": False, "reason": "no change proposed"})
                continue
            score = validate()
            accepted = score >= out.best_val
            verdict = "kept" if accepted else "fell"
            reason = f"validation {verdict}: {out.best_val:.3f} -> {score:.3f}"
            if accepted:
                out.best_val, out.final_value = score, value()
            else:
                restore(out.final_value)
            out.history.append(
                {**record, "val_score": score, "accepted": accepted, "reason": reason}
            )
    except BudgetReached as exc:
        restore(out.final_value)
        out.stopped = f"budget: {exc}"
        if index >= 0 and (not out.history or out.history[-1]["step"] != index):
            out.history.append({"step": index, "accepted": False, "reason": "budget reached"})
    return out
