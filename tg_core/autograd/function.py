"""Base class of differentiable operations, and helpers their backward passes share."""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from typing import Any

from .._async import run_sync
from ..engine.base import agenerate_with
from ..graph import BackwardContext, is_grad_enabled
from ..prompts import load_prompt, render
from ..tags import strip_echoed_tags
from ..variable import Variable
from .module import Module as Module  # TextGrad's path for the Module base class
from .relay import is_relaying


class Function(ABC):
    """A differentiable operation: ``aforward`` computes, the result's grad_fn sends feedback.

    Subclasses implement ``aforward``; ``forward`` and calling the object are sync wrappers.
    """

    @abstractmethod
    async def aforward(self, *args: Any, **kwargs: Any) -> Variable:
        """Compute the result and attach its backward function."""

    def forward(self, *args: Any, **kwargs: Any) -> Variable:
        """Sync :meth:`aforward`."""
        return run_sync(self.aforward(*args, **kwargs))

    def __call__(self, *args: Any, **kwargs: Any) -> Variable:
        return self.forward(*args, **kwargs)


def show(variable: Variable, tag: str = "VARIABLE") -> str:
    """A variable as a tagged block with its role, as every prompt shows it.

    Example:
        >>> print(show(Variable("hi", role_description="greeting")))
        <VARIABLE role="greeting">
        hi
        </VARIABLE>
    """
    return render(
        "variable_block", tag=tag, role=variable.get_role_description(), value=str(variable)
    )


def conversation_text(system_prompt: str | None, user: str, response: str) -> str:
    """A model call written out for the critic: system prompt (when there is one), input, output.

    Example:
        >>> print(conversation_text(None, "2+2?", "4"))
        <INPUT>
        2+2?
        </INPUT>
        <OUTPUT>
        4
        </OUTPUT>
    """
    if system_prompt:
        return render("conversation", system_prompt=system_prompt, input=user, output=response)
    return render("conversation_without_system", input=user, output=response)


def new_result(value: str, predecessors: list[Variable], role: str) -> Variable:
    """The result variable of an operation (records no graph inside ``no_grad``)."""
    if not is_grad_enabled():
        return Variable(value, requires_grad=False, role_description=role)
    return Variable(value, predecessors=predecessors, role_description=role)


def give_feedback(variable: Variable, text: str, context: dict[str, Any]) -> None:
    """Record ``text`` as feedback on ``variable``, with the call ``context`` it came from.

    Example:
        >>> v = Variable("Be nice.", role_description="system prompt")
        >>> give_feedback(v, "Be brief.", {"conversation": None})
        >>> v.get_gradient_text(), v.gradients[0].get_role_description()
        ('Be brief.', 'feedback to system prompt')
    """
    gradient = Variable(
        text, requires_grad=False, role_description=f"feedback to {variable.get_role_description()}"
    )
    variable.add_gradient(gradient, context)


async def send_feedback(
    ctx: BackwardContext,
    targets: list[Variable],
    make_prompt: Any,
    context: dict[str, Any],
    prompt_id: str,
) -> None:
    """Ask the critic for feedback on every target concurrently and record it.

    ``make_prompt(variable)`` builds the critic's prompt for one target. The prompt's own tags
    (``<OUTPUT>``, ``<FEEDBACK>``, ...) that the critic echoes are removed from its answer. A
    failed call is recorded in ``ctx.failures``; the other targets still get their feedback.
    Inside :func:`~tg_core.autograd.relay.relay_feedback`, a node that received feedback
    hands it to every target as it is (no call).
    """
    system = load_prompt("backward_system")
    relay = load_prompt("feedback_relayed")
    if is_relaying() and not ctx.is_objective:
        text = relay.render(
            response_role=str(context["response_role"]), feedback=feedback_text(ctx)
        )
        for variable in targets:
            if variable.requires_grad:
                give_feedback(variable, text, {**context, "prompt_id": relay.id})
        return

    async def one(variable: Variable) -> None:
        prompt = make_prompt(variable)
        answer = await agenerate_with(ctx.engine, prompt, system_prompt=system.text)
        text = strip_echoed_tags(answer, prompt)
        give_feedback(
            variable, text, {**context, "prompt_id": prompt_id, "system_prompt_id": system.id}
        )

    results = await asyncio.gather(
        *(one(v) for v in targets if v.requires_grad), return_exceptions=True
    )
    ctx.failures.extend(r for r in results if isinstance(r, BaseException))


def feedback_text(ctx: BackwardContext) -> str:
    """The feedback a node received, joined."""
    return "\n".join(str(g.value) for g in ctx.gradients)
