"""Test accuracy of system prompts on BBH object counting, the same requests for every prompt."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from common import bbh_examples, emit, read_args, same_integer, sim_reset, sim_stats

import tg_core as tg


async def accuracy(engine: Any, prompt: str, examples: list[dict[str, str]]) -> dict[str, Any]:
    """Ask every question with ``prompt`` as the system prompt; the share answered right."""
    answers = await asyncio.gather(
        *(engine.agenerate(ex["input"], system_prompt=prompt) for ex in examples)
    )
    hits = [same_integer(a, ex["target"]) for a, ex in zip(answers, examples)]
    return {"accuracy": sum(hits) / len(hits), "correct": sum(hits), "n": len(hits)}


async def run(args: dict[str, Any]) -> dict[str, Any]:
    """Each distinct prompt once; answers are cached on disk so a rerun costs nothing."""
    examples = bbh_examples(args["data_dir"])[slice(*args["test_range"])]
    engine = tg.get_engine(
        "openai/" + args["model"],
        cache=args["cache_dir"],
        api_base=args["base_url"],
        api_key="local",
        temperature=0,
        max_tokens=int(args["max_tokens"]),
    )
    results: dict[str, Any] = {}
    sim_reset(args["base_url"])
    started = time.perf_counter()
    with tg.concurrency(2):
        for prompt in dict.fromkeys(args["prompts"]):
            results[prompt] = await accuracy(engine, prompt, examples)
    return {
        "results": results,
        "wall_s": time.perf_counter() - started,
        "server": sim_stats(args["base_url"]),
    }


if __name__ == "__main__":
    emit(asyncio.run(run(read_args())))
