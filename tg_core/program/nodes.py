"""Graph nodes for a framework's recorded calls: pass-through steps and model calls, and the
text a recorded chat conversation is shown to the critic as."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..autograd.function import conversation_text
from ..autograd.llm_call import llm_backward
from ..autograd.reduce_ops import pass_through as hand_on
from ..graph import is_grad_enabled
from ..variable import Variable


def unique(variables: Sequence[Variable | None]) -> list[Variable]:
    """The Variables of ``variables``, each once, in order, without Nones.

    Example:
        >>> a = Variable("a", role_description="a")
        >>> unique([a, None, a]) == [a]
        True
    """
    seen: list[Variable] = []
    for v in variables:
        if v is not None and all(v is not s for s in seen):
            seen.append(v)
    return seen


def _node(value: str, inputs: Sequence[Variable | None], role: str, target: bool) -> Variable:
    if not is_grad_enabled():
        return Variable(value, requires_grad=False, role_description=role)
    preds = unique(inputs)
    needs_grad = target or any(p.requires_grad for p in preds)
    return Variable(value, predecessors=preds, requires_grad=needs_grad, role_description=role)


def pass_through(
    value: str, inputs: Sequence[Variable | None], role: str, *, target: bool = False
) -> Variable:
    """A recorded step whose feedback goes unchanged to every input (a parser, a lambda, a
    field read from a completion, a value built from earlier outputs).

    ``target=True`` makes the node collect feedback even when no input is optimizable.
    Inside ``no_grad`` it is a constant.

    Example:
        >>> template = Variable("Be {style}.", role_description="system template")
        >>> message = pass_through("Be brief.", [template], "system message")
        >>> message.predecessors == [template], message.requires_grad
        (True, True)
    """
    result = _node(value, inputs, role, target)
    preds = [p for p in result.predecessors if p.requires_grad]
    if preds:
        hand_on(result, preds)
    return result


def model_call(
    response: str, inputs: Sequence[Variable | None], *, conversation: str, role: str
) -> Variable:
    """A recorded model call: the critic explains how each input should change to improve
    ``response``, shown the call as ``conversation``.

    Example:
        >>> sys = Variable("Be brief.", role_description="system message")
        >>> out = model_call("4", [sys, None], conversation="2+2? -> 4", role="answer")
        >>> out.predecessors == [sys], out.grad_fn is not None
        (True, True)
    """
    result = _node(response, inputs, role, False)
    if result.predecessors and result.requires_grad:
        result.set_grad_fn(llm_backward(result, list(result.predecessors), conversation))
    return result


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


def chat_conversation(messages: list[dict[str, Any]], completion: str) -> str:
    """A recorded chat call written out for the critic: system message, the turns, the
    completion (``messages`` as OpenAI-style dicts).

    Example:
        >>> msgs = [{"role": "system", "content": "Count."}, {"role": "user", "content": "3 a"}]
        >>> "<SYSTEM_PROMPT>\\nCount." in chat_conversation(msgs, "3")
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


def role_conversation(turns: Sequence[tuple[str, str]], completion: str) -> str:
    """A recorded chat call, given as ``(role, text)`` turns, written out for the critic.

    Every ``system`` turn joins the system prompt; a single other turn is the user prompt as
    it is, several are written ``role: text``.

    Example:
        >>> turns = [("system", "Count."), ("human", "3 a"), ("ai", "3"), ("human", "4 b")]
        >>> "human: 3 a\\n\\nai: 3" in role_conversation(turns, "4")
        True
    """
    system = "\n\n".join(text for role, text in turns if role == "system")
    others = [(role, text) for role, text in turns if role != "system"]
    if len(others) == 1:
        user = others[0][1]
    else:
        user = "\n\n".join(f"{role}: {text}" for role, text in others)
    return conversation_text(system or None, user, completion)
