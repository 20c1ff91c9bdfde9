"""Runs one driver script in a fresh process and returns its JSON result and wall time."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

DRIVERS = Path(__file__).resolve().parent / "drivers"
RESULT_MARK = "BENCH_RESULT "


class DriverError(RuntimeError):
    """A driver exited with an error or printed no result."""


def driver_env(work: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """A clean environment: no PYTHONPATH, caches and logs inside ``work``.

    ``LITELLM_LOCAL_MODEL_COST_MAP`` is set for both libraries (tg_core sets it itself; for
    TextGrad it avoids seconds of network retries on import). ``XDG_CACHE_HOME`` (where
    TextGrad's engines keep their disk caches) is a new empty folder unless ``extra`` names one.
    An empty value in ``extra`` removes that variable.
    """
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(
        LITELLM_LOCAL_MODEL_COST_MAP="True",
        TEXTGRAD_LOG_DIR=str(work / "textgrad-logs"),
        TG_CORE_HOME=str(work / "tg_core-home"),
        XDG_CACHE_HOME=tempfile.mkdtemp(prefix="xdg-", dir=work),
        PYTHONUNBUFFERED="1",
    )
    env.update(extra or {})
    return {k: v for k, v in env.items() if v != ""}


def run_driver(
    python: Path | str,
    script: str,
    args: dict[str, Any],
    work: Path,
    *,
    env: dict[str, str] | None = None,
    argv_extra: tuple[str, ...] = (),
    timeout: float = 1800.0,
) -> tuple[dict[str, Any], float]:
    """Run ``drivers/<script>`` with ``python``; (its result, process wall seconds)."""
    command = [str(python), str(DRIVERS / script), json.dumps(args), *argv_extra]
    started = time.perf_counter()
    done = subprocess.run(
        command,
        cwd=work,
        env=env if env is not None else driver_env(work),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    wall = time.perf_counter() - started
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith(RESULT_MARK)]
    if done.returncode != 0 or not lines:
        tail = (done.stderr or done.stdout)[-4000:]
        raise DriverError(f"{script} failed (exit {done.returncode}):\n{tail}")
    result: dict[str, Any] = json.loads(lines[-1][len(RESULT_MARK) :])
    return result, wall
