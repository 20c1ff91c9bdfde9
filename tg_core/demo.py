"""The main job: TextGrad's shirts example, then a validation-gated prompt optimization on BBH
object counting, on the embedded local model (or any engine), with progress and usage."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from .engine.registry import get_engine
from .engine.usage import track_usage
from .graph import no_grad
from .loss import TextLoss
from .model import BlackboxLLM
from .optimizer import TextualGradientDescent
from .tasks import generate_object_counting, integers_match, load_task
from .tasks.data_files import DataUnavailable
from .train import FitCallback, StepRecord, afit
from .variable import Variable

SHIRTS = (
    "If it takes 1 hour to dry 25 shirts under the sun, how long will it take to dry 30 shirts "
    "under the sun? Reason step by step"
)
START_PROMPT = "You are a concise LLM. Think step by step."
FORMAT_RULE = "The last line of the answer must be 'Answer: N' where N is a number."


def looks_like_instructions(value: str) -> str | None:
    """A constraint for the demo: a system prompt is a few sentences, not an answer.

    Example:
        >>> looks_like_instructions("6")
        'write instructions for the model (at least 6 words), not an answer'
    """
    if len(value.split()) < 6:
        return "write instructions for the model (at least 6 words), not an answer"
    return None


@dataclass
class DemoConfig:
    """Sizes of the demo run (defaults finish in minutes on two CPU cores)."""

    engine: str = "local"
    train_size: int = 9
    val_size: int = 12
    steps: int = 2
    batch_size: int = 3
    max_tokens: int = 200
    seed: int = 0
    data_dir: str | None = None
    run_dir: str | None = None
    progress: bool | None = None


def _say(text: str) -> None:
    print(text, flush=True)


def pick_data(cfg: DemoConfig) -> tuple[list[tuple[str, str]], list[tuple[str, str]], str]:
    """Training and validation questions: BBH object counting if reachable, else generated."""
    try:
        train, val, _, _ = load_task("BBH_object_counting", None, data_dir=cfg.data_dir)
        source = f"BIG-Bench Hard object counting ({train.source})"
        return list(train)[: cfg.train_size], list(val)[: cfg.val_size], source
    except DataUnavailable as exc:
        generated = generate_object_counting(cfg.train_size + cfg.val_size, seed=cfg.seed)
        items = [(e["input"], e["target"]) for e in generated]
        source = (
            f"generated object-counting questions in BBH's format (seed {cfg.seed}); "
            f"BBH itself was not reachable: {exc}"
        )
        return items[: cfg.train_size], items[cfg.train_size :], source


async def shirts(engine: Any) -> None:
    """TextGrad's answer-optimization example, one step."""
    _say("\n== 1. Answer optimization (TextGrad's shirts example) ==")
    question = Variable(SHIRTS, role_description="question to the LLM", requires_grad=False)
    answer = await BlackboxLLM(engine).aforward(question)
    answer.set_role_description("concise and accurate answer to the question")
    _say(f"initial answer:\n{answer}\n")
    instruction = (
        f"Here's a question: {SHIRTS}. Evaluate any given answer to this question, be smart, "
        "logical, and very critical. Just provide concise feedback."
    )
    loss = await TextLoss(instruction, engine=engine).aforward(answer)
    _say(f"evaluation (the loss):\n{loss}\n")
    await loss.abackward(engine)
    _say(f"gradient on the answer:\n{answer.get_gradient_text()}\n")
    report = await TextualGradientDescent([answer], engine=engine).astep()
    _say(f"improved answer ({report.updates[0].status}):\n{answer}")


