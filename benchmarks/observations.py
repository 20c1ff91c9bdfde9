"""Plain statements drawn from the numbers: where tg_core is ahead, and where it is not."""

from __future__ import annotations

from typing import Any

from .stats import ratio, secs, times


def _and(items: list[str]) -> str:
    return ", ".join(items[:-1]) + " and " + items[-1] if len(items) > 1 else "".join(items)


def _step(data: dict[str, Any]) -> list[str]:
    rows = data["rows"]
    out = []
    within = [r["batch"] for r in rows if r["tg_core_over_bound"] <= 1.3]
    beyond = [r for r in rows if r["tg_core_over_bound"] > 1.3]
    if beyond:
        worst = beyond[-1]
        cpu = worst["tg_core"].get("cpu_s")
        cpu_note = (
            f"; the driver process used {secs(cpu)} s of CPU in that step, "
            f"{1000 * cpu / worst['tg_core']['requests']:.0f} ms per request"
            if cpu
            else ""
        )
        out.append(
            "Step time: tg_core is within 1.3× of the five-latency bound at batch "
            f"{_and([str(b) for b in within]) or 'none'}, but not beyond: at batch "
            f"{worst['batch']} it takes {secs(worst['tg_core']['wall_s'])} s "
            f"({times(worst['tg_core_over_bound'])} the bound) with "
            f"{worst['tg_core']['peak_in_flight']} requests in flight at the peak, so the "
            f"server's latency is not what limits it{cpu_note}. The client's CPU per request "
            "(litellm builds, sends and parses each request and prices it; tg_core then prices "
            "it again with `litellm.completion_cost`) adds up on two shared cores."
        )
    small = [r for r in rows if r["speedup"] < 1.0]
    if small:
        r = small[0]
        out.append(
            f"At batch {r['batch']} there is nothing to run concurrently and tg_core is "
            f"slower than TextGrad ({secs(r['tg_core']['wall_s'])} s against "
            f"{secs(r['textgrad']['wall_s'])} s): the same five calls one after another, with "
            "more client work per call."
        )
    fewer = [r for r in rows if r["textgrad"]["requests"] < 4 * r["batch"] + 1]
    if fewer:
        r = fewer[0]
        out.append(
            f"TextGrad makes fewer than 4B+1 requests at batch {r['batch']} "
            f"({r['textgrad']['requests']}): some simulated answers repeat, so some loss "
            "prompts repeat and its always-on prompt cache answers them. tg_core runs with "
            "`cache=False` here; above 3,000 tokens of feedback it merges the feedback with one "
            "extra call per round before the update."
        )
    big = rows[-1]
    out.append(
        f"Tokens: at batch {big['batch']} tg_core sent {big['tg_core']['prompt_tokens']:,} "
        f"prompt tokens and TextGrad {big['textgrad']['prompt_tokens']:,}."
    )
    return out


def _overhead(data: dict[str, Any]) -> list[str]:
    out = []
    for r in data["rows"]:
        ours, async_, theirs = r["tg_core"], r["tg_core, async engine"], r["TextGrad 0.1.8"]
        t = ratio(ours["wall_s"], theirs["wall_s"])
        size = f"{r['nodes_target'] // 1000}k nodes"
        if t > 1.0:
            out.append(
                f"Overhead at {size}: with the TextGrad-style engine (a sync `generate`) tg_core "
                f"takes {secs(ours['wall_s'])} s against TextGrad's {secs(theirs['wall_s'])} s "
                f"({times(t)}), mostly in backward ({secs(ours['backward'])} s). The calls of a "
                "sync engine finish one by one in worker threads, and the backward scheduler "
                "(`tg_core/graph.py`) waits with `asyncio.wait(pending, FIRST_COMPLETED)` in a "
                "loop, which registers a callback on every pending task each time: the cost "
                "grows with pending tasks × rounds. With an engine that implements `agenerate` "
                f"(calls finish in waves) it takes {secs(async_['wall_s'])} s."
            )
        m = ratio(ours["traced_peak_mb"], theirs["traced_peak_mb"])
        if m > 1.0:
            out.append(
                f"Memory at {size}: tg_core's step peaks at {ours['traced_peak_mb']:.1f} MiB "
                f"traced against TextGrad's {theirs['traced_peak_mb']:.1f} MiB ({times(m)}); "
                f"RSS after import is {ours['rss_before_mb']:.0f} MiB against "
                f"{theirs['rss_before_mb']:.0f} MiB (TextGrad imports litellm and openai)."
            )
    return out


def _imports(data: dict[str, Any]) -> list[str]:
    imports, first = data["imports"], data["first_call"]
    ours, theirs = first["tg_core"], first["TextGrad 0.1.8"]
    litellm = imports.get("litellm (what tg_core's first call imports)", {})
    return [
        f"Import: tg_core imports in {secs(imports['tg_core']['import_s'])} s because litellm "
        "is imported on first use. The first call pays for it: "
        f"{secs(ours['first_call_s'])} s from script start to the first answer against "
        f"TextGrad's {secs(theirs['first_call_s'])} s ({times(ratio(theirs['first_call_s'], ours['first_call_s']))}); "
        f"litellm alone imports in {secs(litellm.get('import_s', 0.0))} s here."
    ]


def _cache(data: dict[str, Any]) -> list[str]:
    out = []
    for r in data["rows"]:
        same = "the same final prompt" if r["same_result"] else "a different final prompt"
        out.append(
            f"Warm rerun, {r['variant']}: {r['cold']['requests']} requests cold, "
            f"{r['warm']['requests']} warm in a new process ({secs(r['cold']['wall_s'])} s → "
            f"{secs(r['warm']['wall_s'])} s; whole process {secs(r['cold']['process_s'])} s → "
            f"{secs(r['warm']['process_s'])} s), {same}."
        )
    return out


def observations(sections: dict[str, dict[str, Any]]) -> str:
    """Bullet points for every measured section."""
    builders = {"step": _step, "overhead": _overhead, "imports": _imports, "cache": _cache}
    lines: list[str] = []
    for name, build in builders.items():
        if name in sections:
            lines += build(sections[name]["data"])
    return "\n".join(f"- {line}" for line in lines)
