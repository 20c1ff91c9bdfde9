"""``load_task``: benchmark tasks with TextGrad's splits and their evaluation functions."""

from __future__ import annotations

from typing import Any

from ..autograd.string_based import StringBasedFunction
from ..errors import UserError
from ..variable import Variable
from .answers import integers_match, parse_integer_answer, sorted_words_match
from .dataloader import DataLoader
from .datasets import Dataset, PathLike, load_bbh, load_gsm8k_dspy
from .instance import load_extra_task, load_instance_task
from .leetcode import LeetCodeHardEval
from .mmlu import MMLU, MMLUInstanceDataset
from .object_counting_generator import generate_object_counting

TASKS = ("BBH_object_counting", "BBH_word_sorting", "GSM8K_DSPy")
_PURPOSE = "The runtime of a string-based function that checks if the prediction is correct."


def _eval_fn(kind: str) -> StringBasedFunction:
    compare = sorted_words_match if kind == "words" else integers_match

    def check(prediction: Variable, ground_truth_answer: Variable) -> int:
        return compare(str(prediction.value), str(ground_truth_answer.value))

    return StringBasedFunction(check, function_purpose=_PURPOSE)


def load_task(
    task_name: str,
    evaluation_api: Any = None,
    *args: Any,
    data_dir: PathLike | None = None,
    **kwargs: Any,
) -> tuple[Dataset, Dataset, Dataset, StringBasedFunction]:
    """``(train, val, test, eval_fn)`` for a benchmark task, with TextGrad's splits.

    ``eval_fn(inputs=dict(prediction=..., ground_truth_answer=...))`` returns a Variable whose
    value is ``"1"`` (right) or ``"0"`` (wrong), and is differentiable.

    Args:
        task_name: ``BBH_object_counting``, ``BBH_word_sorting`` or ``GSM8K_DSPy``.
        evaluation_api: accepted for TextGrad compatibility (these tasks check by string).
        data_dir: a folder with ``bbh/*.json`` / ``gsm8k/*.jsonl``; else the files are
            downloaded once from their public sources into the cache.

    Example:
        >>> load_task("nope", None)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        tg_core.errors.UserError: unknown task 'nope'...
    """
    if task_name == "GSM8K_DSPy":
        splits = [load_gsm8k_dspy(s, data_dir) for s in ("train", "val", "test")]
        return splits[0], splits[1], splits[2], _eval_fn("int")
    if task_name.startswith("BBH_"):
        task = task_name[4:]
        splits = [load_bbh(task, s, data_dir) for s in ("train", "val", "test")]
        kind = "words" if task == "word_sorting" else "int"
        return splits[0], splits[1], splits[2], _eval_fn(kind)
    raise UserError(f"unknown task {task_name!r}; known: {', '.join(TASKS)}")


__all__ = [
    "MMLU",
    "TASKS",
    "DataLoader",
    "Dataset",
    "LeetCodeHardEval",
    "MMLUInstanceDataset",
    "generate_object_counting",
    "integers_match",
    "load_extra_task",
    "load_instance_task",
    "load_task",
    "parse_integer_answer",
    "sorted_words_match",
]
