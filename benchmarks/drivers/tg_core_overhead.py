"""tg_core: framework overhead of forward, backward and step with an instant in-process engine."""

from __future__ import annotations

import asyncio
import gc
import time
import tracemalloc
from collections.abc import Sequence
from typing import Any

from common import (
    FIXED_REPLY,
    LOSS_INSTRUCTION,
    PROMPT_ROLE,
    QUESTION_ROLE,
    STARTING_PROMPT,
    Phases,
    count_nodes,
    emit,
    peak_rss_mb,
    questions,
    read_args,
)

import tg_core as tg


class InstantEngine(tg.EngineLM):
    """A TextGrad-style engine: a sync ``generate`` returning fixed text with update tags."""

    model_string = "instant"

    def generate(
        self, prompt: str | Sequence[Any], system_prompt: str | None = None, **kwargs: Any
    ) -> str:
        return str(FIXED_REPLY)


class AsyncInstantEngine(InstantEngine):
    """The same answer from an ``agenerate`` override: no worker thread, no usage accounting."""

    async def agenerate(
        self, prompt: str | Sequence[Any], system_prompt: str | None = None, **kwargs: Any
    ) -> str:
        return str(FIXED_REPLY)


async def optimize_once(engine: tg.EngineLM, batch: list[str]) -> tuple[dict[str, float], int]:
    """Build the graph of one step over ``batch``, run backward and the update; phase seconds."""
    phases = Phases()
    prompt = tg.Variable(STARTING_PROMPT, requires_grad=True, role_description=PROMPT_ROLE)
    model = tg.BlackboxLLM(engine, system_prompt=prompt)
    loss_fn = tg.TextLoss(LOSS_INSTRUCTION, engine=engine)
    optimizer = tg.TGD(parameters=model.parameters(), engine=engine)
    xs = [tg.Variable(q, requires_grad=False, role_description=QUESTION_ROLE) for q in batch]
    answers = await asyncio.gather(*(model.aforward(x) for x in xs))
    losses = await asyncio.gather(*(loss_fn.aforward(a) for a in answers))
    total = tg.sum(losses)
    phases.mark("forward")
    await total.abackward(engine)
    phases.mark("backward")
    await optimizer.astep()
    phases.mark("step")
    return phases.seconds, count_nodes(total)


async def run(args: dict[str, Any]) -> dict[str, Any]:
    """A timed pass, then a second pass under tracemalloc for peak memory."""
    tg.set_max_concurrency(int(args.get("max_concurrency", 64)))
    engine = AsyncInstantEngine() if args.get("engine") == "async" else InstantEngine()
    batch = questions(args["data_dir"], 0, int(args["samples"]))
    rss_before = peak_rss_mb()
    await optimize_once(engine, batch[:128])  # first-use costs: prompt files, worker threads
    gc.collect()
    started = time.perf_counter()
    seconds, nodes = await optimize_once(engine, batch)
    wall = time.perf_counter() - started
    gc.collect()
    tracemalloc.start()
    await optimize_once(engine, batch)
    traced_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {
        "nodes": nodes,
        "wall_s": wall,
        **seconds,
        "traced_peak_mb": traced_peak / 2**20,
        "rss_before_mb": rss_before,
    }


if __name__ == "__main__":
    emit(asyncio.run(run(read_args())))
