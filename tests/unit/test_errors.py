"""Every error tg_core and its adapters define is a TgCoreError, so one ``except`` catches all."""

from __future__ import annotations

import asyncio
import importlib
import inspect
import pkgutil
from types import ModuleType

import pytest

import tg_adapters
import tg_core
from tg_core import cli
from tg_core.engine.base import agenerate_with
from tg_core.local import errors as local_errors
from tg_core.local.errors import LocalServerError


def every_module(package: ModuleType) -> list[ModuleType]:
    names = [m.name for m in pkgutil.walk_packages(package.__path__, package.__name__ + ".")]
    return [importlib.import_module(n) for n in names if n != "tg_core.__main__"]


def test_every_exception_class_is_a_tg_core_error() -> None:
    defined: list[type[BaseException]] = []
    for module in every_module(tg_core) + every_module(tg_adapters):
        for _name, value in inspect.getmembers(module, inspect.isclass):
            if value.__module__ != module.__name__ or not issubclass(value, BaseException):
                continue
            if issubclass(value, Warning):
                continue
            if module.__name__.startswith("tg_core.testing.") and value.__name__.startswith("_"):
                continue  # the simulated server's own control flow; it never leaves the server
            defined.append(value)
    assert len(defined) >= 20
    assert [c.__qualname__ for c in defined if not issubclass(c, tg_core.TgCoreError)] == []


def test_a_local_model_error_is_also_still_a_runtime_error() -> None:
    assert issubclass(local_errors.LocalModelError, tg_core.TgCoreError)
    assert issubclass(local_errors.LocalModelError, RuntimeError)


def test_the_cli_reports_a_local_model_error_as_an_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(args: object) -> int:
        raise LocalServerError("server exited with code 1")

    monkeypatch.setattr(cli, "_cmd_report", broken)
    assert cli.main(["report", "somewhere"]) == 2
    assert "error: server exited with code 1" in capsys.readouterr().err


def test_calling_something_that_is_not_an_engine_is_a_user_error() -> None:
    with pytest.raises(tg_core.UserError, match="not an engine"):
        asyncio.run(agenerate_with(object(), "hi"))
