"""What an optimization run did, by parameter name: scores, kept steps and prompt versions."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from ..train import FitResult


@dataclass
class StepSummary:
    """One optimization step, by parameter name.

    Attributes:
        step: the step number (from 0).
        accepted: whether its changes were kept.
        val_score: the validation score of its proposal (None when nothing was validated).
        reason: why it was kept or undone.
        values: every parameter's text after the step, by name.
        proposals: the proposed texts with their status, by name.
        failed_examples: training examples of the step that gave no loss.
        seconds: the step's wall time.

    Example:
        >>> StepSummary(0, True, 0.8, "validation 0.800 >= 0.500", {"qa": "Count."}).accepted
        True
    """

    step: int
    accepted: bool
    val_score: float | None
    reason: str
    values: dict[str, str]
    proposals: dict[str, dict[str, str]] = field(default_factory=dict)
    failed_examples: int = 0
    seconds: float = 0.0


@dataclass
class TextGradHistory:
    """What one optimization run did, by parameter name (a framework entry point attaches it
    to the program it returns, as ``TextGradOptimizer`` does).

    Attributes:
        names: the parameter names (a DSPy program's predictor names, say).
        initial_values: the texts before optimization.
        final_values: the texts of the returned program.
        initial_score: the validation score before the first step.
        best_score: the best validation score reached.
        steps: one summary per step.
        stopped_reason: why the run ended.
        metric_failures: why the metric failed, once per failed call.
        program_failures: the program's errors, once per failed run.
        usage: calls, tokens and cost of the backward and optimizer calls.
        run_dir: where checkpoints and the report went, if anywhere.

    Example:
        >>> h = TextGradHistory(["qa"], {"qa": "a"}, {"qa": "b"}, 0.2, 0.6, [], "completed")
        >>> h.versions()["qa"]
        ['a', 'b']
    """

    names: list[str]
    initial_values: dict[str, str]
    final_values: dict[str, str]
    initial_score: float | None
    best_score: float | None
    steps: list[StepSummary]
    stopped_reason: str
    metric_failures: list[str] = field(default_factory=list)
    program_failures: list[str] = field(default_factory=list)
    usage: dict[str, Any] = field(default_factory=dict)
    run_dir: str | None = None

    def versions(self) -> dict[str, list[str]]:
        """Each parameter's distinct texts in the order they were held (accepted steps)."""
        out: dict[str, list[str]] = {n: [self.initial_values[n]] for n in self.names}
        for step in self.steps:
            for name, value in step.values.items():
                if out[name][-1] != value:
                    out[name].append(value)
        for name, value in self.final_values.items():
            if out[name][-1] != value:
                out[name].append(value)
        return out

    @property
    def scores(self) -> list[float | None]:
        """The initial score, then each step's validation score."""
        return [self.initial_score, *(s.val_score for s in self.steps)]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return asdict(self)

    @classmethod
    def from_fit(
        cls,
        names: list[str],
        initial: list[str],
        result: FitResult,
        final: list[str],
        metric_failures: list[str],
        program_failures: list[str] | None = None,
    ) -> TextGradHistory:
        """Summarize a :class:`tg_core.train.FitResult` by parameter name."""
        steps = []
        for record in result.history:
            proposals = {
                names[p.index]: {"old": p.old, "new": p.new, "status": p.status, "reason": p.reason}
                for p in record.proposals
                if 0 <= p.index < len(names)
            }
            steps.append(
                StepSummary(
                    record.step,
                    record.accepted,
                    record.val_score,
                    record.reason,
                    dict(zip(names, record.values)),
                    proposals,
                    record.failed_examples,
                    record.seconds,
                )
            )
        return cls(
            list(names),
            dict(zip(names, initial)),
            dict(zip(names, final)),
            result.initial_score,
            result.best_score,
            steps,
            result.stopped_reason,
            list(metric_failures),
            list(program_failures or []),
            result.usage.to_dict(),
            str(result.run_dir) if result.run_dir is not None else None,
        )
