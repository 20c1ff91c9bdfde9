"""Shared fixtures: an isolated tg_core home per test, clean engine defaults, the data folder."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """Every test gets its own cache/run folder and no process-wide backward engine."""
    import tg_core.engine.registry as registry

    home = tmp_path_factory.mktemp("tg_home")
    monkeypatch.setenv("TG_CORE_HOME", str(home))
    monkeypatch.delenv("TG_CORE_CACHE_DIR", raising=False)
    registry._PROCESS_BACKWARD = None
    yield home
    registry._PROCESS_BACKWARD = None


def shared_data_dir() -> Path | None:
    """The benchmark data folder (``../shared/data`` beside the checkout), if present."""
    candidates = [os.environ.get("TG_SHARED_DATA"), REPO.parent / "shared" / "data"]
    for c in candidates:
        if c and (Path(c) / "bbh" / "object_counting.json").is_file():
            return Path(c)
    return None


@pytest.fixture
def data_dir() -> Path:
    """Path of the shared benchmark data; skips where it is not present."""
    found = shared_data_dir()
    if found is None:
        pytest.skip("benchmark data folder ../shared/data not present")
    return found
