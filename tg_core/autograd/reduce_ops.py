"""``sum``, ``aggregate`` and concatenation: combine variables; feedback reaches every input."""

from __future__ import annotations

import builtins
from collections.abc import Iterable

from ..errors import UserError
from ..graph import BackwardContext
from ..variable import OPERATIONS, Variable
from .function import new_result


def pass_through(result: Variable, inputs: list[Variable]) -> None:
    """Give ``result`` a backward function that hands its feedback to ``inputs`` unchanged.

    For steps that transform text without a model (parsers, formatting, joining). When
    ``result`` is itself the objective, each input becomes an objective of its own.

    Example:
        >>> a = Variable("raw", role_description="completion")
        >>> b = Variable("x", role_description="field", predecessors=[a])
        >>> pass_through(b, [a]); b.grad_fn is not None
        True
    """

    async def grad_fn(ctx: BackwardContext) -> None:
        if ctx.is_objective:
            # The combination is itself the objective: each input keeps its own meaning.
            for v in inputs:
                ctx.mark_objective(v)
            return
        for v in inputs:
            if not v.requires_grad:
                continue
            for g in ctx.gradients:
                v.add_gradient(g, result.gradients_context.get(g))

    result.set_grad_fn(grad_fn)


def _combine(variables: Iterable[Variable], value: str, role: str) -> Variable:
    inputs = list(variables)
    result = new_result(value, inputs, role)
    if result.predecessors:
        pass_through(result, inputs)
    return result


def _checked(variables: Iterable[Variable], what: str) -> list[Variable]:
    items = list(variables)
    if not items or not all(isinstance(v, Variable) for v in items):
        raise UserError(f"{what} takes a non-empty list of Variables")
    return items


def sum(variables: Iterable[Variable]) -> Variable:
    """Combine losses (or any variables) into one; backward reaches each, once.

    Summing a batch of losses keeps each loss its own objective.

    Example:
        >>> a = Variable("loss A", role_description="evaluation A")
        >>> b = Variable("loss B", role_description="evaluation B")
        >>> sum([a, b]).value
        'loss A\\nloss B'
    """
    items = _checked(variables, "sum")
    roles = ", ".join(dict.fromkeys(v.get_role_description() for v in items))
    return _combine(items, "\n".join(str(v) for v in items), f"a combination of: {roles}")


def aggregate(variables: Iterable[Variable]) -> Variable:
    """Join variables into one labelled text; feedback on it reaches every input.

    Example:
        >>> a = Variable("x", role_description="first")
        >>> "<first>" in aggregate([a]).value
        True
    """
    items = _checked(variables, "aggregate")
    value = "\n".join(
        f"<{v.get_role_description()}>\n{v}\n</{v.get_role_description()}>" for v in items
    )
    roles = ", ".join(dict.fromkeys(v.get_role_description() for v in items))
    return _combine(items, value, f"aggregate of: {roles}")


def concatenate(variables: Iterable[Variable]) -> Variable:
    """Concatenate values (``a + b``); feedback on the result reaches every input.

    Example:
        >>> (Variable("a", role_description="x") + Variable("b", role_description="y")).value
        'ab'
    """
    items = _checked(variables, "concatenate")
    role = " and ".join(v.get_role_description() for v in items)
    return _combine(items, "".join(str(v) for v in items), role)


_ = builtins  # the module shadows builtins.sum on purpose
OPERATIONS.concatenate = concatenate
