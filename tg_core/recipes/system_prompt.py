"""System-prompt optimization on a question-answer task: the program, its loss, its scores."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..engine.finish import finish_reasons, was_cut
from ..graph import BackwardContext, no_grad
from ..model import BlackboxLLM
from ..prompts import load_prompt
from ..train import FitCallback, FitConfig, FitResult, Sample, afit
from ..variable import Variable

Scorer = Callable[[str, str], int]
"""``scorer(model_output, target) -> 1 or 0``."""

PROMPT_ROLE = "system prompt to guide the LLM's reasoning strategy for accurate responses"
_STEP_BY_STEP = "Think step by step. The last line of your response must be"


def direct_instruction(instruction: str) -> str:
    """A BBH seed instruction that asks for the answer line alone instead of reasoning.

    Answers of a few tokens make a run fast enough for a two-core CPU; the search may still
    add rules or worked examples.

    Example:
        >>> direct_instruction("Count. Think step by step. The last line of your response must be 'Answer: N'.")
        "Count. Reply with one line only: 'Answer: N'."
    """
    return instruction.replace(_STEP_BY_STEP, "Reply with one line only:")


@dataclass
class QATask:
    """A question-answer task: splits of ``(question, answer)`` pairs, a scorer, a seed prompt.

    Example:
        >>> t = QATask("add", [("1+1?", "2")], [], [], lambda out, t: int(t in out), "Add.")
        >>> t.scorer("it is 2", "2")
        1
    """

    name: str
    train: list[tuple[str, str]]
    val: list[tuple[str, str]]
    test: list[tuple[str, str]]
    scorer: Scorer
    seed_prompt: str
    source: str = ""


def verdict_loss(output: Variable, text: str) -> Variable:
    """A loss whose value is ``text``, handed to ``output`` as its feedback without a model call.

    Example:
        >>> out = Variable("5", role_description="answer")
        >>> loss = verdict_loss(out, "Wrong: the answer is 4.")
        >>> _ = loss.backward(engine="fake")
        >>> out.get_gradient_text()
        'Wrong: the answer is 4.'
    """
    loss = Variable(text, predecessors=[output], role_description="evaluation of the answer")

    async def grad_fn(ctx: BackwardContext) -> None:
        given = [loss] if ctx.is_objective else ctx.gradients
        for g in given:
            output.add_gradient(
                Variable(str(g.value), requires_grad=False, role_description="feedback"), None
            )

    loss.set_grad_fn(grad_fn)
    return loss


@dataclass
class SystemPromptProgram:
    """A model whose system prompt is optimized; answers are checked by the task's scorer.

    Example:
        >>> import asyncio
        >>> from tg_core.engine.fake import FakeEngine
        >>> task = QATask("t", [("1+1?", "2")], [], [], lambda o, t: int(o.endswith(t)), "Add.")
        >>> program = SystemPromptProgram(FakeEngine(["Answer: 2"] * 2), task)
        >>> asyncio.run(program.score(("1+1?", "2")))
        1.0
    """

    engine: Any
    task: QATask
    max_tokens: int = 256
    prompt: Variable = field(init=False)

    def __post_init__(self) -> None:
        self.prompt = Variable(self.task.seed_prompt, role_description=PROMPT_ROLE)
        self.model = BlackboxLLM(self.engine, system_prompt=self.prompt)

    async def answer(self, question: str) -> str:
        """The model's answer to ``question`` under the current prompt (nothing recorded)."""
        q = Variable(question, role_description="question to the LLM", requires_grad=False)
        with no_grad():
            out = await self.model.aforward(q, max_tokens=self.max_tokens)
        return str(out.value)

    async def loss(self, example: tuple[str, str]) -> Sample:
        """Forward one training example; the loss says whether the answer was right.

        A wrong answer's feedback gives the correct one; an answer the model could not finish
        within ``max_tokens`` (the engine reported it cut at the length limit) says so.
        """
        question, target = example
        q = Variable(question, role_description="question to the LLM", requires_grad=False)
        with finish_reasons() as finished:
            out = await self.model.aforward(q, max_tokens=self.max_tokens)
        right = self.task.scorer(str(out.value), target)
        if right:
            loss = Variable("correct", requires_grad=False, role_description="evaluation")
        elif was_cut(finished):
            text = load_prompt("answer_cut").render(target=target, max_tokens=str(self.max_tokens))
            loss = verdict_loss(out, text)
        else:
            text = load_prompt("answer_verdict").render(target=target)
            loss = verdict_loss(out, text)
        return Sample(loss, float(right), question, str(out.value), target)

    async def score(self, example: tuple[str, str]) -> float:
        """1.0 when the model answers ``example`` right under the current prompt."""
        return float(self.task.scorer(await self.answer(example[0]), example[1]))

    async def accuracy(self, examples: Sequence[tuple[str, str]]) -> tuple[float, list[int]]:
        """Accuracy on ``examples`` and each example's 0/1, concurrently."""
        scores = await asyncio.gather(*(self.score(ex) for ex in examples))
        marks = [int(s) for s in scores]
        return (sum(marks) / len(marks) if marks else 0.0), marks


async def aoptimize_system_prompt(
    program: SystemPromptProgram,
    *,
    config: FitConfig,
    optimizer_engine: Any = None,
    callbacks: Sequence[FitCallback] = (),
) -> FitResult:
    """Optimize ``program``'s system prompt on its task's train split, validated on val.

    Example:
        >>> import asyncio
        >>> from tg_core.engine.fake import FakeEngine
        >>> task = QATask("t", [("1+1?", "2")], [("2+2?", "4")], [], lambda o, t: int(o.endswith(t)), "Add.")
        >>> program = SystemPromptProgram(FakeEngine(), task)
        >>> result = asyncio.run(aoptimize_system_prompt(program, config=FitConfig(steps=1, progress=False)))
        >>> result.history[0].step
        0
    """
    return await afit(
        [program.prompt],
        program.loss,
        program.score,
        program.task.train,
        program.task.val,
        config=config,
        engine=optimizer_engine if optimizer_engine is not None else program.engine,
        callbacks=callbacks,
    )
