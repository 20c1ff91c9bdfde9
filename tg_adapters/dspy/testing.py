"""Offline stand-ins for tests: a ``dspy.LM`` whose answer is a function of its input, and
answers in ChatAdapter's format for the simulated OpenAI server."""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import dspy
from dspy.lm15 import Message, Response, TextPart, Usage

from tg_core.testing.sim_answers import ChatRequest, default_responder

_FIELD = re.compile(r"\[\[ ## (\w+) ## \]\]\n?")
_REQUEST = "\n\nRespond with the corresponding "
_OUTPUTS = "Respond with the corresponding output fields"
_FIXED_VALUES = dict.fromkeys(
    ("reasoning", "rationale", "thought", "explanation"),
    "Taking each part of the question in turn, the result follows directly.",
) | dict.fromkeys(
    ("feedback", "critique"),
    "The answer should show each step and end with one clearly marked final answer.",
)


def parse_fields(text: str) -> dict[str, str]:
    """The ``[[ ## name ## ]]`` blocks of a ChatAdapter message, by name.

    The closing request ("Respond with the corresponding output fields ...") is left out.

    Example:
        >>> parse_fields("[[ ## question ## ]]\\nHow many?\\n\\nRespond with the corresponding ...")
        {'question': 'How many?'}
    """
    parts = _FIELD.split(text.split(_REQUEST, 1)[0])
    return {parts[i]: parts[i + 1].strip() for i in range(1, len(parts) - 1, 2)}


def chat_answer(**fields: Any) -> str:
    """An answer in ChatAdapter's format, with the closing ``completed`` marker.

    Example:
        >>> print(chat_answer(answer="4"))
        [[ ## answer ## ]]
        4
        <BLANKLINE>
        [[ ## completed ## ]]
    """
    blocks = [f"[[ ## {name} ## ]]\n{value}" for name, value in fields.items()]
    return "\n\n".join([*blocks, "[[ ## completed ## ]]"])


def sim_responder(request: ChatRequest) -> str:
    """A responder for ``SimServer`` that answers DSPy ChatAdapter prompts in their format.

    Each output field the prompt asks for gets a value (a sentence for reasoning and
    feedback fields, a number derived from the prompt for the others), then the ``completed``
    marker. Any other request gets ``default_responder``'s answer.

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
    user = request.last_user_text
    if not request.system_text.startswith("Your input fields are:") or _OUTPUTS not in user:
        return default_responder(request)
    asked = _FIELD.findall(user[user.index(_OUTPUTS) :])
    seed = int(hashlib.sha256(request.prompt_text.encode()).hexdigest()[:12], 16)
    number = str(seed % 97 + 3)
    names = [name for name in dict.fromkeys(asked) if name != "completed"]
    return chat_answer(**{name: _FIXED_VALUES.get(name, number) for name in names})


@dataclass
class LMCall:
    """One request a :class:`FunctionLM` received.

    Attributes:
        messages: the chat messages (system first when there is one).
        inputs: the input fields of the last user message, parsed.

    Example:
        >>> LMCall([{"role": "system", "content": "Be brief."}]).system
        'Be brief.'
    """

    messages: list[dict[str, str]]
    inputs: dict[str, str] = field(default_factory=dict)

    @property
    def system(self) -> str:
        """The system message ('' when there is none)."""
        first = self.messages[0] if self.messages else {}
        return first.get("content", "") if first.get("role") == "system" else ""

    @property
    def user(self) -> str:
        """The last user message."""
        users = [m["content"] for m in self.messages if m.get("role") == "user"]
        return users[-1] if users else ""


Responder = Callable[[LMCall], str]


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
        call = LMCall(messages)
        call.inputs = parse_fields(call.user)
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
