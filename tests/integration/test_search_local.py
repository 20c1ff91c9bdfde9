"""A searching fit on the real local model: candidates made, screened, judged; nothing lost."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

import tg_core as tg
from tg_core.recipes import QATask, SystemPromptProgram, aoptimize_system_prompt
from tg_core.recipes.system_prompt import direct_instruction
from tg_core.tasks import bbh_scorer, load_task
from tg_core.train import FitConfig

pytestmark = pytest.mark.integration
DATA = Path(__file__).resolve().parents[3] / "shared" / "data"


def test_one_searching_step_on_sports_understanding(tmp_path: Path) -> None:
    if not DATA.is_dir():
        pytest.skip(f"needs the BBH data in {DATA}")
    train, val, _, _ = load_task("BBH_sports_understanding", None, data_dir=DATA)
    task = QATask(
        "sports_understanding",
        list(train),
        list(val)[:4],
        [],
        bbh_scorer("sports_understanding"),
        direct_instruction(train.get_task_description()),
    )
    engine = tg.get_engine("local", cache=tmp_path / "cache")
    program = SystemPromptProgram(engine, task, max_tokens=24)
    seed = str(program.prompt.value)
    config = FitConfig(
        steps=1,
        batch_size=3,
        num_candidates=2,
        operators=("edit", "example"),
        pool=True,
        val_sample=2,
        run_dir=tmp_path / "run",
        progress=False,
    )
    result = asyncio.run(aoptimize_system_prompt(program, config=config))
    step = result.history[0]
    assert len(step.candidates) == 2
    assert {c.operator for c in step.candidates} == {"edit", "example"}
    assert all(c.status in ("kept", "refused", "screened out", "undone") for c in step.candidates)
    assert str(program.prompt.value) == result.best_values[0]  # the best values are in place
    if not step.accepted:
        assert program.prompt.value == seed
    saved = json.loads((tmp_path / "run" / "checkpoint.json").read_text())
    assert saved["next_step"] == 1 and saved["pool"] and (tmp_path / "run" / "report.html").exists()
    assert result.usage.calls > 0
