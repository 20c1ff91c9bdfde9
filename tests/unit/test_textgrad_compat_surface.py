"""Every public name of TextGrad 0.1.8, read from the real package, is importable from tg_core."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import textgrad_surface


@pytest.fixture(scope="session")
def surface() -> list[tuple[str, str]]:
    try:
        package = textgrad_surface.textgrad_package()
    except textgrad_surface.SurfaceUnavailable as exc:
        pytest.skip(f"TextGrad 0.1.8's source is needed and {exc}")
    return textgrad_surface.public_surface(package)


def test_the_surface_is_read_from_the_real_package(surface: list[tuple[str, str]]) -> None:
    names = {f"{m}.{n}" for m, n in surface}
    # A few names every TextGrad user touches, and names a module only imports are left out.
    assert {"textgrad.Variable", "textgrad.TGD", "textgrad.autograd.FormattedLLMCall"} <= names
    assert "textgrad.tasks.Variable" not in names and "textgrad.engine.LiteLLMEngine" not in names
    assert len(surface) > 100


def test_tg_core_has_every_textgrad_name_at_its_path(surface: list[tuple[str, str]]) -> None:
    missing = textgrad_surface.missing(surface)
    assert missing == [], f"{len(missing)} of {len(surface)} TextGrad names missing: {missing}"


def test_the_checker_reports_what_is_absent() -> None:
    absent = textgrad_surface.missing(
        [("textgrad.loss", "NoSuchLoss"), ("textgrad.no_such_module", "X"), ("textgrad", "TGD")]
    )
    assert absent == ["tg_core.loss.NoSuchLoss", "tg_core.no_such_module.X"]
