"""Graph nodes for a framework's recorded calls: pass-through steps and model calls."""

from __future__ import annotations

from collections.abc import Sequence

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
