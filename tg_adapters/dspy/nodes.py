"""Graph nodes for recorded DSPy calls: pass-through edges and the text of a conversation."""

from __future__ import annotations

import json
from typing import Any

from tg_core.autograd.function import conversation_text
from tg_core.graph import BackwardContext
from tg_core.variable import Variable


def pass_through(result: Variable, inputs: list[Variable]) -> None:
    """Give ``result`` a backward function that hands its feedback to ``inputs`` unchanged.

    Used where DSPy transforms text without a model (parsing a completion into fields,
    building an input from earlier outputs, a tool call): the feedback on the result is
    feedback on what it was made from. When ``result`` is itself the objective, each input
    becomes an objective of its own.

    Example:
        >>> a = Variable("raw", role_description="completion")
        >>> b = Variable("x", role_description="field", predecessors=[a])
        >>> pass_through(b, [a])
        >>> b.grad_fn is not None
        True
    """

    async def grad_fn(ctx: BackwardContext) -> None:
        if ctx.is_objective:
            for v in inputs:
                ctx.mark_objective(v)
            return
        for v in inputs:
            if not v.requires_grad:
                continue
            for g in ctx.gradients:
                v.add_gradient(g, result.gradients_context.get(g))

    result.set_grad_fn(grad_fn)


def as_text(value: Any) -> str:
    """A field value as the text DSPy would show (strings as they are, the rest as JSON).

    Example:
        >>> as_text("five"), as_text(["a", "b"]), as_text(None)
        ('five', '["a", "b"]', '')
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float, bool)):
        return str(value)
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        value = dump()
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return str(value)


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
