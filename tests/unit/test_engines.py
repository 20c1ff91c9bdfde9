"""Engines: names, litellm engine on a local simulated server, cache, usage, budgets, threads."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import tg_core as tg
from tg_core.engine.cache import ResponseCache, cache_key
from tg_core.engine.litellm_engine import LiteLLMEngine
from tg_core.engine.registry import litellm_model_name
from tg_core.testing.openai_sim import SimServer

PNG = (Path(__file__).resolve().parents[2] / "examples" / "assets" / "checker.png").read_bytes()


@pytest.fixture(scope="module")
def server() -> Iterator[SimServer]:
    with SimServer(latency_s=0.0) as sim:
        yield sim


def _engine(server: SimServer, **kw: Any) -> LiteLLMEngine:
    kw.setdefault("cache", False)
    return LiteLLMEngine(
        "openai/sim-model", api_base=server.base_url, api_key="sk-test-secret-123", **kw
    )


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("gpt-4o", "gpt-4o"),
        ("experimental:openai/gpt-4o-mini", "openai/gpt-4o-mini"),
        ("claude-3-5-sonnet-20240620", "anthropic/claude-3-5-sonnet-20240620"),
        ("gemini-1.5-pro", "gemini/gemini-1.5-pro"),
        ("together-meta-llama/Llama-3-8b", "together_ai/meta-llama/Llama-3-8b"),
        ("ollama-llama3", "ollama/llama3"),
        ("vllm-my-model", "hosted_vllm/my-model"),
        ("groq-llama3-70b", "groq/llama3-70b"),
        ("azure-my-deployment", "azure/my-deployment"),
    ],
)
def test_textgrad_short_names_resolve(name: str, expected: str) -> None:
    assert litellm_model_name(name) == expected


def test_get_engine_rejects_empty_names() -> None:
    with pytest.raises(tg.UserError):
        tg.get_engine("")


def test_sampling_settings_are_passed_through(server: SimServer) -> None:
    engine = _engine(server, temperature=0.3)
    server.reset_stats()
    engine.generate("hello", system_prompt="sys", max_tokens=17, seed=5, top_p=0.9)
    body = server.received()[-1].body
    assert body["temperature"] == 0.3 and body["max_tokens"] == 17
    assert body["seed"] == 5 and body["top_p"] == 0.9
    assert body["messages"][0] == {"role": "system", "content": "sys"}


def test_images_become_content_parts(server: SimServer) -> None:
    engine = _engine(server)
    engine.generate(content=[PNG, "what is this?"], system_prompt="you are an assistant")
    parts = server.received()[-1].body["messages"][1]["content"]
    assert parts[0]["type"] == "image_url"
    assert parts[0]["image_url"]["url"].startswith("data:image/png;base64,")
    assert parts[1] == {"type": "text", "text": "what is this?"}


def test_usage_counts_real_tokens_and_unknown_cost(server: SimServer) -> None:
    engine = _engine(server)
    with tg.track_usage("t") as scope:
        engine.generate("count me")
    assert scope.usage.calls == 1
    assert scope.usage.prompt_tokens > 0 and scope.usage.completion_tokens > 0
    assert scope.usage.cost_known is False  # no price for a simulated model


def test_budget_on_tokens_stops_before_the_call(server: SimServer) -> None:
    engine = _engine(server)
    server.reset_stats()
    with (
        tg.track_usage("t", tg.Budget(max_tokens=10)),
        pytest.raises(tg.BudgetExceeded, match="tokens"),
    ):
        engine.generate("x" * 400, max_tokens=50)
    assert server.stats().requests == 0


def test_cache_hits_in_a_new_process_without_the_server(tmp_path: Path) -> None:
    cache_dir = tmp_path / "cache"
    script = """
import sys, tg_core as tg
from tg_core.engine.litellm_engine import LiteLLMEngine
engine = LiteLLMEngine("openai/sim-model", api_base=sys.argv[1], api_key="sk-x-123456789", cache=sys.argv[2], max_retries=0, timeout=60)
with tg.track_usage("t") as scope:
    print(engine.generate("cache me", system_prompt="s", temperature=0))
