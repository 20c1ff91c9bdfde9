"""tg_core's loops, TextGrad 0.1.8 and DSPy's GEPA at the same call budget on a BBH task.

Each run: one system's fit on the train split (TextGrad's 50), validated on a fixed slice of
the val split, stopped by the call budget; then the final prompt's accuracy on a fixed test
slice, measured for every system the same way: as the system prompt of tg_core's
``SystemPromptProgram`` (the seed prompt's score is cached and shared by every run). A row
per run is appended to ``benchmarks/results/search_study.jsonl``; ``--summary`` prints the
systems side by side (mean ± sd over seeds).

Example:
    python -m benchmarks.search_study --task web_of_lies --system tgd search textgrad gepa \\
        --seeds 0 1 2 --budget 200
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import shutil
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tg_core.engine.local_engine import LocalEngine
from tg_core.fs import atomic_write_text
from tg_core.local import ensure_server
from tg_core.local.paths import file_lock
from tg_core.recipes import QATask, SystemPromptProgram

from .proxy import CountingProxy
from .study_rows import LABELS, append_row, load_rows, make_row, summary
from .study_systems import (
    SHAPES,
    VARIANTS,
    Fit,
    Settings,
    fit_gepa,
    fit_textgrad,
    fit_tg_core,
    make_task,
)

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "search_study.jsonl"


async def test_accuracy(s: Settings, task: QATask, prompt: str) -> float:
    """``prompt``'s accuracy on the test slice as the system prompt of ``SystemPromptProgram``.

    Scores are kept in ``eval_cache/test_scores.json`` by task, cap, slice and prompt: answers
    cut at the cap are never cached by the engine, so the seed prompt would be asked again
    on every run. Studies running side by side (one model server each) share the file: it is
    read and merged under a file lock.
    """
    memo_path = s.eval_cache / "test_scores.json"
    key = hashlib.sha256(
        json.dumps([s.task, s.answer_max_tokens, [list(t) for t in task.test], prompt]).encode()
    ).hexdigest()
    known = _read_memo(memo_path)
    if key in known:
        return known[key]
    engine = LocalEngine(cache=str(s.eval_cache / "tg_core"))
    program = SystemPromptProgram(engine, task, max_tokens=s.answer_max_tokens)
    program.prompt.set_value(prompt)
    accuracy, _ = await program.accuracy(task.test)
    s.eval_cache.mkdir(parents=True, exist_ok=True)
    with file_lock(memo_path.with_suffix(".lock")):
        memo = _read_memo(memo_path)
        memo[key] = accuracy
        atomic_write_text(memo_path, json.dumps(memo, indent=1))
    return accuracy


def _read_memo(path: Path) -> dict[str, float]:
    return dict(json.loads(path.read_text())) if path.exists() else {}


def fit(system: str, s: Settings, task: QATask, seed: int, proxy: CountingProxy) -> Fit:
    """Run one system's fit (the proxy counts its calls)."""
    model = ensure_server().model_alias
    if system in VARIANTS:
        return asyncio.run(fit_tg_core(system, s, task, seed, proxy))
    if system == "textgrad":
        from .textgrad_env import ensure_textgrad_env

        env = ensure_textgrad_env(s.work)
        return fit_textgrad(s, task, seed, proxy, model, env.python)
    return fit_gepa(s, task, seed, proxy, model)


def one_run(system: str, s: Settings, seed: int) -> dict[str, Any]:
    """Fit ``system`` with ``seed`` under the budget and test its final prompt."""
    task = make_task(s)
    proxy = CountingProxy(lambda: ensure_server().base_url).start()
    try:
        started = time.monotonic()
        result = fit(system, s, task, seed, proxy)
        wall = time.monotonic() - started
        server = result.server or proxy.counters.to_json()
    finally:
        proxy.stop()
    before = asyncio.run(test_accuracy(s, task, task.seed_prompt))
    after = asyncio.run(test_accuracy(s, task, result.final_prompt))
    return make_row(
        task=s.task,
        system=system,
        seed=seed,
        budget=s.budget,
        test_before=before,
        test_after=after,
        val_before=result.val_before,
        val_after=result.val_after,
        calls=server["requests"],
        tokens=server["prompt_tokens"] + server["completion_tokens"],
        wall_s=round(wall, 1),
        final_prompt=result.final_prompt,
        prompt_shape=SHAPES[system],
        stopped=result.stopped,
        batch=s.batch,
        val_n=len(task.val),
        test_n=len(task.test),
        answer_max_tokens=s.answer_max_tokens,
        max_tokens=s.max_tokens,
        **result.details,
    )


