"""Optimize a two-predictor DSPy program (draft, then refine) on BBH object counting.

Everything runs on the embedded local model (Qwen2.5-Coder-0.5B-Instruct served on loopback
by ``tg_core.local.ensure_server()``): the program's calls, the backward pass and the
optimizer. First one training example goes through the autograd path by hand (forward,
loss, backward, the gradient on each predictor, one TGD step); then ``TextGradOptimizer``
compiles the program on 4 training and 6 validation questions in 2 steps of 2, keeping a
step only if the validation score does not drop. The 0.5B model serves one request at a
time on two cores, so the run takes several minutes; DSPy's cache makes a second run fast.

Data comes from ``$TG_CORE_DATA_DIR`` (a folder with ``bbh/object_counting.json``) when set,
else it is downloaded once. Run: ``python examples/dspy_two_stage.py``.
"""

from __future__ import annotations

import os
import time
from typing import Any

import dspy

import tg_core as tg
from tg_adapters.dspy import (
    DSPyLMEngine,
    DSPyRecorder,
    TextGradOptimizer,
    call_metric,
    metric_loss,
    named_parameters,
    parameters,
)
from tg_core.local import ensure_server
from tg_core.tasks.answers import integers_match
from tg_core.tasks.datasets import load_bbh


class DraftRefine(dspy.Module):
    """Count with reasoning, then check the draft and give the final number."""

    def __init__(self) -> None:
        super().__init__()
        self.draft = dspy.ChainOfThought("question -> draft_answer")
        self.refine = dspy.Predict("question, draft_answer -> answer", max_tokens=24)

    def forward(self, question: str) -> Any:
        draft = self.draft(question=question)
        return self.refine(question=question, draft_answer=draft.draft_answer)


def metric(
    example: Any, pred: Any, trace: Any = None, pred_name: Any = None, pred_trace: Any = None
) -> dspy.Prediction:
    """1 when the final answer is the right count; a wrong one gets feedback saying why."""
    if integers_match(str(pred.answer), example.answer):
        return dspy.Prediction(score=1.0)  # nothing to fix: no backward pass for it
    return dspy.Prediction(
        score=0.0,
        feedback=f"Wrong: the program answered {pred.answer!r}; the correct count is "
        f"{example.answer}.",
    )


def examples(split: str, n: int) -> list[dspy.Example]:
    rows = list(load_bbh("object_counting", split))[:n]
    return [dspy.Example(question=q, answer=a).with_inputs("question") for q, a in rows]


def banner(text: str) -> None:
    print(f"\n=== {text} ===")


def by_hand(student: DraftRefine, example: dspy.Example, engine: DSPyLMEngine) -> None:
    """One example through the autograd path, on a copy of the program."""
    program = student.deepcopy()
    banner("1. forward (recorded)")
    recorder = DSPyRecorder(program)
    with recorder:
        prediction = program(**example.inputs())
    tape = recorder.tape_for(prediction)
    for call in tape.calls:
        print(f"[{call.name}] inputs={list(call.inputs)} -> {call.outputs}")
    banner("2. loss (the metric's feedback)")
    outcome = call_metric(metric, example, prediction)
    loss = metric_loss(tape, example, outcome, perfect_score=2.0)
    print(loss.value)
    banner("3. backward")
    started = time.perf_counter()
    usage = loss.backward(engine=engine)
    print(f"{usage.calls} model calls in {time.perf_counter() - started:.1f}s")
    banner("4. gradients on each predictor")
    for name, param in named_parameters(program):
        print(f"[{name}] {param.get_gradient_text()[:600]}\n")
    banner("5. step (TGD rewrites the instructions in place)")
    report = tg.TGD(parameters(program), engine=engine).step()
    for (name, _), update in zip(named_parameters(program), report.updates):
        print(f"[{name}] {update.status}: {update.new[:400]}\n")


def main() -> None:
    # LiteLLM (imported at the first call) would otherwise try to download its price table.
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    server = ensure_server()
    lm = dspy.LM(
        f"openai/{server.model_alias}",
        api_base=server.base_url,
        api_key="EMPTY",
        max_tokens=112,
        temperature=0.0,
        # DSPy's default engine sends OpenAI's `max_completion_tokens`, which the
        # llama-cpp-python server ignores; the LiteLLM engine sends `max_tokens`.
        engine="litellm",
    )
    dspy.configure(lm=lm)
    engine = DSPyLMEngine(lm, max_tokens=128)
    tg.set_gradient_token_budget(1200)  # the local model's context is 4096 tokens
    train, val = examples("train", 4), examples("val", 6)
    student = DraftRefine()

    started, calls_before = time.perf_counter(), len(lm.history)
    by_hand(student, train[0], engine)

    banner("6. compile: 4 training, 6 validation questions, 2 steps")
    optimizer = TextGradOptimizer(metric, engine=engine, steps=2, batch_size=2, num_threads=2)
    optimized = optimizer.compile(student, trainset=train, valset=val)
    history = optimized.textgrad_history
    print(f"validation: {history.initial_score} -> best {history.best_score}")
    for step in history.steps:
        print(f"step {step.step}: accepted={step.accepted} score={step.val_score} ({step.reason})")
    for name, versions in history.versions().items():
        print(f"\n[{name}] {len(versions)} version(s); now:\n{versions[-1]}")
    print(
        f"\nwall time {time.perf_counter() - started:.0f}s, "
        f"LM calls {len(lm.history) - calls_before}, optimizer usage: {history.usage}"
    )


if __name__ == "__main__":
    main()
