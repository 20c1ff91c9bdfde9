"""API keys never reach disk or logs; private folders; loading a checkpoint executes nothing."""

from __future__ import annotations

import json
import logging
import os
import pickle
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import diskcache
import pytest

import tg_core as tg
from tg_core.engine.cache import ResponseCache, cache_key
from tg_core.engine.litellm_engine import LiteLLMEngine
from tg_core.errors import UserError
from tg_core.testing.openai_sim import ChatRequest, FaultPlan, SimServer
from tg_core.train import FitResult, fit, load_checkpoint

MakeSim = Callable[..., SimServer]
PLANTED = "sk-planted-3f9a1c7e5b2d4a6f8e0c1b3d5f7a9c2e"
PLAIN_KEY = "planted-plain-key-9b8c7d6e5f4a3b2c"  # not sk-shaped, given only as api_key=
LOGGERS = [
    "",
    "tg_core",
    "LiteLLM",
    "LiteLLM Router",
    "LiteLLM Proxy",
    "httpx",
    "httpcore",
    "openai",
]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def every_file(root: Path) -> Iterator[Path]:
    for folder, _dirs, files in os.walk(root):
        for name in files:
            yield Path(folder) / name


@pytest.fixture
def debug_log(tmp_path: Path) -> Iterator[Path]:
    """Every log record of tg_core, litellm, httpx and openai, at DEBUG, written to a file."""
    path = tmp_path / "logs" / "debug.log"
    path.parent.mkdir()
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setLevel(logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    saved: list[tuple[logging.Logger, int]] = []
    for name in LOGGERS:
        logger = logging.getLogger(name)
        saved.append((logger, logger.level))
        logger.setLevel(logging.DEBUG)
        logger.addHandler(handler)
    try:
        yield path
    finally:
        for logger, level in saved:
            logger.removeHandler(handler)
            logger.setLevel(level)
        handler.close()


def is_backward(request: ChatRequest) -> bool:
    return "critic" in request.system_text


def run_short_fit(server: SimServer, key: str, tmp_path: Path, **options: Any) -> FitResult:
    engine = LiteLLMEngine(
        "openai/sim-model",
        api_base=server.base_url,
        api_key=key,
        cache=tmp_path / "cache",
        timeout=2.0,
        backoff_s=0.01,
        max_retries=2,
    )
    prompt = tg.Variable("Answer briefly.", role_description="system prompt", requires_grad=True)
    model = tg.BlackboxLLM(engine, system_prompt=prompt)
    judge = tg.TextLoss("Evaluate the answer.", engine=engine)

    async def loss_fn(question: str) -> tg.Variable:
        x = tg.Variable(question, role_description="question", requires_grad=False)
        return await judge.aforward(await model.aforward(x))

    async def score_fn(question: str) -> float:
        x = tg.Variable(question, role_description="question", requires_grad=False)
        return 1.0 if str(await model.aforward(x)) else 0.0

    questions = [f"Question SAMPLE-{i}: how many legs do {i} spiders have?" for i in range(4)]
    return fit(
        [prompt],
        loss_fn,
        score_fn,
        questions,
        questions[:2],
        engine=engine,
        steps=2,
        batch_size=2,
        run_dir=tmp_path / "run",
        progress=False,
        **options,
    )


def leaked(root: Path, secret: str) -> list[str]:
    needles = [secret.encode(), secret[-16:].encode()]
    return [
        str(p.relative_to(root))
        for p in every_file(root)
        if any(n in p.read_bytes() for n in needles)
    ]


def test_planted_key_is_never_written(
    sim: MakeSim,
    tmp_path: Path,
    debug_log: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", PLANTED)
    echoing = lambda r: is_backward(r) and "SAMPLE-1" in r.last_user_text  # noqa: E731
    server = sim(
        FaultPlan(script=["http_500", None, "http_429", "drop"], retry_after=0.01),
        status=401,
        when=echoing,
        body="Incorrect API key provided: {auth}",
    )
    result = run_short_fit(server, PLANTED, tmp_path, feedback="critic")
    out, err = capfd.readouterr()
    assert len(result.history) == 2
    assert any("some backward calls failed" in r.reason for r in result.history)
    assert any("[redacted]" in r.reason for r in result.history)
    assert server.stats().status_counts.get(401, 0) >= 1
    assert server.stats().faults
    assert (tmp_path / "run" / "checkpoint.json").is_file()
    assert (tmp_path / "run" / "report.md").is_file()
    assert len(ResponseCache(tmp_path / "cache")) > 0
    assert debug_log.stat().st_size > 0 and "LiteLLM" in debug_log.read_text("utf-8")
    assert leaked(tmp_path, PLANTED) == []
    assert PLANTED not in out + err
    assert PLANTED[-16:] not in out + err


def test_plain_key_given_only_as_argument_is_never_written(
    sim: MakeSim, tmp_path: Path, debug_log: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    echoing = lambda r: is_backward(r) and "SAMPLE-1" in r.last_user_text  # noqa: E731
    server = sim(status=401, when=echoing, body="Incorrect API key provided: {auth}")
    result = run_short_fit(server, PLAIN_KEY, tmp_path, feedback="critic")
    out, err = capfd.readouterr()
    assert any("some backward calls failed" in r.reason for r in result.history)
    assert leaked(tmp_path, PLAIN_KEY) == []
    assert PLAIN_KEY not in out + err


def test_cache_and_run_folders_are_private(sim: MakeSim, tmp_path: Path) -> None:
    server = sim()
    run_short_fit(server, "sim-key", tmp_path)
    assert mode(tmp_path / "cache") == 0o700
    assert mode(tmp_path / "run") == 0o700
    assert mode(tmp_path / "run" / "checkpoint.json") == 0o600


def test_default_cache_folder_is_private(isolated_home: Path) -> None:
    cache = ResponseCache()
    cache.set("k", "answer")
    cache.close()
    assert cache.directory.is_relative_to(isolated_home)
    assert mode(cache.directory) == 0o700


class Planted:
    """Unpickling this creates ``marker``: proof that a load executed code."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, tuple[str, str]]:
        return (open, (str(self.marker), "w"))


def checkpoint_payload(marker: Path) -> dict[str, Any]:
    return {
        "format": 1,
        "fingerprint": {"__reduce__": ["os.system", [f"touch {marker}"]]},
        "values": [{"py/object": "os.system", "py/reduce": [f"touch {marker}"]}],
        "next_step": 0,
    }


def test_loading_a_json_checkpoint_executes_nothing(tmp_path: Path) -> None:
    marker = tmp_path / "executed"
    run = tmp_path / "run"
    run.mkdir()
    (run / "checkpoint.json").write_text(json.dumps(checkpoint_payload(marker)), "utf-8")
    data = load_checkpoint(run)
    assert data is not None
    assert data["fingerprint"] == {"__reduce__": ["os.system", [f"touch {marker}"]]}
    assert not marker.exists()


def test_fit_refuses_a_foreign_checkpoint_and_executes_nothing(
    sim: MakeSim, tmp_path: Path
) -> None:
    marker = tmp_path / "executed"
    run = tmp_path / "run"
    run.mkdir()
    (run / "checkpoint.json").write_text(json.dumps(checkpoint_payload(marker)), "utf-8")
    with pytest.raises(UserError, match="different run"):
        run_short_fit(sim(), "sim-key", tmp_path)
    assert not marker.exists()


@pytest.mark.parametrize("name", ["checkpoint.pkl", "checkpoint.pickle", "state.pt"])
def test_pickle_next_to_the_checkpoint_is_ignored(sim: MakeSim, tmp_path: Path, name: str) -> None:
    marker = tmp_path / "executed"
    run = tmp_path / "run"
    run.mkdir()
    (run / name).write_bytes(pickle.dumps(Planted(marker)))
    assert load_checkpoint(run) is None
    result = run_short_fit(sim(), "sim-key", tmp_path)
    assert len(result.history) == 2
    assert not marker.exists()


@pytest.mark.parametrize(
    "content",
    [b"\x80\x04\x95pickled", b"[" * 100_000, b"not json", b"[1, 2]", b'{"format": 99}'],
)
def test_a_checkpoint_that_is_not_ours_is_a_user_error(tmp_path: Path, content: bytes) -> None:
    (tmp_path / "checkpoint.json").write_bytes(content)
    with pytest.raises(UserError):
        load_checkpoint(tmp_path)


def test_pickled_checkpoint_under_the_json_name_executes_nothing(tmp_path: Path) -> None:
    marker = tmp_path / "executed"
    (tmp_path / "checkpoint.json").write_bytes(pickle.dumps(Planted(marker)))
    with pytest.raises(UserError):
        load_checkpoint(tmp_path)
    assert not marker.exists()


def test_a_pickle_planted_in_the_cache_is_never_loaded(tmp_path: Path) -> None:
    marker = tmp_path / "executed"
    folder = tmp_path / "cache"
    key = cache_key("openai/m", [{"role": "user", "content": "hi"}], {})
    planted = diskcache.Cache(str(folder))
    planted.set(key, Planted(marker))
    planted.set(Planted(marker), "answer")
    planted.close()
    assert not marker.exists()
    cache = ResponseCache(folder)
    assert cache.get(key) is None
    assert len(cache) == 2
    cache.set(key, "fresh answer")
    assert cache.get(key) == "fresh answer"
    cache.clear()
    cache.close()
    assert not marker.exists()
