"""The search study offline: budget stops, validation revert, scoring service, rows, summary."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import sys
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import pytest

from tg_adapters.dspy.testing import sim_responder
from tg_core.recipes import QATask
from tg_core.tasks import bbh_scorer
from tg_core.testing.openai_sim import SimServer

# benchmarks/ is not an installed package: import it from the checkout; the drivers import
# their siblings by plain name, as they do when run as scripts.
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks" / "drivers"))
import budget  # noqa: E402
import revert_loop  # noqa: E402

from benchmarks import search_study, study_plan, study_rows, study_systems  # noqa: E402
from benchmarks.proxy import CountingProxy  # noqa: E402
from benchmarks.score_service import ScoreService  # noqa: E402

QUESTIONS = [(f"Question: Ann says {i}. Does Ann tell the truth?", "Yes") for i in range(12)]


def small_task() -> QATask:
    return QATask(
        "web_of_lies",
        QUESTIONS[:6],
        QUESTIONS[6:9],
        QUESTIONS[9:],
        bbh_scorer("web_of_lies"),
        "Decide who tells the truth. End with 'Answer: Yes' or 'Answer: No'.",
    )


def settings(tmp_path: Path, calls: int) -> study_systems.Settings:
    return study_systems.Settings(
        budget=calls, val_n=3, test_n=3, max_steps=50, eval_cache=tmp_path / "eval", work=tmp_path
    )


# -- budget --------------------------------------------------------------------------------


def test_call_budget_refuses_only_past_the_limit() -> None:
    b = budget.CallBudget(3)
    send = b.counted(lambda: "sent")
    for _ in range(3):
        b.check()
        assert send() == "sent"
    with pytest.raises(budget.BudgetReached) as caught:
        b.check()
    assert (caught.value.used, caught.value.limit, b.left) == (3, 3, 0)


def test_call_budget_without_limit_counts_and_never_refuses() -> None:
    b = budget.CallBudget(None)
    send = b.counted(lambda x: x + 1)
    assert [send(i) for i in range(5)] == [1, 2, 3, 4, 5]
    b.check()
    assert (b.used, b.left) == (5, None)
    with pytest.raises(ValueError, match="must be >= 0"):
        budget.CallBudget(-1)


def test_stopper_stops_when_less_than_one_iteration_is_left() -> None:
    used = [0]
    stop = budget.CallStopper(lambda: used[0], limit=20, reserve=7)
    seen = []
    for used[0] in (0, 13, 14, 20, 25):
        seen.append(stop(None))
    assert seen == [False, False, True, True, True]


# -- validation revert -----------------------------------------------------------------------


class FakeLoop:
    """A prompt, scripted validation scores, and steps that spend a call budget."""

    def __init__(self, scores: list[float], limit: int | None, per_step: int = 2) -> None:
        self.value = "seed"
        self.scores = iter(scores)
        self.budget = budget.CallBudget(limit)
        self.per_step = per_step
        self.spend = self.budget.counted(lambda: None)

    def validate(self) -> float:
        self.budget.check()
        self.spend()
        return next(self.scores)

    def step(self, batch: list[int]) -> None:
        for _ in range(self.per_step):
            self.budget.check()
            self.spend()
        if batch == [0]:
            raise revert_loop.NoUpdate("no tags")
        if batch != [9]:  # batch 9 proposes the same value
            self.value = f"v{batch[0]}"

    def run(self, batches: list[list[int]]) -> revert_loop.LoopResult:
        return revert_loop.revert_loop(
            batches,
            validate=self.validate,
            step=self.step,
            value=lambda: self.value,
            restore=lambda v: setattr(self, "value", v),
        )


def test_revert_loop_keeps_ties_and_undoes_drops() -> None:
    loop = FakeLoop([0.5, 0.5, 0.25, 0.75], limit=None)
    out = loop.run([[1], [0], [2], [3], [9]])
    reasons = [h["reason"] for h in out.history]
    assert [h["accepted"] for h in out.history] == [True, False, False, True, False]
    assert reasons[0] == "validation kept: 0.500 -> 0.500"
    assert reasons[1] == "no update: no tags" and "fell" in reasons[2]
    assert reasons[4] == "no change proposed"
    assert (out.initial_val, out.best_val, out.final_value) == (0.5, 0.75, "v3")


def test_revert_loop_stops_at_the_budget_and_drops_the_step_in_progress() -> None:
    # baseline 1 call, each step 2 calls + 1 validation: 1 + 3 + 3 = 7, the third step
    # is refused in its first call
    loop = FakeLoop([0.5, 0.75, 1.0, 1.0], limit=8)
    out = loop.run([[1], [2], [3], [4]])
    assert out.stopped == "budget: call budget of 8 reached (8 made)"
    assert loop.budget.used == 8
    assert out.final_value == loop.value == "v2"
    assert out.history[-1] == {"step": 2, "accepted": False, "reason": "budget reached"}


def test_revert_loop_out_of_budget_in_the_baseline_keeps_the_seed() -> None:
    out = FakeLoop([0.5], limit=0).run([[1]])
    assert (out.initial_val, out.final_value, out.history) == (None, "seed", [])
    assert out.stopped.startswith("budget")


# -- scoring service -------------------------------------------------------------------------


def test_score_service_scores_like_the_scorer() -> None:
    scorer = bbh_scorer("web_of_lies")
    cases = [("So... Answer: No", "No"), ("**Answer: yes**", "No"), ("I am not sure.", "Yes")]
    with ScoreService(scorer) as service:
        for prediction, target in cases:
            body = json.dumps({"prediction": prediction, "target": target}).encode()
            with urllib.request.urlopen(service.url, body, timeout=10) as reply:
                got = json.loads(reply.read())
            assert got == {"score": scorer(prediction, target), "read": scorer.read(prediction)}
        assert service.calls == len(cases)
        bad = urllib.request.Request(service.url, b'{"prediction": "x"}')
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(bad, timeout=10)
        assert caught.value.code == 400


# -- rows and summary -------------------------------------------------------------------------


def row(system: str, seed: int, after: float, **extra: object) -> dict[str, object]:
    values: dict[str, object] = dict(
        task="web_of_lies",
        system=system,
        seed=seed,
        budget=100,
        test_before=0.5,
        test_after=after,
        val_before=0.4,
        val_after=0.6,
        calls=98 + seed,
        tokens=1000,
        wall_s=60.0,
        final_prompt="p",
        val_n=30,
        test_n=100,
    )
    return study_rows.make_row(**(values | extra))


def test_row_has_every_field_first_and_refuses_missing_ones() -> None:
    r = row("gepa", 0, 0.6, test_after_native=0.55)
    assert tuple(r)[: len(study_rows.FIELDS)] == study_rows.FIELDS
    assert r["test_after_native"] == 0.55
    with pytest.raises(ValueError, match="needs calls, tokens"):
        study_rows.make_row(**{k: v for k, v in r.items() if k not in ("calls", "tokens")})
    with pytest.raises(ValueError, match="unknown system 'dspy'"):
        study_rows.make_row(**(r | {"system": "dspy"}))


def test_old_rows_are_read_in_the_new_format(tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    old = {"task": "t", "variant": "tgd", "seed": 0, "fit_calls": 40, "fit_tokens": 900}
    path.write_text(json.dumps(old) + "\n\n", encoding="utf-8")
    study_rows.append_row(path, row("tgd", 1, 0.5))
    rows = study_rows.load_rows(path)
    assert [r["system"] for r in rows] == ["tgd", "tgd"]
    assert (rows[0]["calls"], rows[0]["tokens"], rows[0]["budget"]) == (40, 900, None)
    assert study_rows.load_rows(tmp_path / "none.jsonl") == []


def test_mean_and_sample_sd() -> None:
    assert study_rows.mean_sd([0.5, 0.7, 0.9]) == pytest.approx((0.7, 0.2))
    assert study_rows.mean_sd([0.5]) == (0.5, None)


def test_summary_puts_systems_side_by_side_per_budget() -> None:
    rows = [row("gepa", s, a, test_after_native=0.7) for s, a in ((0, 0.6), (1, 0.8))]
    rows += [row("tgd", s, a) for s, a in ((0, 0.5), (1, 0.6), (2, 0.7))]
    rows += [row("textgrad", 0, 0.55, budget=50)]
    text = study_rows.summary(rows)
    lines = text.splitlines()
    first = lines.index("**web_of_lies**, budget 100 calls, val 30, test 100")
    assert "**web_of_lies**, budget 50 calls, val 30, test 100" in lines
    table = lines[first + 2 : first + 6]
    assert table[0] == study_rows.HEADER and table[1].count("---") == 10
    assert table[2] == (
        "| tg_core TGD (TextGrad's loop) | 3 | 50.0% | 60.0% ± 10.0% | +10.0 ± 10.0 "
        "| 40.0% → 60.0% | 99 | 1,000 | 60 | — |"
    )
    assert table[3].startswith("| DSPy GEPA | 2 | 50.0% | 70.0% ± 14.1% | +20.0 ± 14.1 |")
    assert table[3].endswith("| 70.0% ± 0.0% |")
    assert "| TextGrad 0.1.8 | 1 | 50.0% | 55.0% | +5.0 |" in text


# -- the systems on a simulated server ---------------------------------------------------------


def test_tg_core_fit_stops_at_the_budget_and_the_proxy_agrees(tmp_path: Path) -> None:
    with SimServer(latency_s=0.0) as server:
        proxy = CountingProxy(server.base_url).start()
        try:
            fit = asyncio.run(
                study_systems.fit_tg_core("tgd", settings(tmp_path, 20), small_task(), 0, proxy)
            )
            sent = proxy.counters.to_json()["requests"]
        finally:
            proxy.stop()
    assert fit.stopped.startswith("budget")
    assert fit.details["own_calls"] == sent <= 20
    assert sent > 20 - 8  # the last step was cut short, not skipped
    assert fit.val_before is not None and fit.details["steps"] >= 1


def test_one_run_writes_a_full_row(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with SimServer(latency_s=0.0) as server:
        local = SimpleNamespace(base_url=server.base_url, model_alias="sim")
        monkeypatch.setattr(search_study, "ensure_server", lambda: local)
        monkeypatch.setattr("tg_core.local.ensure_server", lambda: local)
        monkeypatch.setattr(search_study, "make_task", lambda s: small_task())
        s = settings(tmp_path, 15)
        r = search_study.one_run("search", s, seed=1)
    assert tuple(r)[: len(study_rows.FIELDS)] == study_rows.FIELDS
    assert (r["system"], r["seed"], r["budget"], r["val_n"], r["test_n"]) == ("search", 1, 15, 3, 3)
    assert 0 < r["calls"] <= 15 and r["tokens"] > 0
    assert r["test_before"] in (0.0, 1 / 3, 2 / 3, 1.0)
    assert r["prompt_shape"] == study_systems.SHAPES["search"]
    assert (tmp_path / "eval" / "tg_core").is_dir()


@pytest.mark.skipif(importlib.util.find_spec("dspy") is None, reason="dspy is not installed")
def test_gepa_driver_stops_before_an_iteration_it_cannot_afford(tmp_path: Path) -> None:
    with SimServer(latency_s=0.0, responder=sim_responder) as server:
        proxy = CountingProxy(server.base_url).start()
        try:
            fit = study_systems.fit_gepa(settings(tmp_path, 16), small_task(), 0, proxy, "sim")
        finally:
            proxy.stop()
    assert fit.server is not None
    sent = fit.server["requests"]
    assert fit.stopped == "budget" and 16 - 7 < sent <= 16 + 3
    assert fit.details["metric_calls"] >= 3
    assert {"test_before_native", "test_after_native"} <= set(fit.details)
    assert fit.details["reflection_replies"]  # cache hits included


# -- the plan of benchmarks.run --quality -------------------------------------------------------


def _done(task: str, system: str, seed: int, **setting: object) -> dict[str, object]:
    base = {"budget": 100, "val_n": 10, "test_n": 100, "answer_max_tokens": 64}
    return {"task": task, "system": system, "seed": seed} | base | setting


def test_plan_skips_runs_measured_in_its_setting_only() -> None:
    plan = study_plan.Plan(tasks=("a",), systems=("tgd", "gepa"), seeds=(0, 1))
    rows = [
        _done("a", "tgd", 0),
        _done("a", "gepa", 0, budget=200),
        _done("a", "gepa", 1, answer_max_tokens=256),
        _done("b", "tgd", 1),
    ]
    pending = [(r.system, r.seed) for r in plan.pending(rows)]
    assert pending == [("gepa", 0), ("tgd", 1), ("gepa", 1)]
    written = {"a": {"short": "s", "direct": "d"}, "b": {"x": "y"}}
    hand = [_done("a", "hand:short", 0, budget=None, val_n=None)]
    assert plan.hand_pending(hand, written) == {"a": ["direct"]}


def test_quality_runs_what_the_plan_lacks_then_writes_the_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from benchmarks import run

    results = tmp_path / "results"
    done = row("tgd", 0, 0.5) | {"val_n": 10, "test_n": 100, "answer_max_tokens": 64}
    study_rows.append_row(results / "search_study.jsonl", done)
    calls: list[list[str]] = []
    monkeypatch.setattr(search_study, "main", lambda argv: calls.append(argv) or 0)
    monkeypatch.setattr(run, "HAND_WRITTEN", {"web_of_lies": {"short": "s"}})
    assert run.main(["--quality", "--seeds", "0", "--out", str(tmp_path)]) == 0

    def asked(argv: list[str]) -> tuple[str, str]:
        what = argv[argv.index("--system") + 1] if "--system" in argv else argv[-2] + argv[-1]
        return argv[argv.index("--task") + 1], what

    assert [asked(a) for a in calls] == [
        ("web_of_lies", "--handshort"),
        ("web_of_lies", "search-sweep"),
        ("web_of_lies", "textgrad"),
        ("web_of_lies", "gepa"),
        ("sports_understanding", "search-sweep"),
        ("sports_understanding", "tgd"),
        ("sports_understanding", "textgrad"),
        ("sports_understanding", "gepa"),
    ]
    assert all(a[a.index("--max-tokens") + 1] == "64" for a in calls)
    assert "5. Quality" in (tmp_path / "RESULTS.md").read_text()


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs two CPUs")
def test_lanes_run_every_command_once_each_on_one_cpu_with_its_own_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from benchmarks import lanes

    monkeypatch.setenv("TG_CORE_HOME", str(tmp_path / "home"))
    show = "import os, sys; print(sys.argv[1], os.environ['TG_CORE_HOME'], os.sched_getaffinity(0))"
    argvs = [[str(i)] for i in range(5)]
    told: list[str] = []
    codes = lanes.run_lanes(
        argvs, lanes=2, work=tmp_path, command=[sys.executable, "-c", show], say=told.append
    )
    assert codes == [0] * 5 and len(told) == 10
    lines = [ln for n in (0, 1) for ln in (tmp_path / f"lane-{n}.log").read_text().splitlines()]
    assert sorted(ln.split()[0] for ln in lines) == ["0", "1", "2", "3", "4"]
    for n in (0, 1):
        for ln in (tmp_path / f"lane-{n}.log").read_text().splitlines():
            _, home, cpus = ln.split(" ", 2)
            assert home == str(tmp_path / f"lane-{n}") and len(cpus.strip("{}").split(",")) == 1
    assert (tmp_path / "lane-0" / "models").resolve() == tmp_path / "home" / "models"
    with pytest.raises(ValueError, match="lanes must be between 1"):
        lanes.run_lanes(argvs, lanes=0, work=tmp_path)


def test_quality_targets_say_what_is_not_measured_yet() -> None:
    from benchmarks import study_targets

    plan = study_plan.Plan(tasks=("web_of_lies", "sports_understanding"), seeds=(0, 1))

    def r(task: str, system: str, seed: int, after: float) -> dict[str, object]:
        return _done(task, system, seed) | {"test_before": 0.0, "test_after": after}

    rows = [r("web_of_lies", "search-sweep", s, a) for s, a in ((0, 0.5), (1, 0.0))]
    rows += [r("web_of_lies", "textgrad", 0, 0.3), r("web_of_lies", "gepa", 0, 0.1)]
    rows += [r("sports_understanding", "search-sweep", 0, 0.2)]
    rows += [r("web_of_lies", "gepa", 1, 0.9) | {"budget": 200}]  # another setting
    demo, wol, sports = study_targets.target_rows(rows, plan)
    assert demo[1] == "+25.0 ± 35.4 (2 of 2 seeds)" and demo[2] == "yes"
    assert "GEPA +10.0 (1 of 2 seeds)" in wol[1]
    assert wol[2] == "not all seeds measured; **behind so far**"
    assert sports[2] == "not measured: TextGrad 0.1.8, GEPA"


def test_a_win_inside_the_test_sets_noise_is_called_a_tie() -> None:
    from benchmarks import study_targets

    plan = study_plan.Plan(tasks=("sports_understanding",), seeds=(0,))

    def r(system: str, after: float) -> dict[str, object]:
        return _done("sports_understanding", system, 0) | {"test_before": 0.0, "test_after": after}

    close = [r("search-sweep", 0.50), r("textgrad", 0.49), r("gepa", 0.0)]
    (row,) = study_targets.target_rows(close, plan)
    assert (
        row[2]
        == "yes, by 1.0 points: inside one standard error of 100 test questions (5 points), a tie"
    )
    clear = [r("search-sweep", 0.58), r("textgrad", 0.19), r("gepa", 0.0)]
    assert study_targets.target_rows(clear, plan)[0][2] == "yes"
