"""What the report shows, read from a checkpoint: steps, their candidates, the pool, scores."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..train.search.pool import CandidatePool
from .fmt import ScoreFormat

# What a TextGrad-style proposal's status means on the page (a kept step keeps its updates).
_PROPOSAL_STATUS = {
    "rejected": "refused",
    "error": "failed",
    "skipped": "skipped",
    "unchanged": "unchanged",
}


@dataclass
class Change:
    """One parameter's text in a candidate: the value it started from and the proposed one."""

    role: str
    before: str
    after: str
    refused: bool = False


@dataclass
class Choice:
    """A candidate of a searching step, or a proposal of a TextGrad step."""

    title: str
    operator: str
    status: str
    reason: str
    changes: list[Change]
    feedback: str = ""
    screen: float | None = None
    screen_n: int = 0
    val: float | None = None
    val_n: int = 0
    pool_id: int | None = None

    def score_parts(self, fmt: ScoreFormat) -> list[str]:
        """Its scores with their sample sizes, and its pool id: what it was judged by."""
        parts = []
        if self.screen is not None:
            parts.append(f"minibatch {fmt.with_n(self.screen, self.screen_n)}")
        if self.val is not None:
            parts.append(f"validation {fmt.with_n(self.val, self.val_n)}")
        if self.pool_id is not None:
            parts.append(f"pool #{self.pool_id}")
        return parts


@dataclass
class StepView:
    """One step as the page shows it (``number`` and ``epoch`` count from 1)."""

    number: int
    epoch: int
    batch: list[int]
    accepted: bool
    reason: str
    train: float | None
    val: float | None
    val_n: int
    best: float | None
    usage: dict[str, Any]
    seconds: float
    parent: int | None
    failed: int
    choices: list[Choice] = field(default_factory=list)

    @property
    def train_n(self) -> int:
        """Examples of the minibatch that ran."""
        return len(self.batch) - self.failed


@dataclass
class PoolRow:
    """One candidate of the pool (``step`` counts from 1; None for the starting values)."""

    id: int
    step: int | None
    operator: str
    parent: int | None
    mean: float | None
    n: int
    front: bool
    best: bool
    values: list[str]


@dataclass
class RunView:
    """Everything the Markdown and HTML pages render."""

    roles: list[str]
    initial_values: list[str]
    final_values: list[str]
    initial: float | None
    best: float | None
    steps: list[StepView]
    pool: list[PoolRow]
    fmt: ScoreFormat
    usage: dict[str, Any]
    estimate: dict[str, Any]
    stopped: str
    graph: dict[str, Any] | None
    settings: dict[str, Any]

    @property
    def kept_steps(self) -> int:
        """How many steps kept a change."""
        return sum(s.accepted for s in self.steps)


def _initial_values(data: dict[str, Any]) -> list[str]:
    history = data["history"]
    if history and history[0].get("start_values"):
        return list(history[0]["start_values"])
    if data.get("pool"):
        return list(data["pool"][0]["values"])
    values = list(data.get("best_values", data.get("values", [])))
    if history:
        values = list(history[0]["values"])
        for p in history[0].get("proposals", []):
            values[p["index"]] = p["old"]
    return values


def _proposal_choices(record: dict[str, Any]) -> list[Choice]:
    out = []
    for p in record.get("proposals", []):
        status = p["status"]
        if status == "updated":
            shown = "kept" if record["accepted"] else "undone"
            reason, change = record["reason"], Change(p["role"], p["old"], p["new"])
        else:
            shown, reason = _PROPOSAL_STATUS.get(status, status), p.get("reason", "")
            refused = p.get("refused", "")
            change = Change(p["role"], p["old"], refused or p["old"], refused=bool(refused))
        changes = [change] if change.before != change.after else []
        out.append(
            Choice(f"proposal for {p['role']}", "rewrite", shown, reason, changes, p["feedback"])
        )
    return out


