"""Bound parameters: instructions change only through with_instructions; empty is refused."""

from __future__ import annotations

import dspy
import pytest

from tg_adapters.dspy import (
    DSPyAdapterError,
    InstructionBinding,
    PrefixBinding,
    named_parameters,
    parameters,
)
from tg_core.errors import BindingRejected


def test_set_value_writes_a_new_signature_class_and_leaves_the_original() -> None:
    program = dspy.ChainOfThought("question -> answer")
    original_class = program.predict.signature
    original_text = original_class.instructions
    copy = program.deepcopy()
    assert copy.predict.signature is original_class  # DSPy shares signature classes
    (param,) = parameters(copy)
    param.set_value("Count every object, then answer with a number.")
    assert copy.predict.signature is not original_class
    assert copy.predict.signature.instructions == "Count every object, then answer with a number."
    assert original_class.instructions == original_text
    assert program.predict.signature is original_class
    assert list(copy.predict.signature.fields) == list(original_class.fields)


def test_empty_instructions_are_refused_and_nothing_changes() -> None:
    pred = dspy.Predict("question -> answer")
    (param,) = parameters(pred)
    before = pred.signature
    for bad in ("", "   \n"):
        with pytest.raises(BindingRejected):
            param.set_value(bad)
    assert pred.signature is before and param.value == before.instructions
    with pytest.raises(BindingRejected):
        InstructionBinding(pred).validate("")


def test_parameters_are_the_same_objects_and_follow_load(tmp_path: object) -> None:
    program = dspy.ChainOfThought("question -> answer")
    assert parameters(program)[0] is parameters(program)[0]
    program.predict.signature = program.predict.signature.with_instructions("Changed elsewhere.")
    assert parameters(program)[0].value == "Changed elsewhere."


def test_prefix_parameters() -> None:
    pred = dspy.Predict("question -> answer, confidence")
    named = dict(named_parameters(pred, prefixes=True))
    assert list(named) == ["self", "self.answer.prefix", "self.confidence.prefix"]
    original = pred.signature
    named["self.answer.prefix"].set_value("Final Answer:")
    assert pred.signature.output_fields["answer"].json_schema_extra["prefix"] == "Final Answer:"
    assert original.output_fields["answer"].json_schema_extra["prefix"] == "Answer:"
    with pytest.raises(BindingRejected):
        named["self.answer.prefix"].set_value("two\nlines")
    with pytest.raises(DSPyAdapterError):
        PrefixBinding(pred, "question")


def test_non_programs_are_refused() -> None:
    with pytest.raises(DSPyAdapterError):
        parameters("question -> answer")

    class Empty(dspy.Module):
        def forward(self) -> None:
            return None

    with pytest.raises(DSPyAdapterError):
        parameters(Empty())
