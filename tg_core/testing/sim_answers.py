"""What the simulated OpenAI server answers: parsed requests, the default responder, faults."""

from __future__ import annotations

import hashlib
import math
import random
import re
import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from ..errors import TgCoreError

FaultKind = Literal[
    "http_429", "http_500", "http_503", "hang", "drop",
    "empty", "no_tags", "unbalanced_tags", "nested_tags", "huge", "non_utf8",
]  # fmt: skip
"""A fault for one request: an HTTP error, a lost connection, or a spoiled answer."""
FAULT_KINDS: tuple[FaultKind, ...] = get_args(FaultKind)
NON_UTF8 = "__TG_SIM_NON_UTF8__"  # the server sends invalid UTF-8 bytes in its place
_TAG = "IMPROVED_VARIABLE"
_PLACEHOLDER = re.compile(r"(?<!\{)\{([A-Za-z_][A-Za-z0-9_]*)\}(?!\})")
_UPDATE_WORDS = {"IMPROVED", "UPDATED", "NEW", "REVISED", "REWRITTEN"}
_CRITIQUE_WORDS = "feedback critique criticism criticize gradient evaluate evaluation".split()
_ANSWERS = (
    "Working through the question step by step, the quantities combine to {n}. The answer is {n}.",
    "Counting the relevant items one at a time gives a total of {n}, so the answer is {n}.",
)
_CRITIQUES = (
    "The response gives an answer without showing how; it should check each step and state it.",
    "The response buries the answer; it should be concise and end with one marked answer.",
)
_IMPROVEMENTS = ("Solve the task step by step, then state the final answer.", "Answer briefly.")
_SUFFIXES = ("Check each step.", "State the final answer on the last line.", "Be concise.")


def approx_tokens(text: str) -> int:
    """Approximate the tokens in ``text``: ``ceil(len(text) / 4)`` (``"abcde"`` has 2)."""
    return math.ceil(len(text) / 4)


def _text(message: Mapping[str, Any]) -> str:
    content = message.get("content")
    parts = content if isinstance(content, list) else [{"text": content}]
    return "\n".join(p["text"] for p in parts if isinstance(p, dict) and type(p.get("text")) is str)


@dataclass(frozen=True)
class ChatRequest:
    """A chat-completion request: its JSON ``body``, lower-case ``headers``, number ``index``.

    Example:
        >>> ChatRequest.from_body({"messages": [{"role": "user", "content": "Hi"}]}).last_user_text
        'Hi'
    """

    body: dict[str, Any]
    model: str
    messages: list[dict[str, Any]]
    max_tokens: int | None = None
    stream: bool = False
    n: int = 1
    headers: dict[str, str] = field(default_factory=dict)
    index: int = 0

    @classmethod
    def from_body(
        cls, body: Any, headers: dict[str, str] | None = None, index: int = 0
    ) -> ChatRequest:
        """Check a decoded JSON body (ValueError saying what is wrong) and parse it."""
        messages = body.get("messages") if isinstance(body, dict) else None
        if not messages or not isinstance(messages, list):
            raise ValueError("'messages' must be a non-empty list")
        if not all(isinstance(m, dict) and isinstance(m.get("role"), str) for m in messages):
            raise ValueError("every message must be an object with a string 'role'")
        limit, n = body.get("max_tokens", body.get("max_completion_tokens")), body.get("n") or 1
        if limit is not None and (type(limit) is not int or limit < 1):
            raise ValueError("'max_tokens' must be a positive integer")
        if type(n) is not int or not 0 < n <= 128:
            raise ValueError("'n' must be an integer from 1 to 128")
        model, stream = str(body.get("model", "")), bool(body.get("stream"))
        return cls(body, model, messages, limit, stream, n, headers or {}, index)

    @property
    def prompt_text(self) -> str:
        """The text of every message, joined by newlines (image parts are ignored)."""
        return "\n".join(_text(m) for m in self.messages)

    @property
    def last_user_text(self) -> str:
        """The text of the last ``user`` message, or "" when there is none."""
        users = [_text(m) for m in self.messages if m["role"] == "user"]
        return users[-1] if users else ""

    @property
    def system_text(self) -> str:
        """The text of the ``system`` and ``developer`` messages, joined by newlines."""
        return "\n".join(_text(m) for m in self.messages if m["role"] in ("system", "developer"))


Responder = Callable[[ChatRequest], str]
"""Makes the answer content of a request; it may raise `SimError` to answer with an error."""


