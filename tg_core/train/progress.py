"""A one-line progress display on stderr: step, batch, score, spend, ETA; quiet off a terminal."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from ..engine.usage import Usage


def _eta(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 60}m{seconds % 60:02d}s"


class Progress:
    """Redraws one status line; prints nothing when disabled.

    Example:
        >>> p = Progress(total_steps=3, enabled=False); p.update(step=1, done_in_step=0, batch=4)
    """

    def __init__(
        self, total_steps: int, enabled: bool | None = None, stream: TextIO | None = None
    ) -> None:
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.total_steps = total_steps
        self.start = time.monotonic()
        self.first_step: int | None = None
        self.score: float | None = None
        self.best: float | None = None
        self.usage: Usage | None = None
        self.phase = ""

    def update(self, *, step: int, done_in_step: int, batch: int, phase: str = "") -> None:
        """Redraw for ``step`` (0-based) with ``done_in_step`` of ``batch`` examples done."""
        if not self.enabled:
            return
        if self.first_step is None:
            self.first_step = step
        finished = step - self.first_step
        elapsed = time.monotonic() - self.start
        remaining = self.total_steps - step
        eta = _eta(elapsed / finished * remaining) if finished > 0 else "?"
        score = "-" if self.score is None else f"{self.score:.3f}"
        best = "-" if self.best is None else f"{self.best:.3f}"
        spend = ""
        if self.usage is not None:
            cost = f" ${self.usage.cost_usd:.4f}" if self.usage.cost_known else ""
            spend = f" | {self.usage.calls} calls {self.usage.total_tokens} tok{cost}"
        line = (
            f"step {min(step + 1, self.total_steps)}/{self.total_steps} "
            f"| batch {done_in_step}/{batch} {phase or self.phase}"
            f"| val {score} best {best}{spend} | ETA {eta}"
        )
        self.stream.write("\r" + line[:160].ljust(100))
        self.stream.flush()

    def close(self) -> None:
        """End the status line."""
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()
