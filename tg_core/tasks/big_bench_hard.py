"""TextGrad's ``tasks.big_bench_hard`` path: a BIG-Bench Hard split as a dataset object, and
TextGrad's integer check."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from ..prompts import load_prompt
from ..variable import Variable
from . import answers
from .datasets import BBH_INSTRUCTIONS, Dataset, PathLike, load_bbh

__all__ = ["BigBenchHard", "parse_integer_answer", "string_based_equality_fn"]


def parse_integer_answer(answer: str, only_first_line: bool = False) -> int:
    """The last integer in ``answer`` (or in its first line), ``0`` when there is none.

    Example:
        >>> parse_integer_answer("So 3 + 4 = 7.\\nAnswer: 7"), parse_integer_answer("none")
        (7, 0)
        >>> parse_integer_answer("12 apples\\nno, 13", only_first_line=True)
        12
    """
    if only_first_line:
        answer = (answer.strip().splitlines() or [""])[0]
    found = answers.parse_integer_answer(answer)
    return 0 if found is None else found


def string_based_equality_fn(prediction: Variable, ground_truth_answer: Variable) -> int:
    """1 when the prediction's integer equals the ground truth's, else 0.

    Example:
        >>> string_based_equality_fn(Variable("Answer: 8", role_description="p"),
        ...                          Variable("8", role_description="t"))
        1
    """
    truth = parse_integer_answer(str(ground_truth_answer.value))
    return int(parse_integer_answer(str(prediction.value)) == truth)


class BigBenchHard(Dataset):
    """One split of a BIG-Bench Hard task (train 0-50, val 50-150, test 150-).

    Args:
        task_name: e.g. ``"object_counting"``.
        root: TextGrad's cache folder holding ``<task_name>/<split>.csv`` (read when present),
            or a data folder with ``bbh/<task_name>.json``.
        split: ``"train"``, ``"val"`` or ``"test"``.
        data_dir: a data folder with ``bbh/<task_name>.json`` (see :func:`load_bbh`).

    Example:
        >>> import json, pathlib, tempfile
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> (folder / "bbh").mkdir()
        >>> rows = [{"input": f"q{i}", "target": str(i)} for i in range(160)]
        >>> _ = (folder / "bbh" / "object_counting.json").write_text(json.dumps({"examples": rows}))
        >>> test = BigBenchHard("object_counting", split="test", data_dir=folder)
        >>> len(test), test[0]
        (10, ('q150', '150'))
    """

    def __init__(
        self,
        task_name: str,
        root: PathLike | None = None,
        split: str = "train",
        *args: Any,
        data_dir: PathLike | None = None,
        **kwargs: Any,
    ) -> None:
        self.task_name = task_name
        self.root = root
        self.split = split
        cached = Path(root) / task_name / f"{split}.csv" if root is not None else None
        if cached is not None and cached.is_file():
            with open(cached, encoding="utf-8", newline="") as handle:
                items = [(row["x"], str(row["y"])) for row in csv.DictReader(handle)]
            generic = load_prompt("task_reasoning_instruction").text
            super().__init__(items, BBH_INSTRUCTIONS.get(task_name, generic), str(cached))
            return
        loaded = load_bbh(task_name, split, data_dir if data_dir is not None else root)
        super().__init__(loaded.items, loaded.description, loaded.source)
