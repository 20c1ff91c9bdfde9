"""A critic that echoes the prompt's tags: its feedback is stored and shown without them."""

from __future__ import annotations

import asyncio

import pytest

import tg_core as tg
from tg_core.demo_shirts import last_duration_hours, reference_check, shirts
from tg_core.engine.fake import FakeCall, FakeEngine
from tg_core.reduce import areduce_texts
from tg_core.tags import strip_echoed_tags

PROMPT_TAGS = ("<OUTPUT>", "</OUTPUT>", "<FEEDBACK>", "</FEEDBACK>", "<VARIABLE", "</VARIABLE>")

# What the 0.5B local model answers to the shirts backward prompt: its feedback, then a copy
# of the <OUTPUT> block it was shown; wrapped, for good measure, in the variable's own tags.
WRAPPED_GRADIENT = (
    "The answer multiplies the time by 30/25, but shirts dry side by side.\n"
    "<OUTPUT>\n"
    "Correct: the answer is right.\n"
    "</OUTPUT>\n"
    '<VARIABLE role="concise and accurate answer to the question">\n'
    "<FEEDBACK>State that 30 shirts still take 1 hour.</FEEDBACK>\n"
    "</VARIABLE>"
)
# The model's own answer to the shirts question, word for word in its ending.
LATEX_ANSWER = (
    "First, we know that it takes 1 hour to dry 25 shirts under the sun. Therefore:\n"
    "\\[\n\\text{Total drying time} = \\left(\\frac{1 \\text{ hour}}{25 \\text{ shirts}}"
    "\\right) \\times 30\n\\]\n"
    "Therefore, it will take \\boxed{1.2} hours to dry 30 shirts under the sun."
)


def _shirts_model(call: FakeCall) -> str:
    text = call.text
    if "<IMPROVED_VARIABLE>" in text:
        return "<IMPROVED_VARIABLE>It takes 1.2 hours.</IMPROVED_VARIABLE>"
    if "Give feedback on this input" in text:
        return WRAPPED_GRADIENT
    if call.system_prompt and "Evaluate any given answer" in call.system_prompt:
        return "Correct: the answer is right."
    return LATEX_ANSWER


def _has_no_prompt_tags(text: str) -> bool:
    return not any(tag in text for tag in PROMPT_TAGS)


def test_the_shirts_showcase_shows_and_stores_feedback_without_tags(
    capsys: pytest.CaptureFixture[str],
) -> None:
    engine = FakeEngine(_shirts_model)
    asyncio.run(shirts(engine))
    out = capsys.readouterr().out
    gradient_prompt = next(p for p in engine.prompts if "Give feedback on this input" in p)
    assert "<OUTPUT>\nCorrect: the answer is right.\n</OUTPUT>" in gradient_prompt
    shown = out.split("gradient on the answer:\n", 1)[1].split("\n\nimproved answer", 1)[0]
    assert shown == (
        "The answer multiplies the time by 30/25, but shirts dry side by side.\n"
        "State that 30 shirts still take 1 hour."
    )
    assert _has_no_prompt_tags(out)


def test_the_showcase_prints_the_reference_next_to_the_models_verdict(
    capsys: pytest.CaptureFixture[str],
) -> None:
    asyncio.run(shirts(FakeEngine(_shirts_model)))
    out = capsys.readouterr().out
    verdict = out.index("Correct: the answer is right.")
    reference = out.index("reference answer: 1 hour (the shirts dry side by side)")
    assert verdict < reference
    assert "initial answer, checked against it: 1.2 hours: wrong (the reference is 1 hour)" in out
    assert "a small model may call a wrong answer correct" in out
    assert out.rstrip().endswith(
        "checked against the reference: 1.2 hours: wrong (the reference is 1 hour)"
    )


def test_the_gradient_a_variable_stores_has_no_prompt_tags() -> None:
    engine = FakeEngine(_shirts_model)
    question = tg.Variable("How long do 30 shirts take?", role_description="question")
    answer = tg.BlackboxLLM(engine)(question)
    answer.set_role_description("concise and accurate answer to the question")
    loss = tg.TextLoss("Evaluate any given answer to this question.", engine=engine)(answer)
    loss.backward(engine)
    assert len(answer.gradients) == 1
    stored = str(answer.gradients[0].value)
    assert _has_no_prompt_tags(stored) and _has_no_prompt_tags(answer.get_gradient_text())
    assert stored == (
        "The answer multiplies the time by 30/25, but shirts dry side by side.\n"
        "State that 30 shirts still take 1 hour."
    )


def test_merged_feedback_has_no_prompt_tags() -> None:
    engine = FakeEngine(["<FEEDBACK_1>\nShorter answers; state the unit.\n</FEEDBACK_1>"])
    merged = asyncio.run(
        areduce_texts(["be shorter " * 40, "state the unit " * 40], "answer", engine, budget=30)
    )
    assert "<FEEDBACK_1>" in engine.prompts[0]
    assert merged == ["Shorter answers; state the unit."]


def test_only_wrapping_prompt_tags_are_removed() -> None:
    prompt = '<OUTPUT>\nx\n</OUTPUT>\n<PREDICTION role="code">\ny\n</PREDICTION>'
    answer = (
        "Keep <div>, <NOTE> and the <OUTPUT> tag the prompt asks for.\n"
        '<PREDICTION role="code">Close the loop.</PREDICTION>\n'
        "    <FEEDBACK>indented stays indented"
    )
    assert strip_echoed_tags(answer, prompt) == (
        "Keep <div>, <NOTE> and the <OUTPUT> tag the prompt asks for.\n"
        "Close the loop.\n"
        "    indented stays indented"
    )
    assert strip_echoed_tags("  code\n\n\n\nplain", prompt) == "  code\n\n\n\nplain"
    assert strip_echoed_tags("<OUTPUT></OUTPUT>", prompt) == ""
    assert strip_echoed_tags("<ANSWER>42</ANSWER>", "a prompt without that tag") == (
        "<ANSWER>42</ANSWER>"
    )
    assert strip_echoed_tags("<ANSWER>42</ANSWER>", "Reply as\n<ANSWER>\n...\n</ANSWER>") == "42"


def test_an_answer_that_is_only_a_copy_keeps_its_text() -> None:
    prompt = "<OUTPUT>\nThe count is right.\n</OUTPUT>\nGive feedback."
    assert strip_echoed_tags("<OUTPUT>\nThe count is right.\n</OUTPUT>", prompt) == (
        "The count is right."
    )
    assert strip_echoed_tags("Keep it.\n<OUTPUT>The count is right.</OUTPUT>", prompt) == (
        "Keep it."
    )


def test_the_reference_check_reads_the_last_stated_duration() -> None:
    assert reference_check(LATEX_ANSWER) == "1.2 hours: wrong (the reference is 1 hour)"
    assert last_duration_hours("**Answer: 1 hour** for 30 shirts") == 1.0
    assert last_duration_hours("It takes 72 minutes.") == 1.2
    assert last_duration_hours("25 shirts: 1 hour. 30 shirts: an hour.") == 1.0
    assert reference_check("Well, it depends.") == "no duration stated: cannot be checked"
    assert reference_check("It takes 2 hrs.") == "2 hours: wrong (the reference is 1 hour)"
