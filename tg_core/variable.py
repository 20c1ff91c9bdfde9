"""``Variable``: a text (or image) node of the graph, with its gradients as ordered records."""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from ._async import run_sync
from .context_text import gradient_with_context
from .errors import TgCoreError, UserError
from .utils.image_utils import read_image_source

if TYPE_CHECKING:
    from .engine.usage import Usage
    from .graph import BackwardContext
    from .visualize import GraphView

_ids = itertools.count()
_T = TypeVar("_T")

GradFn = Callable[["BackwardContext"], Awaitable[None]]


@dataclass
class GraphOperations:
    """The operations behind ``Variable``'s graph methods, from the modules built on this one.

    ``variable`` is the bottom of the graph modules: of them it imports only the text
    formatter ``context_text``. Each module that implements one of these installs it here
    when it is imported (``import tg_core`` imports them all): ``graph`` the backward pass,
    ``visualize`` the graph picture, ``autograd.reduce_ops`` concatenation.
    """

    abackward: Callable[[Variable, Any], Awaitable[Usage]] | None = None
    graph_view: Callable[[Variable, bool], GraphView] | None = None
    concatenate: Callable[[list[Variable]], Variable] | None = None


OPERATIONS = GraphOperations()


def _installed(operation: _T | None, module: str) -> _T:
    if operation is None:
        raise TgCoreError(f"{module} is not loaded; import tg_core to use this Variable method")
    return operation


class Binding(Protocol):
    """Links a parameter to a framework object (a DSPy instruction, a LangChain template).

    ``read`` gives the object's current text, ``validate`` raises
    :class:`~tg_core.errors.BindingRejected` for a value the object cannot take, and
    ``write`` stores a validated value in the object.
    """

    def read(self) -> str:
        """The framework object's current text."""
        ...

    def validate(self, value: str) -> None:
        """Raise BindingRejected if ``value`` cannot be written."""
        ...

    def write(self, value: str) -> None:
        """Store ``value`` in the framework object."""
        ...