print(scope.usage.calls, scope.usage.cached_calls)
"""
    with SimServer(latency_s=0.0) as sim:
        first = subprocess.run(
            [sys.executable, "-c", script, sim.base_url, str(cache_dir)],
            capture_output=True,
            text=True,
        )
        assert first.returncode == 0, first.stderr[-2000:]
        assert sim.stats().requests == 1
        base_url = sim.base_url
    second = subprocess.run(
        [sys.executable, "-c", script, base_url, str(cache_dir)], capture_output=True, text=True
    )
    assert second.returncode == 0, second.stderr[-2000:]
    assert first.stdout.splitlines()[0] == second.stdout.splitlines()[0]
    assert second.stdout.splitlines()[-1] == "0 1"
    assert oct(cache_dir.stat().st_mode & 0o777) == "0o700"


def test_cache_can_be_disabled(server: SimServer) -> None:
    engine = _engine(server, cache=False)
    server.reset_stats()
    engine.generate("same")
    engine.generate("same")
    assert server.stats().requests == 2


def test_cache_key_ignores_secrets_and_endpoint() -> None:
    messages = [{"role": "user", "content": "hi"}]
    a = cache_key("m", messages, {"api_key": "sk-1", "api_base": "http://a", "temperature": 0})
    b = cache_key("m", messages, {"api_key": "sk-2", "api_base": "http://b", "temperature": 0})
    assert a == b
    assert a != cache_key("m", messages, {"temperature": 1})


def test_cache_stores_nothing_secret(server: SimServer, tmp_path: Path) -> None:
    engine = _engine(server, cache=tmp_path / "c")
    engine.generate("secret check")
    assert isinstance(engine.cache, ResponseCache)
    engine.cache.close()
    for f in (tmp_path / "c").rglob("*"):
        if f.is_file():
            assert b"sk-test-secret-123" not in f.read_bytes()


def test_a_textgrad_style_sync_engine_runs_concurrently_in_threads() -> None:
    class SlowEngine(tg.EngineLM):
        model_string = "slow"

        def __init__(self) -> None:
            self.active = 0
            self.peak = 0
            self.lock = threading.Lock()

        def generate(self, prompt: Any, system_prompt: str | None = None, **kwargs: Any) -> str:
            with self.lock:
                self.active += 1
                self.peak = max(self.peak, self.active)
            time.sleep(0.05)
            with self.lock:
                self.active -= 1
            return f"echo {prompt}"

        def __call__(self, prompt: Any, **kwargs: Any) -> str:
            return self.generate(prompt, **kwargs)

    engine = SlowEngine()
    model = tg.BlackboxLLM(engine, system_prompt="s")

    async def batch() -> list[tg.Variable]:
        qs = [tg.Variable(f"q{i}", role_description="question") for i in range(8)]
        return list(await asyncio.gather(*(model.aforward(q) for q in qs)))

    with tg.track_usage("t") as scope:
        outs = asyncio.run(batch())
    assert [o.value for o in outs] == [f"echo q{i}" for i in range(8)]
    assert engine.peak == 8
    assert scope.usage.calls == 8 and scope.usage.prompt_tokens > 0


async def test_sync_api_works_inside_a_running_event_loop() -> None:
    from tg_core.engine.fake import FakeEngine

    model = tg.BlackboxLLM(FakeEngine(["inside"]), system_prompt="s")
    assert model(tg.Variable("q", role_description="question")).value == "inside"


def test_context_engine_beats_process_default_and_argument_beats_both() -> None:
    from tg_core.engine.fake import FakeEngine

    process, scoped, explicit = FakeEngine(["p"]), FakeEngine(["c"]), FakeEngine(["e"])
    tg.set_backward_engine(process)
    with pytest.raises(tg.UserError, match="override=True"):
        tg.set_backward_engine(process)
    with tg.backward_engine(scoped):
        assert tg.TextLoss("j")(tg.Variable("x", role_description="r")).value == "c"
        assert (
            tg.TextLoss("j", engine=explicit)(tg.Variable("x", role_description="r")).value == "e"
        )
    assert tg.TextLoss("j")(tg.Variable("x", role_description="r")).value == "p"


def test_import_is_quiet_and_lazy(tmp_path: Path) -> None:
    env = {**os.environ, "HOME": str(tmp_path), "TG_CORE_HOME": str(tmp_path / "tg")}
    code = "import sys, tg_core; print(json.dumps(sorted(m for m in ('litellm','httpx','diskcache','openai') if m in sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", "import json; " + code],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(out.stdout) == []
    assert list(tmp_path.iterdir()) == []  # no file or folder written


def test_a_litellm_router_is_usable_as_an_engine(server: SimServer) -> None:
    from litellm import Router

    router = Router(
        model_list=[
            {
                "model_name": "pool",
                "litellm_params": {
                    "model": "openai/sim-router-model",  # a Router registers its models
                    "api_base": server.base_url,
                    "api_key": "sk-router-1234567",
                    "rpm": 1000,
                },
            }
        ]
    )
    engine = LiteLLMEngine("pool", router=router, cache=False)
    before = server.stats().requests
    with tg.track_usage("t") as scope:
        answer = engine.generate("routed?", system_prompt="s")
    assert answer and server.stats().requests == before + 1
    assert scope.usage.calls == 1
