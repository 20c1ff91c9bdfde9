"""The fit loop: gating, failed proposals, budgets, kill-and-resume, reports, hooks, secrets."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

import tg_core as tg
from tg_core.engine.fake import FakeCall, FakeEngine
from tg_core.train import FitCallback, StepRecord, fit, load_checkpoint

HERE = Path(__file__).resolve().parent


class Setup:
    """A system prompt, a model and a loss on a fake engine whose proposals are numbered."""

    def __init__(self, scores: dict[str, float] | None = None) -> None:
        self.counter = 0
        self.scores = scores or {}
        self.engine = FakeEngine(self.respond)
        self.prompt = tg.Variable("v0", role_description="system prompt")
        self.model = tg.BlackboxLLM(self.engine, system_prompt=self.prompt)

    def respond(self, call: FakeCall) -> str:
        if "<IMPROVED_VARIABLE>" in call.text:
            self.counter += 1
            return f"<IMPROVED_VARIABLE>v{self.counter}</IMPROVED_VARIABLE>"
        return "feedback"

    async def loss(self, q: str) -> tg.Variable:
        out = await self.model.aforward(
            tg.Variable(q, role_description="question", requires_grad=False)
        )
        return await tg.TextLoss("judge", engine=self.engine).aforward(out)

    async def score(self, q: str) -> float:
        return self.scores.get(str(self.prompt.value), 0.5)

    def fit(self, **kw: Any) -> Any:
        kw.setdefault("engine", self.engine)
        kw.setdefault("progress", False)
        return fit([self.prompt], self.loss, self.score, ["a", "b", "c", "d"], ["x", "y"], **kw)


def test_a_worse_proposal_is_reverted_and_shown_as_failed_next_step(tmp_path: Path) -> None:
    s = Setup({"v0": 0.5, "v1": 0.2, "v2": 0.9})
    result = s.fit(steps=2, batch_size=2, run_dir=tmp_path, search=False)
    assert [r.accepted for r in result.history] == [False, True]
    assert result.history[0].reason == "validation fell from 0.500 to 0.200"
    assert s.prompt.value == "v2" and result.best_score == 0.9 and result.initial_score == 0.5
    update_prompts = [p for p in s.engine.prompts if "<IMPROVED_VARIABLE>" in p]
    assert "REJECTED_PROPOSALS" not in update_prompts[0]
    assert "REJECTED_PROPOSALS" in update_prompts[1] and "v1" in update_prompts[1]
    report = (tmp_path / "report.md").read_text()
    for version in ("v0", "v1", "v2"):
        assert version in report
    assert "rejected" in report and "kept" in report
    html = (tmp_path / "report.html").read_text()
    assert "<svg" in html and "v1" in html and "<script" not in html


def test_budget_stops_the_run_and_keeps_the_best_parameters() -> None:
    s = Setup({"v0": 0.5, "v1": 0.8, "v2": 0.9, "v3": 1.0})
    result = s.fit(steps=10, batch_size=2, budget=tg.Budget(max_calls=30), search=False)
    assert result.stopped_reason.startswith("budget")
    assert result.usage.calls <= 30
    assert s.prompt.value == result.best_values[0]
    assert s.prompt.value == f"v{[r.accepted for r in result.history].count(True)}"


def test_estimate_is_made_before_the_run() -> None:
    s = Setup()
    result = s.fit(steps=2, batch_size=2)
    assert result.estimate["calls"] >= result.usage.calls > 0


def test_callbacks_see_every_step_and_can_veto() -> None:
    s = Setup({"v0": 0.5, "v1": 0.9, "v2": 0.9})
    events: list[str] = []

    class Hooks(FitCallback):
        def on_step_start(self, step: int, batch: list[int]) -> None:
            events.append(f"start{step}")

        def on_step_end(self, record: StepRecord) -> None:
            events.append(f"end{record.step}")

        def approve(self, record: StepRecord) -> bool:
            return record.step != 0

        def on_proposal_rejected(self, record: StepRecord) -> None:
            events.append(f"rejected{record.step}:{record.reason}")

        def on_proposal_accepted(self, record: StepRecord) -> None:
            events.append(f"accepted{record.step}")

    s.fit(steps=2, batch_size=2, callbacks=[Hooks()], search=False)
    assert events == [
        "start0",
        "rejected0:vetoed by a callback",
        "end0",
        "start1",
        "accepted1",
        "end1",
    ]


def test_early_stopping() -> None:
    s = Setup({"v0": 0.5})
    result = s.fit(steps=10, batch_size=2, patience=2)
    assert result.stopped_reason.startswith("early stopping") and len(result.history) == 2


def test_resume_refuses_a_different_run(tmp_path: Path) -> None:
    Setup().fit(steps=1, batch_size=2, run_dir=tmp_path)
    with pytest.raises(tg.UserError, match="different run"):
        Setup().fit(steps=1, batch_size=3, run_dir=tmp_path)


def test_rerunning_a_finished_run_does_nothing_more(tmp_path: Path) -> None:
    s = Setup({"v0": 0.5, "v1": 0.9})
    first = s.fit(steps=1, batch_size=2, run_dir=tmp_path, search=False)
    calls = len(s.engine.calls)
    again = Setup({"v0": 0.5, "v1": 0.9})
    second = again.fit(steps=1, batch_size=2, run_dir=tmp_path, search=False)
    assert len(again.engine.calls) == 0 and again.prompt.value == first.best_values[0] == "v1"
    assert second.usage.calls == first.usage.calls == calls


def test_checkpoints_redact_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    planted = "sk-planted-0123456789abcdef"
    monkeypatch.setenv("OPENAI_API_KEY", planted)
    s = Setup()
    s.engine = FakeEngine(
        lambda call: (
            f"<IMPROVED_VARIABLE>use key {planted}</IMPROVED_VARIABLE>"
            if "<IMPROVED_VARIABLE>" in call.text
            else f"feedback {planted}"
        )
    )
    s.model = tg.BlackboxLLM(s.engine, system_prompt=s.prompt)
    run_dir = tmp_path / "run"
    s.fit(steps=1, batch_size=2, run_dir=run_dir, validate=False)
    assert planted in s.prompt.value  # the secret really was in the run's data
    for f in run_dir.iterdir():
        assert planted not in f.read_text(), f
    assert oct(run_dir.stat().st_mode & 0o777) == "0o700"
    assert oct((run_dir / "checkpoint.json").stat().st_mode & 0o777) == "0o600"


def _run_script(run_dir: Path, latency: float) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(HERE / "fit_script.py"), str(run_dir), str(latency)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_killed_run_resumes_to_the_same_result(tmp_path: Path) -> None:
    straight = _run_script(tmp_path / "straight", 0.0)
    out, err = straight.communicate(timeout=120)
    assert straight.returncode == 0, err
    expected = [line for line in out.splitlines() if line.startswith("FINAL")]

    killed_dir = tmp_path / "killed"
    proc = _run_script(killed_dir, 0.05)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        saved = load_checkpoint(killed_dir) if (killed_dir / "checkpoint.json").exists() else None
        if saved and saved["next_step"] >= 2:
            break
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    saved = load_checkpoint(killed_dir)
    assert saved is not None and 2 <= saved["next_step"] < 5  # killed mid-run

    resumed = _run_script(killed_dir, 0.0)
    out, err = resumed.communicate(timeout=120)
    assert resumed.returncode == 0, err
    assert [line for line in out.splitlines() if line.startswith("FINAL")] == expected
    final = json.loads((killed_dir / "checkpoint.json").read_text())
    straight_final = json.loads((tmp_path / "straight" / "checkpoint.json").read_text())
    assert [h["values"] for h in final["history"]] == [
        h["values"] for h in straight_final["history"]
    ]
    assert final["optimizer"] == straight_final["optimizer"]


def test_a_tie_is_kept_by_default_and_undone_when_improvement_is_required() -> None:
    tie = Setup({"v0": 0.5, "v1": 0.5, "v2": 0.7})
    kept = tie.fit(steps=2, batch_size=2, search=False)
    assert [r.accepted for r in kept.history] == [True, True]
    assert kept.history[0].reason == "validation 0.500 >= 0.500"

    strict = Setup({"v0": 0.5, "v1": 0.5, "v2": 0.7})
    result = strict.fit(steps=2, batch_size=2, require_improvement=True, search=False)
    assert [r.accepted for r in result.history] == [False, True]
    assert result.history[0].reason == "validation did not improve (0.500)"
    assert result.history[1].reason == "validation 0.700 > 0.500"
    assert strict.prompt.value == "v2" and result.best_score == 0.7
