"""``Program``: what an optimizer needs from a framework, and ``ProgramRun``, one run of it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from ..variable import Variable


def value_text(value: Any) -> str:
    """A value as text: strings as they are, numbers as written, the rest as JSON.

    Example:
        >>> value_text("five"), value_text(["a", "b"]), value_text(None)
        ('five', '["a", "b"]', '')
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float, bool)):
        return str(value)
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        value = dump()
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return str(value)


def fields_of(value: Any) -> dict[str, Any] | None:
    """The named fields of a dict or of an object with ``items()`` (None for anything else).

    Example:
        >>> fields_of({"q": "2+2?"}), fields_of("text")
        ({'q': '2+2?'}, None)
    """
    if isinstance(value, Mapping):
        return {str(k): v for k, v in value.items()}
    items = getattr(value, "items", None)
    if callable(items) and not isinstance(value, (str, bytes)):
        try:
            return {str(k): v for k, v in items()}
        except (TypeError, ValueError):
            return None
    return None


def shown(value: Any) -> str:
    """A program input, output or example as the optimizer reads it.

    Fields (a dict, an object with ``items()``) one per line as ``name: value``; a tuple or
    list one item per line; anything else as :func:`value_text`.

    Example:
        >>> print(shown({"question": "2+2?", "answer": 4}))
        question: 2+2?
        answer: 4
        >>> shown(("a", "b"))
        'a\\nb'
    """
    fields = fields_of(value)
    if fields is not None:
        return "\n".join(f"{k}: {value_text(v)}" for k, v in fields.items())
    if isinstance(value, (tuple, list)):
        return "\n".join(value_text(v) for v in value)
    return value_text(value)


def expected_fields(example: Any, inputs: Any) -> str:
    """The fields of ``example`` that are not program inputs (its labels), as text.

    Example:
        >>> expected_fields({"question": "2+2?", "answer": "4"}, {"question": "2+2?"})
        'answer: 4'
        >>> expected_fields("2+2?", "2+2?")
        ''
    """
    fields, given = fields_of(example), fields_of(inputs)
    if fields is None or given is None:
        return ""
    return shown({k: v for k, v in fields.items() if k not in given})


def synced(variable: Variable) -> Variable:
    """``variable`` with its binding's current value (the object may have been edited by
    hand, loaded from a file or swapped since).

    Example:
        >>> class Box:
        ...     text = "old"
        ...     def read(self): return self.text
        ...     def write(self, value): self.text = value
        ...     def validate(self, value): pass
        >>> box = Box()
        >>> v = Variable(role_description="text", binding=box)
        >>> box.text = "edited"
        >>> synced(v).value
        'edited'
    """
    if variable.binding is not None:
        current = variable.binding.read()
        if current != variable.value:
            variable.value = current
    return variable


@dataclass
class ProgramRun:
    """One run of a program on one example.

    Attributes:
        prediction: what the framework returned (None when the run raised).
        output: the output Variable wired into this run's graph (recorded runs only). For
            a run that raised, the model answer that caused the failure, when there is one.
        error: the exception the run raised, if any.
        input_text: the example's input as the program saw it.
        output_text: the program's output.
        expected_text: the expected answer, when the example has one.
        failure_text: for a run that raised, what its ``output`` must do differently (the
            loss text of that run); empty for the core's generic wording.

    Example:
        >>> ProgramRun("4", input_text="2+2?").error is None
        True
    """

    prediction: Any = None
    output: Variable | None = None
    error: BaseException | None = None
    input_text: str = ""
    output_text: str = ""
    expected_text: str = ""
    failure_text: str = ""


@runtime_checkable
class Program(Protocol):
    """A framework program the core can optimize: its bound parameters, and one run.

    An adapter implements it for its framework (a DSPy module, a LangChain runnable); plain
    Python implements it in a few lines. Everything else (metrics, losses, the fit loop,
    budgets, checkpoints) is the core's.

    Example:
        >>> class Echo:
        ...     def parameters(self):
        ...         return []
        ...     async def arun(self, example, *, record):
        ...         return ProgramRun(example, output_text=str(example))
        >>> isinstance(Echo(), Program)
        True
    """

    def parameters(self) -> list[Variable]:
        """The bound Variables an optimizer may rewrite."""
        ...

    async def arun(self, example: Any, *, record: bool) -> ProgramRun:
        """Run on ``example``; with ``record`` wire the output into a graph to ``parameters()``.

        A run that raises reports it in ``ProgramRun.error``, except
        :class:`~tg_core.errors.BudgetExceeded`, which it raises.
        """
        ...
