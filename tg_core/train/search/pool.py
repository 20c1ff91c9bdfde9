"""The candidate pool: every validated candidate with per-example scores, and its Pareto front."""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Candidate:
    """One set of parameter values and its validation scores, example by example.

    Attributes:
        id: position in the pool (0 is the starting values).
        values: one value per parameter.
        parent: the id of the candidate it was made from (None for the start).
        step: the step that made it (-1 for the start).
        operator: how it was made (``start``, ``rewrite``, ``edit``, ``example``).
        scores: validation score per validation example index.

    Example:
        >>> Candidate(0, ["Answer."], scores={0: 1.0, 1: 0.0}).mean
        0.5
    """

    id: int
    values: list[str]
    parent: int | None = None
    step: int = -1
    operator: str = "start"
    scores: dict[int, float] = field(default_factory=dict)

    @property
    def mean(self) -> float:
        """Mean validation score over the examples it was scored on (0.0 when none)."""
        return sum(self.scores.values()) / len(self.scores) if self.scores else 0.0

    def mean_on(self, indices: list[int]) -> float:
        """Mean score over ``indices`` (those it has a score for)."""
        known = [self.scores[i] for i in indices if i in self.scores]
        return sum(known) / len(known) if known else 0.0

    def dominates(self, other: Candidate) -> bool:
        """At least as good on every shared example and better on one."""
        shared = self.scores.keys() & other.scores.keys()
        if not shared:
            return False
        ge = all(self.scores[i] >= other.scores[i] for i in shared)
        return ge and any(self.scores[i] > other.scores[i] for i in shared)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (score keys as strings)."""
        data = asdict(self)
        data["scores"] = {str(k): v for k, v in self.scores.items()}
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Candidate:
        """Inverse of :meth:`to_dict`."""
        scores = {int(k): float(v) for k, v in data.get("scores", {}).items()}
        return cls(**{**data, "scores": scores})


class CandidatePool:
    """Validated candidates; the front holds those best on at least one example.

    Parents are drawn from the front with weight proportional to the number of validation
    examples on which each is best, so complementary candidates keep being improved, not
    only the one with the best mean.

    Example:
        >>> pool = CandidatePool()
        >>> a = pool.add(["A"], scores={0: 1.0, 1: 0.0})
        >>> b = pool.add(["B"], scores={0: 0.0, 1: 1.0}, parent=0)
        >>> [c.id for c in pool.front()], pool.best().id
        ([0, 1], 0)
    """

    def __init__(self) -> None:
        self.candidates: list[Candidate] = []

    def __len__(self) -> int:
        return len(self.candidates)

    def add(
        self,
        values: list[str],
        *,
        scores: dict[int, float],
        parent: int | None = None,
        step: int = -1,
        operator: str = "start",
    ) -> Candidate:
        """Add a scored candidate and return it."""
        cand = Candidate(len(self.candidates), list(values), parent, step, operator, dict(scores))
        self.candidates.append(cand)
        return cand

    def best(self) -> Candidate:
        """The candidate with the highest mean; on a tie the earlier one (less search, same
        evidence)."""
        if not self.candidates:
            raise LookupError("the pool is empty")
        return max(self.candidates, key=lambda c: (c.mean, -c.id))

    def _wins(self) -> dict[int, int]:
        """For each candidate id, on how many examples it reaches the best score."""
        examples = set().union(*(c.scores.keys() for c in self.candidates))
        wins: dict[int, int] = {}
        for i in sorted(examples):
            scored = [c for c in self.candidates if i in c.scores]
            top = max(c.scores[i] for c in scored)
            for c in scored:
                if c.scores[i] == top:
                    wins[c.id] = wins.get(c.id, 0) + 1
        return wins

    def front(self) -> list[Candidate]:
        """Candidates best on at least one example and dominated by no other."""
        wins = self._wins()
        on_top = [c for c in self.candidates if wins.get(c.id)]
        return [c for c in on_top if not any(o.dominates(c) for o in on_top if o is not c)]

    def dominated(self, scores: dict[int, float]) -> bool:
        """Whether a candidate with ``scores`` would add nothing: one already here is at least
        as good on every example (better on one, or the same on all)."""
        probe = Candidate(-1, [], scores=scores)
        return any(c.dominates(probe) or c.scores == scores for c in self.candidates)

    def pick_parent(self, rng: random.Random) -> Candidate:
        """A parent from the front, weighted by the examples it is best on."""
        front = self.front() or [self.best()]
        wins = self._wins()
        weights = [max(1, wins.get(c.id, 0)) for c in front]
        return rng.choices(front, weights=weights, k=1)[0]

    def to_list(self) -> list[dict[str, Any]]:
        """JSON-ready list."""
        return [c.to_dict() for c in self.candidates]

    @classmethod
    def from_list(cls, data: list[dict[str, Any]]) -> CandidatePool:
        """Inverse of :meth:`to_list`."""
        pool = cls()
        pool.candidates = [Candidate.from_dict(d) for d in data]
        return pool
