"""tg_core's files: one home folder (``~`` expanded), private folders, atomic JSON and text."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

import tg_core.engine.cache as cache
import tg_core.local.paths as local_paths
from tg_core import fs
from tg_core.train import checkpoint


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_home_expands_the_user_folder_for_every_user(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TG_CORE_HOME", "~/somewhere/tg")
    expected = Path.home() / "somewhere" / "tg"
    assert fs.tg_core_home() == expected
    assert cache.default_cache_dir() == expected / "llm_cache"
    assert local_paths.models_dir() == expected / "models"
    monkeypatch.setenv("TG_CORE_HOME", "  ")
    assert fs.tg_core_home() == (Path.home() / ".cache" / "tg_core").absolute()


def test_the_helpers_are_the_same_functions_everywhere() -> None:
    assert cache.tg_core_home is local_paths.tg_core_home is fs.tg_core_home
    assert cache.make_private_dir is local_paths.ensure_private_dir is fs.ensure_private_dir
    assert local_paths.atomic_write_text is fs.atomic_write_text
    assert checkpoint.write_json_atomic is fs.write_json_atomic


def test_private_dir_makes_every_missing_parent_private(tmp_path: Path) -> None:
    os.chmod(tmp_path, 0o755)
    leaf = fs.ensure_private_dir(tmp_path / "a" / "b" / "c")
    assert [mode(p) for p in (tmp_path, tmp_path / "a", tmp_path / "a" / "b", leaf)] == [
        0o755,
        0o700,
        0o700,
        0o700,
    ]


def test_atomic_json_replaces_the_file_whole_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "run" / "state.json"
    fs.write_json_atomic(target, {"step": 1, "text": "é"})
    fs.write_json_atomic(target, {"step": 2, "text": "é"})
    assert json.loads(target.read_text("utf-8")) == {"step": 2, "text": "é"}
    assert "é" in target.read_text("utf-8")  # not escaped
    assert sorted(p.name for p in target.parent.iterdir()) == ["state.json"]
    assert (mode(target.parent), mode(target)) == (0o700, 0o600)


def test_a_failed_write_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "state.json"
    fs.atomic_write_text(target, "old")
    with pytest.raises(TypeError):
        fs.write_json_atomic(target, {"not json": object()})
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.json"]
