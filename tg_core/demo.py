"""The main job: TextGrad's shirts example, then a searching system-prompt optimization on a
BIG-Bench Hard task, on the embedded local model (or any engine), with held-out test accuracy."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .demo_progress import PhaseLines, pct, say
from .demo_shirts import shirts
from .engine.registry import get_engine
from .engine.usage import track_usage
from .recipes import QATask, SystemPromptProgram, aoptimize_system_prompt, direct_instruction
from .tasks import bbh_scorer, load_task
from .train import FitConfig, FitResult, load_checkpoint

DEMO_TASK = "web_of_lies"
"""The demo's task: one where the local model has room under the demo's answer cap (see
benchmarks/RESULTS.md: the seed prompt's reasoning does not fit in 64 tokens)."""


@dataclass
class DemoConfig:
    """Sizes of the demo run (the defaults finish within 15 minutes on two CPU cores).

    Example:
        >>> DemoConfig().steps
        3
    """

    engine: str = "local"
    task: str = DEMO_TASK
    val_size: int = 10
    test_size: int = 40
    steps: int = 3
    batch_size: int = 3
    num_candidates: int = 4
    val_sample: int = 5
    max_tokens: int = 64
    direct: bool = False
    seed: int = 0
    data_dir: str | None = None
    run_dir: str | None = None
    fresh: bool = False
    progress: bool | None = None
    skip_shirts: bool = False


def demo_task(cfg: DemoConfig) -> QATask:
    """The demo's task with TextGrad's splits, validation and test cut to the demo's sizes."""
    train, val, test, _ = load_task(f"BBH_{cfg.task}", None, data_dir=cfg.data_dir)
    seed = train.get_task_description()
    return QATask(
        cfg.task,
        list(train),
        list(val)[: cfg.val_size],
        list(test)[: cfg.test_size],
        bbh_scorer(cfg.task),
        direct_instruction(seed) if cfg.direct else seed,
        source=str(train.source),
    )


def finished_run(cfg: DemoConfig) -> dict[str, Any] | None:
    """The checkpoint of a finished run in the demo's folder, if there is one."""
    if cfg.run_dir is None or cfg.fresh:
        return None
    saved = load_checkpoint(Path(cfg.run_dir))
    if saved is None or saved.get("next_step") != saved.get("fingerprint", {}).get("total_steps"):
        return None
    return saved


def show_steps(result: FitResult) -> None:
    """What each step did, one line per candidate."""
    say("\nwhat each step did:")
    for r in result.history:
        say(
            f"  step {r.step + 1} (training examples {r.batch}): "
            f"{'kept' if r.accepted else 'not kept'}"
        )
        for c in r.candidates:
            say(f"    candidate {c.index} {c.operator:8s} {c.status:12s} {c.reason}")


async def prompt_optimization(engine: Any, cfg: DemoConfig) -> None:
    """Search for a better system prompt; held-out test accuracy before and after."""
    say(f"\n== 2. System prompt optimization on BIG-Bench Hard {cfg.task} ==")
    task = demo_task(cfg)
    say(
        f"data: {task.source}; {len(task.train)} train, {len(task.val)} validation, {len(task.test)} held-out test questions"
    )
    done = finished_run(cfg)
    if done is not None:
        say(
            f"found a finished run in {cfg.run_dir} (validation {pct(done['initial_score'])} -> "
            f"{pct(done['best_score'])}); nothing was rerun. Start over with --fresh (after "
            f"`make`: `.venv/bin/tg-core demo --fresh`), or delete the folder, or pass another "
            f"--run-dir."
        )
        say(f"its final system prompt:\n{done['best_values'][0]}")
        return
    if cfg.fresh and cfg.run_dir is not None:
        ckpt = Path(cfg.run_dir) / "checkpoint.json"
        if ckpt.exists():
            ckpt.unlink()
    program = SystemPromptProgram(engine, task, max_tokens=cfg.max_tokens)
    say(f"seed system prompt:\n{program.prompt}\n")
    say(f"measuring the seed prompt on the {len(task.test)} held-out test questions ...")
    started = time.monotonic()
    before, _ = await program.accuracy(task.test)
    say(
        f"[{time.monotonic() - started:5.0f} s] held-out test accuracy of the seed prompt: {pct(before)}"
    )
    config = FitConfig(
        steps=cfg.steps,
        batch_size=cfg.batch_size,
        seed=cfg.seed,
        num_candidates=cfg.num_candidates,
        operators=("delete", "edit", "example", "rewrite"),
        pool=True,
        feedback="relay",
        val_sample=cfg.val_sample,
        run_dir=cfg.run_dir,
        progress=cfg.progress,
    )
    result = await aoptimize_system_prompt(program, config=config, callbacks=[PhaseLines()])
    say(f"measuring the final prompt on the {len(task.test)} held-out test questions ...")
    after, _ = await program.accuracy(task.test)
    show_steps(result)
    say(
        f"\nvalidation accuracy ({len(task.val)} questions): {pct(result.initial_score)} -> {pct(result.best_score)}"
    )
    say(
        f"held-out test accuracy ({len(task.test)} questions): {pct(before)} -> {pct(after)} ({100 * (after - before):+.1f} points)"
    )
    say(f"final system prompt:\n{program.prompt}")
    say(f"run usage: {result.usage}")
    if result.run_dir is not None:
        say(f"report: {result.run_dir / 'report.html'}")


async def run_demo(cfg: DemoConfig) -> None:
    """Both parts, with the usage and wall time of the whole job at the end."""
    engine = get_engine(cfg.engine)
    say(f"engine: {engine!r}")
    started = time.monotonic()
    with track_usage("demo") as scope:
        if not cfg.skip_shirts:
            await shirts(engine)
        await prompt_optimization(engine, cfg)
    say(
        f"\n== usage: {scope.usage.calls} model calls ({scope.usage.cached_calls} from cache), "
        f"{scope.usage.prompt_tokens} prompt + {scope.usage.completion_tokens} completion tokens, "
        f"wall time {time.monotonic() - started:.1f} s =="
    )


def main_demo(cfg: DemoConfig) -> int:
    """Run the demo; returns an exit code."""
    asyncio.run(run_demo(cfg))
    return 0
