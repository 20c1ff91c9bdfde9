"""``RunState``: what a training run knows between steps, saved whole in every checkpoint."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from ..engine.usage import Usage
from ..errors import UserError
from .records import StepRecord
from .search.pool import CandidatePool


class CheckpointSchema(BaseModel):
    """The shape a checkpoint must have to be resumed (validated on load; plain JSON).

    Example:
        >>> CheckpointSchema.model_validate({"fingerprint": {}, "next_step": 1, "values": ["a"],
        ...     "optimizer": {}, "history": [], "best_values": ["a"]}).next_step
        1
    """

    model_config = ConfigDict(extra="allow")

    fingerprint: dict[str, Any]
    next_step: int
    values: list[str]
    optimizer: dict[str, Any]
    history: list[dict[str, Any]]
    best_values: list[str]
    initial_score: float | None = None
    current_score: float | None = None
    best_score: float | None = None
    since_best: int = 0
    usage: dict[str, Any] = {}
    stopped_reason: str = "completed"
    graph: dict[str, Any] | None = None
    current_scores: dict[str, float] = {}
    pool: list[dict[str, Any]] | None = None


@dataclass
class RunState:
    """The mutable state of one fit: scores, best values, history, pool, usage so far.

    Example:
        >>> RunState(best_values=["a"]).next_step
        0
    """

    best_values: list[str]
    history: list[StepRecord] = field(default_factory=list)
    initial: float | None = None
    current: float | None = None
    best: float | None = None
    next_step: int = 0
    since_best: int = 0
    stopped: str = "completed"
    graph: dict[str, Any] | None = None
    prior_usage: Usage = field(default_factory=Usage)
    current_scores: dict[int, float] = field(default_factory=dict)
    pool: CandidatePool | None = None

    def to_state(self) -> dict[str, Any]:
        """JSON-ready dict of this state (the checkpoint adds values, optimizer, usage)."""
        return {
            "next_step": self.next_step,
            "history": [r.to_dict() for r in self.history],
            "initial_score": self.initial,
            "current_score": self.current,
            "best_score": self.best,
            "best_values": self.best_values,
            "since_best": self.since_best,
            "stopped_reason": self.stopped,
            "graph": self.graph,
            "current_scores": {str(k): v for k, v in self.current_scores.items()},
            "pool": self.pool.to_list() if self.pool is not None else None,
        }

    @classmethod
    def from_state(cls, data: dict[str, Any], where: str = "checkpoint") -> RunState:
        """Rebuild from a checkpoint dict, validated by :class:`CheckpointSchema`.

        Raises:
            UserError: the checkpoint lacks a field or holds a wrong type.
        """
        try:
            saved = CheckpointSchema.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            name = ".".join(str(p) for p in first["loc"])
            raise UserError(
                f"{where} is damaged ({name}: {first['msg']}); move it away to start over"
            ) from None
        state = cls(best_values=list(saved.best_values))
        state.history = [StepRecord.from_dict(r) for r in saved.history]
        state.initial = saved.initial_score
        state.current = saved.current_score
        state.best = saved.best_score
        state.since_best = saved.since_best
        state.next_step = saved.next_step
        state.graph = saved.graph
        state.prior_usage = Usage.from_dict(saved.usage)
        state.current_scores = {int(k): v for k, v in saved.current_scores.items()}
        state.pool = CandidatePool.from_list(saved.pool) if saved.pool is not None else None
        if str(saved.stopped_reason).startswith("budget"):
            state.stopped = "completed"
        return state
