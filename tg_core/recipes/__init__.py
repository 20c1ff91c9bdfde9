"""Ready-made optimizations built on the core: a system prompt on a question-answer task."""

from .system_prompt import (
    QATask,
    SystemPromptProgram,
    aoptimize_system_prompt,
    direct_instruction,
    verdict_loss,
)

__all__ = [
    "QATask",
    "SystemPromptProgram",
    "aoptimize_system_prompt",
    "direct_instruction",
    "verdict_loss",
]