def hand_rows(s: Settings, names: Sequence[str] = ()) -> list[dict[str, Any]]:
    """The headroom check: test accuracy of the hand-written prompts (all, or ``names``)."""
    from .hand_prompts import HAND_WRITTEN

    task = make_task(s)
    before = asyncio.run(test_accuracy(s, task, task.seed_prompt))
    rows = []
    written = HAND_WRITTEN.get(s.task, {})
    unknown = sorted(set(names) - set(written))
    if unknown:
        raise SystemExit(f"no hand-written prompt {unknown} for {s.task}; known: {list(written)}")
    for name, text in written.items():
        if names and name not in names:
            continue
        started = time.monotonic()
        after = asyncio.run(test_accuracy(s, task, text))
        print(f"  {name}: {after:.1%} (seed prompt {before:.1%})", flush=True)
        rows.append(
            make_row(
                task=s.task,
                system=f"hand:{name}",
                seed=0,
                budget=None,
                test_before=before,
                test_after=after,
                calls=0,
                tokens=None,
                val_before=None,
                val_after=None,
                wall_s=round(time.monotonic() - started, 1),
                final_prompt=text,
                val_n=len(task.val),
                test_n=len(task.test),
                answer_max_tokens=s.answer_max_tokens,
            )
        )
    return rows


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m benchmarks.search_study", description=__doc__)
    p.add_argument("--task", default="web_of_lies")
    p.add_argument(
        "--system", "--variant", nargs="+", default=["search"], choices=list(LABELS), dest="system"
    )
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    p.add_argument("--budget", type=int, default=200, help="model calls per fit")
    p.add_argument("--steps", type=int, default=200, help="a ceiling on steps (budget first)")
    p.add_argument("--batch", type=int, default=3)
    p.add_argument("--val-n", type=int, default=30)
    p.add_argument("--val-sample", type=int, default=10, help="tg_core search only")
    p.add_argument("--test-n", type=int, default=100)
    p.add_argument("--max-tokens", type=int, default=256, help="cap of every answer")
    p.add_argument("--optimizer-max-tokens", type=int, default=512, help="cap of other calls")
    p.add_argument("--data-dir", type=Path, default=Settings.data_dir)
    p.add_argument("--results", type=Path, default=RESULTS, help="the JSON-lines file")
    p.add_argument("--direct", action="store_true", help="answers without reasoning")
    p.add_argument(
        "--hand",
        nargs="*",
        metavar="NAME",
        help="test the hand-written prompts (all, or the names given) and exit",
    )
    p.add_argument("--summary", action="store_true", help="print the table and exit")
    return p


def main(argv: list[str] | None = None) -> int:
    """Run the requested systems and seeds, appending a row per run."""
    args = _parser().parse_args(argv)
    if args.summary:
        print(summary(load_rows(args.results)))
        return 0
    s = Settings(
        task=args.task,
        budget=args.budget,
        batch=args.batch,
        val_n=args.val_n,
        val_sample=args.val_sample,
        test_n=args.test_n,
        answer_max_tokens=args.max_tokens,
        max_tokens=args.optimizer_max_tokens,
        max_steps=args.steps,
        data_dir=args.data_dir,
        direct=args.direct,
    )
    if args.hand is not None:
        for row in hand_rows(s, args.hand):
            append_row(args.results, row)
        return 0
    try:
        for system in args.system:
            for seed in args.seeds:
                print(f"== {args.task} {system} seed {seed} (budget {s.budget})", flush=True)
                row = one_run(system, s, seed)
                print(json.dumps(row, indent=1), flush=True)
                append_row(args.results, row)
    finally:
        shutil.rmtree(s.work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
