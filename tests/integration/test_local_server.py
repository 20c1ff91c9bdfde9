"""The embedded model for real: assemble the GGUF, start the server, chat, reuse, stop."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tg_core.local import (
    LOCAL_MODEL_ALIAS,
    LocalServer,
    ensure_server,
    model_path,
    server_status,
    stop_server,
)
from tg_core.local.weights import MODEL_SHA256, MODEL_SIZE, marker_matches, sha256_file

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A private TG_CORE_HOME, so this module assembles and starts its own copy."""
    root = tmp_path_factory.mktemp("tg_core_home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TG_CORE_HOME", str(root))
        try:
            yield root
        finally:
            stop_server()
    shutil.rmtree(root / "models", ignore_errors=True)


@pytest.fixture(autouse=True)
def same_home_in_every_test(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Undo any per-test TG_CORE_HOME: these tests share one model copy and one server."""
    monkeypatch.setenv("TG_CORE_HOME", str(home))


@pytest.fixture(scope="module")
def server(home: Path) -> LocalServer:
    return ensure_server(n_ctx=4096, timeout=300)


def test_model_is_assembled_and_verified(home: Path) -> None:
    started = time.perf_counter()
    path = model_path()
    elapsed = time.perf_counter() - started
    assert path.parent == home / "models"
    assert path.stat().st_size == MODEL_SIZE
    assert sha256_file(path) == MODEL_SHA256
    assert marker_matches(path, MODEL_SHA256, expected_size=MODEL_SIZE)
    print(f"assembled {path.name} in {elapsed:.1f}s")


def test_server_answers_a_chat_completion(server: LocalServer) -> None:
    assert server.base_url == f"http://127.0.0.1:{server.port}/v1"
    assert server.model_alias == LOCAL_MODEL_ALIAS
    response = httpx.post(
        f"{server.base_url}/chat/completions",
        json={
            "model": server.model_alias,
            "messages": [{"role": "user", "content": "Name one primary colour."}],
            "max_tokens": 16,
            "temperature": 0,
        },
        timeout=120,
        trust_env=False,
    )
    response.raise_for_status()
    body = response.json()
    answer = body["choices"][0]["message"]["content"]
    assert isinstance(answer, str)
    assert answer.strip()
    assert 0 < body["usage"]["completion_tokens"] <= 16


def test_second_ensure_server_reuses_the_running_one(server: LocalServer) -> None:
    again = ensure_server()
    assert (again.port, again.pid) == (server.port, server.pid)


def test_status_reports_the_running_server(server: LocalServer) -> None:
    status = server_status()
    assert status["running"] is True
    assert status["state"] == "ready"
    assert (status["pid"], status["port"]) == (server.pid, server.port)
    assert status["owned_by_this_process"] is True
    assert Path(status["log_path"]).is_file()


def test_stop_ends_the_server(server: LocalServer) -> None:
    assert stop_server() is True
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(server.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        pytest.fail(f"server pid {server.pid} still alive after stop")
    assert server_status()["running"] is False
    assert stop_server() is False
