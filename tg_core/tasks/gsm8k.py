"""TextGrad's ``tasks.gsm8k`` path: GSM8K with TextGrad's split and with DSPy's split."""

from __future__ import annotations

import json
from typing import Any

from ..errors import UserError
from .data_files import data_file
from .datasets import GSM8K_INSTRUCTION, Dataset, PathLike, load_gsm8k_dspy

__all__ = ["GSM8K", "GSM8K_DSPy"]

# TextGrad's split of the ``main`` subset: rows of the official files.
_SPLITS = {"train": ("train", 100, None), "val": ("train", 0, 100), "test": ("test", 0, 300)}


class GSM8K(Dataset):
    """GSM8K's ``main`` subset with TextGrad's split: val is the first 100 training problems,
    train the rest, test the first 300 test problems. Items are ``("Question: ...", answer)``
    with the full worked answer (ending ``#### <number>``).

    Args:
        subset: ``"main"`` (the files of openai/grade-school-math).
        root: a data folder with ``gsm8k/train.jsonl`` and ``gsm8k/test.jsonl`` (else
            ``$TG_CORE_DATA_DIR`` or the download cache).
        split: ``"train"``, ``"val"`` or ``"test"``.

    Example:
        >>> GSM8K("socratic")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        tg_core.errors.UserError: GSM8K subset 'socratic' is not available...
    """

    def __init__(
        self, subset: str, root: PathLike | None = None, split: str = "train", *args: Any, **kw: Any
    ) -> None:
        if subset != "main":
            raise UserError(
                f"GSM8K subset {subset!r} is not available: use 'main' (openai/grade-school-math)"
            )
        if split not in _SPLITS:
            raise UserError(f"split must be train, val or test, got {split!r}")
        name, start, stop = _SPLITS[split]
        path = data_file(f"gsm8k/{name}.jsonl", root)
        with open(path, encoding="utf-8") as handle:
            rows = [json.loads(line) for line in handle if line.strip()]
        items = [(f"Question: {r['question']}", str(r["answer"])) for r in rows[start:stop]]
        super().__init__(items, GSM8K_INSTRUCTION, str(path))
        self.root, self.subset, self.split = root, subset, split


class GSM8K_DSPy(GSM8K):  # TextGrad's class name
    """GSM8K with DSPy's split (see :func:`~tg_core.tasks.datasets.load_gsm8k_dspy`); answers
    are the final numbers.

    Example:
        >>> GSM8K_DSPy(split="dev")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        tg_core.errors.UserError: split must be train, val or test, got 'dev'
    """

    def __init__(self, root: PathLike | None = None, split: str = "train") -> None:
        loaded = load_gsm8k_dspy(split, root)
        Dataset.__init__(self, loaded.items, loaded.description, loaded.source)
        self.root, self.subset, self.split = root, "main", split
