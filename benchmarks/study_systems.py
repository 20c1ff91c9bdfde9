"""How each system of the search study optimizes a system prompt under the same call budget.

tg_core's two loops run in this process; TextGrad 0.1.8 (its own venv) and DSPy's GEPA run as
drivers in fresh processes. Every fit talks to the model through a counting proxy, starts
from an empty cache and gets the same budget, the same splits, the same seed prompt and the
same scorer; what a fit produced is a :class:`Fit`.
"""

from __future__ import annotations

import json
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tg_core.demo import DemoConfig, demo_task
from tg_core.engine.local_engine import LocalEngine
from tg_core.engine.usage import Budget
from tg_core.recipes import QATask, SystemPromptProgram, aoptimize_system_prompt
from tg_core.recipes.system_prompt import PROMPT_ROLE
from tg_core.tasks import bbh_scorer
from tg_core.tasks.scoring import EVAL_PURPOSE
from tg_core.train import FitCallback, FitConfig, StepRecord, batch_indices

from .procs import driver_env, run_driver
from .proxy import CountingProxy
from .score_service import ScoreService

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
QUESTION_ROLE = "question to the LLM"
TRUTH_ROLE = "correct answer to the question"
VARIANTS: dict[str, dict[str, Any]] = {
    "tgd": {"num_candidates": 1, "pool": False, "operators": ("rewrite",), "feedback": "critic"},
    "search": {
        "num_candidates": 3,
        "pool": True,
        "operators": ("edit", "example", "rewrite"),
        "feedback": "critic",
    },
}
VARIANTS["tgd-relay"] = {**VARIANTS["tgd"], "feedback": "relay"}
VARIANTS["search-relay"] = {
    "num_candidates": 4,
    "pool": True,
    "operators": ("delete", "edit", "example", "rewrite"),
    "feedback": "relay",
}
VARIANTS["search-sweep"] = {**VARIANTS["search-relay"], "deletions": 3}
SHAPES = {
    "tgd": "system prompt + question (tg_core BlackboxLLM)",
    "search": "system prompt + question (tg_core BlackboxLLM)",
    "tgd-relay": "system prompt + question (tg_core BlackboxLLM)",
    "search-relay": "system prompt + question (tg_core BlackboxLLM)",
    "search-sweep": "system prompt + question (tg_core BlackboxLLM)",
    "textgrad": "system prompt + question (TextGrad BlackboxLLM)",
    "gepa": "DSPy ChainOfThought instruction (question -> reasoning, answer; ChatAdapter)",
}


@dataclass
class Settings:
    """One comparison: task, splits, budget and caps, the same for every system.

    Attributes:
        budget: model calls a fit may send (validation and the baseline included).
        max_steps: a ceiling on steps for the step-based loops (the budget ends them first).
        answer_max_tokens: ``max_tokens`` of every answer to a question.
        max_tokens: ``max_tokens`` of the other calls (feedback, proposals, reflection).
        eval_cache: where test answers are cached (``tg_core/``, ``dspy/``), kept across runs.
        work: scratch space of the runs (fit caches, driver inputs).
        direct: ask for the answer line alone instead of step-by-step reasoning (answers of
            a few tokens: what lets a study of this size run on a two-core machine).
    """

    task: str = "web_of_lies"
    budget: int = 200
    batch: int = 3
    val_n: int = 30
    val_sample: int = 10
    test_n: int = 100
    answer_max_tokens: int = 256
    max_tokens: int = 512
    max_steps: int = 200
    data_dir: Path = DATA
    direct: bool = False
    eval_cache: Path = ROOT / "benchmarks" / "out" / "study-eval-cache"
    work: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="tg-study-")))


@dataclass
class Fit:
    """What one system's fit produced (scores in the system's own call shape)."""

    final_prompt: str
    val_before: float | None
    val_after: float | None
    stopped: str
    server: dict[str, Any] | None = None
    details: dict[str, Any] = field(default_factory=dict)


def make_task(s: Settings) -> QATask:
    """The BBH task with TextGrad's splits, val and test cut to fixed leading slices."""
    data_dir = str(s.data_dir) if s.data_dir.is_dir() else None
    config = DemoConfig(
        task=s.task, val_size=s.val_n, test_size=s.test_n, data_dir=data_dir, direct=s.direct
    )
    return demo_task(config)


def step_batches(s: Settings, n_train: int, seed: int) -> list[list[int]]:
    """The minibatch of every step, as tg_core's loop draws them (TextGrad gets the same)."""
    return [batch_indices(i, n_train, s.batch, seed)[1] for i in range(s.max_steps)]


