"""MLflow tracking: a fit's options, per-step metrics, prompt versions and report, read back."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("mlflow")

import mlflow
from mlflow.tracking import MlflowClient
from test_train import Setup

from tg_core.tracking import MlflowCallback, TrackingUnavailable
from tg_core.train import FitCallback, StepRecord

SCORES = {"v0": 0.5, "v1": 0.2, "v2": 0.9}  # step 0's proposal is undone, step 1's kept


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A local file store as MLflow's tracking URI for the test."""
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    before = mlflow.get_tracking_uri()
    uri = (tmp_path / "mlruns").as_uri()
    mlflow.set_tracking_uri(uri)
    yield uri
    mlflow.set_tracking_uri(before)


def history(client: MlflowClient, run_id: str, key: str) -> list[tuple[int, float]]:
    return [(m.step, m.value) for m in client.get_metric_history(run_id, key)]


def artifact_texts(client: MlflowClient, run_id: str, into: Path) -> dict[str, str]:
    """Every artifact of the run, by path, as text."""
    root = Path(client.download_artifacts(run_id, "", str(into)))
    return {str(p.relative_to(root)): p.read_text("utf-8") for p in root.rglob("*") if p.is_file()}


def short(value: str) -> str | None:
    """A constraint function (always satisfied)."""
    return None


def test_a_fit_is_logged_with_params_step_metrics_versions_and_report(
    store: str, tmp_path: Path
) -> None:
    s = Setup(SCORES)
    callback = MlflowCallback(experiment="prompts", run_name="two steps", tags={"task": "t"})
    run_dir = tmp_path / "run"
    constraints = ["Keep it short.", short]
    result = s.fit(
        steps=2,
        batch_size=2,
        run_dir=run_dir,
        constraints=constraints,
        callbacks=[callback],
        search=False,
    )
    client = MlflowClient(store)
    assert callback.run_id is not None
    run = client.get_run(callback.run_id)
    assert run.info.status == "FINISHED" and run.info.run_name == "two steps"
    assert client.get_experiment(run.info.experiment_id).name == "prompts"
    assert run.data.tags["task"] == "t" and run.data.tags["stopped_reason"] == "completed"
    params = run.data.params
    assert params["steps"] == "2" and params["batch_size"] == "2" and params["seed"] == "0"
    assert params["validate_steps"] == "True" and params["run_dir"] == str(run_dir)
    assert params["constraints"] == "Keep it short., short"
    assert (params["n_train"], params["n_val"], params["total_steps"]) == ("4", "2", "2")

    assert history(client, run.info.run_id, "val_score") == [(0, 0.2), (1, 0.9)]
    assert history(client, run.info.run_id, "accepted") == [(0, 0.0), (1, 1.0)]
    for key, field in (("calls", "calls"), ("tokens", "total_tokens")):
        expected = [(r.step, float(r.usage[field])) for r in result.history]
        assert history(client, run.info.run_id, key) == expected
        assert all(value > 0 for _, value in expected)
    assert history(client, run.info.run_id, "cost_usd") == [(0, 0.0), (1, 0.0)]
    final = run.data.metrics
    assert final["initial_score"] == 0.5 and final["best_score"] == 0.9
    assert final["accepted_steps"] == 1 and final["total_calls"] == result.usage.calls

    texts = artifact_texts(client, run.info.run_id, tmp_path / "download")
    assert texts["parameters/initial/param_0.txt"] == "v0"
    assert texts["parameters/step_000/proposal_0.txt"] == "v1"
    assert texts["parameters/step_000/param_0.txt"] == "v0"  # undone
    assert texts["parameters/step_001/proposal_0.txt"] == "v2"
    assert texts["parameters/step_001/param_0.txt"] == "v2"
    assert texts["parameters/final/param_0.txt"] == "v2"
    for name in ("report.md", "report.html", "score_curve.svg"):
        assert texts[f"report/{name}"] == (run_dir / name).read_text("utf-8")
    assert "v1" in texts["report/report.md"]


