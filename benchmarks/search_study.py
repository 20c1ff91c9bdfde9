"""Held-out gain of tg_core's search against TextGrad-style TGD, on the embedded local model.

Each run: the seed prompt's test accuracy (cached, shared by every run), a fit on the train
split validated on a fixed slice of the val split, then the final prompt's test accuracy.
Rows are appended to ``benchmarks/results/search_study.jsonl``; ``--summary`` prints the
table (mean and spread over seeds).

Example:
    python -m benchmarks.search_study --task web_of_lies --variant search --seeds 0 1 2
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from tg_core import get_engine
from tg_core.engine.usage import track_usage
from tg_core.recipes import QATask, SystemPromptProgram, aoptimize_system_prompt
from tg_core.tasks import bbh_scorer, load_task
from tg_core.train import FitCallback, FitConfig, StepRecord

RESULTS = Path(__file__).resolve().parent / "results" / "search_study.jsonl"
DATA = Path(__file__).resolve().parents[2] / "shared" / "data"

VARIANTS: dict[str, dict[str, Any]] = {
    "tgd": {"num_candidates": 1, "pool": False, "operators": ("rewrite",)},
    "search": {
        "num_candidates": 3,
        "pool": True,
        "operators": ("edit", "example", "rewrite"),
    },
}


COT = "Think step by step. The last line of your response must be"
DIRECT = "Reply with one line only:"


def make_task(name: str, val_n: int, test_n: int, *, direct: bool = False) -> QATask:
    """The BBH task ``name`` with TextGrad's splits, val and test cut to fixed slices.

    ``direct`` asks for the answer line alone instead of step-by-step reasoning (answers of
    a few tokens: what makes a study of this size fit on a two-core machine).
    """
    train, val, test, _ = load_task(f"BBH_{name}", None, data_dir=DATA if DATA.is_dir() else None)
    seed = train.get_task_description()
    return QATask(
        name,
        list(train),
        list(val)[:val_n],
        list(test)[:test_n],
        bbh_scorer(name),
        seed.replace(COT, DIRECT) if direct else seed,
        source=str(train.source),
    )


def make_engine(api_base: str | None) -> Any:
    """The local model: the managed server, or an OpenAI-compatible one at ``api_base``."""
    if api_base is None:
        return get_engine("local")
    return get_engine(
        "openai/q", api_base=api_base, api_key="EMPTY", temperature=0.0, max_tokens=512, timeout=900
    )


class Lines(FitCallback):
    """A line per step on stdout."""

    def on_step_end(self, record: StepRecord) -> None:
        kept = "kept" if record.accepted else "not kept"
        print(f"  step {record.step}: {kept}: {record.reason} ({record.seconds:.0f} s)", flush=True)


async def hand_rows(args: argparse.Namespace) -> list[dict[str, Any]]:
    """Test accuracy of the seed prompt and of each hand-written prompt (no optimization)."""
    from .hand_prompts import HAND_WRITTEN

    engine = make_engine(args.api_base)
    task = make_task(args.task, args.val_n, args.test_n, direct=args.direct)
    program = SystemPromptProgram(engine, task, max_tokens=args.max_tokens)
    seed_acc, _ = await program.accuracy(task.test)
    rows = []
    for name, text in HAND_WRITTEN.get(args.task, {}).items():
        started = time.monotonic()
        program.prompt.set_value(text)
        acc, _ = await program.accuracy(task.test)
        rows.append(
            {
                "task": args.task,
                "setting": "direct" if args.direct else "cot",
                "max_tokens": args.max_tokens,
                "variant": f"hand:{name}",
                "seed": 0,
                "val_n": len(task.val),
                "test_n": len(task.test),
                "test_before": seed_acc,
                "test_after": acc,
                "final_prompt": text,
                "fit_calls": 0,
                "wall_s": round(time.monotonic() - started, 1),
            }
        )
        print(f"  {name}: {acc:.1%} (seed prompt {seed_acc:.1%})", flush=True)
    return rows


async def one_run(args: argparse.Namespace, variant: str, seed: int) -> dict[str, Any]:
    """Fit one variant with one seed and measure the final prompt on the test slice."""
    engine = make_engine(args.api_base)
    task = make_task(args.task, args.val_n, args.test_n, direct=args.direct)
    program = SystemPromptProgram(engine, task, max_tokens=args.max_tokens)
    started = time.monotonic()
    before, _ = await program.accuracy(task.test)
    config = FitConfig(
        steps=args.steps,
        batch_size=args.batch,
        seed=seed,
        val_sample=args.val_sample,
        progress=False,
        **VARIANTS[variant],
    )
    with track_usage("fit") as scope:
        result = await aoptimize_system_prompt(program, config=config, callbacks=[Lines()])
    fit_usage = scope.usage.copy()
    after, _ = await program.accuracy(task.test)
    return {
        "task": args.task,
        "setting": "direct" if args.direct else "cot",
        "max_tokens": args.max_tokens,
        "variant": variant,
        "seed": seed,
        "steps": args.steps,
        "batch": args.batch,
        "val_n": len(task.val),
        "test_n": len(task.test),
        "val_before": result.initial_score,
        "val_after": result.best_score,
        "test_before": before,
        "test_after": after,
        "kept_steps": result.accepted_steps,
        "final_prompt": str(program.prompt.value),
        "fit_calls": fit_usage.calls,
        "fit_cached_calls": fit_usage.cached_calls,
        "fit_tokens": fit_usage.total_tokens,
        "wall_s": round(time.monotonic() - started, 1),
    }


def summary(path: Path = RESULTS) -> str:
    """Mean and spread of the test gain per task and variant."""
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in rows:
        key = f"{r['task']} ({r.get('setting', 'cot')}, {r['test_n']} test)"
        groups.setdefault((key, r["variant"]), []).append(r)
    out = [
        "| task | variant | seeds | test before | test after (mean ± sd) | gain (points) | fit calls | wall s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for (task, variant), rs in sorted(groups.items()):
        after = [r["test_after"] for r in rs]
        gain = [100 * (r["test_after"] - r["test_before"]) for r in rs]
        sd = statistics.stdev(after) if len(after) > 1 else 0.0
        out.append(
            f"| {task} | {variant} | {len(rs)} | {rs[0]['test_before']:.1%} | "
            f"{statistics.mean(after):.1%} ± {sd:.1%} | {statistics.mean(gain):+.1f} | "
            f"{statistics.mean(r['fit_calls'] for r in rs):.0f} | "
            f"{statistics.mean(r['wall_s'] for r in rs):.0f} |"
        )
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    """Run the requested variants and seeds, appending a row per run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default="web_of_lies")
    parser.add_argument(
        "--variant", nargs="+", default=["search"], choices=[*sorted(VARIANTS), "hand"]
    )
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--batch", type=int, default=3)
    parser.add_argument("--val-n", type=int, default=30)
    parser.add_argument("--val-sample", type=int, default=10)
    parser.add_argument("--test-n", type=int, default=100)
    parser.add_argument("--max-tokens", type=int, default=256)
    parser.add_argument("--direct", action="store_true", help="answers without reasoning")
    parser.add_argument("--api-base", default=None, help="an OpenAI-compatible server of the model")
    parser.add_argument("--summary", action="store_true", help="print the table and exit")
    args = parser.parse_args(argv)
    if args.summary:
        print(summary())
        return 0
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    for variant in args.variant:
        if variant == "hand":
            with RESULTS.open("a", encoding="utf-8") as handle:
                for row in asyncio.run(hand_rows(args)):
                    handle.write(json.dumps(row) + "\n")
            continue
        for seed in args.seeds:
            print(f"== {args.task} {variant} seed {seed}", flush=True)
            row = asyncio.run(one_run(args, variant, seed))
            print(json.dumps(row, indent=1), flush=True)
            with RESULTS.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(row) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
