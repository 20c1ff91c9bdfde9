"""``Sample``: what a training forward pass may return besides its loss, for the search."""

from __future__ import annotations

from dataclasses import dataclass

from ..variable import Variable


@dataclass
class Sample:
    """One training example's run: its loss and what the search may learn from it.

    A ``loss_fn`` given to :func:`~tg_core.train.fit` returns either a loss Variable or a
    ``Sample``. The extra fields let the search add a worked example from a run that was
    right (``example`` operator) and let the overfit guard know the texts it must not copy.

    Attributes:
        loss: the loss Variable of the run (its graph reaches the parameters).
        score: the metric's score of the run in [0, 1], when known.
        input_text: the example's input as the program saw it.
        output_text: the program's final output.
        expected_text: the expected answer, when the example has one.

    Example:
        >>> s = Sample(Variable("wrong", role_description="loss"), score=0.0, input_text="2+2?")
        >>> s.score, s.input_text
        (0.0, '2+2?')
    """

    loss: Variable
    score: float | None = None
    input_text: str = ""
    output_text: str = ""
    expected_text: str = ""
