"""Figure 5: prompt quality on BBH object counting with the local model, same budget for all."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from tg_core.train import batch_indices

from .context import Context
from .drivers.common import STARTING_PROMPT
from .proxy import CountingProxy
from .quality_runs import DEFAULT_RUNS, QUALITY_RUNS
from .stats import secs, table
from .svg import bar_chart

EVAL_CACHE = Path(__file__).resolve().parent / "out" / "quality-eval-cache"


@dataclass
class QualitySettings:
    """Sizes of the quality run (TextGrad's BBH splits: train 0-50, validation 50-150, test 150-)."""

    test_range: tuple[int, int] = (150, 250)
    val_range: tuple[int, int] = (50, 60)
    train_range: tuple[int, int] = (0, 50)
    steps: int = 2
    batch_size: int = 3
    seed: int = 0
    max_tokens: int = 200


def _server() -> Any:
    from tg_core.local import ensure_server

    return ensure_server()


def _row(key: str, result: dict[str, Any], process_s: float) -> dict[str, Any]:
    server = result["server"]
    return {
        "key": key,
        "label": QUALITY_RUNS[key].label,
        "initial_val": result["initial_val"],
        "best_val": result["best_val"],
        "final_prompt": result["final_prompt"],
        "accepted": sum(1 for h in result["history"] if h["accepted"]),
        "history": result["history"],
        "requests": server["requests"],
        "prompt_tokens": server["prompt_tokens"],
        "completion_tokens": server["completion_tokens"],
        "wall_s": result["wall_s"],
        "process_s": process_s,
        "evaluated_by": result.get("evaluated_by", "shared"),
        "test_start": result.get("test_start"),
        "test_final": result.get("test_final"),
        "test_calls": (result.get("test_server") or {}).get("requests"),
    }


def _placeholder(key: str, why: str) -> dict[str, Any]:
    return {"key": key, "label": QUALITY_RUNS[key].label, "not_measured": why}


def _optimize(ctx: Context, key: str, common: dict[str, Any]) -> dict[str, Any]:
    run = QUALITY_RUNS[key]
    why = run.missing()
    if why:
        return _placeholder(key, why)
    print(f"  quality: optimizing with {run.label}", flush=True)
    args = {**common, "cache_dir": str(ctx.work / f"quality-{key}-cache")}
    result, process_s = ctx.run(run.library, args, script=run.script, timeout=4 * 3600)
    return _row(key, result, process_s)


def measure(
    ctx: Context,
    settings: QualitySettings | None = None,
    keys: tuple[str, ...] = DEFAULT_RUNS,
    previous: dict[str, Any] | None = None,
    save: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Optimize with each chosen run through a counting proxy, then score prompts on test.

    Rows of runs not chosen now are taken from ``previous`` (the stored result) when it used
    the same settings, so runs can be measured in separate invocations; ``save`` gets the
    data after every run, so a failure later keeps what was measured.
    """
    s = settings or QualitySettings()
    server = _server()
    proxy = CountingProxy(lambda: _server().base_url).start()
    n_train = s.train_range[1] - s.train_range[0]
    batches = [batch_indices(i, n_train, s.batch_size, s.seed)[1] for i in range(s.steps)]
    common = {
        "base_url": proxy.base_url,
        "model": server.model_alias,
        "max_tokens": s.max_tokens,
        "train_range": list(s.train_range),
        "val_range": list(s.val_range),
        "test_range": list(s.test_range),
        "steps": s.steps,
        "batch_size": s.batch_size,
        "seed": s.seed,
        "batches": batches,
    }
    rows: dict[str, dict[str, Any]] = {}
    evaluation = None
    if previous and previous.get("settings") == json.loads(json.dumps(asdict(s))):
        rows = {r["key"]: r for r in previous["rows"] if "not_measured" not in r}
        evaluation = previous.get("evaluation")

    def snapshot() -> dict[str, Any]:
        ordered = [
            rows.get(key) or _placeholder(key, f"not run yet (--quality-runs {key})")
            for key in QUALITY_RUNS
        ]
        return {
            "settings": asdict(s),
            "model": server.model_alias,
            "rows": ordered,
            "evaluation": evaluation,
        }

    try:
        for key in keys:
            rows[key] = _optimize(ctx, key, common)
            if save is not None:
                save(snapshot())
        shared = [r for r in rows.values() if r.get("evaluated_by") == "shared"]
        prompts = [STARTING_PROMPT, *[r["final_prompt"] for r in shared]]
        print(f"  quality: test accuracy of {len(set(prompts))} prompt(s)", flush=True)
        result, _ = ctx.run(
            "tg_core",
            {**common, "prompts": prompts, "cache_dir": str(EVAL_CACHE)},
            script="quality_eval.py",
            timeout=6 * 3600,
        )
    finally:
        proxy.stop()
    scores = result["results"]
    for r in shared:
        r["test_start"] = scores[STARTING_PROMPT]
        r["test_final"] = scores[r["final_prompt"]]
    evaluation = {"wall_s": result["wall_s"], "server": result["server"]}
    return snapshot()


def _pct(score: dict[str, Any] | None) -> str:
    if not score:
        return "—"
    return f"{100 * score['accuracy']:.0f}% ({score['correct']}/{score['n']})"


def _one_line(text: str) -> str:
    return " ".join(text.split()).replace("`", "'")


def _val(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.0f}%"


def render(data: dict[str, Any], figures: Path) -> str:
    """The quality table, a chart of test accuracy, and the final prompts."""
    s = data["settings"]
    rows = data["rows"]
    measured = [r for r in rows if "not_measured" not in r]
    chart = figures / "quality_accuracy.svg"
    bar_chart(
        chart,
        "BBH object counting, test accuracy (%)",
        [r["label"].split(" + ")[0] for r in measured],
        {
            "starting prompt": [100 * (r["test_start"] or {}).get("accuracy", 0) for r in measured],
            "optimized prompt": [
                100 * (r["test_final"] or {}).get("accuracy", 0) for r in measured
            ],
        },
        "% correct",
    )
    body = table(
        [
            "run",
            "test start",
            "test optimized",
            "val start → kept",
            "steps kept",
            "calls",
            "prompt / completion tokens",
            "wall s",
        ],
        [
            [
                r["label"],
                _pct(r["test_start"]),
                _pct(r["test_final"]),
                f"{_val(r['initial_val'])} → {_val(r['best_val'])}",
                f"{r['accepted']}/{s['steps']}",
                r["requests"],
                f"{r['prompt_tokens']:,} / {r['completion_tokens']:,}",
                secs(r["wall_s"]),
            ]
            if "not_measured" not in r
            else [r["label"], f"not measured: {r['not_measured']}", "—", "—", "—", "—", "—", "—"]
            for r in rows
        ],
    )
    ev = data["evaluation"] or {"server": {"requests": 0}, "wall_s": 0.0}
    starts = {r["label"]: r["initial_val"] for r in measured}
    start_note = ""
    if len(set(starts.values())) > 1:
        shown = ", ".join(f"{k} {_val(v)}" for k, v in starts.items())
        start_note = (
            f"The same starting prompt scores differently on validation ({shown}): each "
            "library sends its own request (TextGrad's OpenAI engine adds top_p=0.99 and zero "
            "penalties and sends the question as a string; tg_core sends content parts; DSPy "
            "and LangChain format their own messages), and the small model's greedy answers "
            "change with it. Test accuracy uses one evaluator for every system prompt."
        )
    prompts = "\n".join(f"- **{r['label']}**: `{_one_line(r['final_prompt'])}`" for r in measured)
    steps = "\n".join(
        f"- {r['label']} step {h['step']} (batch {h['batch']}): "
        f"{'kept' if h['accepted'] else 'not kept'}, {h['reason']}"
        for r in measured
        for h in r["history"]
    )
    parts = [
        f"![quality](figures/{chart.name})",
        f"Model `{data['model']}` (llama.cpp), temperature 0, max_tokens {s['max_tokens']}; "
        f"{s['steps']} steps of batch {s['batch_size']} from the 50 train examples (the same "
        f"batches for every run), validation on examples {s['val_range'][0]}-"
        f"{s['val_range'][1] - 1} (a step is kept only if validation does not drop), test on "
        f"examples {s['test_range'][0]}-{s['test_range'][1] - 1} "
        f"({s['test_range'][1] - s['test_range'][0]} examples).",
        body,
        start_note,
        "Calls, tokens and wall time are those of the optimization run (training batches, "
        "backward, updates and validation), counted by a proxy in front of the model server; "
        "tokens are the server's own counts (the server is shared with other work on this "
        "machine, so wall times of runs made at different times compare only roughly). "
        "Test accuracy is measured afterwards for every "
        "distinct system prompt by one shared evaluator (the same requests whichever library "
        "produced the prompt; answers are cached on disk, so a prompt already scored costs "
        f"nothing): the last evaluation made {ev['server']['requests']} calls in "
        f"{secs(ev['wall_s'])} s. The DSPy program is not a system prompt but a signature "
        "rendered by DSPy's adapter, so it is tested through DSPy itself "
        "(ChainOfThought; an answer DSPy cannot parse counts as wrong).",
        "Final prompts:",
        prompts,
        "Steps:",
        steps,
    ]
    return "\n\n".join(p for p in parts if p)
