"""The quality comparison of ``benchmarks.run --quality``: which tasks, systems and seeds.

The plan is the search study (:mod:`benchmarks.search_study`) in one setting: each BBH task's
own step-by-step seed prompt with every answer capped at 64 tokens, TextGrad's 50 train
examples, the first 10 of the val split, the first 100 of the test split, 100 model calls per
fit. A run already in the results file with the same setting is not run again, so the
comparison can be stopped and resumed; the hand-written prompts of each task (the headroom
check) are tested first.

Example:
    >>> plan = Plan(tasks=("web_of_lies",), systems=("tgd",), seeds=(0, 1))
    >>> done = [{"task": "web_of_lies", "system": "tgd", "seed": 0, "budget": 100,
    ...          "val_n": 10, "test_n": 100, "answer_max_tokens": 64}]
    >>> [(r.task, r.system, r.seed) for r in plan.pending(done)]
    [('web_of_lies', 'tgd', 1)]
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

TASKS = ("web_of_lies", "sports_understanding")
SYSTEMS = ("search-sweep", "tgd", "textgrad", "gepa")
SEEDS = (0, 1, 2)


@dataclass(frozen=True)
class Run:
    """One fit of the plan (a hand-written prompt's test when ``system`` is ``hand:<name>``)."""

    task: str
    system: str
    seed: int


@dataclass(frozen=True)
class Plan:
    """The setting every run shares, and which runs it holds.

    Attributes:
        budget: model calls per fit.
        val_n: validation examples (the first of TextGrad's val split).
        test_n: test examples (the first of TextGrad's test split).
        answer_max_tokens: the cap on every answer to a question.
        val_sample: the searching loop's first validation stage.
    """

    tasks: tuple[str, ...] = TASKS
    systems: tuple[str, ...] = SYSTEMS
    seeds: tuple[int, ...] = SEEDS
    budget: int = 100
    val_n: int = 10
    test_n: int = 100
    answer_max_tokens: int = 64
    val_sample: int = 5

    def same_setting(self, row: Mapping[str, Any], *, fit: bool = True) -> bool:
        """Whether a stored row was measured in this plan's setting."""
        shared = row.get("test_n") == self.test_n and (
            row.get("answer_max_tokens") == self.answer_max_tokens
        )
        if not fit:
            return shared
        return shared and row.get("budget") == self.budget and row.get("val_n") == self.val_n

    def pending(self, rows: Iterable[Mapping[str, Any]]) -> list[Run]:
        """The plan's fits that ``rows`` does not hold yet, task by task, seed 0 first."""
        done = {(r["task"], r["system"], r["seed"]) for r in rows if self.same_setting(r)}
        wanted = [
            Run(task, system, seed)
            for task in self.tasks
            for seed in self.seeds
            for system in self.systems
        ]
        return [r for r in wanted if (r.task, r.system, r.seed) not in done]

    def hand_pending(
        self, rows: Iterable[Mapping[str, Any]], written: Mapping[str, Mapping[str, str]]
    ) -> dict[str, list[str]]:
        """Per task, the hand-written prompts whose test score ``rows`` does not hold yet."""
        done = {(r["task"], r["system"]) for r in rows if self.same_setting(r, fit=False)}
        return {
            task: names
            for task in self.tasks
            if (names := [n for n in written.get(task, {}) if (task, f"hand:{n}") not in done])
        }


def study_args(plan: Plan, task: str, data_dir: str) -> list[str]:
    """The ``benchmarks.search_study`` arguments of ``plan``'s setting for ``task``."""
    return [
        "--task", task,
        "--budget", str(plan.budget),
        "--val-n", str(plan.val_n),
        "--val-sample", str(plan.val_sample),
        "--test-n", str(plan.test_n),
        "--max-tokens", str(plan.answer_max_tokens),
        "--data-dir", data_dir,
    ]  # fmt: skip


def describe(runs: Sequence[Run]) -> str:
    """One line naming the runs left."""
    if not runs:
        return "every run of the plan is measured"
    shown = ", ".join(f"{r.task} {r.system} seed {r.seed}" for r in runs[:6])
    more = f" and {len(runs) - 6} more" if len(runs) > 6 else ""
    return f"{len(runs)} runs to measure: {shown}{more}"
