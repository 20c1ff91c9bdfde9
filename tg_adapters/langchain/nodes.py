"""Graph nodes for recorded steps: pass-through functions and model calls."""

from __future__ import annotations

from collections.abc import Sequence

from tg_core.extend import Variable, conversation_text, is_grad_enabled, llm_backward
from tg_core.extend import pass_through as core_pass_through


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


def _node(value: str, inputs: Sequence[Variable], role: str, target: bool = False) -> Variable:
    if not is_grad_enabled():
        return Variable(value, requires_grad=False, role_description=role)
    preds = unique(inputs)
    needs_grad = target or any(p.requires_grad for p in preds)
    return Variable(value, predecessors=preds, requires_grad=needs_grad, role_description=role)


def constant(value: str, role: str) -> Variable:
    """A value that depends on nothing optimizable (a user input).

    Example:
        >>> constant("2+2?", "input").requires_grad
        False
    """
    return Variable(value, requires_grad=False, role_description=role)


def pass_through(
    value: str, inputs: Sequence[Variable], role: str, *, target: bool = False
) -> Variable:
    """A step whose feedback is handed unchanged to every input (parsers, lambdas, formatting).

    ``target=True`` makes the node collect feedback even when no input is optimizable (a
    system message whose template is not bound to a parameter).

    Example:
        >>> template = Variable("Be {style}.", role_description="system template")
        >>> message = pass_through("Be brief.", [template], "system message")
        >>> message.predecessors == [template], message.requires_grad
        (True, True)
    """
    result = _node(value, inputs, role, target)
    preds = [p for p in result.predecessors if p.requires_grad]
    if preds:
        core_pass_through(result, preds)
    return result


def model_call(
    response: str,
    inputs: Sequence[Variable | None],
    *,
    system: str | None,
    user: str,
    role: str,
) -> Variable:
    """A model call: the critic explains how each input should change to improve the response.

    Args:
        response: the model's answer.
        inputs: the graph nodes of the messages it was given (None for unknown ones).
        system: the system messages' text, if any.
        user: the other messages as text.
        role: what the response is, in words.

    Example:
        >>> sys = Variable("Be brief.", role_description="system message")
        >>> out = model_call("4", [sys], system="Be brief.", user="2+2?", role="answer")
        >>> out.predecessors == [sys]
        True
    """
    result = _node(response, [v for v in inputs if v is not None], role)
    if result.predecessors and result.requires_grad:
        conversation = conversation_text(system, user, response)
        result.set_grad_fn(llm_backward(result, list(result.predecessors), conversation))
    return result
