"""Shared by every driver (stdlib only): arguments, result line, inputs, sim-server counters."""

from __future__ import annotations

import json
import resource
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

RESULT_MARK = "BENCH_RESULT "

# The same inputs for both libraries.
STARTING_PROMPT = (
    "You will answer a reasoning question. Think step by step. The last line of your "
    "response must be 'Answer: $VALUE' where VALUE is a number."
)
PROMPT_ROLE = "system prompt to the language model"
QUESTION_ROLE = "question to the language model"
LOSS_INSTRUCTION = (
    "Evaluate the answer to the question. Be logical and very critical. "
    "Point out any mistake in the reasoning and say how the answer should improve."
)
TRUTH_ROLE = "correct answer to the question"
CHECK_PURPOSE = (
    "Checks whether the last number in the prediction equals the correct answer: "
    "1 means correct, 0 means wrong."
)
FIXED_REPLY = (
    "The reasoning should list every item before counting. "
    "<IMPROVED_VARIABLE>Think step by step, list every item, then count them. "
    "End with 'Answer: $VALUE'.</IMPROVED_VARIABLE>"
)


def read_args() -> dict[str, Any]:
    """The driver's arguments: one JSON object in ``argv[1]``."""
    args: dict[str, Any] = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
    return args


def emit(result: dict[str, Any]) -> None:
    """Print the driver's result as the marked JSON line the orchestrator reads."""
    result.setdefault("peak_rss_mb", peak_rss_mb())
    print(RESULT_MARK + json.dumps(result), flush=True)


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def bbh_examples(data_dir: str, task: str = "object_counting") -> list[dict[str, str]]:
    """Every example of a BIG-Bench Hard task file, in file order."""
    path = Path(data_dir) / "bbh" / f"{task}.json"
    rows: list[dict[str, str]] = json.loads(path.read_text("utf-8"))["examples"]
    return rows


def questions(data_dir: str, start: int, count: int) -> list[str]:
    """``count`` object-counting questions from position ``start`` (wrapping around)."""
    rows = bbh_examples(data_dir)
    return [rows[(start + i) % len(rows)]["input"] for i in range(count)]


def _root(base_url: str) -> str:
    return base_url.rstrip("/")


def sim_reset(base_url: str) -> None:
    """Zero the simulated server's counters."""
    request = urllib.request.Request(_root(base_url) + "/stats/reset", data=b"", method="POST")
    with urllib.request.urlopen(request, timeout=10) as reply:
        reply.read()


def sim_stats(base_url: str) -> dict[str, Any]:
    """The simulated server's counters since the last reset."""
    with urllib.request.urlopen(_root(base_url) + "/stats", timeout=10) as reply:
        stats: dict[str, Any] = json.loads(reply.read())
    return stats


class Phases:
    """Wall-clock marks of one measured run: ``mark("forward")`` closes the current phase."""

    def __init__(self) -> None:
        self.start = time.perf_counter()
        self._cpu_start = time.process_time()
        self._last = self.start
        self.seconds: dict[str, float] = {}

    def mark(self, name: str) -> None:
        """End the phase called ``name`` now."""
        now = time.perf_counter()
        self.seconds[name] = now - self._last
        self._last = now

    @property
    def total(self) -> float:
        """Seconds from start to the last mark."""
        return self._last - self.start

    @property
    def cpu(self) -> float:
        """CPU seconds this process used since start (all its threads)."""
        return time.process_time() - self._cpu_start


def count_nodes(root: Any) -> int:
    """How many variables ``root`` depends on, itself included (walks ``.predecessors``)."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.extend(node.predecessors)
    return len(seen)


def samples_for_nodes(nodes: int) -> int:
    """Samples whose graph (question, answer, loss each; prompt, instruction, sum) has ``nodes``."""
    return max(1, (nodes - 3) // 3)
