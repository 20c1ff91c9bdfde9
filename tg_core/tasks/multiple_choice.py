"""Multiple-choice tasks (MMLU, GPQA): question text, letter scoring, per-question objectives."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from ..loss import MultiChoiceTestTime
from ..prompts import load_prompt, render
from ..variable import Variable
from .datasets import Dataset

LETTERS = "ABCDEFGHIJ"
_ANSWER = re.compile(r"answer\s*:\s*\(?([A-J])\b", re.IGNORECASE)

InstanceItem = tuple[str, str, Callable[[Variable], Variable], Callable[[Variable], float]]


def eval_string_based(response_text: str, correct_answer: str) -> float:
    """1.0 when the first ``Answer: X`` in the response names ``correct_answer``, else 0.0.

    Example:
        >>> eval_string_based("B looks right.\\nAnswer: B", "B"), eval_string_based("no idea", "B")
        (1.0, 0.0)
    """
    match = _ANSWER.search(response_text)
    return 1.0 if match is not None and match.group(1).upper() == correct_answer else 0.0


def question_text(question: str, choices: Sequence[str]) -> str:
    """A question followed by its lettered choices.

    Example:
        >>> print(question_text("2+2?", ["3", "4"]))
        2+2?
        <BLANKLINE>
        A) 3
        B) 4
    """
    lines = "\n".join(f"{LETTERS[i]}) {c}" for i, c in enumerate(choices))
    return render("multiple_choice_question", question=question, choices=lines)


class ChoiceDataset(Dataset):
    """Multiple-choice items: ``(question text, correct letter)``."""

    def __iter__(self) -> Iterator[Any]:
        return (self[i] for i in range(len(self)))


class InstanceChoiceDataset(ChoiceDataset):
    """Items for test-time optimization: ``(question, answer, test_time_objective,
    instance_eval_fn)``, as TextGrad's instance tasks give them.

    ``test_time_objective(answer_variable)`` is a :class:`~tg_core.loss.MultiChoiceTestTime`
    loss; ``instance_eval_fn(answer_variable)`` is 1.0 or 0.0 by the answer's letter.
    """

    instruction_prompt = "test_time_instruction_mmlu"

    def __init__(
        self, items: list[tuple[str, str]], description: str, source: str, evaluation_api: Any
    ) -> None:
        prompts = [(render("multiple_choice_instance", question=q), a) for q, a in items]
        super().__init__(prompts, description, source)
        self.evaluation_api = evaluation_api

    def _get_instance_test_time_objective(self, question: str) -> Callable[[Variable], Variable]:
        instruction = load_prompt(self.instruction_prompt).text
        loss = MultiChoiceTestTime(instruction, engine=self.evaluation_api)

        def test_time_objective(instance: Variable) -> Variable:
            return loss(question, instance)

        return test_time_objective

    def _get_instance_eval_fn(self, question: str, answer: str) -> Callable[[Variable], float]:
        def instance_eval_fn(response: Variable) -> float:
            return eval_string_based(str(response.value), answer)

        return instance_eval_fn

    def __getitem__(self, index: int) -> InstanceItem:  # type: ignore[override]
        question, answer = self.items[index]
        return (
            question,
            answer,
            self._get_instance_test_time_objective(question),
            self._get_instance_eval_fn(question, answer),
        )
