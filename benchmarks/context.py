"""What every figure needs: mode, paths, interpreters, and how to run a driver of each library."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .procs import driver_env, run_driver

LIBRARIES = ("tg_core", "textgrad")


@dataclass
class Context:
    """One benchmark invocation.

    Attributes:
        quick: the CI smoke mode (fewer sizes and repetitions).
        data_dir: the folder holding ``bbh/object_counting.json``.
        work: scratch folder for caches, logs and driver working directories.
        out: where results JSON, figures and the Markdown report go.
        textgrad_python: the interpreter of the TextGrad 0.1.8 venv.
        tg_core_python: the interpreter with tg_core installed (this one).
    """

    quick: bool
    data_dir: Path
    work: Path
    out: Path
    textgrad_python: Path
    tg_core_python: Path = field(default_factory=lambda: Path(sys.executable))

    def python(self, library: str) -> Path:
        """The interpreter that runs ``library``'s drivers."""
        return self.textgrad_python if library == "textgrad" else self.tg_core_python

    def run(
        self,
        library: str,
        args: dict[str, Any],
        *,
        script: str = "",
        kind: str = "",
        env: dict[str, str] | None = None,
        argv_extra: tuple[str, ...] = (),
        timeout: float = 1800.0,
    ) -> tuple[dict[str, Any], float]:
        """Run ``drivers/<library>_<kind>.py`` (or ``script``) with ``args`` and the data folder."""
        name = script or f"{library}_{kind}.py"
        full = {"data_dir": str(self.data_dir), **args}
        return run_driver(
            self.python(library),
            name,
            full,
            self.work,
            env=driver_env(self.work, env),
            argv_extra=argv_extra,
            timeout=timeout,
        )
