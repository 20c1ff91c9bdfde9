"""The four TextGrad examples run unchanged (but for the import) on a scripted fake engine."""

from __future__ import annotations

import runpy
from pathlib import Path
from typing import Any

import pytest

import tg_core as tg
from tg_core.engine.fake import FakeCall, FakeEngine

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _run(name: str, engine: FakeEngine) -> dict[str, Any]:
    with tg.override_engines(engine):
        return runpy.run_path(str(EXAMPLES / name), run_name="__main__")


def _scripted(rules: list[tuple[str, str]]) -> FakeEngine:
    """Answer each prompt with the first rule whose marker it contains."""

    def respond(call: FakeCall) -> str:
        for marker, answer in rules:
            if marker in call.text or marker in (call.system_prompt or ""):
                return answer
        raise AssertionError(f"unexpected prompt: {call.text[:300]}")

    return FakeEngine(respond)


def test_answer_optimization(capsys: pytest.CaptureFixture[str]) -> None:
    engine = _scripted(
        [
            (
                "<IMPROVED_VARIABLE>",
                "<IMPROVED_VARIABLE>Drying is parallel: still 1 hour.</IMPROVED_VARIABLE>",
            ),
            (
                "Give feedback on this input",
                "The answer scales time with shirt count; drying is parallel.",
            ),
            ("Evaluate any given answer", "Wrong: drying happens in parallel."),
            ("how long will it take to dry 30 shirts", "It takes 1.2 hours (30/25)."),
        ]
    )
    ns = _run("answer_optimization.py", engine)
    answer = ns["answer"]
    assert answer.value == "Drying is parallel: still 1 hour."
    assert (
        answer.gradients[0].value == "The answer scales time with shirt count; drying is parallel."
    )
    loss = ns["loss"]
    assert loss.predecessors[0] is answer  # the loss is a model call on the answer
    assert len(engine.calls) == 4  # forward, loss, one gradient, one update
    assert "It takes 1.2 hours" in engine.prompts[3]  # the optimizer saw the whole answer
    assert "Improved answer" in capsys.readouterr().out


def test_code_optimization() -> None:
    engine = _scripted(
        [
            (
                "<IMPROVED_VARIABLE>",
                "<IMPROVED_VARIABLE>import cmath\n\ndef solve_quadratic(a, b, c):\n    return 'fixed'\n</IMPROVED_VARIABLE>",
            ),
            ("Give feedback on this input", "Handle a == 0 and negative discriminants."),
            ("Does the code solve the problem?", "It fails for complex roots and a == 0."),
        ]
    )
    ns = _run("code_optimization.py", engine)
    code = ns["code"]
    assert "cmath" in code.value
    assert code.get_gradient_text() == "Handle a == 0 and negative discriminants."
    loss_prompt = engine.calls[0]
    assert "Problem: Write a function" in loss_prompt.text
    assert "math.sqrt(discriminant)" in loss_prompt.text
    assert "evaluates code snippets" in (loss_prompt.system_prompt or "")
    # problem and system prompt do not require grad: only the code got feedback.
    assert len(engine.calls) == 3


def test_prompt_optimization(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TG_CORE_DATA_DIR", str(data_dir))
    engine = _scripted(
        [
            (
                "<IMPROVED_VARIABLE>",
                "<IMPROVED_VARIABLE>Count each item, then give 'Answer: N'.</IMPROVED_VARIABLE>",
            ),
            ("Give feedback on this input", "Count items one by one."),
            ("", "I think the answer is 1000."),
        ]
    )
    ns = _run("prompt_optimization.py", engine)
    assert ns["loss"].value == "0"
    assert ns["system_prompt"].value == "Count each item, then give 'Answer: N'."
    assert ns["question"].value in engine.prompts[0]
    # gradient flows: evaluation -> prediction -> system prompt
    assert ns["prediction"].gradients and ns["system_prompt"].gradients
    assert "checks if the prediction is correct" in engine.prompts[1]


def test_multimodal() -> None:
    engine = _scripted(
        [
            (
                "<IMPROVED_VARIABLE>",
                "<IMPROVED_VARIABLE>A red and black checkerboard.</IMPROVED_VARIABLE>",
            ),
            ("Give feedback on this input", "Name the colours and the pattern."),
            ("Does this seem like a complete", "Incomplete: no colours."),
            ("What do you see", "A pattern."),
            ("what is this my boy", "A checkerboard."),
            ("3+4", "7"),
        ]
    )
    ns = _run("multimodal.py", engine)
    assert ns["response"].value == "A red and black checkerboard."
    image_calls = [c for c in engine.calls if not isinstance(c.content, str)]
    assert image_calls and all(isinstance(c.content[0], bytes) for c in image_calls[:2])
    assert ns["image_variable"].gradients == []  # images are not optimized
