"""A description of the machine and software a run used, for the report header."""

from __future__ import annotations

import datetime
import os
import platform
import subprocess
from pathlib import Path
from typing import Any


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _version(python: Path, package: str) -> str:
    code = f"import importlib.metadata as m; print(m.version({package!r}))"
    done = subprocess.run([str(python), "-c", code], capture_output=True, text=True)
    return done.stdout.strip() or "not installed"


def describe(tg_core_python: Path, textgrad_python: Path) -> dict[str, Any]:
    """Cores, CPU, memory, load, Python and the library versions on each side."""
    try:
        mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    except (OSError, ValueError, IndexError):
        mem_kb = 0
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cores": os.cpu_count(),
        "cpu": _cpu_model(),
        "memory_gb": round(mem_kb / 2**20, 1),
        "load_at_start": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "tg_core_litellm": _version(tg_core_python, "litellm"),
        "textgrad": _version(textgrad_python, "textgrad"),
        "textgrad_litellm": _version(textgrad_python, "litellm"),
        "textgrad_openai": _version(textgrad_python, "openai"),
    }
