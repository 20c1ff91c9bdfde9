"""Instance tasks (one question, optimized at test time) and the extra tasks of ``load_task``."""

from __future__ import annotations

from typing import Any

from ..autograd.string_based import StringBasedFunction
from ..errors import UserError
from ..variable import Variable
from .gpqa import GPQAInstanceDataset
from .leetcode import LeetCodeHardEval
from .mmlu import MMLU, MMLUInstanceDataset
from .multiple_choice import eval_string_based

INSTANCE_TASKS = (
    "MMLU_<subject>",
    "GPQA_diamond",
    "GPQA_main",
    "GPQA_extended",
    "LeetCodeHardEval",
)
EXTRA_TASKS = ("MMLU_<subject>",)
_PURPOSE = "The runtime of a string-based function that checks if the chosen letter is correct."


def load_instance_task(task_name: str, evaluation_api: Any, *args: Any, **kwargs: Any) -> Any:
    """The test set of an instance task, for test-time optimization of each answer.

    ``MMLU_<subject>`` and ``GPQA_<subset>`` give ``(question, answer, test_time_objective,
    instance_eval_fn)`` items; ``LeetCodeHardEval`` gives ``(task_id, prompt, tests)``.
    Keywords (``data_dir=``, ``max_samples=`` ...) go to the dataset.

    Raises:
        UserError: an unknown task.
        DataUnavailable: the data is not on this machine (the message says where to put it).

    Example:
        >>> load_instance_task("nope", None)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        tg_core.errors.UserError: unknown instance task 'nope'; known: MMLU_<subject>, ...
    """
    if task_name.startswith("MMLU_"):
        kwargs.setdefault("split", "test")
        return MMLUInstanceDataset(evaluation_api, task_name[5:], *args, **kwargs)
    if task_name.startswith("GPQA_"):
        return GPQAInstanceDataset(evaluation_api, task_name.lower(), *args, **kwargs)
    if task_name == "LeetCodeHardEval":
        return LeetCodeHardEval(*args, **kwargs)
    raise UserError(f"unknown instance task {task_name!r}; known: {', '.join(INSTANCE_TASKS)}")


def _letter_eval_fn() -> StringBasedFunction:
    def check(prediction: Variable, ground_truth_answer: Variable) -> int:
        return int(eval_string_based(str(prediction.value), str(ground_truth_answer.value)))

    return StringBasedFunction(check, function_purpose=_PURPOSE)


def load_extra_task(
    task_name: str, evaluation_api: Any = None, *args: Any, **kwargs: Any
) -> tuple[MMLU, MMLU, MMLU, StringBasedFunction] | None:
    """``(train, val, test, eval_fn)`` for a task ``load_task`` hands on, or None if not one.

    ``MMLU_<subject>``: MMLU's dev, validation and test questions, with an ``eval_fn`` that
    compares the prediction's ``Answer: X`` letter with the truth and is differentiable.

    Example:
        >>> load_extra_task("BBH_object_counting") is None
        True
    """
    if task_name.startswith("MMLU_"):
        subject = task_name[5:]
        train, val, test = (
            MMLU(subject, split=s, **kwargs) for s in ("train", "validation", "test")
        )
        return train, val, test, _letter_eval_fn()
    return None
