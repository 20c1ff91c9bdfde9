"""Hooks a training run calls: step start/end, proposal accepted/rejected, approval."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .records import StepRecord

if TYPE_CHECKING:
    from .events import FitEvent


class FitCallback:
    """Override the methods you need; every one is optional.

    ``approve`` lets a person (or a rule) veto a change that passed validation.

    Example:
        >>> class Log(FitCallback):
        ...     def on_step_end(self, record):
        ...         print(record.step, record.accepted)
    """

    def on_run_start(self, state: dict[str, Any]) -> None:
        """Called once before any model call (``state`` holds the estimate, or the resumed state)."""

    def on_step_start(self, step: int, batch: list[int]) -> None:
        """Called before a step's forward pass."""

    def on_step_end(self, record: StepRecord) -> None:
        """Called after a step is recorded and checkpointed."""

    def approve(self, record: StepRecord) -> bool:
        """Return False to undo a change that passed validation."""
        return True

    def on_proposal_accepted(self, record: StepRecord) -> None:
        """Called when a step's changes are kept."""

    def on_proposal_rejected(self, record: StepRecord) -> None:
        """Called when a step's changes are undone."""

    def on_run_end(self, result: Any) -> None:
        """Called with the FitResult."""

    def on_event(self, event: FitEvent) -> None:
        """Called with every typed event (:mod:`tg_core.train.events`): phases, candidates,
        steps, start and end of the run."""
