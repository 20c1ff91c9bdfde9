"""Outputs that carry the graph Variable of the run that produced them.

A framework wrapper (LangChain's ``differentiable(chain)``) returns its outputs this way, so a
loss on ``output.variable`` reaches the run's parameters: text as a ``str`` subclass, anything
else wrapped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from ..errors import UserError
from ..variable import Variable

T = TypeVar("T")


class TracedStr(str):
    """A text output that carries the Variable of the run that produced it.

    Example:
        >>> out = TracedStr("4", Variable("4", role_description="answer"))
        >>> out == "4", out.variable.value
        (True, '4')
    """

    variable: Variable

    def __new__(cls, value: str, variable: Variable) -> TracedStr:
        obj = super().__new__(cls, value)
        obj.variable = variable
        return obj

    def __reduce__(self) -> tuple[type[str], tuple[str]]:
        return (str, (str(self),))  # a copy or a pickle is plain text


@dataclass(frozen=True)
class Traced(Generic[T]):
    """A non-text output (a message, a dict, a model object) with its run's Variable.

    Example:
        >>> Traced({"a": 1}, Variable("a: 1", role_description="output")).value
        {'a': 1}
    """

    value: T
    variable: Variable


def variable_of(output: Any) -> Variable:
    """The Variable a traced output carries (an output of LangChain's ``differentiable(chain)``).

    Raises:
        UserError: ``output`` carries none.

    Example:
        >>> v = Variable("4", role_description="answer")
        >>> variable_of(TracedStr("4", v)) is v
        True
    """
    if isinstance(output, Variable):
        return output
    found = getattr(output, "variable", None)
    if isinstance(found, Variable):
        return found
    raise UserError(
        f"{type(output).__name__} carries no Variable: use the output of differentiable(chain)"
    )


def traced(value: Any, variable: Variable) -> Any:
    """``value`` carrying ``variable``: a :class:`TracedStr` for text, else :class:`Traced`.

    Example:
        >>> traced("4", Variable("4", role_description="answer")).variable.value
        '4'
    """
    return TracedStr(value, variable) if isinstance(value, str) else Traced(value, variable)
