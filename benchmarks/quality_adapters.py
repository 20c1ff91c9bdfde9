"""The quality run through the DSPy and LangChain adapters, when those adapters are installed."""

from __future__ import annotations

import importlib.util
from typing import Any

from .context import Context
from .procs import DRIVERS

# label -> (adapter module, driver script)
ADAPTERS: dict[str, tuple[str, str]] = {
    "DSPy + tg_adapters.dspy": ("tg_adapters.dspy", "dspy_quality.py"),
    "LangChain + tg_adapters.langchain": ("tg_adapters.langchain", "langchain_quality.py"),
}


def available(module: str) -> bool:
    """Whether ``module`` can be imported here."""
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


def run_adapter(
    ctx: Context, label: str, common: dict[str, Any]
) -> tuple[dict[str, Any], float] | None:
    """Run the adapter's driver, or None when the adapter or its driver is missing."""
    module, script = ADAPTERS[label]
    if not available(module) or not (DRIVERS / script).exists():
        return None
    args = {**common, "cache_dir": str(ctx.work / f"quality-{script}")}
    return ctx.run("tg_core", args, script=script, timeout=4 * 3600)
