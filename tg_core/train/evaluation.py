"""Scoring examples without recording graphs, and the texts of training examples."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from ..errors import BudgetExceeded, TgCoreError
from ..graph import no_grad

ScoreFn = Callable[[Any], Awaitable[float]]
ANSWER_KEYS = ("answer", "target", "label", "output", "expected", "ground_truth")


def valid_score(value: Any) -> float:
    """``value`` as a float score, or TgCoreError when it is not a finite number.

    Example:
        >>> valid_score(True), valid_score(0.5)
        (1.0, 0.5)
    """
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)) and math.isfinite(value):
        return float(value)
    raise TgCoreError(f"score must be a finite number, got {value!r}")


async def score_examples(score_fn: ScoreFn, examples: Sequence[Any]) -> tuple[list[float], int]:
    """Each example's score (0.0 for one that failed) and how many failed; concurrent.

    Raises:
        BudgetExceeded: a call would pass the budget.

    Example:
        >>> async def score(x):
        ...     return 1 / x
        >>> asyncio.run(score_examples(score, [1, 0]))
        ([1.0, 0.0], 1)
    """
    with no_grad():
        results = await asyncio.gather(*(score_fn(ex) for ex in examples), return_exceptions=True)
    scores, failed = [], 0
    for r in results:
        if isinstance(r, BudgetExceeded):
            raise r
        try:
            if isinstance(r, BaseException):
                raise r
            scores.append(valid_score(r))
        except Exception:
            failed += 1
            scores.append(0.0)
    return scores, failed


def mean(values: Sequence[float]) -> float:
    """The mean, 0.0 for no values.

    Example:
        >>> mean([1.0, 0.0, 0.5])
        0.5
    """
    return sum(values) / len(values) if values else 0.0


def _joined(values: Any) -> str:
    return "\n".join(str(v) for v in values)


def example_texts(example: Any) -> tuple[str, str]:
    """``(input, expected answer)`` texts of a training example, as far as they can be told.

    A pair ``(question, answer)``; a mapping (answer keys such as ``answer``/``target``
    split from the rest); an object with ``inputs()``/``labels()`` (a DSPy example).

    Example:
        >>> example_texts(("2+2?", "4"))
        ('2+2?', '4')
        >>> example_texts({"question": "2+2?", "answer": "4"})
        ('2+2?', '4')
    """
    if isinstance(example, (tuple, list)) and len(example) >= 2:
        return str(example[0]), str(example[1])
    inputs, labels = getattr(example, "inputs", None), getattr(example, "labels", None)
    if callable(inputs) and callable(labels):
        try:
            return _joined(dict(inputs()).values()), _joined(dict(labels()).values())
        except Exception:  # an example without declared inputs: fall through
            pass
    if isinstance(example, Mapping) or hasattr(example, "items"):
        items = dict(example.items())
        answers = [v for k, v in items.items() if str(k).lower() in ANSWER_KEYS]
        rest = [v for k, v in items.items() if str(k).lower() not in ANSWER_KEYS]
        return _joined(rest), _joined(answers)
    return str(example), ""
