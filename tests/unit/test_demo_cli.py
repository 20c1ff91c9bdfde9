"""What the demo's command line and progress lines tell a person: defaults, step numbers."""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable

import pytest

import tg_core as tg
from tg_core.cli import build_parser
from tg_core.demo_progress import PhaseLines
from tg_core.engine.fake import FakeCall, FakeEngine
from tg_core.train import Sample, fit


def _fit_with_lines(
    answer: Callable[[FakeCall], str], train: list[str], *, steps: int, good: str = "\0"
) -> None:
    """A fit on a scripted engine, one example a step, printing the demo's phase lines."""
    engine = FakeEngine(answer)
    prompt = tg.Variable("Answer.", role_description="system prompt")
    model = tg.BlackboxLLM(engine, system_prompt=prompt)

    async def loss(example: str) -> Sample:
        out = await model.aforward(tg.Variable(example, role_description="question"))
        judged = await tg.TextLoss("Judge it.", engine=engine).aforward(out)
        return Sample(judged, 0.0, example, str(out.value), "2")

    async def score(example: str) -> float:
        return float(good in str(prompt.value))

    fit([prompt], loss, score, train, ["4-2?"], engine=engine, steps=steps, batch_size=1,
        progress=False, callbacks=[PhaseLines()])  # fmt: skip


def _demo_parser() -> argparse.ArgumentParser:
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return sub.choices["demo"]


def test_demo_help_names_every_options_default_and_never_none() -> None:
    parser = _demo_parser()
    text = parser.format_help()
    assert "(default: None)" not in text
    flat = " ".join(text.split())
    for action in parser._actions:
        if action.dest == "help":
            continue
        assert action.help, action.dest
        shown = "default: none" if action.default is None else f"default: {action.default}"
        assert shown in flat, action.dest
    assert "TG_CORE_LOCAL_MODEL" in flat


def test_progress_lines_number_steps_from_one_as_the_report_does(
    capsys: pytest.CaptureFixture[str],
) -> None:
    def answer(call: FakeCall) -> str:
        if "<IMPROVED_VARIABLE>" in call.text:
            return "<IMPROVED_VARIABLE>Answer with the number only.</IMPROVED_VARIABLE>"
        return "State the number."

    _fit_with_lines(answer, ["1+1?", "3-1?"], steps=2, good="number only")
    out = capsys.readouterr().out
    steps = re.findall(r"^(?:\[\s*\d+ s\] )?step (\d+):", out, flags=re.MULTILINE)
    assert steps and sorted(set(steps)) == ["1", "2"]
    assert "before the first step: baseline" in out


def test_after_each_step_but_the_last_the_calls_left_are_projected_from_the_steps_so_far(
    capsys: pytest.CaptureFixture[str],
) -> None:
    _fit_with_lines(lambda call: "State the number.", ["1+1?", "3-1?", "2+0?"], steps=3)
    out = capsys.readouterr().out
    projected = re.findall(
        r"steps so far: (\d+) calls.*the (\d) steps left need about (\d+) calls", out
    )
    assert [left for _, left, _ in projected] == ["2", "1"]
    first_calls, _, first_left = projected[0]
    assert int(first_left) == 2 * int(first_calls)
