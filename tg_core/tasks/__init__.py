"""``load_task``: benchmark tasks with TextGrad's splits and their evaluation functions."""

from __future__ import annotations

from typing import Any

from ..autograd.string_based import StringBasedFunction
from ..errors import UserError
from .answers import integers_match, parse_integer_answer, sorted_words_match
from .bbh_tasks import BBH_TASKS, BBHTask
from .dataloader import DataLoader
from .datasets import Dataset, PathLike, load_bbh, load_gsm8k_dspy
from .forms import IntegerForm
from .instance import load_extra_task, load_instance_task
from .leetcode import LeetCodeHardEval
from .mmlu import MMLU, MMLUInstanceDataset
from .object_counting_generator import generate_object_counting
from .scoring import Scorer, bbh_scorer, eval_function

TASKS = (*(f"BBH_{name}" for name in BBH_TASKS), "GSM8K_DSPy")


def load_task(
    task_name: str,
    evaluation_api: Any = None,
    *args: Any,
    data_dir: PathLike | None = None,
    **kwargs: Any,
) -> tuple[Dataset, Dataset, Dataset, StringBasedFunction]:
    """``(train, val, test, eval_fn)`` for a benchmark task, with TextGrad's splits.

    ``eval_fn(inputs=dict(prediction=..., ground_truth_answer=...))`` returns a Variable whose
    value is ``"1"`` (right) or ``"0"`` (wrong), and is differentiable. An optional
    ``question=...`` input lets multiple-choice answers written as option text count. The
    same check without Variables: :func:`bbh_scorer`.

    Args:
        task_name: ``BBH_<task>`` for any task in :data:`BBH_TASKS`, or ``GSM8K_DSPy``
            (every name is in :data:`TASKS`).
        evaluation_api: accepted for TextGrad compatibility (these tasks check by string).
        data_dir: a folder with ``bbh/*.json`` / ``gsm8k/*.jsonl``; else the files are
            downloaded once from their public sources into the cache.

    Example:
        >>> load_task("nope", None)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        tg_core.errors.UserError: unknown task 'nope'...
    """
    extra = load_extra_task(task_name, evaluation_api, data_dir=data_dir, **kwargs)
    if extra is not None:
        return extra
    if task_name == "GSM8K_DSPy":
        splits = [load_gsm8k_dspy(s, data_dir) for s in ("train", "val", "test")]
        return splits[0], splits[1], splits[2], eval_function(Scorer(task_name, IntegerForm()))
    if task_name not in TASKS:
        raise UserError(
            f"unknown task {task_name!r}; known: {', '.join(TASKS)}, MMLU_<subject>, and "
            "TextGrad's instance tasks through load_instance_task"
        )
    task = task_name.removeprefix("BBH_")
    splits = [load_bbh(task, s, data_dir) for s in ("train", "val", "test")]
    return splits[0], splits[1], splits[2], eval_function(bbh_scorer(task))


__all__ = [
    "BBH_TASKS",
    "MMLU",
    "TASKS",
    "BBHTask",
    "DataLoader",
    "Dataset",
    "LeetCodeHardEval",
    "MMLUInstanceDataset",
    "Scorer",
    "bbh_scorer",
    "generate_object_counting",
    "integers_match",
    "load_extra_task",
    "load_instance_task",
    "load_task",
    "parse_integer_answer",
    "sorted_words_match",
]
