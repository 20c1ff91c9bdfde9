"""Integration tests share the machine's local model and server, not a per-test home."""

from __future__ import annotations

import os

import pytest

SESSION_HOME = os.environ.get("TG_CORE_HOME")  # read at import, before per-test homes apply


@pytest.fixture(autouse=True)
def machine_home(monkeypatch: pytest.MonkeyPatch) -> None:
    """Undo the unit tests' private TG_CORE_HOME so the assembled model and server are reused."""
    if SESSION_HOME:
        monkeypatch.setenv("TG_CORE_HOME", SESSION_HOME)
    else:
        monkeypatch.delenv("TG_CORE_HOME", raising=False)