class ProxiedLocalEngine(LocalEngine):
    """The local engine, every call sent through ``base_url`` (the counting proxy)."""

    def __init__(self, base_url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._proxy = base_url

    async def _resolve_endpoint(self) -> tuple[str, str | None]:
        return f"openai/{self._alias}", self._proxy


class Lines(FitCallback):
    """A line per step on stdout."""

    def on_step_end(self, record: StepRecord) -> None:
        kept = "kept" if record.accepted else "not kept"
        print(f"  step {record.step}: {kept}: {record.reason} ({record.seconds:.0f} s)", flush=True)


async def fit_tg_core(
    variant: str, s: Settings, task: QATask, seed: int, proxy: CountingProxy
) -> Fit:
    """tg_core's loop (``tgd``: TextGrad's; ``search``: the searching one) under the budget."""
    engine = ProxiedLocalEngine(proxy.base_url, cache=tempfile.mkdtemp(dir=s.work))
    program = SystemPromptProgram(engine, task, max_tokens=s.answer_max_tokens)
    config = FitConfig(
        steps=s.max_steps,
        batch_size=s.batch,
        seed=seed,
        budget=Budget(max_calls=s.budget),
        val_sample=s.val_sample if variant.startswith("search") else None,
        progress=False,
        run_dir=s.work / f"fit-{variant}-seed{seed}",
        **VARIANTS[variant],
    )
    print(f"  run record and report: {config.run_dir}", flush=True)
    result = await aoptimize_system_prompt(program, config=config, callbacks=[Lines()])
    return Fit(
        str(program.prompt.value),
        result.initial_score,
        result.best_score,
        str(result.stopped_reason),
        details={
            "kept_steps": result.accepted_steps,
            "steps": len(result.history),
            "own_calls": result.usage.calls,
        },
    )


def _data_file(s: Settings, task: QATask, with_test: bool) -> str:
    splits = {"train": task.train, "val": task.val} | ({"test": task.test} if with_test else {})
    path = Path(tempfile.mkstemp(suffix=".json", dir=s.work)[1])
    path.write_text(json.dumps(splits), encoding="utf-8")
    return str(path)


def _common(s: Settings, task: QATask, proxy: CountingProxy, model: str) -> dict[str, Any]:
    return {
        "base_url": proxy.base_url,
        "model": model,
        "budget": s.budget,
        "answer_max_tokens": s.answer_max_tokens,
        "max_tokens": s.max_tokens,
        "seed_prompt": task.seed_prompt,
    }


def fit_textgrad(
    s: Settings, task: QATask, seed: int, proxy: CountingProxy, model: str, python: Path
) -> Fit:
    """TextGrad 0.1.8's loop in its venv, scoring through a :class:`ScoreService`."""
    with ScoreService(bbh_scorer(task.name)) as service:
        args = _common(s, task, proxy, model) | {
            "score_url": service.url,
            "data_file": _data_file(s, task, with_test=False),
            "batches": step_batches(s, len(task.train), seed),
            "prompt_role": PROMPT_ROLE,
            "question_role": QUESTION_ROLE,
            "truth_role": TRUTH_ROLE,
            "check_purpose": EVAL_PURPOSE,
        }
        result, _ = run_driver(
            python, "textgrad_bbh.py", args, s.work, env=driver_env(s.work), timeout=24 * 3600
        )
    kept = sum(1 for h in result["history"] if h.get("accepted"))
    return Fit(
        result["final_prompt"],
        result["initial_val"],
        result["best_val"],
        result["stopped"],
        details={
            "kept_steps": kept,
            "steps": len(result["history"]),
            "own_calls": result["calls"],
            "history": result["history"],
        },
    )


def fit_gepa(s: Settings, task: QATask, seed: int, proxy: CountingProxy, model: str) -> Fit:
    """DSPy's GEPA in a fresh process of this interpreter, with this checkout importable."""
    args = _common(s, task, proxy, model) | {
        "task": task.name,
        "data_file": _data_file(s, task, with_test=True),
        "batch": s.batch,
        "seed": seed,
        "cache_dir": tempfile.mkdtemp(dir=s.work),
        "eval_cache_dir": str(s.eval_cache / "dspy"),
    }
    env = driver_env(s.work, {"PYTHONPATH": str(ROOT)})
    result, _ = run_driver(sys.executable, "gepa_bbh.py", args, s.work, env=env, timeout=24 * 3600)
    return Fit(
        result["final_prompt"],
        result["initial_val"],
        result["best_val"],
        result["stopped"],
        server=result["server"],
        details={
            "test_before_native": result["test_before_native"],
            "test_after_native": result["test_after_native"],
            "candidates": result["candidates"],
            "metric_calls": result["metric_calls"],
            "reflection_replies": result["reflection_replies"],
        },
    )
