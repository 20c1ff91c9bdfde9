"""TextGrad 0.1.8: the same validation-gated prompt optimization, written with its API."""

from __future__ import annotations

import time
from typing import Any

import textgrad as tg
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
from openai import OpenAI
from textgrad.autograd.string_based_ops import StringBasedFunction
from textgrad.engine.local_model_openai_api import ChatExternalClient


class CappedClient(ChatExternalClient):  # type: ignore[misc]
    """``ChatExternalClient`` with a default ``max_tokens`` (TextGrad's own default is 2000)."""

    max_tokens = 200

    def generate(self, content: Any, system_prompt: Any = None, **kwargs: Any) -> Any:
        kwargs.setdefault("max_tokens", self.max_tokens)
        return super().generate(content, system_prompt=system_prompt, **kwargs)


def _check(prediction: Any, ground_truth_answer: Any) -> int:
    return int(same_integer(str(prediction.value), str(ground_truth_answer.value)))


def run(args: dict[str, Any]) -> dict[str, Any]:
    """Steps over the given batches; a step is kept only if validation does not drop."""
    rows = bbh_examples(args["data_dir"])
    pairs = [(r["input"], r["target"]) for r in rows]
    train = pairs[slice(*args["train_range"])]
    val = pairs[slice(*args["val_range"])]
    CappedClient.max_tokens = int(args["max_tokens"])
    client = OpenAI(base_url=args["base_url"], api_key="local")
    engine = CappedClient(client=client, model_string=args["model"])
    tg.set_backward_engine(engine, override=True)
    prompt = tg.Variable(STARTING_PROMPT, requires_grad=True, role_description=PROMPT_ROLE)
    model = tg.BlackboxLLM(engine, system_prompt=prompt)
    optimizer = tg.TGD(parameters=[prompt])
    check = StringBasedFunction(_check, function_purpose=CHECK_PURPOSE)

    def accuracy(examples: list[tuple[str, str]]) -> float:
        hits = 0
        for question, answer in examples:
            x = tg.Variable(question, requires_grad=False, role_description=QUESTION_ROLE)
            hits += same_integer(str(model(x).value), answer)
        return hits / len(examples)

    sim_reset(args["base_url"])
    started = time.perf_counter()
    current = initial = accuracy(val)
    history = []
    for step, batch in enumerate(args["batches"]):
        optimizer.zero_grad()
        losses = []
        for i in batch:
            x = tg.Variable(train[i][0], requires_grad=False, role_description=QUESTION_ROLE)
            y = tg.Variable(train[i][1], requires_grad=False, role_description=TRUTH_ROLE)
            losses.append(check(inputs={"prediction": model(x), "ground_truth_answer": y}))
        tg.sum(losses).backward()
        before = prompt.value
        record: dict[str, Any] = {"step": step, "batch": batch, "val_score": None}
        try:
            optimizer.step()
        except IndexError as exc:  # the model's answer had no update tags
            prompt.set_value(before)
            history.append({**record, "accepted": False, "reason": f"step failed: {exc!r}"})
            continue
        if prompt.value == before:
            history.append({**record, "accepted": False, "reason": "no change proposed"})
            continue
        score = accuracy(val)
        accepted = score >= current
        reason = f"validation {'kept' if accepted else 'fell'}: {current:.3f} -> {score:.3f}"
        if accepted:
            current = score
        else:
            prompt.set_value(before)
        history.append({**record, "val_score": score, "accepted": accepted, "reason": reason})
    wall = time.perf_counter() - started
    return {
        "wall_s": wall,
        "initial_val": initial,
        "best_val": current,
        "final_prompt": prompt.value,
        "history": history,
        "server": sim_stats(args["base_url"]),
    }


if __name__ == "__main__":
    emit(run(read_args()))
