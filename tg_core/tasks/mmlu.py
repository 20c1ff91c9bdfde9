"""TextGrad's ``tasks.mmlu`` path: an MMLU subject from local files (or Hugging Face)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from ..errors import UserError
from ..prompts import load_prompt
from .data_files import DataUnavailable
from .local_data import PathLike, find_data_file
from .multiple_choice import LETTERS, ChoiceDataset, InstanceChoiceDataset, question_text
from .multiple_choice import eval_string_based as eval_string_based

__all__ = ["MMLU", "MMLUInstanceDataset", "eval_string_based", "load_mmlu_rows"]

# TextGrad's split names and the names of the original MMLU CSV folders.
_CSV_SPLIT = {"train": "dev", "validation": "val", "test": "test"}

Row = tuple[str, list[str], int]


def _read_jsonl(path: Path) -> list[Row]:
    with open(path, encoding="utf-8") as handle:
        records = [json.loads(line) for line in handle if line.strip()]
    return [(r["question"], [str(c) for c in r["choices"]], int(r["answer"])) for r in records]


def _read_csv(path: Path) -> list[Row]:
    with open(path, encoding="utf-8", newline="") as handle:
        return [(r[0], r[1:-1], LETTERS.index(r[-1].strip())) for r in csv.reader(handle) if r]


def load_mmlu_rows(subset: str, split: str, *folders: PathLike | None) -> list[Row]:
    """``(question, choices, answer index)`` rows of an MMLU subject's split.

    Reads ``mmlu/<subset>/<split>.jsonl`` (the Hugging Face ``cais/mmlu`` fields) or the
    original CSV ``mmlu/<dev|val|test>/<subset>_<dev|val|test>.csv`` from a data folder;
    without them, ``datasets.load_dataset("cais/mmlu", ...)`` when ``datasets`` is installed.

    Raises:
        UserError: an unknown split.
        DataUnavailable: no file and no way to fetch one; the message says where to put it.

    Example:
        >>> load_mmlu_rows("anatomy", "dev")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        tg_core.errors.UserError: MMLU split must be one of ['test', 'train', 'validation']...
    """
    if split not in _CSV_SPLIT:
        raise UserError(f"MMLU split must be one of {sorted(_CSV_SPLIT)}, got {split!r}")
    short = _CSV_SPLIT[split]
    names = [f"mmlu/{subset}/{split}.jsonl", f"mmlu/{short}/{subset}_{short}.csv"]
    try:
        path = find_data_file(f"MMLU {subset}/{split}", names, *folders)
    except DataUnavailable as missing:
        hub = _from_hub(subset, short if split == "train" else split, missing)
        if hub is None:
            raise
        return hub
    return _read_jsonl(path) if path.suffix == ".jsonl" else _read_csv(path)


def _from_hub(subset: str, split: str, missing: DataUnavailable) -> list[Row] | None:
    """The rows from Hugging Face when ``datasets`` is installed (None when it is not)."""
    try:
        from datasets import load_dataset
    except ImportError:
        return None
    try:
        data = load_dataset("cais/mmlu", subset, split=split)
    except Exception as exc:
        raise DataUnavailable(f"{missing}; Hugging Face failed too ({exc})") from exc
    return [(r["question"], [str(c) for c in r["choices"]], int(r["answer"])) for r in data]


def _items(rows: list[Row], max_samples: int) -> list[tuple[str, str]]:
    chosen = rows[:max_samples] if max_samples > 0 else rows
    return [(question_text(q, c), LETTERS[a]) for q, c, a in chosen]


class MMLU(ChoiceDataset):
    """An MMLU subject's split: items are ``(question with lettered choices, letter)``.

    Args:
        subset: the subject, e.g. ``"machine_learning"``.
        root: a data folder (see :func:`load_mmlu_rows`).
        split: ``"train"`` (MMLU's dev questions), ``"validation"`` or ``"test"``.
        max_samples: keep only the first ones (``-1``: all).
        data_dir: another name for ``root``.
    """

    def __init__(
        self,
        subset: str,
        root: PathLike | None = None,
        split: str = "train",
        max_samples: int = -1,
        *args: Any,
        data_dir: PathLike | None = None,
        **kwargs: Any,
    ) -> None:
        rows = load_mmlu_rows(subset, split, data_dir, root)
        description = load_prompt("multiple_choice_task").text
        super().__init__(_items(rows, max_samples), description, f"mmlu/{subset}/{split}")
        self.root, self.subset, self.split = root, subset, split


class MMLUInstanceDataset(InstanceChoiceDataset):
    """MMLU questions for test-time optimization: ``(question, answer, test_time_objective,
    instance_eval_fn)`` per item (see :class:`~.multiple_choice.InstanceChoiceDataset`).
    """

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
        rows = load_mmlu_rows(subset, split, data_dir, root)
        description = load_prompt("multiple_choice_task").text
        source = f"mmlu/{subset}/{split}"
        super().__init__(_items(rows, max_samples), description, source, evaluation_api)
        self.root, self.subset, self.split = root, subset, split
