"""TextGrad's ``autograd.algebra`` path: ``Sum`` and ``Aggregate`` as operation objects."""

from __future__ import annotations

from collections.abc import Iterable

from ..variable import Variable
from .function import Function
from .reduce_ops import aggregate, sum

__all__ = ["Aggregate", "Sum"]


class Sum(Function):
    """``Sum()(variables)`` is :func:`tg_core.sum`: each input keeps its own objective.

    Example:
        >>> a, b = Variable("A", role_description="a"), Variable("B", role_description="b")
        >>> Sum()([a, b]).value
        'A\\nB'
    """

    async def aforward(self, variables: Iterable[Variable]) -> Variable:
        """Combine ``variables``."""
        return sum(variables)


class Aggregate(Function):
    """``Aggregate()(variables)`` is :func:`tg_core.aggregate`.

    Example:
        >>> "<a>" in Aggregate()([Variable("A", role_description="a")]).value
        True
    """

    async def aforward(self, variables: Iterable[Variable]) -> Variable:
        """Join ``variables`` into one labelled text."""
        return aggregate(variables)