def test_inside_an_active_run_the_fit_logs_there_and_leaves_it_open(store: str) -> None:
    with mlflow.start_run() as active:
        callback = MlflowCallback()
        Setup(SCORES).fit(steps=1, batch_size=2, report=False, callbacks=[callback], search=False)
        client = MlflowClient(store)
        run = client.get_run(active.info.run_id)
        assert callback.run_id == active.info.run_id
        assert run.info.status == "RUNNING" and run.data.params["steps"] == "1"
        assert history(client, active.info.run_id, "val_score") == [(0, 0.2)]
    assert client.get_run(active.info.run_id).info.status == "FINISHED"


def test_a_failed_log_call_warns_and_the_fit_goes_on(store: str) -> None:
    class Broken(MlflowCallback):
        def _step(self, record: StepRecord) -> None:
            raise OSError("disk full")

    callback = Broken()
    with pytest.warns(RuntimeWarning, match="MLflow logging failed: disk full"):
        result = Setup(SCORES).fit(steps=2, batch_size=2, callbacks=[callback])
    assert len(result.history) == 2
    assert callback.run_id is not None
    run = MlflowClient(store).get_run(callback.run_id)
    assert run.info.status == "FINISHED" and run.data.metrics["best_score"] == 0.9


def test_the_langchain_optimizer_logs_through_the_same_callback(store: str) -> None:
    from langchain_core.output_parsers import StrOutputParser
    from langchain_core.prompts import ChatPromptTemplate
    from test_langchain_fakes import EchoChatModel

    from tg_adapters.langchain import optimize
    from tg_core.engine.fake import FakeEngine

    prompt = ChatPromptTemplate.from_messages([("system", "Answer."), ("human", "{q}")])
    chain = prompt | EchoChatModel() | StrOutputParser()
    callback = MlflowCallback()
    optimize(
        chain,
        [{"q": "2+2?"}],
        lambda ex, out: 0.0,
        engine=FakeEngine(),
        steps=1,
        validate=False,
        callbacks=[callback],
        search=False,
    )
    assert callback.run_id is not None
    run = MlflowClient(store).get_run(callback.run_id)
    assert "keep every placeholder" in run.data.params["constraints"]
    texts = {"initial": "Answer.", "step_000": "improved variable", "final": "improved variable"}
    for folder, text in texts.items():
        path = f"parameters/{folder}/param_0.txt"
        assert mlflow.artifacts.load_text(f"runs:/{callback.run_id}/{path}") == text


def test_the_dspy_optimizer_logs_through_the_same_callback(store: str) -> None:
    dspy = pytest.importorskip("dspy")
    from dspy.utils import DummyLM

    from tg_adapters.dspy import TextGradOptimizer
    from tg_core.engine.fake import FakeEngine

    program = dspy.Predict("question -> answer")
    train = [dspy.Example(question="2+2?", answer="4").with_inputs("question")]
    callback = MlflowCallback(run_name="dspy")
    optimizer = TextGradOptimizer(
        lambda ex, pred: ex.answer == pred.answer,
        engine=FakeEngine(),
        steps=1,
        validate=False,
        callbacks=[callback],
        search=False,
    )
    with dspy.context(lm=DummyLM([{"answer": "5"}] * 4)):
        better = optimizer.compile(program, trainset=train)
    assert callback.run_id is not None
    run = MlflowClient(store).get_run(callback.run_id)
    assert run.info.run_name == "dspy" and run.data.params["steps"] == "1"
    final = mlflow.artifacts.load_text(f"runs:/{callback.run_id}/parameters/final/param_0.txt")
    assert final == better.signature.instructions == "improved variable"
    assert history(MlflowClient(store), callback.run_id, "accepted") == [(0, 1.0)]


def test_without_mlflow_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "mlflow", None)
    with pytest.raises(TrackingUnavailable, match=r"pip install 'tg-core\[mlflow\]'"):
        MlflowCallback()


def test_a_run_that_stops_on_an_error_is_marked_failed_with_the_error(store: str) -> None:
    class Crash(FitCallback):
        def on_step_end(self, record: StepRecord) -> None:
            raise RuntimeError("disk full")

    callback = MlflowCallback(experiment="crash")
    with pytest.raises(RuntimeError, match="disk full"):
        Setup(SCORES).fit(steps=2, batch_size=2, callbacks=[callback, Crash()])
    run = MlflowClient(store).get_run(callback.run_id or "")
    assert run.info.status == "FAILED"
    assert run.data.tags["error"] == "RuntimeError: disk full"
