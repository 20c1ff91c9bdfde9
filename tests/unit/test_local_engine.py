"""LocalEngine: finds the server again when the one it used went away; the model is free."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

import tg_core as tg
import tg_core.local as local
from tg_core.engine.local_engine import LocalEngine
from tg_core.testing.openai_sim import SimServer


@dataclass
class _Found:
    base_url: str


def test_a_vanished_server_is_found_again_on_retry(monkeypatch: pytest.MonkeyPatch) -> None:
    with SimServer(latency_s=0) as live:
        found = iter([_Found("http://127.0.0.1:9/v1"), _Found(live.base_url)])
        monkeypatch.setattr(local, "ensure_server", lambda: next(found))
        engine = LocalEngine(cache=False, backoff_s=0.0)
        with tg.track_usage("local") as scope:
            assert engine.generate("hello", max_tokens=16)
        assert engine.api_base == live.base_url
        assert live.stats().requests == 1
        assert scope.usage.failed_calls == 1 and scope.usage.calls == 2
        assert scope.usage.cost_known and scope.usage.cost_usd == 0.0
        assert live.received()[0].body["model"] == "qwen2.5-coder-0.5b-instruct"
