"""Tests of the simulated OpenAI-compatible server: schema, concurrency, faults, stats, stop."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tg_adapters.dspy.testing import sim_responder as dspy_responder
from tg_adapters.langchain.testing import template_fault
from tg_core.testing.openai_sim import (
    FAULT_KINDS,
    ChatRequest,
    FaultPlan,
    FaultRule,
    SimError,
    SimServer,
    approx_tokens,
    default_responder,
)

UPDATE_PROMPT = (
    "Improve the variable below.\n\n"
    '<VARIABLE role="system prompt">\nAnswer {question} using {context}.\n</VARIABLE>\n\n'
    "Reply with the complete new value between the tags <IMPROVED_VARIABLE> and "
    "</IMPROVED_VARIABLE>, with nothing after the closing tag."
)
OPEN, CLOSE = "<IMPROVED_VARIABLE>", "</IMPROVED_VARIABLE>"


def _body(content: Any = "What is 6 x 7?", **extra: Any) -> dict[str, Any]:
    return {"model": "sim-model", "messages": [{"role": "user", "content": content}], **extra}


def _content(response: httpx.Response) -> str:
    assert response.status_code == 200, response.text
    content = response.json()["choices"][0]["message"]["content"]
    assert isinstance(content, str)
    return content


def _wait_until(predicate: Any, timeout: float = 3.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return bool(predicate())


@pytest.fixture
def server() -> Iterator[SimServer]:
    with SimServer(latency_s=0.0) as sim:
        yield sim


@pytest.fixture
def client(server: SimServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, timeout=10.0) as http:
        yield http


# --------------------------------------------------------------------------- schema


def test_normal_answer_has_the_openai_schema(client: httpx.Client) -> None:
    response = client.post("/chat/completions", json=_body(max_tokens=200, temperature=0.0))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    data = response.json()
    assert data["object"] == "chat.completion"
    assert isinstance(data["id"], str) and data["id"]
    assert isinstance(data["created"], int)
    assert data["model"] == "sim-model"
    (choice,) = data["choices"]
    assert choice["index"] == 0
    assert choice["finish_reason"] == "stop"
    assert choice["message"]["role"] == "assistant"
    content = choice["message"]["content"]
    assert isinstance(content, str) and 20 <= approx_tokens(content) <= 60
    usage = data["usage"]
    assert usage["prompt_tokens"] == approx_tokens("What is 6 x 7?")
    assert usage["completion_tokens"] == approx_tokens(content)
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


def test_content_parts_and_system_messages_are_accepted(client: httpx.Client) -> None:
    body = {
        "model": "m",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "Describe this"},
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
                ],
            },
        ],
    }
    assert _content(client.post("/chat/completions", json=body))


def test_models_health_and_unknown_paths(client: httpx.Client) -> None:
    models = client.get("/models").json()
    assert models["object"] == "list"
    assert models["data"][0]["id"] == "sim-model"
    assert client.get("/health").status_code == 200
    assert client.get("/nope").status_code == 404
    assert client.get("/chat/completions").status_code == 405


def test_invalid_requests_get_400(client: httpx.Client, server: SimServer) -> None:
    bad_json = client.post(
        "/chat/completions", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert bad_json.status_code == 400
    assert bad_json.json()["error"]["type"] == "invalid_request_error"
    assert client.post("/chat/completions", json={"model": "m"}).status_code == 400
    assert client.post("/chat/completions", json=_body(max_tokens=0)).status_code == 400
    stats = server.stats()
    assert stats.requests == 3 and stats.status_counts == {400: 3} and stats.completed == 0


def test_max_tokens_truncates_with_finish_reason_length(client: httpx.Client) -> None:
    data = client.post("/chat/completions", json=_body(max_tokens=3)).json()
    assert data["choices"][0]["finish_reason"] == "length"
    assert len(data["choices"][0]["message"]["content"]) <= 12


def test_streaming_answer_matches_the_plain_one(client: httpx.Client) -> None:
    plain = _content(client.post("/chat/completions", json=_body()))
    body = _body(stream=True, stream_options={"include_usage": True})
    with client.stream("POST", "/chat/completions", json=body) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = [line for line in response.iter_lines() if line.startswith("data: ")]
    assert lines[-1] == "data: [DONE]"
    chunks = [json.loads(line[6:]) for line in lines[:-1]]
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"])
    assert text == plain
    assert chunks[-1]["usage"]["completion_tokens"] == approx_tokens(plain)
    finishes = [c["choices"][0]["finish_reason"] for c in chunks if c["choices"]]
    assert finishes[-1] == "stop"


def test_request_fields_are_parsed(server: SimServer, client: httpx.Client) -> None:
    body = _body(max_completion_tokens=50, stream=False, n=2)
    assert client.post("/chat/completions", json=body, headers={"X-Trace": "t1"}).status_code == 200
    (request,) = server.received()
    assert (request.model, request.max_tokens, request.stream, request.n) == (
        "sim-model",
        50,
        False,
        2,
    )
    assert request.headers["x-trace"] == "t1" and request.index == 0
    assert request.prompt_text == request.last_user_text == "What is 6 x 7?"


def test_several_choices_share_the_content(client: httpx.Client) -> None:
    data = client.post("/chat/completions", json=_body(n=3)).json()
    contents = [choice["message"]["content"] for choice in data["choices"]]
    assert [choice["index"] for choice in data["choices"]] == [0, 1, 2]
    assert len(set(contents)) == 1
    assert data["usage"]["completion_tokens"] == 3 * approx_tokens(contents[0])


def test_a_stream_has_no_usage_chunk_unless_asked(client: httpx.Client) -> None:
    with client.stream("POST", "/chat/completions", json=_body(stream=True)) as response:
        lines = [line for line in response.iter_lines() if line.startswith("data: ")]
    chunks = [json.loads(line[6:]) for line in lines[:-1]]
    assert chunks and all(chunk["choices"] and "usage" not in chunk for chunk in chunks)


def test_paths_work_with_and_without_v1(server: SimServer) -> None:
    root = server.base_url.removesuffix("/v1")
    with httpx.Client(base_url=root, timeout=10.0) as http:
        assert http.post("/chat/completions", json=_body()).status_code == 200
        assert http.get("/v1/stats").json()["requests"] == 1
        assert http.post("/v1/stats/reset").status_code == 200
        assert http.get("/stats").json()["requests"] == 0


# --------------------------------------------------------------------------- responder


def test_default_responder_is_deterministic_and_short(client: httpx.Client) -> None:
    first = _content(client.post("/chat/completions", json=_body("Question one?")))
    again = _content(client.post("/chat/completions", json=_body("Question one?")))
    assert first == again
    answers = {
        _content(client.post("/chat/completions", json=_body(f"Question {i}?"))) for i in range(12)
    }
    assert len(answers) > 1
    assert all(approx_tokens(a) <= 60 for a in answers)


def test_default_responder_answers_update_requests_in_tags(client: httpx.Client) -> None:
    content = _content(client.post("/chat/completions", json=_body(UPDATE_PROMPT)))
    assert content.startswith(OPEN) and content.endswith(CLOSE)
    inner = content[len(OPEN) : -len(CLOSE)]
    assert inner.startswith("Answer {question} using {context}.")
    assert len(inner) > len("Answer {question} using {context}.")


def test_default_responder_finds_other_update_tags_and_keeps_placeholders() -> None:
    request = ChatRequest.from_body(
        _body("Rewrite the template 'Summarize {text}'. Put it in <NEW_TEMPLATE></NEW_TEMPLATE>.")
    )
    answer = default_responder(request)
    assert answer.startswith("<NEW_TEMPLATE>") and answer.endswith("</NEW_TEMPLATE>")
    assert "{text}" in answer


def test_default_responder_critiques() -> None:
    critique = default_responder(ChatRequest.from_body(_body("Give feedback on this answer: 41.")))
    assert "response" in critique.lower()


def test_dspy_responder_fills_the_chat_adapter_fields(
    server: SimServer, client: httpx.Client
) -> None:
    dspy_prompt = (
        "[[ ## question ## ]]\nWhat is 2+2?\n\n"
        "Respond with the corresponding output fields, starting with the field "
        "`[[ ## reasoning ## ]]`, then `[[ ## answer ## ]]`, and then ending with the marker "
        "for `[[ ## completed ## ]]`."
    )
    system = {"role": "system", "content": "Your input fields are:\n1. `question` (str)"}
    body = {"model": "m", "messages": [system, {"role": "user", "content": dspy_prompt}]}
    server.responder = dspy_responder
    reply = _content(client.post("/chat/completions", json=body))
    assert reply.index("[[ ## reasoning ## ]]") < reply.index("[[ ## answer ## ]]")
    assert reply.rstrip().endswith("[[ ## completed ## ]]")
    # Anything that is not a ChatAdapter prompt gets the default answer.
    plain = _body("Give feedback on this answer: 41.")
    assert _content(client.post("/chat/completions", json=plain)) == default_responder(
        ChatRequest.from_body(plain)
    )


def test_custom_responder_and_responder_errors(server: SimServer, client: httpx.Client) -> None:
    server.responder = lambda request: f"echo: {request.last_user_text}"
    assert _content(client.post("/chat/completions", json=_body("ping"))) == "echo: ping"

    def broken(request: ChatRequest) -> str:
        raise RuntimeError("boom")

    server.responder = broken
    response = client.post("/chat/completions", json=_body())
    assert response.status_code == 500 and "boom" in response.json()["error"]["message"]


def test_responder_can_answer_with_an_http_error(server: SimServer, client: httpx.Client) -> None:
    def refuse(request: ChatRequest) -> str:
        raise SimError(401, f"bad key {request.headers['authorization']}", headers={"X-Sim": "1"})

    server.responder = refuse
    response = client.post("/chat/completions", json=_body(), headers={"Authorization": "k"})
    assert response.status_code == 401 and response.headers["x-sim"] == "1"
    assert response.json()["error"] == {
        "message": "bad key k",
        "type": "invalid_request_error",
        "code": "invalid_request_error",
    }
    assert server.stats().status_counts == {401: 1}


# --------------------------------------------------------------------------- concurrency


async def _concurrent_posts(url: str, n: int) -> list[int]:
    limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)
    async with httpx.AsyncClient(limits=limits, timeout=10.0) as http:
        responses = await asyncio.gather(
            *(http.post(url + "/chat/completions", json=_body(f"q{i}")) for i in range(n))
        )
    return [r.status_code for r in responses]


def test_latency_is_not_additive() -> None:
    with SimServer(latency_s=0.2) as sim:
        start = time.perf_counter()
        statuses = asyncio.run(_concurrent_posts(sim.base_url, 50))
        elapsed = time.perf_counter() - start
        stats = sim.stats()
    assert statuses == [200] * 50
    assert elapsed < 2.0  # 50 x 0.2 s one after another would be 10 s
    assert stats.peak_in_flight >= 40
    assert stats.completed == 50 and stats.in_flight == 0


async def _raw_posts(port: int, n: int) -> list[bytes]:
    payload = json.dumps(_body()).encode()
    request = (
        b"POST /v1/chat/completions HTTP/1.1\r\nHost: sim\r\nContent-Type: application/json\r\n"
        b"Connection: close\r\nContent-Length: %d\r\n\r\n" % len(payload)
    ) + payload

    async def one() -> bytes:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(request)
        await writer.drain()
        data = await reader.read()
        writer.close()
        return data.split(b" ", 2)[1]

    return await asyncio.gather(*(one() for _ in range(n)))


def test_sustains_300_concurrent_requests() -> None:
    # Raw sockets: httpx's connection pool itself gets slow with hundreds of connections.
    with SimServer(latency_s=0.3) as sim:
        start = time.perf_counter()
        statuses = asyncio.run(_raw_posts(sim.port, 300))
        elapsed = time.perf_counter() - start
        stats = sim.stats()
    assert statuses == [b"200"] * 300
    assert elapsed < 3.0  # 300 x 0.3 s one after another would be 90 s
    assert stats.peak_in_flight >= 250


# --------------------------------------------------------------------------- faults


@pytest.mark.parametrize("kind, status", [("http_500", 500), ("http_503", 503)])
def test_server_error_faults(
    server: SimServer, client: httpx.Client, kind: Any, status: int
) -> None:
    server.faults = FaultPlan(script=[kind])
    response = client.post("/chat/completions", json=_body())
    assert response.status_code == status
    assert response.json()["error"]["message"]
    assert client.post("/chat/completions", json=_body()).status_code == 200


def test_http_429_sends_retry_after(server: SimServer, client: httpx.Client) -> None:
    server.faults = FaultPlan.always("http_429")
    response = client.post("/chat/completions", json=_body())
    assert response.status_code == 429
    assert response.headers["retry-after"] == "1"
    assert response.json()["error"]["code"] == "rate_limit_exceeded"
    server.faults = FaultPlan.always("http_429", retry_after=7)
    assert client.post("/chat/completions", json=_body()).headers["retry-after"] == "7"
    server.faults = FaultPlan.always("http_429", retry_after=None)
    assert "retry-after" not in client.post("/chat/completions", json=_body()).headers


@pytest.mark.parametrize(("retry_after", "header"), [(2.0, "2"), (0.25, "0.25"), ("3", "3")])
def test_retry_after_values(
    server: SimServer, client: httpx.Client, retry_after: Any, header: str
) -> None:
    server.faults = FaultPlan.always("http_429", retry_after=retry_after)
    assert client.post("/chat/completions", json=_body()).headers["retry-after"] == header


def test_error_faults_carry_openai_error_types(server: SimServer, client: httpx.Client) -> None:
    server.faults = FaultPlan(script=["http_500", "http_503"])
    types = [client.post("/chat/completions", json=_body()).json()["error"] for _ in range(2)]
    assert [(e["type"], e["code"]) for e in types] == [
        ("server_error", "server_error"),
        ("service_unavailable", "service_unavailable"),
    ]


def test_drop_closes_without_response(server: SimServer, client: httpx.Client) -> None:
    server.faults = FaultPlan(script=["drop"])
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        client.post("/chat/completions", json=_body())
    assert client.post("/chat/completions", json=_body()).status_code == 200
    assert server.stats().dropped == 1


def test_hang_times_the_client_out_without_blocking_others(server: SimServer) -> None:
    server.faults = FaultPlan(rules=[FaultRule(lambda r: "HANG" in r.prompt_text, "hang")])
    with httpx.Client(base_url=server.base_url, timeout=0.3) as slow:
        with pytest.raises(httpx.ReadTimeout):
            slow.post("/chat/completions", json=_body("HANG please"))
    with httpx.Client(base_url=server.base_url, timeout=2.0) as other:
        assert other.post("/chat/completions", json=_body()).status_code == 200
    # The client gave up and closed its connection: the hang ends and is counted as dropped.
    assert _wait_until(lambda: server.stats().in_flight == 0)
    assert server.stats().dropped == 1


def test_short_hang_closes_without_response(server: SimServer, client: httpx.Client) -> None:
    server.faults = FaultPlan(script=["hang"], hang_s=0.2)
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        client.post("/chat/completions", json=_body())


def test_content_faults(server: SimServer, client: httpx.Client) -> None:
    def faulted(kind: Any, prompt: str = UPDATE_PROMPT) -> str:
        server.faults = FaultPlan(script=[kind])
        return _content(client.post("/chat/completions", json=_body(prompt)))

    assert faulted("empty") == ""
    no_tags = faulted("no_tags")
    assert no_tags and OPEN not in no_tags and CLOSE not in no_tags
    unbalanced = faulted("unbalanced_tags")
    assert OPEN in unbalanced and CLOSE not in unbalanced
    nested = faulted("nested_tags")
    assert nested.count(OPEN) == 2 and nested.count(CLOSE) == 2
    assert nested.index(OPEN, 1) < nested.index(CLOSE)
    huge = faulted("huge")
    assert len(huge) >= 1_000_000 and huge.startswith(OPEN) and huge.endswith(CLOSE)
    # Plain (non-update) requests get the same faults on their plain answers.
    assert OPEN in faulted("unbalanced_tags", "What is 2+2?")
    assert len(faulted("huge", "What is 2+2?")) >= 1_000_000


def test_content_faults_keep_the_text_around_the_tag() -> None:
    plan, request = FaultPlan(huge_chars=50), ChatRequest.from_body(_body("hi"))
    answer = "Hi <X>value</X> bye"
    assert plan.spoil("unbalanced_tags", answer, request) == "Hi <X>value"
    assert plan.spoil("no_tags", answer, request) == "Hi value bye"
    assert plan.spoil("no_tags", "plain", request) == "plain"
    huge = plan.spoil("huge", answer, request)
    assert huge.startswith("Hi <X>value value") and huge.endswith("</X> bye")
    assert len(huge) == len("Hi <X></X> bye") + 50


def test_rates_summing_to_one_with_rounding_are_accepted() -> None:
    rates: Any = {"http_500": 0.05, "http_503": 0.55, "drop": 0.3, "empty": 0.1}
    assert sum(rates.values()) > 1.0
    plan = FaultPlan(rates=rates, seed=3)
    kinds = {plan.choose(ChatRequest.from_body(_body())) for _ in range(400)}
    assert kinds == set(rates)


def test_template_fault_responders(server: SimServer, client: httpx.Client) -> None:
    def answer(kind: Any, prompt: str = UPDATE_PROMPT) -> str:
        server.responder = template_fault(kind, when=lambda r: "variable" in r.last_user_text)
        return _content(client.post("/chat/completions", json=_body(prompt)))

    removed = answer("template_var_removed")
    assert removed.startswith(OPEN) and "{question}" not in removed and "{context}" in removed
    invented = answer("template_var_invented")
    assert "{invented}" in invented and "{question}" in invented and invented.endswith(CLOSE)
    # Requests the predicate leaves alone get the plain answer.
    assert answer("template_var_invented", "What is {x}?") == default_responder(
        ChatRequest.from_body(_body("What is {x}?"))
    )


def test_non_utf8_fault_sends_invalid_bytes(server: SimServer, client: httpx.Client) -> None:
    server.faults = FaultPlan(script=["non_utf8"])
    response = client.post("/chat/completions", json=_body(UPDATE_PROMPT))
    assert response.status_code == 200
    with pytest.raises(UnicodeDecodeError):
        response.content.decode("utf-8")
    with pytest.raises(ValueError):
        response.json()


def test_non_utf8_fault_in_a_stream(server: SimServer, client: httpx.Client) -> None:
    server.faults = FaultPlan(script=["non_utf8"])
    with client.stream("POST", "/chat/completions", json=_body(stream=True)) as response:
        raw = response.read()
    assert b"\xff\xfe" in raw and raw.rstrip().endswith(b"data: [DONE]")


def test_script_then_normal(server: SimServer, client: httpx.Client) -> None:
    server.faults = FaultPlan(script=["http_500", None, "http_429"])
    codes = [client.post("/chat/completions", json=_body()).status_code for _ in range(4)]
    assert codes == [500, 200, 429, 200]
    assert server.faults.remaining_script == []


def test_seeded_rates_are_reproducible() -> None:
    def codes(seed: int) -> list[int]:
        plan = FaultPlan(rates={"http_500": 0.3, "http_503": 0.2}, seed=seed)
        with SimServer(latency_s=0.0, faults=plan) as sim, httpx.Client(timeout=5) as http:
            url = sim.base_url + "/chat/completions"
            return [http.post(url, json=_body()).status_code for _ in range(40)]

    first = codes(7)
    assert first == codes(7)
    assert {500, 503, 200} <= set(first)
    assert 8 <= first.count(200) <= 35


def test_rule_predicate_with_a_budget(server: SimServer, client: httpx.Client) -> None:
    rule = FaultRule(lambda r: "secret" in r.last_user_text, "http_503", times=2)
    server.faults = FaultPlan(rules=[rule], script=["http_500"])
    codes = [
        client.post("/chat/completions", json=_body(text)).status_code
        for text in ("secret", "plain", "secret", "secret", "plain")
    ]
    # Rules come first; the script is consumed only by requests no rule took.
    assert codes == [503, 500, 503, 200, 200]


def test_fault_plan_validation() -> None:
    with pytest.raises(ValueError):
        FaultPlan(script=["nope"])  # type: ignore[list-item]
    with pytest.raises(ValueError):
        FaultPlan(rates={"http_500": 0.8, "drop": 0.5})
    with pytest.raises(ValueError):
        FaultPlan(rates={"http_500": -0.1})
    assert len(FAULT_KINDS) == 11


# --------------------------------------------------------------------------- stats


def test_stats_count_requests_tokens_and_statuses(server: SimServer, client: httpx.Client) -> None:
    server.faults = FaultPlan(script=["http_429", "drop", None, "empty"])
    completion_tokens = 0
    for _ in range(4):
        try:
            response = client.post("/chat/completions", json=_body("abcdefgh"))
        except httpx.TransportError:
            continue
        if response.status_code == 200:
            completion_tokens += response.json()["usage"]["completion_tokens"]
    deadline = time.monotonic() + 5  # the server counts a request done just after replying
    while server.stats().in_flight and time.monotonic() < deadline:
        time.sleep(0.01)
    stats = server.stats()
    assert stats.requests == 4
    assert stats.completed == 2
    assert stats.status_counts == {429: 1, 200: 2}
    assert stats.dropped == 1
    assert stats.faults == {"http_429": 1, "drop": 1, "empty": 1}
    assert stats.prompt_tokens == 4 * approx_tokens("abcdefgh")
    assert stats.completion_tokens == completion_tokens > 0
    assert stats.in_flight == 0 and stats.peak_in_flight == 1

    over_http = client.get("/stats").json()
    assert over_http["requests"] == 4 and over_http["status_counts"] == {"200": 2, "429": 1}

    assert [r.last_user_text for r in server.received()] == ["abcdefgh"] * 4
    assert server.received()[0].body["model"] == "sim-model"
    server.reset_stats()
    assert server.stats().requests == 0 and server.received() == []
    assert client.post("/stats/reset").status_code == 200


def test_a_client_gone_during_the_latency_is_counted_as_dropped() -> None:
    with SimServer(latency_s=1.0) as sim, httpx.Client(timeout=0.2) as http:
        with pytest.raises(httpx.ReadTimeout):
            http.post(sim.base_url + "/chat/completions", json=_body())
        assert _wait_until(lambda: sim.stats().in_flight == 0)
        stats = sim.stats()
    assert (stats.requests, stats.dropped, stats.completed, stats.status_counts) == (1, 1, 0, {})


def test_reset_keeps_the_requests_in_flight() -> None:
    with SimServer(latency_s=0.0, faults=FaultPlan.always("hang", hang_s=30.0)) as sim:
        caller = threading.Thread(target=_post_ignoring_errors, args=(sim.base_url,))
        caller.start()
        assert _wait_until(lambda: sim.stats().in_flight == 1)
        sim.reset_stats()
        stats = sim.stats()
        assert (stats.requests, stats.in_flight, stats.peak_in_flight) == (0, 1, 1)
    caller.join(5.0)
    assert not caller.is_alive()


def _post_ignoring_errors(base_url: str) -> None:
    with contextlib.suppress(httpx.TransportError):
        httpx.post(base_url + "/chat/completions", json=_body(), timeout=10.0)


def test_received_requests_are_bounded() -> None:
    with SimServer(latency_s=0.0, max_recorded=3) as sim, httpx.Client(timeout=5) as http:
        for i in range(5):
            http.post(sim.base_url + "/chat/completions", json=_body(f"m{i}"))
        assert [r.last_user_text for r in sim.received()] == ["m2", "m3", "m4"]
        assert [r.index for r in sim.received()] == [2, 3, 4]


# --------------------------------------------------------------------------- lifecycle


def test_stop_is_prompt_with_a_hang_in_flight() -> None:
    sim = SimServer(latency_s=0.0, faults=FaultPlan.always("hang", hang_s=30.0)).start()
    errors: list[BaseException] = []

    def call() -> None:
        try:
            httpx.post(sim.base_url + "/chat/completions", json=_body(), timeout=10.0)
        except BaseException as exc:
            errors.append(exc)

    caller = threading.Thread(target=call)
    caller.start()
    assert _wait_until(lambda: sim.stats().in_flight == 1)
    start = time.perf_counter()
    sim.stop()
    assert time.perf_counter() - start < 2.0
    caller.join(5.0)
    assert not caller.is_alive()
    assert errors and isinstance(errors[0], httpx.TransportError)
    assert not sim.running
    sim.stop()  # a second stop is harmless


def test_start_stop_restart_and_repr() -> None:
    sim = SimServer(latency_s=0.0)
    assert "stopped" in repr(sim)
    with pytest.raises(RuntimeError):
        _ = sim.base_url
    sim.start()
    first = sim.base_url
    assert first.startswith("http://127.0.0.1:") and first.endswith("/v1")
    with pytest.raises(RuntimeError):
        sim.start()
    sim.stop()
    with sim:
        assert httpx.get(sim.base_url + "/models", timeout=5).status_code == 200
    assert not sim.running


def test_binding_a_busy_port_raises() -> None:
    with SimServer(latency_s=0.0) as busy:
        with pytest.raises(OSError):
            SimServer(port=busy.port).start()
