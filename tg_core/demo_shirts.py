"""The demo's first part: TextGrad's shirts example, one step, checked against its known answer."""

from __future__ import annotations

import re
from typing import Any

from .demo_progress import say
from .loss import TextLoss
from .model import BlackboxLLM
from .optimizer import TextualGradientDescent
from .variable import Variable

SHIRTS = (
    "If it takes 1 hour to dry 25 shirts under the sun, how long will it take to dry 30 shirts "
    "under the sun? Reason step by step"
)
REFERENCE_HOURS = 1.0
"""The known answer: the shirts dry side by side, so 30 take as long as 25 (given the room)."""

_NUMBER = r"\d+(?:\.\d+)?|one|an?"
_MINUTES = r"\s*min(?:ute)?s?\b"
_DURATION = re.compile(
    rf"\b(?P<hours>{_NUMBER})\s*(?:hours?|hrs?)\b(?:,?\s*(?:and\s*)?(?P<extra>\d+){_MINUTES})?"
    rf"|\b(?P<minutes>\d+(?:\.\d+)?){_MINUTES}",
    re.IGNORECASE,
)


_LATEX_WRAPPER = re.compile(r"\\(?:boxed|text|textbf|mathrm)\{([^{}]*)\}")
_MARKUP = re.compile(r"[{}*$]|\\[()\[\]]")


def _plain(text: str) -> str:
    """Markdown and LaTeX answers as plain words (``\\boxed{1.2} hours`` -> ``1.2 hours``)."""
    for _ in range(2):
        text = _LATEX_WRAPPER.sub(r"\1", text)
    return _MARKUP.sub(" ", text)


def _number(text: str) -> float:
    return 1.0 if text.lower() in ("one", "a", "an") else float(text)


def last_duration_hours(text: str) -> float | None:
    """The last duration an answer states, in hours (``None`` when it states none).

    A plain text match, not a judgement: it reads "1.2 hours", "one hour", "72 minutes" and
    "1 hour and 12 minutes" (also through Markdown and LaTeX such as ``\\boxed{1.2} hours``),
    and takes the last one as the answer's conclusion.

    Example:
        >>> last_duration_hours("25 shirts take 1 hour, so 30 shirts take 1.2 hours.")
        1.2
        >>> last_duration_hours("It still takes one hour."), last_duration_hours("no idea")
        (1.0, None)
        >>> last_duration_hours("about 1 hour and 12 minutes")
        1.2
        >>> last_duration_hours(r"It takes 1 hour for 25, so \\boxed{1.2} hours for 30 shirts.")
        1.2
    """
    matches = list(_DURATION.finditer(_plain(text)))
    if not matches:
        return None
    last = matches[-1]
    if last.group("minutes") is not None:
        return round(_number(last.group("minutes")) / 60, 4)
    extra = last.group("extra")
    return round(_number(last.group("hours")) + (int(extra) / 60 if extra else 0.0), 4)


def reference_check(text: str) -> str:
    """How an answer's last stated duration compares with the known answer, for people.

    Example:
        >>> reference_check("So it takes 1.2 hours.")
        '1.2 hours: wrong (the reference is 1 hour)'
        >>> reference_check("One hour, as they dry at the same time.")
        '1 hour: right'
    """
    hours = last_duration_hours(text)
    if hours is None:
        return "no duration stated: cannot be checked"
    shown = f"{hours:g} hour" + ("" if hours == 1 else "s")
    if abs(hours - REFERENCE_HOURS) < 1e-9:
        return f"{shown}: right"
    return f"{shown}: wrong (the reference is {REFERENCE_HOURS:g} hour)"


async def shirts(engine: Any) -> None:
    """TextGrad's answer-optimization example, one step, each answer checked against 1 hour."""
    say("\n== 1. Answer optimization (TextGrad's shirts example) ==")
    question = Variable(SHIRTS, role_description="question to the LLM", requires_grad=False)
    answer = await BlackboxLLM(engine).aforward(question)
    answer.set_role_description("concise and accurate answer to the question")
    say(f"initial answer:\n{answer}\n")
    instruction = (
        f"Here's a question: {SHIRTS}. Evaluate any given answer to this question, be smart, "
        "logical, and very critical. Just provide concise feedback."
    )
    loss = await TextLoss(instruction, engine=engine).aforward(answer)
    say(f"evaluation (the loss, the model's own verdict):\n{loss}\n")
    say(f"reference answer: {REFERENCE_HOURS:g} hour (the shirts dry side by side)")
    say(f"initial answer, checked against it: {reference_check(str(answer))}")
    say(
        "The evaluation above is the model's own verdict: a small model may call a wrong answer "
        "correct, and the step below follows that verdict, not the reference."
    )
    await loss.abackward(engine)
    say(f"\ngradient on the answer:\n{answer.get_gradient_text()}\n")
    report = await TextualGradientDescent([answer], engine=engine).astep()
    say(f"improved answer ({report.updates[0].status}):\n{answer}")
    say(f"checked against the reference: {reference_check(str(answer))}")
