"""A simulated OpenAI chat-completions server on loopback, to stand in for a provider in tests.

Example:
    >>> import httpx
    >>> plan = FaultPlan(script=["http_429"], retry_after=0)
    >>> with SimServer(latency_s=0, responder=lambda r: "pong", faults=plan) as server:
    ...     body = {"model": "m", "messages": [{"role": "user", "content": "ping"}]}
    ...     replies = [httpx.post(server.base_url + "/chat/completions", json=body) for _ in "12"]
    >>> replies[0].status_code, replies[1].json()["choices"][0]["message"]["content"]
    (429, 'pong')
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import threading
import time
from collections import deque
from dataclasses import asdict, dataclass, field
from typing import Any

from aiohttp import web

from tg_core.testing.sim_answers import FAULT_KINDS as FAULT_KINDS
from tg_core.testing.sim_answers import NON_UTF8
from tg_core.testing.sim_answers import ChatRequest as ChatRequest
from tg_core.testing.sim_answers import FaultKind as FaultKind
from tg_core.testing.sim_answers import FaultPlan as FaultPlan
from tg_core.testing.sim_answers import FaultRule as FaultRule
from tg_core.testing.sim_answers import Responder as Responder
from tg_core.testing.sim_answers import SimError as SimError
from tg_core.testing.sim_answers import approx_tokens as approx_tokens
from tg_core.testing.sim_answers import default_responder as default_responder


@dataclass
class SimStats:
    """The server's counters of chat completions since it started or was last reset.

    ``requests`` counts invalid ones too, ``completed`` the 200 answers, ``dropped`` the
    requests left unanswered (drop, hang, client gone); tokens are estimated."""

    requests: int = 0
    completed: int = 0
    in_flight: int = 0
    peak_in_flight: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    dropped: int = 0
    status_counts: dict[int, int] = field(default_factory=dict)
    faults: dict[str, int] = field(default_factory=dict)


def _json(obj: Any) -> bytes:
    bad = b"\xff\xfe\xc3\x28\xa0"  # what the non_utf8 fault's marker becomes
    return json.dumps(obj, ensure_ascii=False).encode().replace(NON_UTF8.encode(), bad)


def _error(exc: SimError) -> web.Response:
    kind = {429: "rate_limit_exceeded", 500: "server_error", 503: "service_unavailable"}
    error = {"message": exc.message, "type": kind.get(exc.status, "invalid_request_error")}
    body = {"error": {**error, "code": error["type"]}}
    return web.json_response(body, status=exc.status, headers=exc.headers)


class SimServer:
    """A simulated OpenAI-compatible server on loopback, run by aiohttp in a daemon thread.

    Each ``POST /v1/chat/completions`` waits ``latency_s`` without holding a thread, then
    answers (streamed if asked) with ``responder(request)`` cut to ``max_tokens`` (4
    characters a token), or with the fault ``faults`` picks (``hang`` in place of the wait).
    A `SimError` raised by the responder is the answer; any other exception answers 500.
    Also served: ``GET /models``, ``/health``, ``/stats``, ``POST /stats/reset``.

    Example:
        >>> server = SimServer(latency_s=0).start()
        >>> server.running, server.base_url.startswith("http://127.0.0.1:"), server.received()
        (True, True, [])
        >>> server.stop(); server.running, repr(server)
        (False, 'SimServer(stopped, latency_s=0)')
    """

    def __init__(
        self,
        latency_s: float = 0.2,
        responder: Responder | None = None,
        faults: FaultPlan | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        max_recorded: int = 10_000,
    ) -> None:
        self.latency_s, self.faults, self.host, self.port = latency_s, faults, host, port
        self.responder: Responder = responder or default_responder
        self._live, self._sequence, self._lock = SimStats(), 0, threading.Lock()
        self._received: deque[ChatRequest] = deque(maxlen=max_recorded)
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None

    @property
    def running(self) -> bool:
        """Whether the server is accepting connections (then ``port`` is the bound port)."""
        return self._runner is not None and self._thread is not None and self._thread.is_alive()

    @property
    def base_url(self) -> str:
        """The OpenAI base URL, ``http://HOST:PORT/v1`` (RuntimeError when not running)."""
        if not self.running:
            raise RuntimeError("the server is not started")
        return f"http://{self.host}:{self.port}/v1"

    def start(self, timeout: float = 10.0) -> SimServer:
        """Serve from a new thread; return once listening (OSError if the port is taken)."""
        if self._thread is not None:
            raise RuntimeError("the server is already running")
        self._loop = loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=loop.run_forever, name="openai-sim", daemon=True)
        self._thread.start()
        try:
            asyncio.run_coroutine_threadsafe(self._open(), loop).result(timeout)
        except BaseException:
            self.stop(timeout)
            raise
        return self

    async def _open(self) -> None:
        app = web.Application(client_max_size=1 << 26)
        for root in ("", "/v1"):
            app.router.add_post(root + "/chat/completions", self._chat)
            app.router.add_get(root + "/{name:models|health|stats}", self._info)
            app.router.add_post(root + "/stats/reset", self._info)
        # A handler ends when its client goes (or a fault drops it); stop() does not wait.
        kw: Any = {"access_log": None, "shutdown_timeout": 0.01, "handler_cancellation": True}
        runner = web.AppRunner(app, **kw)
        await runner.setup()
        await web.TCPSite(runner, self.host, self.port, backlog=2048).start()
        self._runner, self.port = runner, int(runner.addresses[0][1])

    def stop(self, timeout: float = 5.0) -> None:
        """Close the listener and every connection, hanging ones too (again: no-op)."""
        thread, loop, runner = self._thread, self._loop, self._runner
        if thread is None or loop is None:
            return
        if runner is not None:
            with contextlib.suppress(Exception):
                asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout)
        if not thread.is_alive():
            loop.close()
        self._thread = self._loop = self._runner = None

    def __enter__(self) -> SimServer:
        return self if self.running else self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self.base_url if self.running else "stopped"
        return f"SimServer({where}, latency_s={self.latency_s})"

    def stats(self) -> SimStats:
        """A snapshot of the counters (safe from any thread)."""
        with self._lock:
            return copy.deepcopy(self._live)

    def reset_stats(self) -> None:
        """Zero the counters and forget the recorded requests (in-flight ones still count)."""
        with self._lock:
            now = self._live.in_flight
            self._live = SimStats(in_flight=now, peak_in_flight=now)
            self._received.clear()

    def received(self) -> list[ChatRequest]:
        """The most recent valid chat requests, oldest first (``.body`` is the JSON body)."""
        with self._lock:
            return list(self._received)

    async def _info(self, http: web.Request) -> web.Response:
        if http.method == "POST":
            self.reset_stats()
        models = {"object": "list", "data": [{"id": "sim-model", "object": "model"}]}
        data = {"stats": asdict(self.stats()), "models": models}
        return web.json_response(data.get(http.match_info.get("name", ""), {"ok": True}))

    async def _chat(self, http: web.Request) -> web.StreamResponse:
        with self._lock:
            self._live.requests += 1
            index, self._sequence = self._sequence, self._sequence + 1
        headers = {name.lower(): value for name, value in http.headers.items()}
        response: web.StreamResponse | None = None
        try:
            request = ChatRequest.from_body(json.loads(await http.read()), headers, index)
        except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
            response = _error(SimError(400, str(exc)))
        else:
            with self._lock:
                live = self._live
                self._received.append(request)
                live.prompt_tokens += approx_tokens(request.prompt_text)
                live.in_flight += 1
                live.peak_in_flight = max(live.peak_in_flight, live.in_flight)
            try:
                response = await self._answer(request, http)
            finally:
                with self._lock:  # self._live again: the counters may have been reset since
                    self._live.in_flight -= 1
                    self._live.dropped += response is None
        with self._lock:
            codes = self._live.status_counts
            codes[response.status] = codes.get(response.status, 0) + 1
            self._live.completed += response.status == 200
        return response

    async def _answer(self, request: ChatRequest, http: web.Request) -> web.StreamResponse:
        plan = self.faults or FaultPlan()
        kind = plan.choose(request)
        if kind is not None:
            with self._lock:
                self._live.faults[kind] = self._live.faults.get(kind, 0) + 1
        await asyncio.sleep(plan.hang_s if kind == "hang" else self.latency_s)
        if kind in ("hang", "drop") and http.transport is not None:
            http.transport.abort()  # no answer; aiohttp then cancels this handler
            await asyncio.Event().wait()
        if kind in ("http_429", "http_500", "http_503"):
            wait = plan.retry_after
            wait = int(wait) if isinstance(wait, float) and wait.is_integer() else wait
            after = {"Retry-After": str(wait)} if kind == "http_429" and wait is not None else {}
            return _error(SimError(int(kind[5:]), f"simulated error ({kind})", after))
        try:
            content = self.responder(request)
        except SimError as exc:
            return _error(exc)
        except Exception as exc:
            return _error(SimError(500, f"responder failed: {exc!r}"))
        finish, limit = "stop", request.max_tokens
        if kind is not None:
            content = plan.spoil(kind, content, request)
        elif limit is not None and approx_tokens(content) > limit:
            content, finish = content[: limit * 4], "length"
        tokens, prompt = approx_tokens(content) * request.n, approx_tokens(request.prompt_text)
        with self._lock:
            self._live.completion_tokens += tokens
        usage = {"prompt_tokens": prompt, "completion_tokens": tokens}
        usage["total_tokens"] = prompt + tokens
        head = {"id": f"chatcmpl-sim-{request.index}", "created": int(time.time())}
        head["model"], key = request.model or "sim-model", "delta" if request.stream else "message"
        choice = {key: {"role": "assistant", "content": content}, "finish_reason": finish}
        choices = [{"index": i, **choice} for i in range(request.n)]
        if not request.stream:
            body = {**head, "object": "chat.completion", "choices": choices, "usage": usage}
            return web.Response(body=_json(body), content_type="application/json", charset="utf-8")
        head["object"] = "chat.completion.chunk"  # one chunk per choice
        events = [{**head, "choices": [c]} for c in choices]
        if (request.body.get("stream_options") or {}).get("include_usage"):
            events.append({**head, "choices": [], "usage": usage})
        sse = b"".join(b"data: " + e + b"\n\n" for e in [*map(_json, events), b"[DONE]"])
        return web.Response(body=sse, content_type="text/event-stream", charset="utf-8")
