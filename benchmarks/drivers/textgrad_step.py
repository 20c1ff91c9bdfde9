"""TextGrad 0.1.8: optimization steps written the way its users write them, on the sim."""

from __future__ import annotations

import os
import time
from typing import Any

T0 = time.perf_counter()

import textgrad as tg  # noqa: E402
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

IMPORT_S = time.perf_counter() - T0


def make_engine(base_url: str, kind: str, cache_dir: str | None) -> Any:
    """TextGrad's engine for an OpenAI-compatible server.

    ``external_client`` is ``ChatExternalClient`` over an ``openai.OpenAI`` client (TextGrad's
    documented way to reach a local OpenAI-compatible server); its prompt-keyed disk cache
    is always on, under ``$XDG_CACHE_HOME/textgrad``. ``experimental_litellm`` is
    ``get_engine("experimental:openai/sim-model", cache=...)``, which reaches the server
    through ``OPENAI_BASE_URL``.
    """
    if kind == "experimental_litellm":
        import diskcache

        os.environ["OPENAI_BASE_URL"] = base_url
        os.environ["OPENAI_API_KEY"] = "sim"
        cache: Any = diskcache.Cache(cache_dir) if cache_dir else False
        return tg.get_engine("experimental:openai/sim-model", cache=cache)
    from openai import OpenAI
    from textgrad.engine.local_model_openai_api import ChatExternalClient

    client = OpenAI(base_url=base_url, api_key="sim")
    return ChatExternalClient(client=client, model_string="sim-model")


def one_step(model: Any, loss_fn: Any, optimizer: Any, batch: list[str]) -> dict[str, float]:
    """Forward, loss, backward and update on one batch; the seconds of each phase."""
    phases = Phases()
    answers = []
    for q in batch:
        x = tg.Variable(q, requires_grad=False, role_description=QUESTION_ROLE)
        answers.append(model(x))
    phases.mark("forward")
    losses = [loss_fn(a) for a in answers]
    phases.mark("loss")
    total = tg.sum(losses)
    total.backward()
    phases.mark("backward")
    optimizer.step()
    optimizer.zero_grad()
    phases.mark("update")
    return {"wall_s": phases.total, "cpu_s": phases.cpu, **phases.seconds}


def run(args: dict[str, Any]) -> dict[str, Any]:
    """Every requested run, each from the starting prompt, with the server's counters."""
    base_url = args["base_url"]
    engine = make_engine(base_url, args.get("engine", "external_client"), args.get("cache_dir"))
    tg.set_backward_engine(engine, override=True)
    result: dict[str, Any] = {"import_s": IMPORT_S, "runs": []}
    if args.get("warmup", True):
        started = time.perf_counter()
        engine.generate("Say hello.", system_prompt="Warm-up.")
        result["warmup_s"] = time.perf_counter() - started
    for spec in args["batches"]:
        prompt = tg.Variable(STARTING_PROMPT, requires_grad=True, role_description=PROMPT_ROLE)
        model = tg.BlackboxLLM(engine, system_prompt=prompt)
        loss_fn = tg.TextLoss(LOSS_INSTRUCTION)
        optimizer = tg.TGD(parameters=list(model.parameters()))
        batch = questions(args["data_dir"], int(spec["start"]), int(spec["batch"]))
        sim_reset(base_url)
        started = time.perf_counter()
        steps = [
            one_step(model, loss_fn, optimizer, batch) for _ in range(int(args.get("steps", 1)))
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
    emit(run(read_args()))
