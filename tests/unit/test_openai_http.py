"""The direct client for OpenAI-compatible servers: wire format, errors, pools, transport choice."""

from __future__ import annotations

import asyncio
import gc
import json
import warnings
from collections.abc import Iterator

import pytest

import tg_core as tg
from tg_core.engine.litellm_engine import LiteLLMEngine
from tg_core.engine.openai_http import (
    _SESSIONS,
    chat_completion,
    parse_answer,
    request_body,
    status_error,
)
from tg_core.errors import TransientEngineError
from tg_core.testing.openai_sim import SimServer


@pytest.fixture
def server() -> Iterator[SimServer]:
    with SimServer(latency_s=0) as sim:
        yield sim


def test_request_body_sends_settings_but_never_client_options() -> None:
    body = json.loads(
        request_body(
            "m",
            [{"role": "user", "content": "é"}],
            {
                "temperature": 0,
                "seed": 3,
                "api_key": "sk-x",
                "timeout": 5,
                "stop": None,
                "extra_body": {"top_k": 2},
            },
        )
    )
    assert body == {
        "model": "m",
        "messages": [{"role": "user", "content": "é"}],
        "temperature": 0,
        "seed": 3,
        "top_k": 2,
    }


def test_parse_answer_reads_text_finish_and_usage_and_rejects_garbage() -> None:
    answer = parse_answer(
        b'{"choices": [{"message": {"content": null}, "finish_reason": "length"}]}'
    )
    assert (answer.text, answer.finish_reason, answer.prompt_tokens) == ("", "length", None)
    for bad in (b"<html>502</html>", b'{"choices": []}', b"\xff\xfe"):
        with pytest.raises(TransientEngineError, match="malformed response"):
            parse_answer(bad, "openai/m")


def test_status_errors_are_typed_and_redacted() -> None:
    limited = status_error(
        429, b'{"error": {"message": "slow down"}}', {"Retry-After": "2"}, "openai/m", []
    )
    assert isinstance(limited, TransientEngineError) and limited.retry_after == 2.0
    assert "slow down" in str(limited)
    refused = status_error(
        401, b'{"error": "bad key sk-secret-12345678"}', {}, "openai/m", ["sk-secret-12345678"]
    )
    assert not isinstance(refused, TransientEngineError) and refused.status == 401
    assert "sk-secret-12345678" not in str(refused)


def test_the_engine_goes_direct_and_counts_the_servers_tokens(server: SimServer) -> None:
    engine = LiteLLMEngine(
        "openai/sim-model", api_base=server.base_url, api_key="k", cache=False, temperature=0.3
    )
    with tg.track_usage("t") as scope:
        assert engine.generate("hello", system_prompt="be brief")
    request = server.received()[-1]
    assert request.body["model"] == "sim-model" and request.body["temperature"] == 0.3
    assert request.headers["authorization"] == "Bearer k"
    assert scope.usage.calls == 1 and scope.usage.prompt_tokens > 0
    assert scope.usage.cost_known is False  # litellm has no price for this model


def test_a_loop_that_ends_closes_its_connection_pool(server: SimServer) -> None:
    async def call() -> str:
        answer = await chat_completion(
            server.base_url,
            "sim",
            [{"role": "user", "content": "x"}],
            {},
            api_key=None,
            timeout=5,
            engine="openai/sim",
        )
        return answer.text

    with warnings.catch_warnings():
        warnings.simplefilter("error", ResourceWarning)
        for _ in range(3):
            assert asyncio.run(call())
        gc.collect()
    assert _SESSIONS == {}


async def test_a_refused_connection_is_transient() -> None:
    with pytest.raises(TransientEngineError):
        await chat_completion(
            "http://127.0.0.1:9/v1", "m", [], {}, api_key=None, timeout=2, engine="openai/m"
        )


def test_transport_choice_is_checked() -> None:
    with pytest.raises(tg.UserError, match="transport"):
        LiteLLMEngine("openai/m", transport="grpc")  # type: ignore[arg-type]
    with pytest.raises(tg.UserError, match="OpenAI-compatible"):
        LiteLLMEngine("anthropic/claude", transport="http")
    engine = LiteLLMEngine("openai/m", api_base="http://x/v1")
    assert engine._is_direct("openai/m", "http://x/v1")
    assert not LiteLLMEngine("openai/m", api_base="http://x/v1", transport="litellm")._is_direct(
        "openai/m", "http://x/v1"
    )
    assert not engine._is_direct("openai/gpt-4o", None)  # hosted: through litellm
