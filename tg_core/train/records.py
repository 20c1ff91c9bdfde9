"""What a training run remembers: one record per step, and the result of the run."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..engine.usage import Usage
from ..optimizer_base import ParamUpdate

Proposal = ParamUpdate
"""One parameter's proposed change in a step and what happened to it: the optimizer's own
:class:`~tg_core.optimizer_base.ParamUpdate`, kept in the step record."""


@dataclass
class CandidateRecord:
    """One candidate of a searching step and what became of it.

    ``status`` is ``kept`` (it passed validation), ``refused`` (no usable proposal, a
    constraint, the binding or the overfit guard refused it), ``screened out`` (another
    candidate did better on the minibatch, or it did worse than its parent), or ``undone``
    (validation did not keep it). ``refused`` holds, per parameter, the text a check
    refused ("" where none was), so a refused candidate's proposal can still be read.

    Example:
        >>> CandidateRecord(0, "edit", ["Count twice."], "kept").status
        'kept'
    """

    index: int
    operator: str
    values: list[str]
    status: str
    reason: str = ""
    feedback: str = ""
    screen_score: float | None = None
    screen_n: int = 0
    val_score: float | None = None
    val_n: int = 0
    pool_id: int | None = None
    refused: list[str] = field(default_factory=list)


@dataclass
class StepRecord:
    """One optimization step.

    ``accepted`` is True when the step's changes were kept; ``val_score`` is the validation
    score after the step's proposal (None when nothing changed or no validation ran);
    ``train_score`` is the minibatch score of the values the step started from, when known.
    A searching step lists its ``candidates`` and the pool id of its ``parent``;
    ``start_values`` are the values the step started from (its parent's).
    """

    step: int
    epoch: int
    batch: list[int]
    train_score: float | None
    val_score: float | None
    accepted: bool
    reason: str
    values: list[str]
    proposals: list[Proposal] = field(default_factory=list)
    usage: dict[str, Any] = field(default_factory=dict)
    failed_examples: int = 0
    seconds: float = 0.0
    candidates: list[CandidateRecord] = field(default_factory=list)
    parent: int | None = None
    val_n: int = 0
    start_values: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StepRecord:
        """Inverse of :meth:`to_dict`."""
        proposals = [Proposal(**p) for p in data.get("proposals", [])]
        candidates = [CandidateRecord(**c) for c in data.get("candidates", [])]
        return cls(**{**data, "proposals": proposals, "candidates": candidates})


@dataclass
class FitResult:
    """The outcome of :func:`~tg_core.train.fit`.

    Attributes:
        initial_score: validation score before any step (None without validation).
        best_score: the best validation score reached (the parameters hold its values).
        best_values: the parameter values restored at the end.
        history: every step, accepted or not.
        usage: calls, tokens and cost of the whole run (resumed runs include earlier ones).
        stopped_reason: why the run ended (``completed``, ``early stopping``, a budget ...).
        estimate: the calls and tokens estimated before the run.
        run_dir: where checkpoints and the report were written, if anywhere.
    """

    initial_score: float | None
    best_score: float | None
    best_values: list[str]
    history: list[StepRecord]
    usage: Usage
    stopped_reason: str
    estimate: dict[str, Any] = field(default_factory=dict)
    run_dir: Path | None = None

    @property
    def accepted_steps(self) -> int:
        """How many steps changed the parameters and were kept."""
        return sum(1 for r in self.history if r.accepted)
