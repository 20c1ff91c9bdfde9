"""A counting reverse proxy in front of an OpenAI-compatible server (requests, tokens, time)."""

from __future__ import annotations

import http.client
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

RETRIES = 5


class Counters:
    """What went through the proxy since the last reset."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Zero every counter."""
        with self.lock:
            self.requests = 0
            self.errors = 0
            self.retried = 0
            self.prompt_tokens = 0
            self.completion_tokens = 0
            self.busy_s = 0.0
            self.in_flight = 0
            self.peak_in_flight = 0

    def to_json(self) -> dict[str, Any]:
        """The counters, in the simulated server's ``/stats`` shape where names overlap."""
        with self.lock:
            return {
                "requests": self.requests,
                "errors": self.errors,
                "retried": self.retried,
                "prompt_tokens": self.prompt_tokens,
                "completion_tokens": self.completion_tokens,
                "busy_s": round(self.busy_s, 3),
                "peak_in_flight": self.peak_in_flight,
            }


class CountingProxy:
    """Forwards ``/v1/...`` to ``upstream`` (an ``http://host:port/v1`` URL) and counts.

    ``GET /v1/stats`` and ``POST /v1/stats/reset`` answer from the proxy itself, like the
    simulated server, so drivers read both the same way. ``upstream`` may be a function
    returning the URL: when the upstream server goes away (a shared server restarted on
    another port), the proxy asks it again and retries the request.
    """

    def __init__(self, upstream: str | Callable[[], str], timeout: float = 900.0) -> None:
        self._resolve = upstream if callable(upstream) else (lambda: upstream)
        self.upstream = self._resolve().rstrip("/")
        self.timeout = timeout
        self.counters = Counters()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        """The proxy's ``/v1`` root."""
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def start(self) -> CountingProxy:
        """Serve in a daemon thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def _reply(self, status: int, body: bytes, ctype: str = "application/json") -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                if self.path.rstrip("/").endswith("/stats"):
                    self._reply(200, json.dumps(proxy.counters.to_json()).encode())
                    return
                self._forward(None)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                if self.path.rstrip("/").endswith("/stats/reset"):
                    proxy.counters.reset()
                    self._reply(200, b'{"ok": true}')
                    return
                self._forward(body)

            def _forward(self, body: bytes | None) -> None:
                path = self.path[3:] if self.path.startswith("/v1") else self.path
                counters = proxy.counters
                chat = path.rstrip("/").endswith("/chat/completions")
                with counters.lock:
                    counters.in_flight += 1
                    counters.peak_in_flight = max(counters.peak_in_flight, counters.in_flight)
                started = time.perf_counter()
                try:
                    status, data, ctype = proxy.send(path, body)
                finally:
                    with counters.lock:
                        counters.in_flight -= 1
                        if chat:
                            counters.busy_s += time.perf_counter() - started
                if chat:
                    usage: dict[str, Any] = {}
                    try:
                        usage = json.loads(data).get("usage") or {}
                    except (ValueError, AttributeError):
                        pass
                    with counters.lock:
                        counters.requests += 1
                        counters.errors += int(status >= 400)
                        counters.prompt_tokens += int(usage.get("prompt_tokens") or 0)
                        counters.completion_tokens += int(usage.get("completion_tokens") or 0)
                try:
                    self._reply(status, data, ctype)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting

        return Handler

    def send(self, path: str, body: bytes | None) -> tuple[int, bytes, str]:
        """Forward one request; on a lost upstream, look it up again and retry."""
        problem = ""
        for attempt in range(RETRIES + 1):
            request = urllib.request.Request(
                self.upstream + path,
                data=body,
                method="POST" if body is not None else "GET",
                headers={"Content-Type": "application/json"},
            )
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as reply:
                    ctype = reply.headers.get("Content-Type", "application/json")
                    return reply.status, reply.read(), ctype
            except urllib.error.HTTPError as exc:
                return exc.code, exc.read(), "application/json"
            except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
                problem = repr(exc)
                with self.counters.lock:
                    self.counters.retried += 1
                time.sleep(min(30.0, 2.0 * (attempt + 1)))
                try:
                    self.upstream = self._resolve().rstrip("/")
                except Exception as again:  # keep the old address and try once more
                    problem += f"; looking the server up again failed: {again!r}"
        error = {"error": {"message": f"upstream unavailable: {problem}", "type": "proxy_error"}}
        return 502, json.dumps(error).encode(), "application/json"
