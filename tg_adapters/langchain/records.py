"""The kinds of run the callback handler records (the records are the core's run tree)."""

from __future__ import annotations

from typing import Literal

from tg_core.program.run_tree import RecordedRun, RunRecord

__all__ = ["RecordedRun", "RunKind", "RunRecord"]

RunKind = Literal["chain", "prompt", "chat_model", "llm", "tool", "retriever"]
"""What LangChain reports a run as (a prompt run arrives as a chain with ``run_type="prompt"``)."""
