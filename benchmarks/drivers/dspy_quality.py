"""DSPy: ChainOfThought compiled by tg_adapters.dspy.TextGradOptimizer, then tested in DSPy."""

from __future__ import annotations

import os
import sys
import time
from typing import Any

from common import (
    STARTING_PROMPT,
    bbh_examples,
    emit,
    read_args,
    same_integer,
    sim_reset,
    sim_stats,
)


def _instructions(program: Any) -> str:
    return str(next(iter(program.named_predictors()))[1].signature.instructions)


def run(args: dict[str, Any]) -> dict[str, Any]:
    """Compile on the train split with validation gating; test both programs through DSPy."""
    os.environ["DSPY_CACHEDIR"] = args["cache_dir"]  # a fresh cache: every call is counted
    import dspy

    from tg_adapters.dspy import TextGradOptimizer

    rows = bbh_examples(args["data_dir"])

    def examples(bounds: list[int]) -> list[Any]:
        return [
            dspy.Example(question=r["input"], answer=r["target"]).with_inputs("question")
            for r in rows[slice(*bounds)]
        ]

    lm = dspy.LM(
        "openai/" + args["model"],
        api_base=args["base_url"],
        api_key="EMPTY",
        temperature=0,
        max_tokens=int(args["max_tokens"]),
    )
    dspy.configure(lm=lm)
    student = dspy.ChainOfThought(dspy.Signature("question -> answer", STARTING_PROMPT))

    def metric(example: Any, pred: Any, trace: Any = None) -> float:
        return float(same_integer(str(pred.answer), str(example.answer)))

    optimizer = TextGradOptimizer(
        metric,
        engine=lm,
        steps=int(args["steps"]),
        batch_size=int(args["batch_size"]),
        seed=int(args["seed"]),
        max_concurrency=1,
        progress=False,
        search=False,  # TextGrad's loop, as the rows beside TextGrad measured
    )
    sim_reset(args["base_url"])
    started = time.perf_counter()
    program = optimizer.compile(
        student, trainset=examples(args["train_range"]), valset=examples(args["val_range"])
    )
    wall = time.perf_counter() - started
    server = sim_stats(args["base_url"])
    fit = optimizer.result
    assert fit is not None
    result: dict[str, Any] = {
        "wall_s": wall,
        "initial_val": fit.initial_score,
        "best_val": fit.best_score,
        "final_prompt": _instructions(program),
        "history": [
            {
                "step": r.step,
                "batch": r.batch,
                "accepted": r.accepted,
                "val_score": r.val_score,
                "reason": r.reason[:300],
            }
            for r in fit.history
        ],
        "server": server,
        "evaluated_by": "dspy",
    }
    if args.get("test_range"):
        test = examples(args["test_range"])

        def accuracy(candidate: Any) -> dict[str, Any]:
            hits = 0
            for example in test:
                try:
                    hits += int(metric(example, candidate(question=example.question)))
                except Exception as exc:  # an unparsable answer counts as wrong
                    print(f"test example failed: {exc!r}", file=sys.stderr)
            return {"accuracy": hits / len(test), "correct": hits, "n": len(test)}

        sim_reset(args["base_url"])
        started = time.perf_counter()
        result["test_start"] = accuracy(student)
        same = _instructions(program) == _instructions(student)
        result["test_final"] = result["test_start"] if same else accuracy(program)
        result["test_wall_s"] = time.perf_counter() - started
        result["test_server"] = sim_stats(args["base_url"])
    return result


if __name__ == "__main__":
    emit(run(read_args()))
