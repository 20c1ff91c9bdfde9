"""A task's scorer served on loopback, so a driver in another venv scores with the same code.

``POST /score`` with ``{"prediction": ..., "target": ...}`` answers ``{"score": 0 or 1,
"read": <the answer read, or null>}``: the scorer is called exactly as
``SystemPromptProgram.score`` calls it (prediction and target, no question).

Example:
    >>> import json, urllib.request
    >>> from tg_core.tasks import bbh_scorer
    >>> with ScoreService(bbh_scorer("web_of_lies")) as service:
    ...     body = json.dumps({"prediction": "So... Answer: No", "target": "No"}).encode()
    ...     with urllib.request.urlopen(service.url, body, timeout=10) as reply:
    ...         json.loads(reply.read())
    {'score': 1, 'read': 'no'}
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tg_core.tasks import Scorer


class ScoreService:
    """Serves ``scorer`` at ``url`` in a daemon thread while the ``with`` block runs."""

    def __init__(self, scorer: Scorer) -> None:
        self.scorer = scorer
        self.calls = 0
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """Where to ``POST`` a prediction and its target."""
        return f"http://127.0.0.1:{self._server.server_address[1]}/score"

    def score(self, prediction: str, target: str) -> dict[str, Any]:
        """The reply to one request."""
        self.calls += 1
        return {"score": self.scorer(prediction, target), "read": self.scorer.read(prediction)}

    def __enter__(self) -> ScoreService:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        service = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    asked = json.loads(self.rfile.read(length))
                    body = service.score(str(asked["prediction"]), str(asked["target"]))
                    status, data = 200, json.dumps(body).encode()
                except (ValueError, KeyError, TypeError) as exc:
                    status, data = 400, json.dumps({"error": repr(exc)}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler
