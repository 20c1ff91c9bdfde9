"""Fixtures for reliability tests: simulated servers on loopback and engines pointed at them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tg_core.engine.limits import set_max_concurrency
from tg_core.engine.litellm_engine import LiteLLMEngine, import_litellm
from tg_core.testing.openai_sim import (
    ChatRequest,
    FaultPlan,
    Responder,
    SimError,
    SimServer,
    default_responder,
)

_TALLY: Counter[str] = Counter()


def failing_with(
    status: int,
    when: Callable[[ChatRequest], bool] = lambda request: True,
    body: str = "simulated permanent error",
    responder: Responder | None = None,
) -> Responder:
    """A responder answering matching requests with a fixed HTTP error (400, 401, 404 ...).

    ``body`` may contain ``{auth}``, replaced by the request's Authorization header, to act
    like a provider that echoes the key it was sent. Other requests get ``responder``'s answer.
    """

    def respond(request: ChatRequest) -> str:
        if when(request):
            raise SimError(status, body.replace("{auth}", request.headers.get("authorization", "")))
        return (responder or default_responder)(request)

    return respond


@pytest.fixture(scope="session")
def _litellm_imported() -> None:
    """Import litellm once, before any timed test."""
    import_litellm()


@pytest.fixture(autouse=True)
def _process_limit_restored() -> Iterator[None]:
    """Tests that change the process-wide concurrency limit get the default back."""
    yield
    set_max_concurrency(16)


@pytest.fixture
def sim() -> Iterator[Callable[..., SimServer]]:
    """Factory of started simulated servers (``latency_s=0`` unless given); all stopped after.

    With ``status=`` the responder is :func:`failing_with` that status (``when=``, ``body=``
    passed on).
    """
    started: list[SimServer] = []

    def make(
        faults: FaultPlan | None = None,
        responder: Responder | None = None,
        latency_s: float = 0.0,
        *,
        status: int | None = None,
        when: Callable[[ChatRequest], bool] = lambda request: True,
        body: str = "simulated permanent error",
        **kwargs: Any,
    ) -> SimServer:
        if status is not None:
            responder = failing_with(status, when, body, responder)
        server = SimServer(latency_s=latency_s, responder=responder, faults=faults, **kwargs)
        server.start()
        started.append(server)
        return server

    yield make
    for server in started:
        stats = server.stats()
        _TALLY.update(stats.faults)
        _TALLY.update({f"http_{code}": n for code, n in stats.status_counts.items() if code >= 400})
        _TALLY["requests"] += stats.requests
        server.stop()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """One line: how many requests the simulated servers got, and which faults they sent."""
    if _TALLY:
        faults = ", ".join(f"{k}={v}" for k, v in sorted(_TALLY.items()) if k != "requests")
        terminalreporter.write_line(
            f"reliability: {_TALLY['requests']} simulated requests; faults and errors sent: {faults}"
        )


@pytest.fixture(params=["http", "litellm"])
def transport(request: pytest.FixtureRequest) -> str:
    """Both ways an engine reaches an OpenAI-compatible server: direct, and through litellm."""
    return str(request.param)


@pytest.fixture
def engine_for(_litellm_imported: None, transport: str) -> Callable[..., LiteLLMEngine]:
    """Factory of LiteLLM engines for a simulated server, with short timeouts and backoff.

    Every test using it runs once per transport.
    """

    def make(server: SimServer, **kwargs: Any) -> LiteLLMEngine:
        settings: dict[str, Any] = {
            "api_key": "sim-key",
            "cache": False,
            "timeout": 1.0,
            "backoff_s": 0.01,
            "max_retries": 3,
            "transport": transport,
        }
        settings.update(kwargs)
        return LiteLLMEngine("openai/sim-model", api_base=server.base_url, **settings)

    return make
