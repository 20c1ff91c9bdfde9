"""Scripted fake engines for tests: fixed answers, a function of the prompt, recorded calls."""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import TgCoreError
from .base import Answer, EngineLM, EngineRequest
from .content import content_text
from .usage import estimate_tokens

_TAG_REQUEST = re.compile(r"between the tags (<[^>\s]+>) and (</[^>\s]+>)")


class FakeEngineExhausted(TgCoreError):
    """A scripted FakeEngine was called more times than it had answers."""


@dataclass
class FakeCall:
    """One call a fake engine received."""

    content: str | Sequence[Any]
    system_prompt: str | None
    kwargs: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        """The prompt's text (images shown as ``[image]``)."""
        return content_text(self.content)


def default_answer(call: FakeCall) -> str:
    """Answer a prompt the way a cooperative model would, deterministically.

    An optimizer prompt that asks for a value between tags gets one, built from the current
    value; anything else gets a short critique.

    Example:
        >>> default_answer(FakeCall("put it between the tags <X> and </X>", None))
        '<X>improved variable</X>'
    """
    match = _TAG_REQUEST.search(call.text)
    if match:
        start, end = match.groups()
        return f"{start}improved variable{end}"
    return "Be more specific and check each step."


Responder = Callable[[FakeCall], str | Answer]


class FakeEngine(EngineLM):
    """An engine for tests that answers from a script or a function and records every call.

    Args:
        responses: a list of answers used in order (an ``Exception`` item is raised instead),
            or a function from :class:`FakeCall` to the answer; ``None`` uses
            :func:`default_answer`. An answer given as an :class:`Answer` carries its
            finish reason (``Answer("Step 1:", "length")`` is one cut at ``max_tokens``).
        latency: seconds each call waits (async sleep), to exercise concurrency.
        model_string: the name reported in errors and usage.

    Example:
        >>> engine = FakeEngine(["first", "second"])
        >>> engine.generate("q1"), engine.generate("q2")
        ('first', 'second')
        >>> engine.calls[0].text
        'q1'
    """

    def __init__(
        self,
        responses: Sequence[str | Answer | BaseException] | Responder | None = None,
        *,
        latency: float = 0.0,
        model_string: str = "fake",
    ) -> None:
        self.model_string = model_string
        self.latency = latency
        self._script: list[str | Answer | BaseException] | None = None
        self._responder: Responder = default_answer
        if callable(responses):
            self._responder = responses
        elif responses is not None:
            self._script = list(responses)
        self.calls: list[FakeCall] = []
        self.in_flight = 0
        self.peak_in_flight = 0
        self._lock = threading.Lock()

    @property
    def prompts(self) -> list[str]:
        """The text of every prompt received, in order."""
        return [c.text for c in self.calls]

    def _next(self, call: FakeCall) -> str | Answer:
        with self._lock:
            self.calls.append(call)
            if self._script is None:
                item: str | Answer | BaseException | None = None
            elif not self._script:
                raise FakeEngineExhausted(
                    f"FakeEngine got call {len(self.calls)} but its script had "
                    f"{len(self.calls) - 1} answers; last prompt: {call.text[:200]!r}"
                )
            else:
                item = self._script.pop(0)
        if isinstance(item, BaseException):
            raise item
        return item if item is not None else self._responder(call)

    async def _acall(self, request: EngineRequest) -> Answer:
        """Answer after ``latency`` seconds, counting calls in flight."""
        call = FakeCall(request.content, request.system_prompt, dict(request.kwargs))
        with self._lock:
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        try:
            if self.latency:
                await asyncio.sleep(self.latency)
            answer = self._next(call)
        finally:
            with self._lock:
                self.in_flight -= 1
        text, finish = (
            (answer.text, answer.finish_reason) if isinstance(answer, Answer) else (answer, None)
        )
        return Answer(text, finish, estimate_tokens(request.text), estimate_tokens(text), 0.0)
