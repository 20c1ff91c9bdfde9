"""Figure 1: wall time of one optimization step at 200 ms latency, batch 1 to 32."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tg_core.testing.openai_sim import SimServer

from .context import LIBRARIES, Context
from .stats import median, ratio, secs, table, times
from .svg import line_chart

LATENCY_S = 0.2
CRITICAL_PATH_CALLS = 5  # forward, loss, backward through the loss, backward to the prompt, update
FULL_BATCHES = (1, 4, 8, 16, 32)
QUICK_BATCHES = (1, 8, 8, 8)  # batch 8 three times in one process: the gate uses the median
PHASES = ("forward", "loss", "backward", "update")
VIA_LITELLM = "tg_core_litellm"


def batch_specs(batches: tuple[int, ...]) -> list[dict[str, int]]:
    """Disjoint slices of the questions, one per batch, so no answer is served from a cache."""
    specs, start = [], 0
    for size in batches:
        specs.append({"batch": size, "start": start})
        start += size
    return specs


def _summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Median wall time and phases over repetitions; the server counters of the median run."""
    ordered = sorted(runs, key=lambda r: r["wall_s"])
    middle = ordered[len(ordered) // 2]
    step = middle["steps"][0]
    return {
        "wall_s": median([r["wall_s"] for r in runs]),
        "all_wall_s": [r["wall_s"] for r in runs],
        "phases": {p: step[p] for p in PHASES},
        "cpu_s": step.get("cpu_s"),
        "requests": middle["stats"]["requests"],
        "peak_in_flight": middle["stats"]["peak_in_flight"],
        "prompt_tokens": middle["stats"]["prompt_tokens"],
        "completion_tokens": middle["stats"]["completion_tokens"],
    }


def measure(ctx: Context) -> dict[str, Any]:
    """Each repetition runs tg_core then TextGrad (fresh processes) on the same questions."""
    batches = QUICK_BATCHES if ctx.quick else FULL_BATCHES
    reps = 1 if ctx.quick else 3
    specs = batch_specs(batches)
    sizes = tuple(dict.fromkeys(batches))
    # Full mode also times tg_core through litellm (how hosted providers are reached).
    variants = [(lib, lib, {}) for lib in LIBRARIES]
    if not ctx.quick:
        variants.append((VIA_LITELLM, "tg_core", {"transport": "litellm"}))
    by_lib: dict[str, dict[int, list[dict[str, Any]]]] = {key: {} for key, _, _ in variants}
    server = SimServer(latency_s=LATENCY_S).start()
    try:
        for rep in range(reps):
            for key, lib, extra in variants:
                print(f"  step: {key} repetition {rep + 1}/{reps}", flush=True)
                args = {"base_url": server.base_url, "batches": specs, "max_concurrency": 64}
                result, _ = ctx.run(lib, {**args, **extra}, kind="step")
                for run in result["runs"]:
                    by_lib[key].setdefault(run["batch"], []).append(run)
    finally:
        server.stop()
    bound = CRITICAL_PATH_CALLS * LATENCY_S
    rows = []
    for size in sizes:
        ours, theirs = _summary(by_lib["tg_core"][size]), _summary(by_lib["textgrad"][size])
        via = by_lib.get(VIA_LITELLM, {}).get(size)
        rows.append(
            {
                "batch": size,
                "tg_core": ours,
                "textgrad": theirs,
                VIA_LITELLM: _summary(via) if via else None,
                "speedup": ratio(theirs["wall_s"], ours["wall_s"]),
                "tg_core_over_bound": ratio(ours["wall_s"], bound),
                "textgrad_sequential_bound_s": (4 * size + 1) * LATENCY_S,
            }
        )
    return {"latency_s": LATENCY_S, "bound_s": bound, "repetitions": reps, "rows": rows}


def speedup_at(data: dict[str, Any], batch: int) -> float | None:
    """TextGrad's step time over tg_core's at ``batch``, if measured."""
    for row in data["rows"]:
        if row["batch"] == batch:
            return float(row["speedup"])
    return None


def render(data: dict[str, Any], figures: Path) -> str:
    """The Markdown section (tables) and its chart."""
    rows = data["rows"]
    labels = [str(r["batch"]) for r in rows]
    chart = figures / "step_wall_time.svg"
    line_chart(
        chart,
        f"One optimization step at {data['latency_s'] * 1000:.0f} ms latency",
        labels,
        {
            "tg_core": [r["tg_core"]["wall_s"] for r in rows],
            "TextGrad 0.1.8": [r["textgrad"]["wall_s"] for r in rows],
            "critical path (5 latencies)": [data["bound_s"]] * len(rows),
        },
        "seconds (x: batch size)",
        dashed=["critical path (5 latencies)"],
    )
    note = (
        "Median of the runs (each run in its own process in full mode). The bound is five "
        "dependent rounds of calls: forward, loss, backward through the loss, backward to the "
        'prompt, update. TextGrad makes its 4B+1 calls one after another. "tg_core via '
        'litellm" is the same step with `transport="litellm"`, the path of hosted providers '
        "(litellm's client work per request shows at large batches)."
    )

    def via(r: dict[str, Any]) -> str:
        found = r.get(VIA_LITELLM)
        return (
            f"{secs(found['wall_s'])} ({times(ratio(found['wall_s'], data['bound_s']))})"
            if found
            else "—"
        )

    main = table(
        [
            "batch",
            "runs",
            "tg_core s",
            "TextGrad s",
            "TextGrad / tg_core",
            "tg_core / bound",
            "TextGrad (4B+1)·latency",
            "tg_core via litellm s (/ bound)",
        ],
        [
            [
                r["batch"],
                len(r["tg_core"]["all_wall_s"]),
                secs(r["tg_core"]["wall_s"]),
                secs(r["textgrad"]["wall_s"]),
                times(r["speedup"]),
                times(r["tg_core_over_bound"]),
                secs(r["textgrad_sequential_bound_s"]),
                via(r),
            ]
            for r in rows
        ],
    )
    traffic = table(
        [
            "batch",
            "requests tg_core / TextGrad",
            "peak in flight tg_core / TextGrad",
            "prompt tokens sent tg_core / TextGrad",
            "completion tokens tg_core / TextGrad",
        ],
        [
            [
                r["batch"],
                f"{r['tg_core']['requests']} / {r['textgrad']['requests']}",
                f"{r['tg_core']['peak_in_flight']} / {r['textgrad']['peak_in_flight']}",
                f"{r['tg_core']['prompt_tokens']:,} / {r['textgrad']['prompt_tokens']:,}",
                f"{r['tg_core']['completion_tokens']:,} / {r['textgrad']['completion_tokens']:,}",
            ]
            for r in rows
        ],
    )
    phases = table(
        [
            "batch",
            *[f"{p} tg_core / TextGrad s" for p in PHASES],
            "client CPU tg_core / TextGrad s",
        ],
        [
            [
                r["batch"],
                *[
                    f"{secs(r['tg_core']['phases'][p])} / {secs(r['textgrad']['phases'][p])}"
                    for p in PHASES
                ],
                f"{secs(r['tg_core'].get('cpu_s') or 0)} / {secs(r['textgrad'].get('cpu_s') or 0)}",
            ]
            for r in rows
        ],
    )
    return "\n\n".join(
        [
            f"![step wall time](figures/{chart.name})",
            note,
            main,
            "Traffic seen by the server (tokens are the server's estimate, 4 characters a token):",
            traffic,
            "Phases of the median run:",
            phases,
        ]
    )
