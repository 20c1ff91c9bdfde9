"""A simulated OpenAI-compatible chat-completions server on loopback, with latency and faults."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import math
import random
import re
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from types import FrameType, TracebackType
from typing import Any, Literal, get_args

__all__ = [
    "FAULT_KINDS",
    "ChatRequest",
    "DefaultResponder",
    "FaultKind",
    "FaultPlan",
    "FaultRule",
    "SimServer",
    "SimStats",
    "approx_tokens",
    "default_responder",
    "main",
]

FaultKind = Literal[
    "http_429",
    "http_500",
    "http_503",
    "hang",
    "drop",
    "empty",
    "no_tags",
    "unbalanced_tags",
    "nested_tags",
    "huge",
    "non_utf8",
    "template_var_removed",
    "template_var_invented",
]
"""The kinds of fault a `FaultPlan` can inject into one chat-completion request."""

FAULT_KINDS: tuple[FaultKind, ...] = get_args(FaultKind)
"""Every fault kind, in a fixed order."""

_ERROR_STATUS: dict[str, int] = {"http_429": 429, "http_500": 500, "http_503": 503}
_ERROR_TYPE: dict[int, tuple[str, str]] = {
    429: ("rate_limit_exceeded", "Rate limit reached for requests (simulated)."),
    500: ("server_error", "The server had an error while processing your request (simulated)."),
    503: ("service_unavailable", "The server is overloaded or not ready yet (simulated)."),
}
_NON_UTF8_SENTINEL = "__TG_SIM_NON_UTF8__"
_NON_UTF8_BYTES = b"\xff\xfe\xc3\x28\xa0"
_DEFAULT_TAG = "IMPROVED_VARIABLE"
_PLACEHOLDER_RE = re.compile(r"(?<!\{)\{([A-Za-z_][A-Za-z0-9_]*)\}(?!\})")
_TAG_NAME_RE = re.compile(r"<([A-Z][A-Z0-9_]*)>")
_UPDATE_WORDS = frozenset({"IMPROVED", "UPDATED", "NEW", "REVISED", "REWRITTEN"})
_DSPY_FIELD_RE = re.compile(r"\[\[ ## (\w+) ## \]\]")
_DSPY_MARKER = "Respond with the corresponding output fields"
_CRITIQUE_WORDS = (
    "feedback",
    "critique",
    "criticism",
    "criticize",
    "gradient",
    "evaluate",
    "evaluation",
    "objective function",
)

_ANSWERS = (
    "Working through the question step by step, the quantities combine to {n}. The answer is {n}.",
    "Taking each part of the question in turn and checking the arithmetic, the result is {n}. "
    "Answer: {n}",
    "After reading the question carefully and ruling out the distractors, the answer is {n}.",
    "Counting the relevant items one at a time gives a total of {n}, so the answer is {n}.",
)
_CRITIQUES = (
    "The response states a final answer without showing how it was reached; it should check "
    "each intermediate step and state the final answer explicitly.",
    "The response misreads part of the question; it should restate what is asked, list the "
    "relevant facts, and only then compute the answer.",
    "The response is longer than needed and buries the answer; it should be concise and end "
    "with a single clearly marked final answer.",
    "The response skips a case that changes the result; it should consider every item in the "
    "question before committing to an answer.",
)
_IMPROVEMENTS = (
    "Solve the task step by step and state the final answer explicitly at the end.",
    "Read the question carefully, list the relevant facts, then give a concise final answer.",
    "Check every intermediate step before answering, and end with one clearly marked answer.",
    "Consider each item in the question in turn, then answer briefly in the requested format.",
)
_SUFFIXES = (
    "Check each intermediate step before giving the final answer.",
    "State the final answer explicitly on the last line.",
    "Keep the reasoning short and the final answer unambiguous.",
    "Consider every item mentioned in the question before answering.",
)


def approx_tokens(text: str) -> int:
    """Approximate the number of tokens in ``text`` as ``ceil(len(text) / 4)``.

    Args:
        text: Any text.

    Returns:
        The approximate token count; 0 for the empty string.

    Example:
        >>> approx_tokens("abcde")
        2
    """
    return math.ceil(len(text) / 4)


def _message_text(message: Mapping[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = [
            part["text"]
            for part in content
            if isinstance(part, Mapping) and isinstance(part.get("text"), str)
        ]
        return "\n".join(texts)
    return ""


def _placeholders(text: str) -> list[str]:
    return list(dict.fromkeys(_PLACEHOLDER_RE.findall(text)))


def _digest(text: str) -> int:
    return int(hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()[:12], 16)


@dataclass(frozen=True)
class ChatRequest:
    """One parsed ``POST /v1/chat/completions`` request, as responders and rules see it.

    Attributes:
        body: The decoded JSON body, unchanged.
        model: The requested model name ("" when the body has none).
        messages: The chat messages; ``content`` may be a string or a list of parts.
        max_tokens: ``max_tokens`` (or ``max_completion_tokens``), if given.
        temperature: ``temperature``, if given.
        stream: Whether the client asked for a server-sent-event stream.
        n: How many choices were asked for.
        headers: The HTTP request headers, names in lower case.
        index: The 0-based sequence number of this request since the server started.

    Example:
        >>> req = ChatRequest.from_body({"model": "m", "messages": [
        ...     {"role": "system", "content": "Be brief."},
        ...     {"role": "user", "content": [{"type": "text", "text": "Hi {name}"}]}]})
        >>> req.last_user_text, req.system_text, req.placeholders
        ('Hi {name}', 'Be brief.', ['name'])
    """

    body: dict[str, Any]
    model: str
    messages: list[dict[str, Any]]
    max_tokens: int | None = None
    temperature: float | None = None
    stream: bool = False
    n: int = 1
    headers: dict[str, str] = field(default_factory=dict)
    index: int = 0

    @classmethod
    def from_body(
        cls, body: Any, *, headers: Mapping[str, str] | None = None, index: int = 0
    ) -> ChatRequest:
        """Validate a decoded JSON body and build a request from it.

        Args:
            body: The decoded JSON body of the HTTP request.
            headers: The HTTP headers (lower-case names).
            index: The request's sequence number.

        Returns:
            The parsed request.

        Raises:
            ValueError: The body is not a valid chat-completions request.

        Example:
            >>> ChatRequest.from_body({"messages": [{"role": "user", "content": "x"}]}).n
            1
        """
        if not isinstance(body, dict):
            raise ValueError("the request body must be a JSON object")
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            raise ValueError("'messages' must be a non-empty list")
        for i, message in enumerate(messages):
            if not isinstance(message, dict) or not isinstance(message.get("role"), str):
                raise ValueError(f"messages[{i}] must be an object with a string 'role'")
            content = message.get("content")
            if content is not None and not isinstance(content, (str, list)):
                raise ValueError(f"messages[{i}].content must be a string, a list or null")
        model = body.get("model", "")
        if not isinstance(model, str):
            raise ValueError("'model' must be a string")
        max_tokens = body.get("max_tokens", body.get("max_completion_tokens"))
        if max_tokens is not None and (
            isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens < 1
        ):
            raise ValueError("'max_tokens' must be a positive integer")
        temperature = body.get("temperature")
        if temperature is not None and (
            isinstance(temperature, bool) or not isinstance(temperature, (int, float))
        ):
            raise ValueError("'temperature' must be a number")
        n = body.get("n", 1)
        if n is None:
            n = 1
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 128:
            raise ValueError("'n' must be an integer between 1 and 128")
        return cls(
            body=body,
            model=model,
            messages=messages,
            max_tokens=max_tokens,
            temperature=None if temperature is None else float(temperature),
            stream=bool(body.get("stream", False)),
            n=n,
            headers=dict(headers or {}),
            index=index,
        )

    @property
    def prompt_text(self) -> str:
        """The text of every message, joined by newlines (image parts are ignored)."""
        return "\n".join(_message_text(m) for m in self.messages)

    @property
    def last_user_text(self) -> str:
        """The text of the last ``user`` message, or "" when there is none."""
        for message in reversed(self.messages):
            if message.get("role") == "user":
                return _message_text(message)
        return ""

    @property
    def system_text(self) -> str:
        """The text of the ``system`` and ``developer`` messages, joined by newlines."""
        return "\n".join(
            _message_text(m) for m in self.messages if m.get("role") in ("system", "developer")
        )

    @property
    def placeholders(self) -> list[str]:
        """The ``{identifier}`` placeholders in the messages, first occurrence order."""
        return _placeholders(self.prompt_text)


class DefaultResponder:
    """The deterministic default answer: an update, a DSPy reply, a critique or an answer.

    The answer depends only on the messages' text (a SHA-256 of it picks among a few short
    templates), so the same prompt always gets the same answer:

    - if the last user (or the system) message mentions an update tag (``<IMPROVED_VARIABLE>``,
      one of ``update_tags``, or any ``<...>`` tag whose name contains ``IMPROVED``,
      ``UPDATED``, ``NEW``, ``REVISED`` or ``REWRITTEN`` and whose closing tag also appears),
      the answer is that tag around an improved text: the current value found between one of
      ``value_tags`` (``<VARIABLE role="...">`` … ``</VARIABLE>``) plus one sentence, or a
      fresh instruction that keeps every ``{placeholder}`` of the message;
    - if the message is a DSPy chat-adapter prompt, every requested ``[[ ## field ## ]]``
      gets a value, followed by ``[[ ## completed ## ]]``;
    - if it asks for feedback, a critique or an evaluation, a one-sentence critique;
    - otherwise a short answer ending with a number.

    Args:
        update_tags: Tag names that ask for an updated value, checked first.
        value_tags: Tag names around the current value of the variable being updated.

    Example:
        >>> responder = DefaultResponder()
        >>> req = ChatRequest.from_body({"messages": [{"role": "user", "content":
        ...     "<VARIABLE>Answer {question}.</VARIABLE> Reply in <IMPROVED_VARIABLE> tags."}]})
        >>> out = responder(req)
        >>> out.startswith("<IMPROVED_VARIABLE>Answer {question}.")
        True
        >>> out.endswith("</IMPROVED_VARIABLE>")
        True
    """

    def __init__(
        self,
        update_tags: Sequence[str] = (_DEFAULT_TAG,),
        value_tags: Sequence[str] = ("VARIABLE",),
    ) -> None:
        self.update_tags = tuple(update_tags)
        self.value_tags = tuple(value_tags)

    def update_tag(self, request: ChatRequest) -> str | None:
        """Return the tag the request wants an updated value in, or None.

        Args:
            request: The request to inspect.

        Returns:
            The tag name without brackets, or None when the request asks for no update.

        Example:
            >>> text = "Put the new prompt in <NEW_PROMPT></NEW_PROMPT>."
            >>> DefaultResponder().update_tag(ChatRequest.from_body(
            ...     {"messages": [{"role": "user", "content": text}]}))
            'NEW_PROMPT'
        """
        for text in (request.last_user_text, request.system_text):
            for tag in self.update_tags:
                if f"<{tag}>" in text:
                    return tag
            for name in _TAG_NAME_RE.findall(text):
                if _UPDATE_WORDS.intersection(name.split("_")) and f"</{name}>" in text:
                    return str(name)
        return None

    def __call__(self, request: ChatRequest) -> str:
        """Answer ``request`` deterministically.

        Args:
            request: The chat request.

        Returns:
            The assistant message content.

        Example:
            >>> DefaultResponder()(ChatRequest.from_body(
            ...     {"messages": [{"role": "user", "content": "What is 6 x 7?"}]})).endswith(".")
            True
        """
        seed = _digest(request.prompt_text)
        tag = self.update_tag(request)
        if tag is not None:
            return f"<{tag}>{self._improved(request, seed)}</{tag}>"
        user = request.last_user_text
        if _DSPY_MARKER in user:
            fields = self._dspy_fields(user)
            if fields:
                return self._dspy_answer(fields, seed)
        lowered = (user + "\n" + request.system_text).lower()
        if any(word in lowered for word in _CRITIQUE_WORDS):
            return _CRITIQUES[seed % len(_CRITIQUES)]
        template = _ANSWERS[seed % len(_ANSWERS)]
        return template.format(n=seed % 97 + 3)

    def _improved(self, request: ChatRequest, seed: int) -> str:
        text = request.last_user_text or request.prompt_text
        for tag in self.value_tags:
            name = re.escape(tag)
            match = re.search(rf"<{name}(?:\s[^>]*)?>(.*?)</{name}>", text, re.S)
            if match and match.group(1).strip():
                old = match.group(1).strip()
                for i in range(len(_SUFFIXES)):
                    suffix = _SUFFIXES[(seed + i) % len(_SUFFIXES)]
                    if suffix not in old:
                        return f"{old} {suffix}"
                return old
        improved = _IMPROVEMENTS[seed % len(_IMPROVEMENTS)]
        names = _placeholders(text)
        if names:
            improved += " Use " + ", ".join("{" + name + "}" for name in names) + "."
        return improved

    @staticmethod
    def _dspy_fields(user: str) -> list[str]:
        tail = user[user.index(_DSPY_MARKER) :]
        names = [n for n in _DSPY_FIELD_RE.findall(tail) if n != "completed"]
        return list(dict.fromkeys(names))

    @staticmethod
    def _dspy_answer(fields: Sequence[str], seed: int) -> str:
        parts = []
        for name in fields:
            if name in ("reasoning", "rationale", "thought", "explanation"):
                value = "Taking each part of the question in turn, the result follows directly."
            elif name in ("feedback", "critique"):
                value = _CRITIQUES[seed % len(_CRITIQUES)]
            else:
                value = str(seed % 97 + 3)
            parts.append(f"[[ ## {name} ## ]]\n{value}")
        parts.append("[[ ## completed ## ]]")
        return "\n\n".join(parts)


default_responder: Callable[[ChatRequest], str] = DefaultResponder()
"""The responder `SimServer` uses when none is given (a `DefaultResponder()`)."""


@dataclass(frozen=True)
class FaultRule:
    """Inject ``kind`` into every request for which ``when(request)`` is true.

    Attributes:
        when: A predicate on the request.
        kind: The fault to inject.
        times: Fire at most this many times (None: no limit).

    Example:
        >>> rule = FaultRule(lambda r: "FEEDBACK" in r.prompt_text, "http_500", times=2)
        >>> plan = FaultPlan(rules=[rule])
    """

    when: Callable[[ChatRequest], bool]
    kind: FaultKind
    times: int | None = None


class FaultPlan:
    """Which fault, if any, each chat-completion request gets.

    For each request the plan checks, in order: the ``rules`` (first matching predicate wins),
    then the ``script`` (the next entry is consumed; ``None`` entries mean "no fault"; once
    it is used up requests are normal), then the ``rates`` (one draw from a RNG seeded with
    ``seed`` per request, so a run is reproducible for a given request order).

    Args:
        script: Fault kinds (or None) applied to successive requests.
        rates: Probability per fault kind; the sum must not exceed 1.
        rules: Predicate rules, checked before the script and the rates.
        seed: Seed of the RNG behind ``rates``.
        retry_after: Value of the ``Retry-After`` header sent with ``http_429`` (None: no header).
        hang_s: How long a ``hang`` keeps the connection open before closing it unanswered
            (it ends earlier if the client disconnects or the server stops).
        huge_chars: Approximate length of a ``huge`` completion.
        invented_name: Placeholder name ``template_var_invented`` adds (as ``{name}``).

    Raises:
        ValueError: Unknown fault kind, a rate outside [0, 1], or rates summing above 1.

    Example:
        >>> plan = FaultPlan(script=["http_429", None, "drop"], rates={"http_500": 0.1}, seed=1)
        >>> req = ChatRequest.from_body({"messages": [{"role": "user", "content": "hi"}]})
        >>> plan.choose(req), plan.choose(req), plan.choose(req)
        ('http_429', None, 'drop')
    """

    def __init__(
        self,
        script: Iterable[FaultKind | None] = (),
        rates: Mapping[FaultKind, float] | None = None,
        rules: Iterable[FaultRule] = (),
        *,
        seed: int = 0,
        retry_after: float | str | None = 1,
        hang_s: float = 30.0,
        huge_chars: int = 1_000_000,
        invented_name: str = "invented",
    ) -> None:
        self._script: deque[FaultKind | None] = deque(script)
        self.rates: dict[FaultKind, float] = dict(rates or {})
        self.rules: list[FaultRule] = list(rules)
        for kind in [*self._script, *self.rates, *(r.kind for r in self.rules)]:
            if kind is not None and kind not in FAULT_KINDS:
                raise ValueError(f"unknown fault kind {kind!r}; expected one of {FAULT_KINDS}")
        if any(not 0.0 <= rate <= 1.0 for rate in self.rates.values()):
            raise ValueError("every fault rate must be within [0, 1]")
        if sum(self.rates.values()) > 1.0 + 1e-9:
            raise ValueError("fault rates must sum to at most 1")
        self.seed = seed
        self.retry_after = retry_after
        self.hang_s = hang_s
        self.huge_chars = huge_chars
        self.invented_name = invented_name
        self._rng = random.Random(seed)
        self._fired: dict[int, int] = {}
        self._lock = threading.Lock()

    @classmethod
    def always(cls, kind: FaultKind, **kwargs: Any) -> FaultPlan:
        """A plan that injects ``kind`` into every request.

        Args:
            kind: The fault kind.
            **kwargs: Other `FaultPlan` keyword arguments (``hang_s``, ``retry_after`` …).

        Returns:
            The plan.

        Example:
            >>> FaultPlan.always("http_503").rates
            {'http_503': 1.0}
        """
        return cls(rates={kind: 1.0}, **kwargs)

    @property
    def remaining_script(self) -> list[FaultKind | None]:
        """The script entries not yet consumed."""
        with self._lock:
            return list(self._script)

    def choose(self, request: ChatRequest) -> FaultKind | None:
        """Pick the fault for ``request`` (consuming script entries and rule budgets).

        Args:
            request: The incoming request.

        Returns:
            The fault kind, or None for a normal answer.

        Example:
            >>> FaultPlan().choose(ChatRequest.from_body(
            ...     {"messages": [{"role": "user", "content": "hi"}]})) is None
            True
        """
        with self._lock:
            for i, rule in enumerate(self.rules):
                fired = self._fired.get(i, 0)
                if rule.times is not None and fired >= rule.times:
                    continue
                if rule.when(request):
                    self._fired[i] = fired + 1
                    return rule.kind
            if self._script:
                return self._script.popleft()
            if self.rates:
                draw = self._rng.random()
                total = 0.0
                for kind, rate in self.rates.items():
                    total += rate
                    if draw < total:
                        return kind
            return None


@dataclass(frozen=True)
class SimStats:
    """A snapshot of the server's counters for ``POST /v1/chat/completions``.

    Attributes:
        requests: Chat-completion requests received (including invalid ones).
        completed: Requests answered with status 200 (content faults included).
        in_flight: Requests being processed right now.
        peak_in_flight: The most requests in flight at once since the last reset.
        prompt_tokens: Approximate prompt tokens of the valid requests.
        completion_tokens: Approximate tokens of the contents sent back.
        dropped: Requests closed without any response (``drop``, ``hang``, client gone).
        status_counts: Responses sent, per HTTP status.
        faults: Faults injected, per kind.

    Example:
        >>> SimStats().requests
        0
    """

    requests: int = 0
    completed: int = 0
    in_flight: int = 0
    peak_in_flight: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    dropped: int = 0
    status_counts: dict[int, int] = field(default_factory=dict)
    faults: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The snapshot as a JSON-ready dict (status codes become string keys).

        Example:
            >>> SimStats(status_counts={200: 3}).to_json()["status_counts"]
            {'200': 3}
        """
        return {
            "requests": self.requests,
            "completed": self.completed,
            "in_flight": self.in_flight,
            "peak_in_flight": self.peak_in_flight,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "dropped": self.dropped,
            "status_counts": {str(k): v for k, v in sorted(self.status_counts.items())},
            "faults": dict(self.faults),
        }


class _Counters:
    def __init__(self, max_recorded: int) -> None:
        self.lock = threading.Lock()
        self.requests = 0
        self.completed = 0
        self.in_flight = 0
        self.peak_in_flight = 0
        self.prompt_tokens = 0
        self.completion_tokens = 0
        self.dropped = 0
        self.status_counts: dict[int, int] = {}
        self.faults: dict[str, int] = {}
        self.received: deque[ChatRequest] = deque(maxlen=max_recorded)
        self.sequence = 0

    def reset(self) -> None:
        with self.lock:
            self.requests = self.completed = self.dropped = 0
            self.prompt_tokens = self.completion_tokens = 0
            self.peak_in_flight = self.in_flight
            self.status_counts.clear()
            self.faults.clear()
            self.received.clear()

    def snapshot(self) -> SimStats:
        with self.lock:
            return SimStats(
                requests=self.requests,
                completed=self.completed,
                in_flight=self.in_flight,
                peak_in_flight=self.peak_in_flight,
                prompt_tokens=self.prompt_tokens,
                completion_tokens=self.completion_tokens,
                dropped=self.dropped,
                status_counts=dict(self.status_counts),
                faults=dict(self.faults),
            )

    def status(self, code: int) -> None:
        with self.lock:
            self.status_counts[code] = self.status_counts.get(code, 0) + 1
            if code == 200:
                self.completed += 1


class _BadRequest(Exception):
    pass


@dataclass
class _HttpRequest:
    method: str
    path: str
    version: str
    headers: dict[str, str]
    body: bytes

    @property
    def keep_alive(self) -> bool:
        connection = self.headers.get("connection", "").lower()
        if self.version == "HTTP/1.0":
            return connection == "keep-alive"
        return connection != "close"


async def _read_http_request(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, max_body: int
) -> _HttpRequest | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if not exc.partial.strip():
            return None
        raise _BadRequest("incomplete request head") from exc
    except asyncio.LimitOverrunError as exc:
        raise _BadRequest("request head too large") from exc
    lines = head.lstrip(b"\r\n").decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/"):
        raise _BadRequest("malformed request line")
    method, target, version = parts
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep:
            raise _BadRequest("malformed header line")
        headers[name.strip().lower()] = value.strip()
    if headers.get("expect", "").lower() == "100-continue":
        writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
    if "chunked" in headers.get("transfer-encoding", "").lower():
        chunks: list[bytes] = []
        size = 0
        while True:
            size_line = await reader.readuntil(b"\r\n")
            try:
                chunk_size = int(size_line.split(b";")[0].strip(), 16)
            except ValueError as exc:
                raise _BadRequest("malformed chunk size") from exc
            if chunk_size == 0:
                while (await reader.readuntil(b"\r\n")) != b"\r\n":
                    pass
                break
            size += chunk_size
            if size > max_body:
                raise _BadRequest("request body too large")
            chunks.append(await reader.readexactly(chunk_size))
            await reader.readexactly(2)
        body = b"".join(chunks)
    else:
        try:
            length = int(headers.get("content-length", "0"))
        except ValueError as exc:
            raise _BadRequest("malformed Content-Length") from exc
        if length < 0 or length > max_body:
            raise _BadRequest("bad or too large Content-Length")
        body = await reader.readexactly(length)
    return _HttpRequest(method.upper(), target.split("?", 1)[0], version, headers, body)


def _http_response(
    status: int,
    body: bytes,
    *,
    content_type: str = "application/json",
    headers: Mapping[str, str] | None = None,
    keep_alive: bool = True,
    chunked: bool = False,
) -> bytes:
    lines = [
        f"HTTP/1.1 {status} {HTTPStatus(status).phrase}",
        f"Content-Type: {content_type}",
        "Transfer-Encoding: chunked" if chunked else f"Content-Length: {len(body)}",
        f"Connection: {'keep-alive' if keep_alive else 'close'}",
        "Server: tg-core-openai-sim",
    ]
    lines.extend(f"{name}: {value}" for name, value in (headers or {}).items())
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def _json_bytes(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False).encode("utf-8")


def _error_body(status: int, message: str, error_type: str, code: str | None = None) -> bytes:
    return _json_bytes(
        {"error": {"message": message, "type": error_type, "param": None, "code": code}}
    )


def _stream_pieces(content: str, size: int = 16) -> list[str]:
    """Split content into stream deltas, never cutting the non-UTF-8 sentinel in two."""
    pieces: list[str] = []
    for i, segment in enumerate(content.split(_NON_UTF8_SENTINEL)):
        if i:
            pieces.append(_NON_UTF8_SENTINEL)
        pieces.extend(segment[j : j + size] for j in range(0, len(segment), size))
    return pieces or [""]


def _split_tagged(text: str) -> tuple[str, str, str, str] | None:
    match = re.search(r"<([A-Za-z_][\w]*)>(.*)</\1>", text, re.S)
    if match is None:
        return None
    return text[: match.start()], match.group(1), match.group(2), text[match.end() :]


def _apply_content_fault(
    kind: FaultKind, content: str, request: ChatRequest, plan: FaultPlan, tag: str
) -> str:
    split = _split_tagged(content)
    inner = split[2] if split else content
    if split:
        tag = split[1]
    if kind == "empty":
        return ""
    if kind == "no_tags":
        return (split[0] + inner + split[3]).strip() if split else content
    if kind == "unbalanced_tags":
        return f"{split[0]}<{tag}>{inner}" if split else f"<{tag}>{content}"
    if kind == "nested_tags":
        return f"<{tag}>Draft: <{tag}>{inner}</{tag}> Final: {inner}</{tag}>"
    if kind == "huge":
        unit = (inner.strip() or "filler") + " "
        filler = (unit * (plan.huge_chars // len(unit) + 1))[: plan.huge_chars]
        return f"{split[0]}<{tag}>{filler}</{tag}>{split[3]}" if split else filler
    if kind == "non_utf8":
        cut = len(inner) // 2
        broken = inner[:cut] + _NON_UTF8_SENTINEL + inner[cut:]
        return f"{split[0]}<{tag}>{broken}</{tag}>{split[3]}" if split else broken
    if kind == "template_var_removed":
        present = [name for name in request.placeholders if "{" + name + "}" in content]
        if not present:
            return content
        out = content.replace("{" + present[0] + "}", "")
        return re.sub(r"  +", " ", out)
    if kind == "template_var_invented":
        extra = f" Also use {{{plan.invented_name}}}."
        return f"{split[0]}<{tag}>{inner}{extra}</{tag}>{split[3]}" if split else content + extra
    raise AssertionError(f"not a content fault: {kind}")


class SimServer:
    """A simulated OpenAI-compatible server on loopback, run by an event loop in a thread.

    Every ``POST /v1/chat/completions`` waits ``latency_s`` (without holding a thread, so
    hundreds of concurrent requests each take ``latency_s``, not their sum), then answers
    with ``responder(request)`` in the OpenAI schema, or with the fault ``faults`` picks.
    Also served: ``GET /v1/models``, ``GET /health``, ``GET /stats`` (the counters as JSON)
    and ``POST /stats/reset``. Paths without the ``/v1`` prefix work too.

    Error faults and ``drop`` act after the latency; ``hang`` replaces it. Content faults
    transform the responder's answer and ignore ``max_tokens``; a normal answer longer than
    ``max_tokens`` (at 4 characters a token) is cut, with ``finish_reason="length"``. With
    ``n`` > 1 every choice carries the same content.

    ``latency_s``, ``responder`` and ``faults`` are plain attributes and may be replaced
    while the server runs. The responder runs on the server's event-loop thread, one call at
    a time: keep it fast and non-blocking.

    Args:
        latency_s: Seconds every chat completion waits before answering.
        responder: Builds the answer content from the request (default `default_responder`).
        faults: The fault plan (default: no faults).
        host: Address to bind.
        port: Port to bind; 0 picks a free one.
        models: Model ids listed by ``GET /v1/models``.
        max_recorded: How many recent requests `received` keeps.
        max_body: Largest accepted request body in bytes.

    Example:
        >>> import httpx
        >>> with SimServer(latency_s=0.01) as server:
        ...     reply = httpx.post(server.base_url + "/chat/completions", json={
        ...         "model": "sim-model", "messages": [{"role": "user", "content": "2+2?"}]})
        ...     reply.json()["choices"][0]["finish_reason"], server.stats().completed
        ('stop', 1)
    """

    def __init__(
        self,
        latency_s: float = 0.2,
        responder: Callable[[ChatRequest], str] | None = None,
        faults: FaultPlan | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        models: Sequence[str] = ("sim-model",),
        max_recorded: int = 10_000,
        max_body: int = 64 * 1024 * 1024,
    ) -> None:
        self.latency_s = latency_s
        self.responder: Callable[[ChatRequest], str] = responder or default_responder
        self.faults = faults
        self.host = host
        self.models = tuple(models)
        self.max_body = max_body
        self._requested_port = port
        self._port: int | None = None
        self._counters = _Counters(max_recorded)
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._conn_tasks: set[asyncio.Task[None]] = set()
        self._ready = threading.Event()
        self._start_error: BaseException | None = None
        self._state_lock = threading.Lock()

    # ----------------------------------------------------------------- lifecycle

    @property
    def running(self) -> bool:
        """Whether the server is accepting connections."""
        return self._thread is not None and self._thread.is_alive() and self._port is not None

    @property
    def port(self) -> int:
        """The bound port.

        Raises:
            RuntimeError: The server is not started.
        """
        if self._port is None:
            raise RuntimeError("the server is not started")
        return self._port

    @property
    def base_url(self) -> str:
        """The OpenAI base URL, ``http://HOST:PORT/v1``.

        Example:
            >>> with SimServer() as s:
            ...     s.base_url.startswith("http://127.0.0.1:") and s.base_url.endswith("/v1")
            True
        """
        return f"http://{self.host}:{self.port}/v1"

    def start(self, timeout: float = 10.0) -> SimServer:
        """Bind and serve in a background daemon thread; return once accepting connections.

        Args:
            timeout: Seconds to wait for the server to be ready.

        Returns:
            This server, so ``server = SimServer().start()`` works.

        Raises:
            RuntimeError: Already running, or the server did not come up.
            OSError: The address could not be bound.

        Example:
            >>> server = SimServer(latency_s=0).start()
            >>> server.running
            True
            >>> server.stop()
        """
        with self._state_lock:
            if self._thread is not None:
                raise RuntimeError("the server is already running")
            self._ready.clear()
            self._start_error = None
            thread = threading.Thread(target=self._run, name="openai-sim", daemon=True)
            self._thread = thread
            thread.start()
        if not self._ready.wait(timeout):
            self.stop()
            raise RuntimeError("the simulated server did not start in time")
        if self._start_error is not None:
            error = self._start_error
            thread.join(timeout)
            with self._state_lock:
                self._thread = None
            raise error
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop serving: close the listener and every connection, hanging ones included.

        Safe to call twice or on a server that never started.

        Args:
            timeout: Seconds to wait for the shutdown to finish.

        Example:
            >>> server = SimServer().start()
            >>> server.stop(); server.running
            False
        """
        with self._state_lock:
            thread, loop = self._thread, self._loop
            if thread is None:
                return
            if threading.current_thread() is thread:
                raise RuntimeError("stop() cannot be called from the server's own thread")
            if loop is not None and loop.is_running():
                future = asyncio.run_coroutine_threadsafe(self._shutdown(), loop)
                with contextlib.suppress(Exception):
                    future.result(timeout)
                with contextlib.suppress(RuntimeError):
                    loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout)
            self._thread = None
            self._port = None

    def __enter__(self) -> SimServer:
        if not self.running:
            self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self.base_url if self._port is not None else "stopped"
        return f"SimServer({where}, latency_s={self.latency_s})"

    # ----------------------------------------------------------------- counters

    def stats(self) -> SimStats:
        """A snapshot of the counters (thread-safe).

        Example:
            >>> with SimServer() as s:
            ...     s.stats().peak_in_flight
            0
        """
        return self._counters.snapshot()

    def reset_stats(self) -> None:
        """Zero the counters and forget the recorded requests (in-flight ones still count).

        Example:
            >>> with SimServer() as s:
            ...     s.reset_stats(); s.stats().requests
            0
        """
        self._counters.reset()

    def received(self) -> list[ChatRequest]:
        """The most recent valid chat-completion requests, oldest first (``.body`` is the JSON).

        Example:
            >>> with SimServer() as s:
            ...     s.received()
            []
        """
        with self._counters.lock:
            return list(self._counters.received)

    # ----------------------------------------------------------------- event loop

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            asyncio.set_event_loop(loop)
            try:
                server = loop.run_until_complete(
                    asyncio.start_server(
                        self._handle_connection,
                        self.host,
                        self._requested_port,
                        backlog=2048,
                        limit=1024 * 1024,
                    )
                )
            except BaseException as exc:
                self._start_error = exc
                self._ready.set()
                return
            self._server = server
            self._port = int(server.sockets[0].getsockname()[1])
            self._ready.set()
            loop.run_forever()
            pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
            for task in pending:
                task.cancel()
            if pending:
                loop.run_until_complete(asyncio.wait(pending, timeout=1.0))
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            self._server = None
            self._loop = None
            loop.close()

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        tasks = [t for t in self._conn_tasks if not t.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=1.0)

    async def _handle_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._conn_tasks.add(task)
        try:
            while True:
                try:
                    http_request = await _read_http_request(reader, writer, self.max_body)
                except _BadRequest as exc:
                    body = _error_body(400, str(exc), "invalid_request_error")
                    writer.write(_http_response(400, body, keep_alive=False))
                    await writer.drain()
                    return
                if http_request is None:
                    return
                if not await self._dispatch(http_request, reader, writer):
                    return
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            return
        except asyncio.CancelledError:
            # Only stop() cancels these tasks; ending normally keeps asyncio from logging it.
            writer.transport.abort()
            return
        finally:
            if task is not None:
                self._conn_tasks.discard(task)
            writer.close()

    async def _dispatch(
        self, request: _HttpRequest, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bool:
        path = request.path.rstrip("/") or "/"
        if path.startswith("/v1/"):
            path = path[3:]
        routes: dict[str, str] = {
            "/chat/completions": "POST",
            "/models": "GET",
            "/stats": "GET",
            "/stats/reset": "POST",
            "/health": "GET",
        }
        keep_alive = request.keep_alive
        if path not in routes:
            body = _error_body(404, f"unknown path {request.path}", "invalid_request_error")
            writer.write(_http_response(404, body, keep_alive=keep_alive))
        elif request.method != routes[path]:
            body = _error_body(405, f"use {routes[path]} {request.path}", "invalid_request_error")
            headers = {"Allow": routes[path]}
            writer.write(_http_response(405, body, headers=headers, keep_alive=keep_alive))
        elif path == "/chat/completions":
            return await self._chat(request, reader, writer)
        elif path == "/models":
            data = [
                {"id": m, "object": "model", "created": 0, "owned_by": "tg-core-sim"}
                for m in self.models
            ]
            body = _json_bytes({"object": "list", "data": data})
            writer.write(_http_response(200, body, keep_alive=keep_alive))
        elif path == "/stats":
            body = _json_bytes(self.stats().to_json())
            writer.write(_http_response(200, body, keep_alive=keep_alive))
        elif path == "/stats/reset":
            self.reset_stats()
            writer.write(_http_response(200, b'{"ok": true}', keep_alive=keep_alive))
        else:
            writer.write(_http_response(200, b'{"status": "ok"}', keep_alive=keep_alive))
        await writer.drain()
        return keep_alive

    async def _chat(
        self, http_request: _HttpRequest, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bool:
        counters = self._counters
        keep_alive = http_request.keep_alive
        with counters.lock:
            counters.requests += 1
            index = counters.sequence
            counters.sequence += 1
        try:
            request = ChatRequest.from_body(
                json.loads(http_request.body), headers=http_request.headers, index=index
            )
        except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
            counters.status(400)
            writer.write(
                _http_response(
                    400, _error_body(400, str(exc), "invalid_request_error"), keep_alive=keep_alive
                )
            )
            await writer.drain()
            return keep_alive
        with counters.lock:
            counters.received.append(request)
            counters.prompt_tokens += approx_tokens(request.prompt_text)
            counters.in_flight += 1
            counters.peak_in_flight = max(counters.peak_in_flight, counters.in_flight)
        answered = False
        try:
            answered = await self._answer(request, keep_alive, reader, writer)
        finally:
            with counters.lock:
                counters.in_flight -= 1
                if not answered:
                    counters.dropped += 1
        return answered and keep_alive

    async def _answer(
        self,
        request: ChatRequest,
        keep_alive: bool,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> bool:
        """Answer one valid request; return False when the connection was left unanswered."""
        plan = self.faults
        kind = plan.choose(request) if plan is not None else None
        if kind is not None:
            with self._counters.lock:
                self._counters.faults[kind] = self._counters.faults.get(kind, 0) + 1
        if kind == "hang" and plan is not None:
            await self._hang(reader, plan.hang_s)
            writer.transport.abort()
            return False
        if self.latency_s > 0:
            await asyncio.sleep(self.latency_s)
        if kind == "drop":
            writer.transport.abort()
            return False
        if kind in _ERROR_STATUS and plan is not None:
            status = _ERROR_STATUS[kind]
            error_type, message = _ERROR_TYPE[status]
            headers: dict[str, str] = {}
            if status == 429 and plan.retry_after is not None:
                value = plan.retry_after
                if isinstance(value, float) and value.is_integer():
                    value = int(value)
                headers["Retry-After"] = str(value)
            body = _error_body(status, message, error_type, error_type)
            self._counters.status(status)
            writer.write(_http_response(status, body, headers=headers, keep_alive=keep_alive))
            await writer.drain()
            return True
        try:
            content = self.responder(request)
        except Exception as exc:
            self._counters.status(500)
            body = _error_body(500, f"responder failed: {exc!r}", "server_error")
            writer.write(_http_response(500, body, keep_alive=keep_alive))
            await writer.drain()
            return True
        finish_reason = "stop"
        if kind is not None and plan is not None:
            tag = DefaultResponder().update_tag(request) or _DEFAULT_TAG
            content = _apply_content_fault(kind, content, request, plan, tag)
        elif request.max_tokens is not None and approx_tokens(content) > request.max_tokens:
            content = content[: request.max_tokens * 4]
            finish_reason = "length"
        completion_tokens = approx_tokens(content) * request.n
        with self._counters.lock:
            self._counters.completion_tokens += completion_tokens
        if request.stream:
            data = self._stream_body(request, content, finish_reason, completion_tokens)
            self._counters.status(200)
            writer.write(
                _http_response(
                    200,
                    data,
                    content_type="text/event-stream; charset=utf-8",
                    headers={"Cache-Control": "no-cache"},
                    keep_alive=keep_alive,
                    chunked=True,
                )
            )
        else:
            payload = {
                "id": f"chatcmpl-sim-{request.index}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": request.model or self.models[0],
                "choices": [
                    {
                        "index": i,
                        "message": {"role": "assistant", "content": content},
                        "logprobs": None,
                        "finish_reason": finish_reason,
                    }
                    for i in range(request.n)
                ],
                "usage": self._usage(request, completion_tokens),
            }
            body = _json_bytes(payload).replace(_NON_UTF8_SENTINEL.encode(), _NON_UTF8_BYTES)
            self._counters.status(200)
            writer.write(
                _http_response(
                    200, body, content_type="application/json; charset=utf-8", keep_alive=keep_alive
                )
            )
        await writer.drain()
        return True

    @staticmethod
    def _usage(request: ChatRequest, completion_tokens: int) -> dict[str, int]:
        prompt_tokens = approx_tokens(request.prompt_text)
        return {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        }

    def _stream_body(
        self, request: ChatRequest, content: str, finish_reason: str, completion_tokens: int
    ) -> bytes:
        """The whole SSE stream, already in chunked transfer encoding."""
        base: dict[str, Any] = {
            "id": f"chatcmpl-sim-{request.index}",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": request.model or self.models[0],
        }
        pieces = _stream_pieces(content)
        events: list[dict[str, Any]] = []
        for index in range(request.n):
            first = {"index": index, "delta": {"role": "assistant", "content": ""}}
            events.append({**base, "choices": [{**first, "finish_reason": None}]})
            events.extend(
                {
                    **base,
                    "choices": [
                        {"index": index, "delta": {"content": piece}, "finish_reason": None}
                    ],
                }
                for piece in pieces
            )
            last = {"index": index, "delta": {}, "finish_reason": finish_reason}
            events.append({**base, "choices": [last]})
        options = request.body.get("stream_options")
        if isinstance(options, dict) and options.get("include_usage"):
            events.append({**base, "choices": [], "usage": self._usage(request, completion_tokens)})
        out = bytearray()
        sentinel = _NON_UTF8_SENTINEL.encode()
        for event in [*(_json_bytes(e) for e in events), b"[DONE]"]:
            frame = b"data: " + event.replace(sentinel, _NON_UTF8_BYTES) + b"\n\n"
            out += f"{len(frame):x}\r\n".encode() + frame + b"\r\n"
        out += b"0\r\n\r\n"
        return bytes(out)

    async def _hang(self, reader: asyncio.StreamReader, seconds: float) -> None:
        async def until_eof() -> None:
            while await reader.read(65536):
                pass

        with contextlib.suppress(asyncio.TimeoutError, ConnectionError):
            await asyncio.wait_for(until_eof(), timeout=seconds)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _parse_rate(text: str) -> tuple[FaultKind, float]:
    kind, sep, rate = text.partition("=")
    if not sep or kind not in FAULT_KINDS:
        raise argparse.ArgumentTypeError(f"expected KIND=RATE with KIND in {FAULT_KINDS}")
    try:
        return kind, float(rate)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"bad rate in {text!r}") from exc


def main(argv: Sequence[str] | None = None) -> int:
    """Serve a simulated OpenAI-compatible API until interrupted (Ctrl-C or SIGTERM).

    Args:
        argv: Command-line arguments (default: ``sys.argv[1:]``).

    Returns:
        The process exit code.

    Example:
        ``python -m tg_core.testing.openai_sim --port 8123 --latency 0.2 --fault http_429=0.1``
    """
    parser = argparse.ArgumentParser(
        prog="python -m tg_core.testing.openai_sim",
        description="Simulated OpenAI-compatible chat-completions server.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8123, help="0 picks a free port")
    parser.add_argument("--latency", type=float, default=0.2, help="seconds per completion")
    parser.add_argument(
        "--fault",
        action="append",
        type=_parse_rate,
        default=[],
        metavar="KIND=RATE",
        help=f"inject a fault at a rate; KIND is one of {', '.join(FAULT_KINDS)}",
    )
    parser.add_argument(
        "--script", default="", help="comma-separated fault kinds for the first requests"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--hang", type=float, default=30.0, help="seconds a 'hang' lasts")
    parser.add_argument("--retry-after", default="1", help="Retry-After header of http_429")
    args = parser.parse_args(argv)
    script: list[FaultKind | None] = []
    for name in filter(None, (s.strip() for s in args.script.split(","))):
        if name not in FAULT_KINDS:
            parser.error(f"unknown fault kind {name!r} in --script")
        script.append(name)
    plan = None
    if args.fault or script:
        plan = FaultPlan(
            script=script,
            rates=dict(args.fault),
            seed=args.seed,
            hang_s=args.hang,
            retry_after=args.retry_after or None,
        )
    server = SimServer(latency_s=args.latency, faults=plan, host=args.host, port=args.port)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)
    server.start()
    print(f"serving a simulated OpenAI API at {server.base_url} (Ctrl-C to stop)", flush=True)
    try:
        while server.running:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
