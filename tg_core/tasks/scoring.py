"""Scoring a task's answers: plain scorers and the differentiable evaluation function."""

from __future__ import annotations

from ..autograd.string_based import StringBasedFunction
from ..errors import UserError
from ..variable import Variable
from .bbh_tasks import BBH_TASKS
from .forms import AnswerForm

EVAL_PURPOSE = "The runtime of a string-based function that checks if the prediction is correct."


class Scorer:
    """``scorer(prediction_text, target, question=None) -> 1 or 0`` for one answer form.

    The question is optional; multiple-choice answers written as option text and word lists
    without an ``Answer:`` line are only recognized with it.

    Example:
        >>> score = bbh_scorer("web_of_lies")
        >>> score("Ka lies, so Delbert tells the truth... **Answer: no**", "No")
        1
        >>> score.read("I am not sure.") is None
        True
    """

    def __init__(self, task: str, form: AnswerForm) -> None:
        self.task = task
        self.form = form

    def __call__(self, prediction: str, target: str, question: str | None = None) -> int:
        return self.form.score(prediction, target, question)

    def read(self, prediction: str, question: str | None = None) -> str | None:
        """The answer read from ``prediction`` in canonical form, or None (a format failure)."""
        return self.form.read(prediction, question)

    def __repr__(self) -> str:
        return f"Scorer({self.task!r}, {self.form!r})"


def bbh_scorer(task: str) -> Scorer:
    """The scorer of a BIG-Bench Hard task (``"snarks"`` or ``"BBH_snarks"``).

    Example:
        >>> bbh_scorer("BBH_snarks")("Answer: (A) the first one", "(A)")
        1
        >>> bbh_scorer("chess")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        tg_core.errors.UserError: unknown BBH task 'chess'; known: causal_judgement, ...
    """
    name = task.removeprefix("BBH_")
    if name not in BBH_TASKS:
        raise UserError(f"unknown BBH task {task!r}; known: {', '.join(BBH_TASKS)}")
    return Scorer(name, BBH_TASKS[name].form)


def eval_function(scorer: Scorer) -> StringBasedFunction:
    """A differentiable check: ``inputs=dict(prediction=..., ground_truth_answer=...)`` (and
    optionally ``question=...``) gives a Variable ``"1"`` or ``"0"``.

    Example:
        >>> check = eval_function(bbh_scorer("formal_fallacies"))
        >>> p = Variable("Premise 1 ... Answer: invalid", role_description="prediction")
        >>> t = Variable("invalid", role_description="truth", requires_grad=False)
        >>> check(inputs=dict(prediction=p, ground_truth_answer=t)).value
        '1'
    """

    def check(
        prediction: Variable, ground_truth_answer: Variable, question: Variable | None = None
    ) -> int:
        asked = None if question is None else str(question.value)
        return scorer(str(prediction.value), str(ground_truth_answer.value), asked)

    return StringBasedFunction(check, function_purpose=EVAL_PURPOSE)
