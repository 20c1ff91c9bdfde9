"""Bound parameters: a predictor's instructions (and output-field prefixes) as Variables."""

from __future__ import annotations

from functools import partial
from typing import Any

from tg_core.extend import BindingRejected, Variable
from tg_core.program.registry import ParameterRegistry

from .errors import DSPyAdapterError

_MADE = ParameterRegistry()  # per predictor: "instructions", then one key per output prefix


class InstructionBinding:
    """Reads and writes a predictor's instructions without touching any shared class.

    A new value is written as ``pred.signature = pred.signature.with_instructions(text)``:
    DSPy shares signature classes between a program and its deep copies, so assigning
    ``.instructions`` on the class would change every copy.

    Example:
        >>> import dspy
        >>> pred = dspy.Predict("question -> answer")
        >>> binding = InstructionBinding(pred)
        >>> binding.write("Answer in one word.")
        >>> pred.signature.instructions
        'Answer in one word.'
    """

    def __init__(self, predictor: Any) -> None:
        self.predictor = predictor

    def read(self) -> str:
        """The predictor's current instructions."""
        return str(self.predictor.signature.instructions or "")

    def validate(self, value: str) -> None:
        """Refuse empty (or blank) instructions."""
        if not isinstance(value, str) or not value.strip():
            raise BindingRejected("the instructions of a DSPy predictor cannot be empty")

    def write(self, value: str) -> None:
        """Give the predictor a new signature class with ``value`` as its instructions."""
        self.predictor.signature = self.predictor.signature.with_instructions(value)


class PrefixBinding:
    """Reads and writes the prefix of one output field of a predictor.

    DSPy's ``ChatAdapter`` marks fields by name; the prefix is what field-prefix based
    adapters render, and it is saved with the program.

    Example:
        >>> import dspy
        >>> pred = dspy.Predict("question -> answer")
        >>> PrefixBinding(pred, "answer").read()
        'Answer:'
    """

    def __init__(self, predictor: Any, field: str) -> None:
        if field not in predictor.signature.output_fields:
            raise DSPyAdapterError(f"the predictor has no output field {field!r}")
        self.predictor = predictor
        self.field = field

    def read(self) -> str:
        """The field's current prefix."""
        extra = self.predictor.signature.output_fields[self.field].json_schema_extra or {}
        return str(extra.get("prefix", ""))

    def validate(self, value: str) -> None:
        """Refuse an empty prefix or one that spans lines."""
        if not isinstance(value, str) or not value.strip():
            raise BindingRejected(f"the prefix of output field {self.field!r} cannot be empty")
        if "\n" in value.strip():
            raise BindingRejected(f"the prefix of output field {self.field!r} must be one line")

    def write(self, value: str) -> None:
        """Give the predictor a new signature class with the new prefix."""
        sig = self.predictor.signature
        self.predictor.signature = sig.with_updated_fields(self.field, prefix=value.strip())


def _describe(name: str, predictor: Any) -> str:
    sig = predictor.signature
    inputs = ", ".join(sig.input_fields)
    outputs = ", ".join(sig.output_fields)
    return f"instructions of the DSPy predictor `{name}` ({inputs} -> {outputs})"


def instruction_variable(predictor: Any, name: str | None = None) -> Variable:
    """The one bound Variable for ``predictor``'s instructions (created on first use).

    Every call for the same predictor object returns the same Variable, so gradients from
    every recorded run of the program land on it.

    Example:
        >>> import dspy
        >>> pred = dspy.Predict("question -> answer")
        >>> instruction_variable(pred) is instruction_variable(pred)
        True
    """
    label = name or type(predictor).__name__
    with _MADE.lock:
        variable = _MADE.variable(
            predictor,
            "instructions",
            lambda: Variable(
                role_description=_describe(label, predictor),
                binding=InstructionBinding(predictor),
            ),
        )
        if name is not None and f"`{name}`" not in variable.role_description:
            variable.role_description = _describe(name, predictor)
        return variable


def prefix_variables(predictor: Any, name: str | None = None) -> dict[str, Variable]:
    """One bound Variable per output-field prefix of ``predictor`` (same objects every call).

    Example:
        >>> import dspy
        >>> list(prefix_variables(dspy.Predict("question -> answer")))
        ['answer']
    """
    label = name or type(predictor).__name__

    def make(field: str) -> Variable:
        return Variable(
            role_description=f"prefix of output field `{field}` of the DSPy predictor `{label}`",
            binding=PrefixBinding(predictor, field),
        )

    fields = predictor.signature.output_fields
    return {f: _MADE.variable(predictor, ("prefix", f), partial(make, f)) for f in fields}


def known_prefix_variables(predictor: Any) -> list[Variable]:
    """The prefix Variables already made for ``predictor`` (none unless asked for).

    Example:
        >>> import dspy
        >>> known_prefix_variables(dspy.Predict("question -> answer"))
        []
    """
    return [v for key, v in _MADE.known(predictor).items() if key != "instructions"]


def named_predictors(program: Any) -> list[tuple[str, Any]]:
    """``program.named_predictors()``, or the program itself when it is a bare predictor.

    Raises:
        DSPyAdapterError: ``program`` is not a DSPy module or has no predictors.

    Example:
        >>> import dspy
        >>> [name for name, _ in named_predictors(dspy.ChainOfThought("q -> a"))]
        ['predict']
    """
    import dspy

    if isinstance(program, dspy.Predict):
        found: list[tuple[str, Any]] = [("self", program)]
    elif isinstance(program, dspy.Module):
        found = list(program.named_predictors())
    else:
        raise DSPyAdapterError(
            f"expected a dspy.Module, got {type(program).__name__}; pass the program object"
        )
    if not found:
        raise DSPyAdapterError("the program has no predictors (dspy.Predict) to optimize")
    return found


def named_parameters(program: Any, *, prefixes: bool = False) -> list[tuple[str, Variable]]:
    """Like :func:`parameters`, with a name for each: the predictor's name, and
    ``name.field.prefix`` for a prefix.

    Example:
        >>> import dspy
        >>> [n for n, _ in named_parameters(dspy.Predict("q -> a"), prefixes=True)]
        ['self', 'self.a.prefix']
    """
    out: list[tuple[str, Variable]] = []
    for name, predictor in named_predictors(program):
        out.append((name, instruction_variable(predictor, name)))
        if prefixes:
            for field, variable in prefix_variables(predictor, name).items():
                out.append((f"{name}.{field}.prefix", variable))
    return out


def parameters(program: Any, *, prefixes: bool = False) -> list[Variable]:
    """The program's optimizable texts as bound Variables, in ``named_predictors()`` order.

    Args:
        program: a ``dspy.Module`` (or a single ``dspy.Predict``).
        prefixes: also return one Variable per output-field prefix of each predictor.

    Returns:
        One Variable per predictor instruction (then its prefixes when asked). Setting a
        value with ``set_value`` (as an optimizer step does) writes it into the predictor.
        The same predictor always gives the same Variable objects.

    Example:
        >>> import dspy
        >>> program = dspy.ChainOfThought("question -> answer")
        >>> [p.role_description.split("`")[1] for p in parameters(program)]
        ['predict']
    """
    return [v for _, v in named_parameters(program, prefixes=prefixes)]
