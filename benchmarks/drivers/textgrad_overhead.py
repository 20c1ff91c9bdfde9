"""TextGrad 0.1.8: framework overhead of forward, backward and step with an instant engine."""

from __future__ import annotations

import gc
import time
import tracemalloc
from typing import Any

import textgrad as tg
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
from textgrad.engine import EngineLM


class InstantEngine(EngineLM):  # type: ignore[misc]
    """A custom TextGrad engine: ``generate`` (and ``__call__``) return fixed text with tags."""

    model_string = "instant"

    def generate(self, prompt: Any, system_prompt: str | None = None, **kwargs: Any) -> str:
        return str(FIXED_REPLY)

    def __call__(self, prompt: Any, **kwargs: Any) -> str:
        return self.generate(prompt, **kwargs)


def optimize_once(engine: Any, batch: list[str]) -> tuple[dict[str, float], int]:
    """Build the graph of one step over ``batch``, run backward and the update; phase seconds."""
    phases = Phases()
    prompt = tg.Variable(STARTING_PROMPT, requires_grad=True, role_description=PROMPT_ROLE)
    model = tg.BlackboxLLM(engine, system_prompt=prompt)
    loss_fn = tg.TextLoss(LOSS_INSTRUCTION, engine=engine)
    optimizer = tg.TGD(parameters=list(model.parameters()), engine=engine)
    losses = []
    for q in batch:
        x = tg.Variable(q, requires_grad=False, role_description=QUESTION_ROLE)
        losses.append(loss_fn(model(x)))
    total = tg.sum(losses)
    phases.mark("forward")
    total.backward()
    phases.mark("backward")
    optimizer.step()
    phases.mark("step")
    return phases.seconds, count_nodes(total)


def run(args: dict[str, Any]) -> dict[str, Any]:
    """A timed pass, then a second pass under tracemalloc for peak memory."""
    engine = InstantEngine()
    tg.set_backward_engine(engine, override=True)
    batch = questions(args["data_dir"], 0, int(args["samples"]))
    rss_before = peak_rss_mb()
    optimize_once(engine, batch[:128])
    gc.collect()
    started = time.perf_counter()
    seconds, nodes = optimize_once(engine, batch)
    wall = time.perf_counter() - started
    gc.collect()
    tracemalloc.start()
    optimize_once(engine, batch)
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
    emit(run(read_args()))
