"""The text of a recorded DSPy conversation, and of its field values."""

from __future__ import annotations

from typing import Any

from tg_core.extend import conversation_text
from tg_core.program.protocol import value_text as as_text

__all__ = ["as_text", "render_conversation"]


def _content(message: dict[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for part in content:
            if isinstance(part, dict) and part.get("type") == "text":
                parts.append(str(part.get("text", "")))
            else:
                parts.append("[image]" if isinstance(part, dict) else str(part))
        return "\n".join(parts)
    return "" if content is None else str(content)


def render_conversation(messages: list[dict[str, Any]], completion: str) -> str:
    """A predictor call written out for the critic: system message, the turns, the completion.

    Example:
        >>> msgs = [{"role": "system", "content": "Count."}, {"role": "user", "content": "3 a"}]
        >>> "<SYSTEM_PROMPT>\\nCount." in render_conversation(msgs, "3")
        True
    """
    system = None
    turns = list(messages)
    if turns and turns[0].get("role") == "system":
        system = _content(turns.pop(0))
    if len(turns) == 1:
        user = _content(turns[0])
    else:
        user = "\n\n".join(f"[{m.get('role', 'user')}]\n{_content(m)}" for m in turns)
    return conversation_text(system, user, completion)
