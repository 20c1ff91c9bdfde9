"""Offline stand-ins for tests: a ``dspy.LM`` whose answer is a function of its input, and
answers in ChatAdapter's format for the simulated OpenAI server (the core's).

Example:
    >>> import dspy
    >>> from tg_core.testing.openai_sim import SimServer
    >>> with SimServer(latency_s=0, responder=sim_responder) as server:
    ...     lm = dspy.LM("openai/sim-model", api_base=server.base_url, api_key="-", cache=False)
    ...     with dspy.context(lm=lm):
    ...         answer = dspy.Predict("question -> answer")(question="What is 2+2?").answer
    >>> answer.isdigit()
    True
"""

from __future__ import annotations

import threading
from typing import Any

import dspy
from dspy.lm15 import Message, Response, TextPart, Usage

from tg_core.testing.field_answers import chat_answer, parse_fields, sim_responder
from tg_core.testing.lm_calls import LMCall, Responder

__all__ = ["FunctionLM", "LMCall", "Responder", "chat_answer", "parse_fields", "sim_responder"]


class _Engine:
    def __init__(self, owner: FunctionLM) -> None:
        self.owner = owner

    def complete(self, request: Any) -> Any:
        messages: list[dict[str, str]] = []
        if request.system is not None:
            system = request.system
            text = system if isinstance(system, str) else "".join(p.text for p in system)
            messages.append({"role": "system", "content": text})
        messages.extend({"role": m.role, "content": m.text or ""} for m in request.messages)
        call = LMCall.of(messages)
        answer = self.owner.answer(call)
        words_in = sum(len(m["content"].split()) for m in messages)
        usage = Usage(
            input_tokens=words_in,
            output_tokens=len(answer.split()),
            total_tokens=words_in + len(answer.split()),
        )
        return Response(
            id=None,
            model=self.owner.model,
            message=Message.assistant([TextPart(answer)]),
            finish_reason="stop",
            usage=usage,
        )

    def stream(self, request: Any) -> Any:
        raise NotImplementedError("FunctionLM does not stream")

    def close(self) -> None:
        """Nothing to release."""


class _AsyncEngine:
    def __init__(self, sync: _Engine) -> None:
        self.sync = sync

    async def complete(self, request: Any) -> Any:
        return self.sync.complete(request)

    def stream(self, request: Any) -> Any:
        raise NotImplementedError("FunctionLM does not stream")

    async def aclose(self) -> None:
        """Nothing to release."""


class FunctionLM(dspy.LM):  # type: ignore[misc]
    """A ``dspy.LM`` that answers with ``responder(call)`` and records every call.

    It needs no network, caches nothing, and reports word counts as token usage. Use it
    where a fixed script (``DummyLM``) is not enough: answers that depend on the input,
    threads, ``asyncio.gather``.

    Args:
        responder: ``LMCall -> str``; :func:`chat_answer` writes ChatAdapter answers.
        model: the model name it reports.

    Example:
        >>> lm = FunctionLM(lambda call: chat_answer(answer=call.inputs["question"][::-1]))
        >>> with dspy.context(lm=lm):
        ...     dspy.Predict("question -> answer")(question="abc").answer
        'cba'
    """

    def __init__(self, responder: Responder, *, model: str = "function/test-lm") -> None:
        engine = _Engine(self)
        super().__init__(model, engine=engine, async_engine=_AsyncEngine(engine), cache=False)
        self.responder = responder
        self.calls: list[LMCall] = []
        self._calls_lock = threading.Lock()

    def answer(self, call: LMCall) -> str:
        """Record ``call`` and answer it."""
        with self._calls_lock:
            self.calls.append(call)
        return self.responder(call)
