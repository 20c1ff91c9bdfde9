"""What the demo prints while a fit runs: a line per phase and per candidate, with elapsed time."""

from __future__ import annotations

from typing import Any

from .train import CandidateJudged, FitCallback, FitEvent, PhaseStarted, StepRecord


def say(text: str) -> None:
    """Print one line at once (the demo is often read through a pipe)."""
    print(text, flush=True)


def pct(score: float | None) -> str:
    """A score as a percentage for people.

    Example:
        >>> pct(0.16666), pct(None)
        ('16.7%', '-')
    """
    return "-" if score is None else f"{100 * score:.1f}%"


class PhaseLines(FitCallback):
    """Prints the estimate, each phase, each candidate's verdict and each step's outcome.

    Steps are numbered from 1, as in the progress line and the report.

    Example:
        >>> PhaseLines().on_event(PhaseStarted(step=0, elapsed_s=3.2, phase="forward", detail="3 examples"))
        [    3 s] step 1: forward (3 examples)
    """

    def __init__(self) -> None:
        self.total_steps = 0
        self.steps_seen = 0
        self.calls = 0
        self.tokens = 0

    def on_run_start(self, state: dict[str, Any]) -> None:
        estimate = state["estimate"]
        self.total_steps = int(state.get("fingerprint", {}).get("total_steps", 0))
        say(f"estimate: about {estimate['calls']} model calls, {estimate['tokens']:,} tokens")
        if state.get("initial_score") is not None:
            say(f"resuming the run in its folder at step {state['next_step'] + 1}")

    def on_event(self, event: FitEvent) -> None:
        stamp = f"[{event.elapsed_s:5.0f} s]"
        if isinstance(event, PhaseStarted):
            where = "before the first step" if event.step is None else f"step {event.step + 1}"
            detail = f" ({event.detail})" if event.detail else ""
            say(f"{stamp} {where}: {event.phase}{detail}")
        elif isinstance(event, CandidateJudged):
            c = event.candidate
            scores = []
            if c.screen_score is not None:
                scores.append(f"minibatch {pct(c.screen_score)} of {c.screen_n}")
            if c.val_score is not None:
                scores.append(f"validation {pct(c.val_score)} of {c.val_n}")
            shown = f" [{', '.join(scores)}]" if scores else ""
            say(f"{stamp}   candidate {c.index} ({c.operator}): {c.status}{shown}: {c.reason}")

    def on_step_end(self, record: StepRecord) -> None:
        verdict = "kept" if record.accepted else "not kept"
        say(f"step {record.step + 1}: {verdict}: {record.reason} ({record.seconds:.0f} s)")
        self.steps_seen += 1
        self.calls += int(record.usage.get("calls", 0))
        self.tokens += int(record.usage.get("total_tokens", 0))
        left = max(self.total_steps - record.step - 1, 0)
        if left:
            per_call, per_token = self.calls / self.steps_seen, self.tokens / self.steps_seen
            say(
                f"  steps so far: {self.calls} calls, {self.tokens:,} tokens; at this rate the "
                f"{left} steps left need about {per_call * left:.0f} calls, "
                f"{per_token * left:,.0f} tokens"
            )
