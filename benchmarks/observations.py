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
    big = rows[-1]
    cpu = big["tg_core"].get("cpu_s")
    cpu_note = (
        f"; the driver process used {secs(cpu)} s of CPU in that step, "
        f"{1000 * cpu / big['tg_core']['requests']:.1f} ms per request"
        if cpu
        else ""
    )
    if beyond:
        worst = beyond[-1]
        out.append(
            "Step time: tg_core is within 1.3× of the five-latency bound at batch "
            f"{_and([str(b) for b in within]) or 'none'}, but not beyond: at batch "
            f"{worst['batch']} it takes {secs(worst['tg_core']['wall_s'])} s "
            f"({times(worst['tg_core_over_bound'])} the bound) with "
            f"{worst['tg_core']['peak_in_flight']} requests in flight at the peak{cpu_note}."
        )
    else:
        out.append(
            "Step time: tg_core is within 1.3× of the five-latency bound at every batch size "
            f"(at batch {big['batch']}: {secs(big['tg_core']['wall_s'])} s, "
            f"{times(big['tg_core_over_bound'])} the bound, {big['tg_core']['peak_in_flight']} "
            f"requests in flight at the peak{cpu_note})."
        )
    extra = [r for r in rows if r["tg_core"]["requests"] > 4 * r["batch"] + 1]
    if extra:
        r = extra[0]
        out.append(
            f"From batch {r['batch']} on, tg_core makes more than 4B+1 requests "
            f"({r['tg_core']['requests']} at batch {r['batch']}): the feedback for the prompt "
            "passes 3,000 tokens, so it is merged by the model (one call per group of feedback, "
            "run concurrently) before the update, which adds one latency to the step and keeps "
            "the update prompt short (`tg.set_gradient_token_budget`)."
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
            "`cache=False` here."
        )
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
                f"({times(t)}); backward {secs(ours['backward'])} s against "
                f"{secs(theirs['backward'])} s. tg_core runs a sync engine's calls in worker "
                "threads so that real (network-bound) calls overlap; with an instant engine that "
                "hand-off is pure overhead. With an engine that implements `agenerate` it takes "
                f"{secs(async_['wall_s'])} s."
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
        f"Import: tg_core imports in {secs(imports['tg_core']['import_s'])} s: litellm is "
        "imported only by the first call that goes through it, and a self-hosted "
        "OpenAI-compatible server (like the simulated one here, or the local model) is reached "
        "without it. Script start to first answer: "
        f"{secs(ours['first_call_s'])} s against TextGrad's {secs(theirs['first_call_s'])} s "
        f"({times(ratio(theirs['first_call_s'], ours['first_call_s']))}); litellm alone "
        f"imports in {secs(litellm.get('import_s', 0.0))} s here."
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
