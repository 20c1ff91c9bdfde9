"""The quality runs: which driver optimizes with which library, and whether it can run here."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass


@dataclass(frozen=True)
class QualityRun:
    """One way to optimize the prompt.

    Attributes:
        label: the row's name in the report.
        library: whose interpreter runs the driver (``tg_core`` or ``textgrad``).
        script: the driver in ``benchmarks/drivers``.
        needs: a module that must be importable, or "".
    """

    label: str
    library: str
    script: str
    needs: str = ""

    def missing(self) -> str:
        """Why this run cannot run here, or "" when it can."""
        if not self.needs:
            return ""
        try:
            found = importlib.util.find_spec(self.needs) is not None
        except ModuleNotFoundError:
            found = False
        return "" if found else f"{self.needs} is not installed"


QUALITY_RUNS = {
    "tg_core": QualityRun("tg_core", "tg_core", "tg_core_quality.py"),
    "textgrad": QualityRun("TextGrad 0.1.8", "textgrad", "textgrad_quality.py"),
    "dspy": QualityRun("DSPy + tg_adapters.dspy", "tg_core", "dspy_quality.py", "tg_adapters.dspy"),
    "langchain": QualityRun(
        "LangChain + tg_adapters.langchain",
        "tg_core",
        "langchain_quality.py",
        "tg_adapters.langchain",
    ),
}
DEFAULT_RUNS = tuple(QUALITY_RUNS)
