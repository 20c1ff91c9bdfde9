"""The LangChain examples run end to end offline, on fake models."""

from __future__ import annotations

import runpy
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import BaseMessage
from test_langchain_fakes import EchoChatModel

from tg_core.engine.fake import FakeEngine

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def load(name: str) -> dict[str, Any]:
    return runpy.run_path(str(EXAMPLES / name), run_name="example")


def test_object_counting_example(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TG_CORE_DATA_DIR", str(data_dir))
    example = load("langchain_object_counting.py")
    model = EchoChatModel(answer=lambda messages: "Answer: 8")
    result = example["main"](model=model, engine=FakeEngine())
    assert len(result.history) == 1
    assert result.fit.initial_score is not None


def test_two_prompts_example_reaches_both_prompts() -> None:
    example = load("langchain_two_prompts.py")

    def answer(messages: list[BaseMessage]) -> str:
        return "8" if "Draft:" in str(messages[-1].content) else "I count 7."

    found = example["main"](model=EchoChatModel(answer=answer), engine=FakeEngine())
    assert len(found) == 2
    assert all(found.values())
