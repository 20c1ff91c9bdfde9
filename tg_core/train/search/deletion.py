"""The ``delete`` operator: drop one sentence of the instruction (no model call)."""

from __future__ import annotations

import re

from .examples import MARKER

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9'\"(])")


def sentences(text: str) -> list[tuple[int, int]]:
    """The ``(line, position)`` of every sentence of ``text``, line by line.

    Example:
        >>> sentences("Be brief. Think.\\nEnd with 'Answer: X'.")
        [(0, 0), (0, 1), (1, 0)]
    """
    found: list[tuple[int, int]] = []
    for n, line in enumerate(text.split("\n")):
        parts = [p for p in _SENTENCE_END.split(line.strip()) if p]
        found.extend((n, i) for i in range(len(parts)))
    return found


def without_sentence(value: str, choice: int) -> str | None:
    """``value`` with its sentence number ``choice`` (modulo their count) taken out, or None
    when the instruction has fewer than two sentences. Worked examples are kept whole.

    A weak optimizer model rarely writes a useful new rule, but a sentence that hurts (one
    that makes answers too long, or misleads) is often there to take out: this is the
    search's cheapest move, as a deletion edit is in phrase-level prompt search.

    Example:
        >>> without_sentence("Decide. Think step by step. End with 'Answer: X'.", 1)
        "Decide. End with 'Answer: X'."
        >>> without_sentence("Decide.", 0) is None
        True
    """
    head, sep, examples = value.partition("\n\n" + MARKER)
    places = sentences(head)
    if len(places) < 2:
        return None
    line_no, position = places[choice % len(places)]
    lines = head.split("\n")
    parts = [p for p in _SENTENCE_END.split(lines[line_no].strip()) if p]
    del parts[position]
    if parts:
        lines[line_no] = " ".join(parts)
    else:
        del lines[line_no]
    return "\n".join(lines).strip() + sep + examples


def deletion_choices(seed: int, step: int, turn: int, turns: int, per_turn: int) -> list[int]:
    """The sentence numbers (before the modulo) that ``delete`` turn ``turn`` of ``step`` takes.

    The turns of a step, and the steps one after another, take consecutive numbers from the
    seed on, so while a value stays the same every sentence is tried before any is tried
    twice, and with ``per_turn`` at least the number of sentences one step tries them all.

    Example:
        >>> deletion_choices(seed=2, step=0, turn=0, turns=1, per_turn=3)
        [2, 3, 4]
        >>> deletion_choices(seed=0, step=1, turn=0, turns=1, per_turn=1)
        [1]
    """
    first = seed + (step * turns + turn) * per_turn
    return list(range(first, first + per_turn))