class _PrintSteps(FitCallback):
    """Prints a line when validation starts and after every step (progress off a terminal)."""

    def on_run_start(self, state: dict[str, Any]) -> None:
        estimate = state["estimate"]
        _say(
            f"estimate for the run: about {estimate['calls']} calls, {estimate['tokens']:,} tokens"
        )
        if state.get("initial_score") is not None:
            _say(f"resuming from the checkpoint in the run folder at step {state['next_step']}")

    def on_step_start(self, step: int, batch: list[int]) -> None:
        _say(f"step {step}: forward, backward and update on training examples {batch} ...")

    def on_step_end(self, record: StepRecord) -> None:
        verdict = "kept" if record.accepted else "undone"
        if not record.accepted and record.val_score is None:
            verdict = "no change"
        _say(f"step {record.step}: {verdict} ({record.reason}); {record.seconds:.0f} s")


async def prompt_optimization(engine: Any, cfg: DemoConfig) -> None:
    """Optimize a system prompt on object counting with validation-gated steps."""
    _say("\n== 2. System prompt optimization on object counting ==")
    train, val, source = pick_data(cfg)
    _say(f"data: {source}; {len(train)} train, {len(val)} validation questions")
    _say("(the starting prompt's validation accuracy is measured first)")
    system_prompt = Variable(
        START_PROMPT,
        role_description="system prompt to guide the LLM's reasoning strategy for accurate responses",
    )
    model = BlackboxLLM(engine, system_prompt=system_prompt)
    purpose = "The runtime of a string-based function that checks if the prediction is correct."
    from .autograd.string_based import StringBasedFunction

    checker = StringBasedFunction(
        lambda prediction, ground_truth_answer: integers_match(
            str(prediction.value), str(ground_truth_answer.value)
        ),
        purpose,
    )

    async def loss_fn(example: tuple[str, str]) -> Variable:
        question = Variable(example[0], role_description="question to the LLM", requires_grad=False)
        truth = Variable(example[1], role_description="correct answer", requires_grad=False)
        prediction = await model.aforward(question, max_tokens=cfg.max_tokens)
        return await checker.aforward({"prediction": prediction, "ground_truth_answer": truth})

    async def score_fn(example: tuple[str, str]) -> float:
        question = Variable(example[0], role_description="question to the LLM", requires_grad=False)
        with no_grad():
            prediction = await model.aforward(question, max_tokens=cfg.max_tokens)
        return float(integers_match(str(prediction.value), example[1]))

    optimizer = TextualGradientDescent(
        [system_prompt],
        engine=engine,
        constraints=[FORMAT_RULE, looks_like_instructions],
        gradient_memory=2,
    )
    result = await afit(
        [system_prompt],
        loss_fn,
        score_fn,
        train,
        val,
        engine=engine,
        optimizer=optimizer,
        steps=cfg.steps,
        batch_size=cfg.batch_size,
        seed=cfg.seed,
        run_dir=cfg.run_dir,
        progress=cfg.progress,
        callbacks=[_PrintSteps()],
    )
    _say(f"\nvalidation accuracy before: {result.initial_score:.3f}")
    _say(f"validation accuracy after:  {result.best_score:.3f}")
    _say(f"final system prompt:\n{system_prompt}")
    _say(f"run usage: {result.usage}")
    if result.run_dir is not None:
        _say(f"report: {result.run_dir / 'report.html'}")


async def run_demo(cfg: DemoConfig) -> None:
    """Both parts, with the usage and wall time of the whole job at the end."""
    engine = get_engine(cfg.engine)
    _say(f"engine: {engine!r}")
    started = time.monotonic()
    with track_usage("demo") as scope:
        await shirts(engine)
        await prompt_optimization(engine, cfg)
    _say(
        f"\n== usage: {scope.usage.calls} model calls ({scope.usage.cached_calls} from cache), "
        f"{scope.usage.prompt_tokens} prompt + {scope.usage.completion_tokens} completion tokens, "
        f"wall time {time.monotonic() - started:.1f} s =="
    )


def main_demo(cfg: DemoConfig) -> int:
    """Run the demo; returns an exit code."""
    asyncio.run(run_demo(cfg))
    return 0
