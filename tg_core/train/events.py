"""Typed events a training run sends to its callbacks, one dataclass per kind."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .config import FitConfig
from .records import CandidateRecord, StepRecord


@dataclass(frozen=True)
class FitEvent:
    """Base of every event: the step it belongs to (None outside steps) and the run's age.

    Example:
        >>> PhaseStarted(step=0, elapsed_s=1.5, phase="forward", detail="3 examples").phase
        'forward'
    """

    step: int | None
    elapsed_s: float


@dataclass(frozen=True)
class RunStarted(FitEvent):
    """Before any model call; ``state`` holds the estimate (and the resumed state, if any),
    ``config`` the run's options."""

    state: dict[str, Any]
    config: FitConfig | None = None


@dataclass(frozen=True)
class PhaseStarted(FitEvent):
    """A phase begins: ``baseline``, ``forward``, ``backward``, ``propose``, ``screen``,
    ``validate``."""

    phase: str
    detail: str = ""


@dataclass(frozen=True)
class CandidateJudged(FitEvent):
    """A candidate of a searching step got its verdict."""

    candidate: CandidateRecord


@dataclass(frozen=True)
class StepEnded(FitEvent):
    """A step was recorded and checkpointed."""

    record: StepRecord


@dataclass(frozen=True)
class RunEnded(FitEvent):
    """The run is over; ``result`` is the :class:`~tg_core.train.records.FitResult`."""

    result: Any


@dataclass(frozen=True)
class RunFailed(FitEvent):
    """The run stopped on an error other than the budget (``error``, re-raised after this
    event); the finished steps are in the checkpoint."""

    error: BaseException
