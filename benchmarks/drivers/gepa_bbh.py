"""DSPy's GEPA on a BBH task under a call budget: a ChainOfThought whose instruction evolves.

The program is ``dspy.ChainOfThought("question -> answer")`` with the seed prompt as its
instruction; the metric scores the ``answer`` field with the task's scorer and says why in
its feedback; the reflection model is the same local model. GEPA stops between iterations
once fewer calls are left of ``budget`` than its cheapest iteration needs (two minibatch
evaluations and one reflection), counted by the proxy in front of the model
(``max_metric_calls`` is only a loose cap, as GEPA's metric calls include cache hits and
exclude reflections). After the fit, the seed and the final program answer the test split
through DSPy (answers cached in ``eval_cache_dir``).

Arguments (JSON in ``argv[1]``): ``base_url`` (the counting proxy), ``model``, ``task``,
``data_file`` (``train``, ``val``, ``test`` lists of ``[question, answer]``), ``budget``,
``batch`` (reflection minibatch), ``seed``, ``answer_max_tokens``, ``max_tokens``
(reflection), ``seed_prompt``, ``cache_dir`` (empty: the fit's cache), ``eval_cache_dir``.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from budget import CallStopper
from common import emit, read_args, sim_reset, sim_stats


def verdict(right: int, read: str | None, target: str) -> str:
    """The metric's feedback on one answer."""
    if right:
        return f"Correct: the answer {read!r} matches the expected answer."
    got = "no answer could be read from the answer field" if read is None else f"read {read!r}"
    return f"Wrong: the expected answer is {target!r}; {got}."


def instruction(program: Any) -> str:
    """The instruction of the program's one predictor."""
    return str(next(iter(program.named_predictors()))[1].signature.instructions)


def _text(entry: dict[str, Any]) -> str:
    """The reply recorded in one ``dspy.LM.history`` entry."""
    outputs = entry.get("outputs") or [""]
    first = outputs[0]
    return str(first.get("text", first) if isinstance(first, dict) else first)


def run(args: dict[str, Any]) -> dict[str, Any]:
    """Compile with GEPA until the budget is spent; then test the seed and the result."""
    os.environ["DSPY_CACHEDIR"] = args["cache_dir"]
    import dspy

    from tg_core.tasks import bbh_scorer

    scorer = bbh_scorer(args["task"])
    data = json.loads(Path(args["data_file"]).read_text("utf-8"))
    base_url = args["base_url"]

    def examples(pairs: list[list[str]]) -> list[Any]:
        return [dspy.Example(question=q, answer=a).with_inputs("question") for q, a in pairs]

    def lm(max_tokens: int) -> Any:
        return dspy.LM(
            "openai/" + args["model"],
            api_base=base_url,
            api_key="EMPTY",
            temperature=0.0,
            max_tokens=max_tokens,
        )

    def metric(
        gold: Any, pred: Any, trace: Any = None, pred_name: Any = None, pred_trace: Any = None
    ) -> Any:
        answer = str(getattr(pred, "answer", "") or "")
        right = scorer(answer, str(gold.answer))
        feedback = verdict(right, scorer.read(answer), str(gold.answer))
        return dspy.Prediction(score=float(right), feedback=feedback)

    dspy.configure(lm=lm(int(args["answer_max_tokens"])))
    student = dspy.ChainOfThought(dspy.Signature("question -> answer", args["seed_prompt"]))
    budget, batch = int(args["budget"]), int(args["batch"])
    stopper = CallStopper(lambda: int(sim_stats(base_url)["requests"]), budget, 2 * batch + 1)
    reflection = lm(int(args["max_tokens"]))
    optimizer = dspy.GEPA(
        metric,
        max_metric_calls=4 * budget,
        reflection_lm=reflection,
        reflection_minibatch_size=batch,
        num_threads=1,
        seed=int(args["seed"]),
        track_stats=True,
        gepa_kwargs={"stop_callbacks": [stopper]},
    )
    sim_reset(base_url)
    started = time.perf_counter()
    program = optimizer.compile(
        student, trainset=examples(data["train"]), valset=examples(data["val"])
    )
    wall = time.perf_counter() - started
    fit_server = sim_stats(base_url)
    details = program.detailed_results
    scores = list(details.val_aggregate_scores)
    result: dict[str, Any] = {
        "wall_s": wall,
        "initial_val": scores[0] if scores else None,
        "best_val": scores[details.best_idx] if scores else None,
        "final_prompt": instruction(program),
        "candidates": len(details.candidates),
        "metric_calls": details.total_metric_calls,
        "reflection_replies": [_text(entry)[:400] for entry in reflection.history],
        "server": fit_server,
        "stopped": "budget" if stopper(None) else "completed",
    }
    dspy.configure_cache(
        enable_disk_cache=True, enable_memory_cache=True, disk_cache_dir=args["eval_cache_dir"]
    )
    test = examples(data["test"])

    def accuracy(candidate: Any) -> float:
        hits = 0.0
        for example in test:
            try:
                hits += metric(example, candidate(question=example.question)).score
            except Exception as exc:  # an answer DSPy cannot parse counts as wrong
                print(f"test example failed: {exc!r}", file=sys.stderr)
        return hits / len(test)

    sim_reset(base_url)
    started = time.perf_counter()
    result["test_before_native"] = accuracy(student)
    same = result["final_prompt"] == instruction(student)
    result["test_after_native"] = result["test_before_native"] if same else accuracy(program)
    result["test_wall_s"] = time.perf_counter() - started
    result["test_server"] = sim_stats(base_url)
    return result


if __name__ == "__main__":
    emit(run(read_args()))
