"""tg_core: validation-gated prompt optimization on BBH object counting with the local model."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from common import (
    CHECK_PURPOSE,
    PROMPT_ROLE,
    QUESTION_ROLE,
    STARTING_PROMPT,
    TRUTH_ROLE,
    bbh_examples,
    emit,
    read_args,
    same_integer,
    sim_reset,
    sim_stats,
)

import tg_core as tg
from tg_core.autograd import StringBasedFunction
from tg_core.train import afit


def _check(prediction: tg.Variable, ground_truth_answer: tg.Variable) -> int:
    return int(same_integer(str(prediction.value), str(ground_truth_answer.value)))


async def run(args: dict[str, Any]) -> dict[str, Any]:
    """``afit`` over the train split with TextGrad's split sizes, gated on validation."""
    rows = bbh_examples(args["data_dir"])
    pairs = [(r["input"], r["target"]) for r in rows]
    train = pairs[slice(*args["train_range"])]
    val = pairs[slice(*args["val_range"])]
    engine = tg.get_engine(
        "openai/" + args["model"],
        cache=args["cache_dir"],
        api_base=args["base_url"],
        api_key="local",
        temperature=0,
        max_tokens=int(args["max_tokens"]),
    )
    prompt = tg.Variable(STARTING_PROMPT, requires_grad=True, role_description=PROMPT_ROLE)
    model = tg.BlackboxLLM(engine, system_prompt=prompt)
    check = StringBasedFunction(_check, function_purpose=CHECK_PURPOSE)

    async def loss_fn(example: tuple[str, str]) -> tg.Variable:
        x = tg.Variable(example[0], requires_grad=False, role_description=QUESTION_ROLE)
        y = tg.Variable(example[1], requires_grad=False, role_description=TRUTH_ROLE)
        prediction = await model.aforward(x)
        return await check.aforward(inputs={"prediction": prediction, "ground_truth_answer": y})

    async def score_fn(example: tuple[str, str]) -> float:
        x = tg.Variable(example[0], requires_grad=False, role_description=QUESTION_ROLE)
        return float(same_integer(str((await model.aforward(x)).value), example[1]))

    sim_reset(args["base_url"])
    started = time.perf_counter()
    result = await afit(
        [prompt],
        loss_fn,
        score_fn,
        train,
        val,
        engine=engine,
        steps=int(args["steps"]),
        batch_size=int(args["batch_size"]),
        seed=int(args["seed"]),
        max_concurrency=4,
        progress=False,
        search=False,  # TextGrad's loop, as the rows beside TextGrad measured
        report=False,
    )
    wall = time.perf_counter() - started
    return {
        "wall_s": wall,
        "initial_val": result.initial_score,
        "best_val": result.best_score,
        "final_prompt": prompt.value,
        "history": [
            {
                "step": r.step,
                "batch": r.batch,
                "accepted": r.accepted,
                "val_score": r.val_score,
                "reason": r.reason[:300],
            }
            for r in result.history
        ],
        "usage": result.usage.to_dict(),
        "server": sim_stats(args["base_url"]),
    }


if __name__ == "__main__":
    emit(asyncio.run(run(read_args())))