def _candidate_choices(record: dict[str, Any], start: list[str], roles: list[str]) -> list[Choice]:
    out = []
    for c in record.get("candidates", []):
        refused = c.get("refused") or [""] * len(start)
        changes = []
        for i, role in enumerate(roles):
            before, after = start[i], c["values"][i]
            if after != before:
                changes.append(Change(role, before, after))
            elif i < len(refused) and refused[i] and refused[i] != before:
                changes.append(Change(role, before, refused[i], refused=True))
        out.append(
            Choice(
                f"candidate {c['index']}",
                c["operator"],
                c["status"],
                c.get("reason", ""),
                changes,
                c.get("feedback", ""),
                c.get("screen_score"),
                c.get("screen_n", 0),
                c.get("val_score"),
                c.get("val_n", 0),
                c.get("pool_id"),
            )
        )
    return out


def _pool_rows(data: dict[str, Any]) -> list[PoolRow]:
    if not data.get("pool"):
        return []
    pool = CandidatePool.from_list(data["pool"])
    front = {c.id for c in pool.front()}
    best = pool.best().id
    return [
        PoolRow(
            c.id,
            c.step + 1 if c.step >= 0 else None,
            c.operator,
            c.parent,
            c.mean if c.scores else None,
            len(c.scores),
            c.id in front,
            c.id == best,
            list(c.values),
        )
        for c in pool.candidates
    ]


def _all_scores(data: dict[str, Any]) -> list[float | None]:
    found: list[float | None] = [data.get("initial_score"), data.get("best_score")]
    for r in data["history"]:
        found += [r.get("val_score"), r.get("train_score")]
        found += [s for c in r.get("candidates", []) for s in (c["screen_score"], c["val_score"])]
    for c in data.get("pool") or []:
        found += list(c.get("scores", {}).values())
    return found


def build_view(data: dict[str, Any]) -> RunView:
    """Read a checkpoint dict into what the pages show.

    Example:
        >>> data = {"fingerprint": {"roles": ["prompt"]}, "history": [], "values": ["a"],
        ...         "best_values": ["a"], "usage": {}, "initial_score": 0.5, "best_score": 0.5}
        >>> view = build_view(data)
        >>> view.fmt.score(view.best), view.initial_values
        ('50.0%', ['a'])
    """
    roles = list(data["fingerprint"]["roles"])
    pool = {c["id"]: c for c in data.get("pool") or []}
    kept = _initial_values(data)
    best = data.get("initial_score")
    steps = []
    for r in data["history"]:
        parent = r.get("parent")
        if r.get("start_values"):
            start = list(r["start_values"])
        elif parent is not None and parent in pool:
            start = list(pool[parent]["values"])
        else:
            start = list(kept)
            for p in r.get("proposals", []):
                start[p["index"]] = p["old"]
        if r["accepted"] and r.get("val_score") is not None:
            best = r["val_score"] if best is None else max(best, r["val_score"])
        choices = (
            _candidate_choices(r, start, roles) if r.get("candidates") else _proposal_choices(r)
        )
        steps.append(
            StepView(
                r["step"] + 1,
                r.get("epoch", 0) + 1,
                list(r["batch"]),
                r["accepted"],
                r["reason"],
                r.get("train_score"),
                r.get("val_score"),
                r.get("val_n", 0),
                best,
                r.get("usage", {}),
                r.get("seconds", 0.0),
                parent,
                r.get("failed_examples", 0),
                choices,
            )
        )
        if r["accepted"]:
            kept = list(r["values"])
    fingerprint = data["fingerprint"]
    return RunView(
        roles,
        _initial_values(data),
        list(data.get("best_values", data.get("values", []))),
        data.get("initial_score"),
        data.get("best_score"),
        steps,
        _pool_rows(data),
        ScoreFormat.for_scores(_all_scores(data)),
        data.get("usage", {}),
        data.get("estimate", {}),
        str(data.get("stopped_reason", "completed")),
        data.get("graph"),
        {k: v for k, v in fingerprint.items() if k != "roles"},
    )
