"""tg_core: optimization steps (concurrent forward, TextLoss, sum, backward, TGD) on the sim."""

from __future__ import annotations

import asyncio
import time
from typing import Any

T0 = time.perf_counter()

from common import (  # noqa: E402
    LOSS_INSTRUCTION,
    PROMPT_ROLE,
    QUESTION_ROLE,
    STARTING_PROMPT,
    Phases,
    emit,
    questions,
    read_args,
    sim_reset,
    sim_stats,
)

import tg_core as tg  # noqa: E402

IMPORT_S = time.perf_counter() - T0


async def one_step(
    model: tg.BlackboxLLM, loss_fn: tg.TextLoss, optimizer: tg.TGD, batch: list[str], engine: Any
) -> dict[str, float]:
    """Forward, loss, backward and update on one batch; the seconds of each phase."""
    phases = Phases()
    xs = [tg.Variable(q, requires_grad=False, role_description=QUESTION_ROLE) for q in batch]
    answers = await asyncio.gather(*(model.aforward(x) for x in xs))
    phases.mark("forward")
    losses = await asyncio.gather(*(loss_fn.aforward(a) for a in answers))
    phases.mark("loss")
    total = tg.sum(losses)
    await total.abackward(engine)
    phases.mark("backward")
    await optimizer.astep()
    optimizer.zero_grad()
    phases.mark("update")
    return {"wall_s": phases.total, "cpu_s": phases.cpu, **phases.seconds}


async def run(args: dict[str, Any]) -> dict[str, Any]:
    """Every requested run, each from the starting prompt, with the server's counters."""
    base_url = args["base_url"]
    tg.set_max_concurrency(int(args.get("max_concurrency", 64)))
    cache: Any = args.get("cache_dir") or False
    engine = tg.get_engine(
        "openai/sim-model",
        cache=cache,
        api_base=base_url,
        api_key="sim",
        transport=args.get("transport", "auto"),
    )
    result: dict[str, Any] = {"import_s": IMPORT_S, "runs": []}
    if args.get("warmup", True):
        started = time.perf_counter()
        await engine.agenerate("Say hello.", system_prompt="Warm-up.")
        result["warmup_s"] = time.perf_counter() - started
    for spec in args["batches"]:
        prompt = tg.Variable(STARTING_PROMPT, requires_grad=True, role_description=PROMPT_ROLE)
        model = tg.BlackboxLLM(engine, system_prompt=prompt)
        loss_fn = tg.TextLoss(LOSS_INSTRUCTION, engine=engine)
        optimizer = tg.TGD(parameters=model.parameters(), engine=engine)
        batch = questions(args["data_dir"], int(spec["start"]), int(spec["batch"]))
        sim_reset(base_url)
        started = time.perf_counter()
        steps = [
            await one_step(model, loss_fn, optimizer, batch, engine)
            for _ in range(int(args.get("steps", 1)))
        ]
        wall = time.perf_counter() - started
        result["runs"].append(
            {
                "batch": spec["batch"],
                "wall_s": wall,
                "steps": steps,
                "stats": sim_stats(base_url),
                "final_prompt": prompt.value,
            }
        )
    return result


if __name__ == "__main__":
    emit(asyncio.run(run(read_args())))
