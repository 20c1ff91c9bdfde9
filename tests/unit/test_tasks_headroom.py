"""The headroom study's harness on a scripted engine: answering, resuming, scoring, reporting."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

from tg_core.engine.fake import FakeCall, FakeEngine

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from benchmarks import headroom, headroom_report
from benchmarks.headroom_prompts import KINDS, TASKS, instructions

ROWS = [(f"Is sentence {i} plausible?", "yes" if i % 2 else "no") for i in range(6)]


def _study() -> dict[str, Any]:
    return {
        "answers": {},
        "prompts": {},
        "settings": {"n": 4, "max_tokens": 50, "seed": 0},
        "machine": {
            "cores": 2,
            "cpu": "test cpu",
            "memory_gb": 1,
            "load_at_start": [0.1, 0.1, 0.1],
            "python": "3.11",
            "date": "today",
        },
    }


def _reply(call: FakeCall) -> str:
    """Right on odd sentences with the seed instruction; always right with 'direct'."""
    number = int(call.text.split()[2])
    truth = "yes" if number % 2 else "no"
    if "Do not explain" in (call.system_prompt or ""):
        return f"Answer: {truth}"
    return "I am not sure." if number % 2 == 0 else f"Thinking...\n**Answer: {truth}**"


def _run(study: dict[str, Any], engine: FakeEngine, kind: str, positions: list[int]) -> Any:
    settings = study["settings"]
    return asyncio.run(
        headroom.run_cell(
            engine, study, "sports_understanding", kind, ROWS, positions, settings, lambda: None
        )
    )


def test_every_task_has_every_instruction_kind() -> None:
    for task in TASKS:
        prompts = instructions(task)
        assert tuple(prompts) == KINDS and len(set(prompts.values())) == len(KINDS)


def test_cells_score_resume_and_report(tmp_path: Path) -> None:
    study, engine = _study(), FakeEngine(_reply)
    positions = headroom.question_order(len(ROWS), 0)[:4]
    seed = _run(study, engine, "seed", positions)
    direct = _run(study, engine, "direct", positions)
    assert [a["i"] for a in seed] == positions and len(engine.calls) == 8
    assert all(engine.calls[k].kwargs["max_tokens"] == 50 for k in range(8))
    assert [a["correct"] for a in seed] == [i % 2 for i in positions]
    assert [a["read"] is None for a in seed] == [i % 2 == 0 for i in positions]
    assert all(a["correct"] == 1 for a in direct)
    _run(study, engine, "seed", positions)
    assert len(engine.calls) == 8  # answered questions are not asked again
    gains = headroom_report.best_gains(study)
    misses = sum(1 for i in positions if i % 2 == 0)
    assert gains[0]["kind"] == "direct" and (gains[0]["wins"], gains[0]["losses"]) == (misses, 0)
    section = headroom_report.render(study)
    assert "| sports_understanding | seed | 4 |" in section
    assert f"{100 * misses / 4:+.0f} points (n 4)" in section
    report = tmp_path / "RESULTS.md"
    report.write_text("# Benchmarks\n\n## Other\n\nkept\n")
    once = headroom_report.splice(report.read_text(), section)
    assert "kept" in once and once.count(headroom_report.TITLE) == 1
    assert headroom_report.splice(once, "new table").count("new table") == 1


def test_changed_instruction_starts_its_cell_again(monkeypatch: Any) -> None:
    study, engine = _study(), FakeEngine(_reply)
    _run(study, engine, "seed", [0, 1])
    real = headroom.instructions
    monkeypatch.setattr(
        headroom, "instructions", lambda task: {**real(task), "seed": "Another seed."}
    )
    again = _run(study, engine, "seed", [0, 1])
    assert len(engine.calls) == 4 and len(again) == 2
    assert engine.calls[-1].system_prompt == "Another seed."
