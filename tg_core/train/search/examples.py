"""The ``example`` operator: append a worked example from a run the program got right."""

from __future__ import annotations

from ...prompts import load_prompt
from ..samples import Sample

MARKER = "Worked example:"
MAX_OUTPUT_CHARS = 700


def worked_examples_in(value: str) -> int:
    """How many worked examples ``value`` holds.

    Example:
        >>> worked_examples_in("Count.\\n\\nWorked example:\\nQ\\nA")
        1
    """
    return value.count(MARKER)


def with_worked_example(value: str, sample: Sample, max_examples: int) -> str | None:
    """``value`` with ``sample`` appended as a worked example; the oldest one goes when
    ``max_examples`` are already there. None when the sample cannot serve (no texts, too
    long, or no examples allowed).

    Example:
        >>> s = Sample(None, score=1.0, input_text="2+2?", output_text="4")  # type: ignore[arg-type]
        >>> print(with_worked_example("Add.", s, 2))
        Add.
        <BLANKLINE>
        Worked example:
        2+2?
        4
    """
    if max_examples < 1 or not sample.input_text.strip() or not sample.output_text.strip():
        return None
    if len(sample.output_text) > MAX_OUTPUT_CHARS:
        return None
    block = load_prompt("worked_example").render(
        marker=MARKER, input=sample.input_text.strip(), output=sample.output_text.strip()
    )
    if block in value:
        return None
    head, *examples = value.split("\n\n" + MARKER)
    kept = [MARKER + e for e in examples][-(max_examples - 1) :] if max_examples > 1 else []
    return "\n\n".join([head.rstrip(), *kept, block])


def right_samples(samples: list[Sample], perfect: float) -> list[Sample]:
    """Samples scored at least ``perfect``, shortest output first (cheap to show)."""
    good = [s for s in samples if s.score is not None and s.score >= perfect and s.output_text]
    return sorted(good, key=lambda s: len(s.output_text))
