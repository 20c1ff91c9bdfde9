"""``Module``: a callable with parameters, like ``torch.nn.Module`` (TextGrad's base of models)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from typing import Any

from ..variable import Variable


class Module(ABC):
    """Something you call on variables that owns parameters (prompts, instructions).

    Subclasses implement ``forward`` and usually ``parameters``.

    Example:
        >>> class Prefix(Module):
        ...     def __init__(self):
        ...         self.prefix = Variable("Answer briefly. ", role_description="prefix")
        ...     def parameters(self):
        ...         return [self.prefix]
        ...     def forward(self, x):
        ...         return self.prefix + x
        >>> m = Prefix()
        >>> m(Variable("Why?", role_description="question")).value
        'Answer briefly. Why?'
        >>> [name for name, _ in m.named_parameters()]
        ['prefix']
    """

    def parameters(self) -> list[Variable]:
        """The variables this module optimizes (none unless a subclass says so)."""
        return []

    def zero_grad(self) -> None:
        """Drop the gradients of every parameter."""
        for p in self.parameters():
            p.reset_gradients()

    def named_parameters(self) -> Iterator[tuple[str, Variable]]:
        """``(role description, parameter)`` pairs."""
        for p in self.parameters():
            yield p.get_role_description(), p

    @abstractmethod
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """Compute the module's output."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)