class SimError(TgCoreError):
    """Raise it in a responder to answer with HTTP ``status`` and ``message``, as OpenAI would."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or {}


def _update_tag(request: ChatRequest) -> str | None:
    for text in (request.last_user_text, request.system_text):
        names = [_TAG] if f"<{_TAG}>" in text else re.findall(r"<([A-Z][A-Z0-9_]*)>", text)
        for name in names:
            if name == _TAG or (_UPDATE_WORDS & set(name.split("_")) and f"</{name}>" in text):
                return str(name)
    return None


def default_responder(request: ChatRequest) -> str:
    """The deterministic default answer: an update in tags, a critique, or a short answer.

    A request for a value in ``<IMPROVED_VARIABLE>`` (or a ``<NEW_…>`` … tag it closes) gets
    its ``<VARIABLE>`` value plus a sentence, or an instruction keeping its ``{placeholders}``;
    one for feedback or an evaluation, a critique; others, an answer ending with a number.

    Example:
        >>> default_responder(ChatRequest.from_body({"messages": [{"role": "user", "content":
        ...     "<VARIABLE>Answer {q}.</VARIABLE> Reply in <IMPROVED_VARIABLE> tags."}]}))[:30]
        '<IMPROVED_VARIABLE>Answer {q}.'
    """
    seed = int(hashlib.sha256(request.prompt_text.encode("utf-8", "replace")).hexdigest()[:12], 16)
    tag, text = _update_tag(request), request.last_user_text or request.prompt_text
    found = re.search(r"<VARIABLE(?:\s[^>]*)?>(.*?)</VARIABLE>", text, re.S)
    if tag is not None and found and (old := found.group(1).strip()):
        new = [s for s in _SUFFIXES[seed % 3 :] + _SUFFIXES[: seed % 3] if s not in old]
        return f"<{tag}>{old}{' ' + new[0] if new else ''}</{tag}>"
    if tag is not None:
        names = ", ".join("{" + name + "}" for name in dict.fromkeys(_PLACEHOLDER.findall(text)))
        return f"<{tag}>{_IMPROVEMENTS[seed % 2]}{f' Use {names}.' if names else ''}</{tag}>"
    asked = (request.last_user_text + "\n" + request.system_text).lower()
    if any(word in asked for word in [*_CRITIQUE_WORDS, "objective function"]):
        return _CRITIQUES[seed % 2]
    return _ANSWERS[seed % 2].format(n=seed % 97 + 3)


@dataclass(frozen=True)
class FaultRule:
    """Inject ``kind`` into requests for which ``when(request)`` is true, at most ``times``."""

    when: Callable[[ChatRequest], bool]
    kind: FaultKind
    times: int | None = None


class FaultPlan:
    """Which fault, if any, each chat-completion request gets.

    The first matching rule wins, else the next ``script`` entry (None: no fault), else a
    random draw (seeded with ``seed``) by the ``rates``. ``http_429`` sends ``Retry-After:
    retry_after`` (unless None); ``hang`` holds the connection ``hang_s`` seconds; ``huge``
    sends ``huge_chars`` characters.

    Example:
        >>> once = FaultRule(lambda request: "hi" in request.last_user_text, "empty", times=1)
        >>> plan = FaultPlan(script=["http_429", None], rates={"http_500": 0.1}, rules=[once])
        >>> req = ChatRequest.from_body({"messages": [{"role": "user", "content": "hi"}]})
        >>> plan.choose(req), plan.choose(req), plan.choose(req), plan.remaining_script
        ('empty', 'http_429', None, [])
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
    ) -> None:
        self._script: deque[FaultKind | None] = deque(script)
        self.rates, self.rules = dict(rates or {}), list(rules)
        for kind in [*self._script, *self.rates, *(r.kind for r in self.rules)]:
            if kind not in (*FAULT_KINDS, None):
                raise ValueError(f"unknown fault kind {kind!r}; use one of {FAULT_KINDS}")
        if not all(0 <= r <= 1 for r in self.rates.values()) or sum(self.rates.values()) > 1 + 1e-9:
            raise ValueError("fault rates must be in [0, 1] and sum to at most 1")
        self.retry_after, self.hang_s, self.huge_chars = retry_after, hang_s, huge_chars
        self._rng, self._fired = random.Random(seed), [0] * len(self.rules)
        self._lock = threading.Lock()

    @classmethod
    def always(cls, kind: FaultKind, **kwargs: Any) -> FaultPlan:
        """A plan injecting ``kind`` into every request: ``FaultPlan.always("http_503")``."""
        return cls(rates={kind: 1.0}, **kwargs)

    @property
    def remaining_script(self) -> list[FaultKind | None]:
        """The script entries not used yet."""
        return list(self._script)

    def choose(self, request: ChatRequest) -> FaultKind | None:
        """Pick the fault for ``request`` (using up script entries and rule budgets)."""
        with self._lock:
            for i, rule in enumerate(self.rules):
                if (rule.times is None or self._fired[i] < rule.times) and rule.when(request):
                    self._fired[i] += 1
                    return rule.kind
            if self._script:
                return self._script.popleft()
            weights = [*self.rates.values(), max(0.0, 1 - sum(self.rates.values()))]
            return self._rng.choices([*self.rates, None], weights)[0]

    def spoil(self, kind: FaultKind, content: str, request: ChatRequest) -> str:
        """Apply a content fault to an answer's first ``<TAG>…</TAG>`` (or to all of it)."""
        found = re.fullmatch(r"(.*?)<([A-Za-z_]\w*)>(.*)</\2>(.*)", content, re.S)
        before, tag, inner, after = found.groups() if found else ("", None, content, "")
        tag = tag or _update_tag(request) or _TAG
        if kind == "huge":
            unit = (inner.strip() or "filler") + " "
            inner = (unit * (self.huge_chars // len(unit) + 1))[: self.huge_chars]
        elif kind == "non_utf8":
            inner = inner[: len(inner) // 2] + NON_UTF8 + inner[len(inner) // 2 :]
        elif kind == "empty":
            return ""
        elif kind == "no_tags":
            return (before + inner + after).strip() if found else content
        elif kind == "unbalanced_tags":
            return f"{before}<{tag}>{inner}"
        elif kind == "nested_tags":
            return f"<{tag}>Draft: <{tag}>{inner}</{tag}> Final: {inner}</{tag}>"
        return f"{before}<{tag}>{inner}</{tag}>{after}" if found else inner
