"""Figure 3: import time (fresh process, best of N) and time to the first model answer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tg_core.testing.openai_sim import SimServer

from .context import Context
from .stats import ratio, secs, table, times
from .svg import bar_chart


def _best(ctx: Context, library: str, module: str, n: int, env: dict[str, str]) -> dict[str, Any]:
    results = [
        ctx.run(library, {}, script="import_probe.py", argv_extra=(module,), env=env)
        for _ in range(n)
    ]
    best = min(results, key=lambda r: r[0]["import_s"])
    return {
        "import_s": best[0]["import_s"],
        "process_s": best[1],
        "all_import_s": [r[0]["import_s"] for r in results],
        "modules_loaded": best[0]["modules_loaded"],
    }


def measure(ctx: Context) -> dict[str, Any]:
    """Imports first (alternating libraries), then the first call against a zero-latency sim."""
    n = 3 if ctx.quick else 7
    print("  import times", flush=True)
    imports = {
        "tg_core": _best(ctx, "tg_core", "tg_core", n, {}),
        "TextGrad 0.1.8": _best(ctx, "textgrad", "textgrad", n, {}),
        "litellm (what tg_core's first call imports)": _best(ctx, "tg_core", "litellm", n, {}),
    }
    if not ctx.quick:
        # As a user gets it: without LITELLM_LOCAL_MODEL_COST_MAP litellm (imported by
        # TextGrad) fetches its price table over the network on import.
        imports["TextGrad 0.1.8, default environment"] = _best(
            ctx, "textgrad", "textgrad", 2, {"LITELLM_LOCAL_MODEL_COST_MAP": ""}
        )
    first: dict[str, Any] = {}
    server = SimServer(latency_s=0.0).start()
    try:
        for label, lib in (("tg_core", "tg_core"), ("TextGrad 0.1.8", "textgrad")):
            print(f"  first call: {label}", flush=True)
            runs = [
                ctx.run(lib, {"base_url": server.base_url}, kind="first_call")
                for _ in range(1 if ctx.quick else 3)
            ]
            best = min(runs, key=lambda r: r[0]["first_call_s"])
            first[label] = {
                "first_call_s": best[0]["first_call_s"],
                "import_s": best[0]["import_s"],
                "process_s": best[1],
            }
    finally:
        server.stop()
    return {"repetitions": n, "imports": imports, "first_call": first}


def render(data: dict[str, Any], figures: Path) -> str:
    """Tables and a chart of import and first-call seconds."""
    imports, first = data["imports"], data["first_call"]
    ours = imports["tg_core"]["import_s"]
    chart = figures / "import_first_call.svg"
    bar_chart(
        chart,
        "Import and first answer (seconds, best of N)",
        ["import", "first call"],
        {
            lib: [imports[lib]["import_s"], first[lib]["first_call_s"]]
            for lib in ("tg_core", "TextGrad 0.1.8")
        },
        "seconds",
    )
    import_table = table(
        [
            "module",
            "import s (best)",
            "all runs s",
            "process wall s",
            "modules loaded",
            "vs tg_core",
        ],
        [
            [
                label,
                secs(r["import_s"]),
                ", ".join(secs(x) for x in r["all_import_s"]),
                secs(r["process_s"]),
                r["modules_loaded"],
                times(ratio(r["import_s"], ours)),
            ]
            for label, r in imports.items()
        ],
    )
    first_table = table(
        ["library", "script start to first answer s", "of which import s", "process wall s"],
        [
            [label, secs(r["first_call_s"]), secs(r["import_s"]), secs(r["process_s"])]
            for label, r in first.items()
        ],
    )
    return "\n\n".join(
        [
            f"![import and first call](figures/{chart.name})",
            f"Import in a fresh process, best of {data['repetitions']}:",
            import_table,
            "First call: import, engine, `BlackboxLLM` and one answer from the simulated "
            "server at zero latency (best of 3; 1 in quick mode):",
            first_table,
        ]
    )
