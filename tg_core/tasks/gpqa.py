"""TextGrad's ``tasks.gpqa`` path: GPQA questions from the public CSV, for test-time work."""

from __future__ import annotations

import csv
import random
from typing import Any

from ..errors import UserError
from ..prompts import load_prompt, render
from .local_data import PathLike, find_data_file
from .multiple_choice import LETTERS, ChoiceDataset, InstanceChoiceDataset, question_text
from .multiple_choice import eval_string_based as eval_string_based

__all__ = [
    "GPQA",
    "GPQAInstanceDataset",
    "GPQAInstanceDatasetOpenAI",
    "eval_string_based",
    "load_gpqa_rows",
]

SUBSETS = ("gpqa_main", "gpqa_diamond", "gpqa_extended")
_URL = "https://openaipublic.blob.core.windows.net/simple-evals/gpqa_{}.csv"
_WRONG = ("Incorrect Answer 1", "Incorrect Answer 2", "Incorrect Answer 3")


def load_gpqa_rows(subset: str, *folders: PathLike | None) -> list[dict[str, str]]:
    """The rows of ``gpqa/<subset>.csv`` (GPQA's CSV: ``Question``, ``Correct Answer``,
    ``Incorrect Answer 1..3``), from a data folder or downloaded once from the public copy.

    Raises:
        UserError: an unknown subset.
        DataUnavailable: no file and no download; the message says where to put it.

    Example:
        >>> load_gpqa_rows("gpqa_tiny")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        tg_core.errors.UserError: GPQA subset must be one of ('gpqa_main', ...
    """
    if subset not in SUBSETS:
        raise UserError(f"GPQA subset must be one of {SUBSETS}, got {subset!r}")
    url = _URL.format(subset.removeprefix("gpqa_"))
    path = find_data_file(f"GPQA {subset}", [f"gpqa/{subset}.csv"], *folders, url=url)
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _shuffled_item(row: dict[str, str], order: list[int]) -> tuple[str, str]:
    """The question with its choices in ``order`` (indices into correct, wrong1..3)."""
    pool = [row["Correct Answer"].strip(), *(row[k].strip() for k in _WRONG)]
    choices = [pool[i] for i in order]
    return question_text(row["Question"], choices), LETTERS[order.index(0)]


def _items(rows: list[dict[str, str]], max_samples: int) -> list[tuple[str, str]]:
    """Choices shuffled per question with a seed of its own (42 + its index)."""
    chosen = rows[:max_samples] if max_samples > 0 else rows
    return [
        _shuffled_item(r, random.Random(42 + i).sample(range(4), 4)) for i, r in enumerate(chosen)
    ]


class GPQA(ChoiceDataset):
    """A GPQA subset: items are ``(question with lettered choices, letter)``.

    Args:
        subset: ``"gpqa_main"``, ``"gpqa_diamond"`` or ``"gpqa_extended"``.
        root: a data folder holding ``gpqa/<subset>.csv``.
        max_samples: keep only the first ones (``-1``: all).
    """

    def __init__(
        self,
        subset: str,
        root: PathLike | None = None,
        *args: Any,
        max_samples: int = -1,
        data_dir: PathLike | None = None,
        **kwargs: Any,
    ) -> None:
        rows = load_gpqa_rows(subset, data_dir, root)
        items = [
            (render("multiple_choice_instance", question=q), a)
            for q, a in _items(rows, max_samples)
        ]
        super().__init__(items, load_prompt("multiple_choice_task").text, subset)
        self.root, self.subset = root, subset


class GPQAInstanceDataset(InstanceChoiceDataset):
    """GPQA questions for test-time optimization: ``(question, answer, test_time_objective,
    instance_eval_fn)`` per item."""

    instruction_prompt = "test_time_instruction_gpqa"

    def __init__(
        self,
        evaluation_api: Any,
        subset: str,
        root: PathLike | None = None,
        split: str = "train",
        max_samples: int = -1,
        *,
        data_dir: PathLike | None = None,
    ) -> None:
        rows = load_gpqa_rows(subset, data_dir, root)
        description = load_prompt("multiple_choice_task").text
        super().__init__(_items(rows, max_samples), description, subset, evaluation_api)
        self.root, self.subset = root, subset


class GPQAInstanceDatasetOpenAI(GPQAInstanceDataset):
    """Like :class:`GPQAInstanceDataset`, with the choice order of OpenAI's simple-evals: one
    ``random.Random(0)`` draws a permutation for each question in turn."""

    def __init__(
        self,
        evaluation_api: Any,
        subset: str,
        root: PathLike | None = None,
        *args: Any,
        data_dir: PathLike | None = None,
        **kwargs: Any,
    ) -> None:
        rows = load_gpqa_rows(subset, data_dir, root)
        rng = random.Random(0)
        items = [_shuffled_item(r, rng.sample(range(4), 4)) for r in rows]
        description = load_prompt("multiple_choice_task").text
        InstanceChoiceDataset.__init__(self, items, description, subset, evaluation_api)
        self.root, self.subset = root, subset
