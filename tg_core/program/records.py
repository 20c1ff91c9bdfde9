"""What a recorder keeps of one run: predictor calls, tool calls, and their attempts.

A predictor is a framework step with a prompt of its own (a ``dspy.Predict``): each call
formats messages, asks the model, and parses fields out of the completion.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import UserError


class NotRecordedError(UserError):
    """A recording does not hold what was asked for (an output, a finished run).

    Example:
        >>> str(NotRecordedError("this run has not finished yet"))
        'this run has not finished yet'
    """


@dataclass
class Attempt:
    """One format → model → parse round of a predictor call (a call may retry in another format).

    Attributes:
        messages: the exact chat messages the adapter rendered.
        completions: the raw completions the model returned (one per generation).
        outputs: the parsed output fields of the first completion, once parsed.
        error: why parsing failed, if it did.

    Example:
        >>> Attempt(completions=["[[ ## answer ## ]]\\n4"]).outputs is None
        True
    """

    messages: list[dict[str, Any]] = field(default_factory=list)
    completions: list[str] = field(default_factory=list)
    outputs: dict[str, Any] | None = None
    error: str | None = None


@dataclass
class PredictorCall:
    """One call of a predictor inside a run.

    Attributes:
        call_id: the framework's id of the call.
        predictor: the framework object that was called (a ``dspy.Predict``).
        name: its name in the program, once known.
        inputs: the keyword inputs it was called with.
        attempts: the format/model/parse rounds, in order.
        prediction: what the call returned.
        error: the exception's text when the call raised.
        start: order of the call's start among the run's events.
        end: order of the call's end (None while it runs).

    Example:
        >>> call = PredictorCall("id1", None, {"question": "2+2?"}, start=0)
        >>> call.attempts.append(Attempt(completions=["[[ ## answer ## ]]\\n4"]))
        >>> call.completion
        '[[ ## answer ## ]]\\n4'
    """

    call_id: str
    predictor: Any
    inputs: dict[str, Any]
    start: int
    name: str = ""
    attempts: list[Attempt] = field(default_factory=list)
    prediction: Any = None
    error: str | None = None
    end: int | None = None

    @property
    def final(self) -> Attempt | None:
        """The last attempt that produced a completion (the one the framework used)."""
        for attempt in reversed(self.attempts):
            if attempt.completions:
                return attempt
        return self.attempts[-1] if self.attempts else None

    @property
    def completion(self) -> str:
        """The raw completion the framework parsed (first generation of the final attempt)."""
        final = self.final
        return final.completions[0] if final is not None and final.completions else ""

    @property
    def outputs(self) -> dict[str, Any]:
        """The parsed output fields (from the returned prediction when there is one)."""
        if self.prediction is not None and hasattr(self.prediction, "items"):
            return dict(self.prediction.items())
        final = self.final
        return dict(final.outputs or {}) if final is not None else {}


@dataclass
class ToolCall:
    """One tool call inside a run (a ``dspy.Tool`` in ReAct and similar loops).

    Attributes:
        call_id: the framework's id of the call.
        name: the tool's name.
        inputs: the arguments it was called with.
        output: what it returned.
        error: the exception's text when it raised.
        start: order of the call's start among the run's events.
        end: order of the call's end (None while it runs).

    Example:
        >>> ToolCall("id2", "search", {"query": "apples"}, start=3).name
        'search'
    """

    call_id: str
    name: str
    inputs: dict[str, Any]
    start: int
    output: Any = None
    error: str | None = None
    end: int | None = None
