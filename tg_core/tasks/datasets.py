"""Benchmark datasets with TextGrad's splits: BIG-Bench Hard tasks and GSM8K (DSPy's split)."""

from __future__ import annotations

import json
import os
import random
from collections.abc import Iterator
from typing import Any

from ..errors import UserError
from .bbh_tasks import BBH_TASKS
from .data_files import data_file

BBH_SPLITS = {"train": (0, 50), "val": (50, 150), "test": (150, None)}
GSM8K_SPLITS = {"train": (0, 200), "val": (200, 500)}

BBH_INSTRUCTIONS = {name: task.instruction for name, task in BBH_TASKS.items()}
GSM8K_INSTRUCTION = (
    "You will answer a mathematical reasoning question. Think step by step. The last line of "
    "your response must be 'Answer: $VALUE' where VALUE is a number."
)

PathLike = str | os.PathLike[str]


class Dataset:
    """A list of ``(question, answer)`` pairs with a task description.

    Example:
        >>> ds = Dataset([("2+2?", "4")], "Add.")
        >>> len(ds), ds[0], ds.get_task_description()
        (1, ('2+2?', '4'), 'Add.')
    """

    def __init__(self, items: list[tuple[str, str]], description: str, source: str = "") -> None:
        self.items = items
        self.description = description
        self.source = source

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> tuple[str, str]:
        return self.items[index]

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self.items)

    def get_task_description(self) -> str:
        """The starting instruction for this task."""
        return self.description

    def get_default_task_instruction(self) -> str:
        """Same as :meth:`get_task_description` (TextGrad's other name)."""
        return self.description


def _slice(rows: list[Any], bounds: tuple[int, int | None]) -> list[Any]:
    return rows[bounds[0] : bounds[1]]


def load_bbh(task: str, split: str, data_dir: PathLike | None = None) -> Dataset:
    """A BIG-Bench Hard task split (train 0-50, val 50-150, test 150-).

    Example:
        >>> load_bbh("object_counting", "bogus")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        tg_core.errors.UserError: split must be one of ...
    """
    if split not in BBH_SPLITS:
        raise UserError(f"split must be one of {sorted(BBH_SPLITS)}, got {split!r}")
    if task not in BBH_INSTRUCTIONS:
        raise UserError(f"unknown BBH task {task!r}; known: {sorted(BBH_INSTRUCTIONS)}")
    path = data_file(f"bbh/{task}.json", data_dir)
    rows = json.loads(path.read_text("utf-8"))["examples"]
    items = [(r["input"], str(r["target"])) for r in _slice(rows, BBH_SPLITS[split])]
    return Dataset(items, BBH_INSTRUCTIONS[task], source=str(path))


def _gsm8k_rows(path: PathLike) -> list[tuple[str, str]]:
    rows = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            record = json.loads(line)
            tokens = record["answer"].strip().split()
            if len(tokens) < 2 or tokens[-2] != "####":
                raise UserError(f"GSM8K answer without '#### <number>': {record['answer'][-80:]!r}")
            rows.append((record["question"], str(int(tokens[-1].replace(",", "")))))
    return rows


def load_gsm8k_dspy(split: str, data_dir: PathLike | None = None) -> Dataset:
    """GSM8K with DSPy's split: the train file shuffled with ``random.Random(0)``, first 200
    for train and next 300 for validation; the test file (also shuffled with seed 0) for test.
    """
    if split not in ("train", "val", "test"):
        raise UserError(f"split must be train, val or test, got {split!r}")
    name = "test" if split == "test" else "train"
    path = data_file(f"gsm8k/{name}.jsonl", data_dir)
    rows = _gsm8k_rows(path)
    random.Random(0).shuffle(rows)
    if split != "test":
        rows = _slice(rows, GSM8K_SPLITS[split])
    return Dataset(rows, GSM8K_INSTRUCTION, source=str(path))
