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


@pytest.fixture(scope="session", autouse=True)
def local_server() -> object:
    """Start (or find) the machine's local server once, owned by this test session if started here.

    A server found running belongs to whoever started it; one started here lives until the
    session ends, so no test loses its server when another process exits.
    """
    from tg_core.local import ensure_server

    saved = os.environ.pop("TG_CORE_HOME", None)
    try:
        if SESSION_HOME:
            os.environ["TG_CORE_HOME"] = SESSION_HOME
        return ensure_server(timeout=600)
    finally:
        os.environ.pop("TG_CORE_HOME", None)
        if saved is not None:
            os.environ["TG_CORE_HOME"] = saved
