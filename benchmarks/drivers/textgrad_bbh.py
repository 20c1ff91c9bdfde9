"""TextGrad 0.1.8's prompt optimization on a BBH task under a call budget, with its own API.

The loop of TextGrad's prompt-optimization experiments: a minibatch of the train split is
answered under the system prompt, each answer goes through a string-based check as the loss,
the summed loss is backpropagated, one TGD step rewrites the system prompt, and validation
revert undoes a step that lowers the validation accuracy. Answers are scored by the caller's
scorer (a loopback service, ``score_url``), so the check is the one every system uses.
The run stops when the next model call would pass ``budget``; the step then in progress is
dropped and the last kept prompt is the result.

Arguments (JSON in ``argv[1]``): ``base_url``, ``model``, ``score_url``, ``data_file`` (JSON
with ``train`` and ``val`` lists of ``[question, answer]``), ``batches`` (train indices per
step), ``budget``, ``answer_max_tokens`` (answers), ``max_tokens`` (feedback and updates),
``seed_prompt``, ``prompt_role``, ``question_role``, ``truth_role``, ``check_purpose``.
"""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import textgrad as tg
from budget import CallBudget
from common import emit, read_args
from openai import OpenAI
from revert_loop import NoUpdate, revert_loop
from textgrad.autograd.string_based_ops import StringBasedFunction
from textgrad.engine.local_model_openai_api import ChatExternalClient


class BudgetedClient(ChatExternalClient):  # type: ignore[misc]
    """``ChatExternalClient`` with a ``max_tokens`` default that refuses calls past the budget.

    The check comes before TextGrad's cache lookup and its retry decorator; the count is
    kept by the OpenAI client's ``create`` (requests actually sent).
    """

    def __init__(self, client: OpenAI, model: str, budget: CallBudget, max_tokens: int) -> None:
        super().__init__(client=client, model_string=model)
        self.budget = budget
        self.max_tokens = max_tokens

    def generate(self, content: Any, system_prompt: Any = None, **kwargs: Any) -> Any:
        self.budget.check()
        kwargs.setdefault("max_tokens", self.max_tokens)
        return super().generate(content, system_prompt=system_prompt, **kwargs)


def remote_scorer(url: str) -> Callable[[str, str], int]:
    """``score(prediction, target) -> 0/1`` asked of the caller's score service."""

    def score(prediction: str, target: str) -> int:
        body = json.dumps({"prediction": prediction, "target": target}).encode()
        request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as reply:
            return int(json.loads(reply.read())["score"])

    return score


def run(args: dict[str, Any]) -> dict[str, Any]:
    """Steps over ``batches`` until the budget is spent, with validation revert."""
    data = json.loads(Path(args["data_file"]).read_text("utf-8"))
    train, val = data["train"], data["val"]
    score = remote_scorer(args["score_url"])
    budget = CallBudget(args.get("budget"))
    client = OpenAI(base_url=args["base_url"], api_key="EMPTY", max_retries=0, timeout=900.0)
    client.chat.completions.create = budget.counted(client.chat.completions.create)  # type: ignore[method-assign]
    answerer = BudgetedClient(client, args["model"], budget, int(args["answer_max_tokens"]))
    critic = BudgetedClient(client, args["model"], budget, int(args["max_tokens"]))
    tg.set_backward_engine(critic, override=True)
    prompt = tg.Variable(
        args["seed_prompt"], requires_grad=True, role_description=args["prompt_role"]
    )
    model = tg.BlackboxLLM(answerer, system_prompt=prompt)
    optimizer = tg.TextualGradientDescent(engine=critic, parameters=[prompt])

    def check_answer(prediction: Any, ground_truth_answer: Any) -> int:
        return score(str(prediction.value), str(ground_truth_answer.value))

    check = StringBasedFunction(check_answer, function_purpose=args["check_purpose"])

    def question(text: str) -> Any:
        return tg.Variable(text, requires_grad=False, role_description=args["question_role"])

    def accuracy(examples: list[list[str]]) -> float:
        hits = sum(score(str(model(question(q)).value), a) for q, a in examples)
        return hits / len(examples)

    def step(batch: list[int]) -> None:
        optimizer.zero_grad()
        losses = []
        for i in batch:
            q, a = train[i]
            truth = tg.Variable(a, requires_grad=False, role_description=args["truth_role"])
            answer = model(question(q))
            losses.append(check(inputs={"prediction": answer, "ground_truth_answer": truth}))
        tg.sum(losses).backward()
        try:
            optimizer.step()
        except IndexError as exc:  # TGD's reply had no <IMPROVED_VARIABLE> tags
            raise NoUpdate(repr(exc)) from None

    started = time.perf_counter()
    out = revert_loop(
        args["batches"],
        validate=lambda: accuracy(val),
        step=step,
        value=lambda: str(prompt.value),
        restore=prompt.set_value,
    )
    return {
        "wall_s": time.perf_counter() - started,
        "initial_val": out.initial_val,
        "best_val": out.best_val,
        "final_prompt": out.final_value,
        "history": out.history,
        "calls": budget.used,
        "stopped": out.stopped,
    }


if __name__ == "__main__":
    emit(run(read_args()))
