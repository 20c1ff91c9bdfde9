"""TextGrad's ``tasks.leetcode`` path: LeetCode Hard problems with their tests."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..prompts import load_prompt
from .local_data import PathLike, find_data_file

__all__ = ["LeetCodeHardEval"]

URL = "https://raw.githubusercontent.com/vinid/data/master/leetcode_with_tests.jsonl"


class LeetCodeHardEval:
    """LeetCode Hard problems: items are ``(task_id, prompt, tests)``.

    The file is ``leetcode-hard.jsonl`` (fields ``task_id``, ``prompt``, ``test``): in
    ``root``, in a data folder as ``leetcode/leetcode-hard.jsonl``, or downloaded once.

    Args:
        root: a folder with ``leetcode-hard.jsonl`` (TextGrad's cache layout).
        data_dir: a data folder with ``leetcode/leetcode-hard.jsonl``.
        download: fetch the public file when no local copy is found.

    Example:
        >>> import json, pathlib, tempfile
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> row = {"task_id": "two-sum", "prompt": "def f(): ...", "test": "assert f() is None"}
        >>> _ = (folder / "leetcode-hard.jsonl").write_text(json.dumps(row) + "\\n")
        >>> LeetCodeHardEval(folder)[0][0]
        'two-sum'
    """

    def __init__(
        self,
        root: PathLike | None = None,
        *,
        data_dir: PathLike | None = None,
        download: bool = True,
    ) -> None:
        self.root = root
        direct = Path(root) / "leetcode-hard.jsonl" if root is not None else None
        if direct is not None and direct.is_file():
            path = direct
        else:
            names = ["leetcode/leetcode-hard.jsonl"]
            path = find_data_file("LeetCodeHard", names, data_dir, root, url=URL, download=download)
        with open(path, encoding="utf-8") as handle:
            self.dataset: list[dict[str, Any]] = [json.loads(x) for x in handle if x.strip()]
        self._task_description = load_prompt("leetcode_task").text

    def get_task_description(self) -> str:
        """What the task asks for."""
        return self._task_description

    def __getitem__(self, index: int) -> tuple[str, str, str]:
        row = self.dataset[index]
        return row["task_id"], row["prompt"], row["test"]

    def __len__(self) -> int:
        return len(self.dataset)

    def __iter__(self) -> Iterator[tuple[str, str, str]]:
        return (self[i] for i in range(len(self)))