class Variable:
    """A value in a textual computation graph: a prompt, an answer, a piece of code, an image.

    Args:
        value: the text (or image bytes); an int becomes its text.
        image_path: an image file to read as the value, or an image URL kept as the value
            (sent to the model as an image part); not together with ``value``.
        predecessors: the variables this one was computed from.
        requires_grad: whether feedback should be computed for it.
        role_description: what this text is, in words; every prompt about it uses this.
        binding: optional link to a framework object that stores the value.

    Gradients are kept in ``gradients`` (a list, in arrival order, without duplicates) and the
    context each came with in ``gradients_context``.

    Example:
        >>> v = Variable("You are concise.", role_description="system prompt")
        >>> v.get_value(), v.get_role_description()
        ('You are concise.', 'system prompt')
    """

    def __init__(
        self,
        value: str | bytes | int = "",
        image_path: str = "",
        predecessors: Iterable[Variable] | None = None,
        requires_grad: bool = True,
        *,
        role_description: str,
        binding: Binding | None = None,
    ) -> None:
        if not isinstance(role_description, str) or not role_description.strip():
            raise UserError(
                "Variable needs a role_description: a few words saying what the text is, "
                "e.g. role_description='system prompt of the math tutor'"
            )
        if type(value) is int:  # TextGrad turns an int (a score, a count) into its text
            value = str(value)
        if not isinstance(value, (str, bytes)):
            raise UserError(
                f"Variable value must be str, int or bytes, got {type(value).__name__}; "
                "convert it with str(...) first"
            )
        if image_path:
            if value:
                raise UserError(
                    "give a Variable either a value or an image_path, not both "
                    f"(got a value and image_path={image_path!r})"
                )
            value = read_image_source(image_path)
        preds: list[Variable] = []
        for p in predecessors or ():
            if not isinstance(p, Variable):
                raise UserError(f"predecessors must be Variables, got {type(p).__name__}")
            if p not in preds:
                preds.append(p)
        self.id = next(_ids)
        self.value: str | bytes = binding.read() if binding is not None and not value else value
        self.image_path = image_path
        self.predecessors: list[Variable] = preds
        self.requires_grad = requires_grad
        self.role_description = role_description
        self.binding = binding
        self.gradients: list[Variable] = []
        self.gradients_context: dict[Variable, dict[str, Any] | None] = {}
        self.grad_fn: GradFn | None = None
        self._propagated = 0

    # -- value and role -------------------------------------------------------------------
    def get_value(self) -> str | bytes:
        """The current value."""
        return self.value

    def set_value(self, value: str | bytes) -> None:
        """Set the value; a bound variable validates and writes it through its binding first.

        Raises:
            BindingRejected: the framework object refused the value (nothing changed).
        """
        if self.binding is not None:
            text = value.decode("utf-8") if isinstance(value, bytes) else value
            self.binding.validate(text)
            self.binding.write(text)
        self.value = value

    def get_role_description(self) -> str:
        """What this variable is, in words."""
        return self.role_description

    def set_role_description(self, role_description: str) -> None:
        """Change the role description."""
        self.role_description = role_description

    def get_short_value(self, n_words_offset: int = 10) -> str:
        """The first and last ``n_words_offset`` words, for compact display only."""
        words = str(self).split(" ")
        if len(words) <= 2 * n_words_offset:
            return str(self)
        return " ".join(words[:n_words_offset]) + " (...) " + " ".join(words[-n_words_offset:])

    # -- gradients ------------------------------------------------------------------------
    def add_gradient(self, gradient: Variable, context: dict[str, Any] | None = None) -> None:
        """Record feedback for this variable (once: the same gradient object is not re-added)."""
        if gradient in self.gradients_context:
            return
        self.gradients.append(gradient)
        self.gradients_context[gradient] = context

    def reset_gradients(self) -> None:
        """Drop every gradient (optimizers call this from ``zero_grad``)."""
        self.gradients = []
        self.gradients_context = {}
        self._propagated = 0

    def get_gradient_text(self) -> str:
        """All feedback texts, in arrival order, one after another.

        Example:
            >>> v = Variable("x", role_description="answer")
            >>> v.add_gradient(Variable("be shorter", role_description="feedback"))
            >>> v.get_gradient_text()
            'be shorter'
        """
        return "\n".join(str(g.value) for g in self.gradients)

    def get_gradient_and_context_text(self) -> str:
        """Each feedback text with the call it came from, for the optimizer's prompt."""
        return "\n\n".join(
            gradient_with_context(g, self.gradients_context[g]) for g in self.gradients
        )

    def get_grad_fn(self) -> GradFn | None:
        """The function that sends this variable's feedback to its predecessors."""
        return self.grad_fn

    def set_grad_fn(self, grad_fn: GradFn | None) -> None:
        """Set the backward function (autograd functions do this)."""
        self.grad_fn = grad_fn

    # -- backward -------------------------------------------------------------------------
    async def abackward(self, engine: Any = None) -> Usage:
        """Propagate feedback from this variable to every variable it depends on.

        Independent model calls run concurrently; returns the usage of this pass.
        """
        return await _installed(OPERATIONS.abackward, "tg_core.graph")(self, engine)

    def backward(self, engine: Any = None) -> Usage:
        """Sync :meth:`abackward` (also works inside a running event loop).

        Example:
            >>> import tg_core as tg
            >>> from tg_core.engine.fake import FakeEngine
            >>> x = tg.Variable("2+2=5", role_description="answer")
            >>> loss = tg.TextLoss("Check the arithmetic.", engine=FakeEngine())(x)
            >>> _ = loss.backward(engine=FakeEngine(["The sum is wrong."]))
            >>> x.get_gradient_text()
            'The sum is wrong.'
        """
        return run_sync(self.abackward(engine))

    def generate_graph(self, print_gradients: bool = False) -> GraphView:
        """A picture of the graph that leads to this variable (DOT and Mermaid sources)."""
        return _installed(OPERATIONS.graph_view, "tg_core.visualize")(self, print_gradients)

    # -- composition and display ----------------------------------------------------------
    def __add__(self, other: Variable) -> Variable:
        """Concatenate two variables; feedback on the result reaches both."""
        return _installed(OPERATIONS.concatenate, "tg_core.autograd")([self, other])

    def __str__(self) -> str:
        if isinstance(self.value, bytes):
            return f"<image: {len(self.value)} bytes{' ' + self.image_path if self.image_path else ''}>"
        return self.value

    def __repr__(self) -> str:
        shown = str(self)
        if len(shown) > 80:
            shown = shown[:77] + "..."
        return (
            f"Variable(value={shown!r}, role={self.role_description!r}, "
            f"grads={len(self.gradients)})"
        )

    def __hash__(self) -> int:
        return id(self)
