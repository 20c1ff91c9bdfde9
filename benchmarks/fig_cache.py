"""Figure 4: the same optimization rerun in a new process with the disk cache warm."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tg_core.testing.openai_sim import SimServer

from .context import Context
from .stats import secs, table
from .svg import bar_chart

LATENCY_S = 0.2
BATCH = 8
STEPS = 2
# (label, library, engine); TextGrad's cache choice is per engine.
VARIANTS = (
    ("tg_core, disk cache", "tg_core", ""),
    ("TextGrad, ChatExternalClient (prompt-keyed cache)", "textgrad", "external_client"),
    ("TextGrad, experimental LiteLLMEngine(cache=Cache)", "textgrad", "experimental_litellm"),
)


def measure(ctx: Context) -> dict[str, Any]:
    """Cold run then warm run, each a new process sharing one cache folder per variant."""
    rows = []
    server = SimServer(latency_s=LATENCY_S).start()
    try:
        for i, (label, lib, engine) in enumerate(VARIANTS):
            cache = ctx.work / f"cache-{i}"
            cache.mkdir(parents=True, exist_ok=True)
            args: dict[str, Any] = {
                "base_url": server.base_url,
                "batches": [{"batch": BATCH, "start": 100}],
                "steps": STEPS,
                "warmup": True,  # one call first, so litellm's import is not in the timing
                "engine": engine,
                "cache_dir": str(cache / "answers"),
            }
            runs = []
            for phase in ("cold", "warm"):
                print(f"  cache: {label}, {phase}", flush=True)
                result, process_s = ctx.run(
                    lib, args, kind="step", env={"XDG_CACHE_HOME": str(cache / "xdg")}
                )
                run = result["runs"][0]
                runs.append(
                    {
                        "wall_s": run["wall_s"],
                        "process_s": process_s,
                        "requests": run["stats"]["requests"],
                        "final_prompt": run["final_prompt"],
                    }
                )
            rows.append(
                {
                    "variant": label,
                    "cold": runs[0],
                    "warm": runs[1],
                    "same_result": runs[0]["final_prompt"] == runs[1]["final_prompt"],
                }
            )
    finally:
        server.stop()
    return {"latency_s": LATENCY_S, "batch": BATCH, "steps": STEPS, "rows": rows}


def render(data: dict[str, Any], figures: Path) -> str:
    """A table and a chart of requests and seconds, cold and warm."""
    rows = data["rows"]
    chart = figures / "warm_cache.svg"
    bar_chart(
        chart,
        "Rerun with a warm disk cache: requests to the server",
        [
            r["variant"].split(",")[0] + (" (exp.)" if "experimental" in r["variant"] else "")
            for r in rows
        ],
        {
            "cold run": [r["cold"]["requests"] for r in rows],
            "warm rerun": [r["warm"]["requests"] for r in rows],
        },
        "requests",
    )
    body = table(
        [
            "variant",
            "requests cold / warm",
            "optimization s cold / warm",
            "process s cold / warm",
            "same final prompt",
        ],
        [
            [
                r["variant"],
                f"{r['cold']['requests']} / {r['warm']['requests']}",
                f"{secs(r['cold']['wall_s'])} / {secs(r['warm']['wall_s'])}",
                f"{secs(r['cold']['process_s'])} / {secs(r['warm']['process_s'])}",
                "yes" if r["same_result"] else "no",
            ]
            for r in rows
        ],
    )
    return "\n\n".join([f"![warm cache](figures/{chart.name})", body])
