"""TextGrad's ``optimizer.optimizer`` path: the optimizers and the feedback text they read."""

from __future__ import annotations

from tg_core.optimizer import TextualGradientDescent, TextualGradientDescentwithMomentum
from tg_core.optimizer_base import Optimizer
from tg_core.variable import Variable

__all__ = [
    "Optimizer",
    "TextualGradientDescent",
    "TextualGradientDescentwithMomentum",
    "get_gradient_and_context_text",
]


def get_gradient_and_context_text(variable: Variable) -> str:
    """A variable's feedback, each piece with the call it came from (what the optimizer reads).

    Example:
        >>> v = Variable("x", role_description="answer")
        >>> v.add_gradient(Variable("be shorter", role_description="feedback"))
        >>> "be shorter" in get_gradient_and_context_text(v)
        True
    """
    return variable.get_gradient_and_context_text()
