"""MLflow tracking of fit runs: options, per-step scores and usage, prompt versions, report.

:class:`MlflowCallback` is a :class:`~tg_core.train.FitCallback`; pass it in ``callbacks=``
to :func:`tg_core.train.fit`, :func:`tg_core.program.optimize`, LangChain's ``optimize`` or
the DSPy optimizer's ``compile``. MLflow is imported when the callback is made
(``pip install 'tg-core[mlflow]'``).

Another tracker is the same few lines: subclass :class:`~tg_core.train.FitCallback`,
override ``on_event`` and read the typed events of :mod:`tg_core.train.events`:
``RunStarted`` carries the options (``event.config``, a :class:`~tg_core.train.FitConfig`)
and the starting values (``event.state["values"]``); ``StepEnded`` the
:class:`~tg_core.train.StepRecord` (``val_score``, ``accepted``, ``usage``, ``values``,
``proposals``, ``candidates``); ``RunEnded`` the :class:`~tg_core.train.FitResult`
(``best_values``, ``best_score``, ``usage``, and ``run_dir`` holding the report). Events
arrive in the training loop: keep the work small, and import the service's client lazily.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import UserError
from ..train.callbacks import FitCallback
from ..train.checkpoint import scrub
from ..train.config import FitConfig
from ..train.events import FitEvent, RunEnded, RunFailed, RunStarted, StepEnded
from ..train.records import FitResult, StepRecord

INSTALL = "pip install 'tg-core[mlflow]'"
REPORT_FILES = ("report.md", "report.html", "score_curve.svg")
"""The files :func:`tg_core.report.write_report` leaves in a run's folder."""
MAX_PARAM_CHARS = 6000
"""The longest parameter value MLflow stores."""


class TrackingUnavailable(UserError):
    """The tracking library is not installed."""


def import_mlflow() -> Any:
    """The ``mlflow`` module, or a :class:`TrackingUnavailable` naming the extra to install.

    Example:
        >>> import_mlflow().__name__
        'mlflow'
    """
    try:
        import mlflow
    except ImportError as exc:
        raise TrackingUnavailable(f"MLflow tracking needs mlflow: {INSTALL}") from exc
    return mlflow


def config_params(config: FitConfig | None) -> dict[str, str]:
    """The fit options as MLflow parameters: one text per field, secrets redacted.

    Example:
        >>> config_params(FitConfig(steps=2))["steps"], config_params(None)
        ('2', {})
    """
    if config is None:
        return {}
    params = {}
    for name in type(config).model_fields:
        value = getattr(config, name)
        if isinstance(value, tuple):
            value = ", ".join(getattr(v, "__name__", None) or str(v) for v in value)
        params[name] = str(value)[:MAX_PARAM_CHARS]
    return dict(scrub(params))


class MlflowCallback(FitCallback):
    """Logs a fit run to MLflow.

    Parameters: every :class:`~tg_core.train.FitConfig` field, and ``n_train``, ``n_val``,
    ``total_steps``. Metrics at each step: ``val_score`` (when validation ran),
    ``train_score`` (when known), ``accepted`` (1/0), ``calls``, ``tokens``, ``cost_usd``
    (when prices are known) and ``seconds``; at the end ``initial_score``, ``best_score``,
    ``accepted_steps``, ``total_calls``, ``total_tokens``, ``total_cost_usd``. Text
    artifacts: ``parameters/initial/param_<i>.txt``, then per step
    ``parameters/step_<n>/param_<i>.txt`` (the value after the step),
    ``proposal_<i>.txt`` (what the optimizer proposed) and
    ``candidate_<k>/param_<i>.txt`` (a searching step's candidates), and
    ``parameters/final/param_<i>.txt``; the report files of ``run_dir`` under ``report/``.

    Made inside ``with mlflow.start_run():`` it logs into that run and leaves it open;
    otherwise each fit gets a new run in ``experiment`` that is ended with the fit. A failed
    log call after the start warns and the fit goes on.

    Args:
        experiment: experiment name (created if missing; default MLflow's ``Default``).
        run_name: name of the new run.
        tags: tags of the new run.
        tracking_uri: where to log (default: MLflow's current tracking URI).

    Raises:
        TrackingUnavailable: mlflow is not installed.

    Example:
        >>> MlflowCallback(run_name="prompt search").run_name
        'prompt search'
    """

    def __init__(
        self,
        *,
        experiment: str | None = None,
        run_name: str | None = None,
        tags: Mapping[str, str] | None = None,
        tracking_uri: str | None = None,
    ) -> None:
        mlflow = import_mlflow()
        self.tracking_uri = tracking_uri or mlflow.get_tracking_uri()
        self.experiment, self.run_name, self.tags = experiment, run_name, dict(tags or {})
        active = mlflow.active_run()  # read here: fit may run in another thread
        self.owns_run = active is None
        self.run_id: str | None = None if active is None else active.info.run_id
        self._client: Any = None

    def on_event(self, event: FitEvent) -> None:
        """Log what ``event`` brings (start, step end, run end); other events are skipped."""
        try:
            if isinstance(event, RunStarted):
                self._start(event)
            elif isinstance(event, StepEnded):
                self._step(event.record)
            elif isinstance(event, RunEnded):
                self._end(event.result)
            elif isinstance(event, RunFailed):
                self._failed(event.error)
        except Exception as exc:
            if isinstance(event, RunStarted):
                raise
            warnings.warn(f"MLflow logging failed: {exc}", RuntimeWarning, stacklevel=2)

    # -- what is logged --------------------------------------------------------------------
    def _start(self, event: RunStarted) -> None:
        from mlflow.entities import Param
        from mlflow.tracking import MlflowClient

        client = self._client = MlflowClient(self.tracking_uri)
        run_id = self.run_id
        if self.owns_run or run_id is None:
            name = self.experiment or "Default"
            found = client.get_experiment_by_name(name)
            experiment_id = found.experiment_id if found else client.create_experiment(name)
            run = client.create_run(experiment_id, run_name=self.run_name, tags=self.tags)
            run_id = self.run_id = run.info.run_id
        shape = event.state.get("fingerprint", {})
        params = config_params(event.config)
        params.update({k: str(shape[k]) for k in ("n_train", "n_val", "total_steps") if k in shape})
        client.log_batch(run_id, params=[Param(k, v) for k, v in params.items()])
        self._values("parameters/initial", event.state.get("values", []))

    def _step(self, record: StepRecord) -> None:
        usage, cost_known = record.usage, record.usage.get("cost_known", True)
        metrics: dict[str, Any] = {
            "val_score": record.val_score,
            "train_score": record.train_score,
            "accepted": float(record.accepted),
            "calls": usage.get("calls"),
            "tokens": usage.get("total_tokens"),
            "cost_usd": usage.get("cost_usd") if cost_known else None,
            "seconds": record.seconds,
        }
        self._metrics(metrics, record.step)
        folder = f"parameters/step_{record.step:03d}"
        self._values(folder, record.values)
        for update in record.proposals:
            if update.new:
                self._text(f"{folder}/proposal_{update.index}.txt", update.new)
        for candidate in record.candidates:
            self._values(f"{folder}/candidate_{candidate.index}", candidate.values)

    def _end(self, result: FitResult) -> None:
        usage = result.usage
        metrics = {
            "initial_score": result.initial_score,
            "best_score": result.best_score,
            "accepted_steps": result.accepted_steps,
            "total_calls": usage.calls,
            "total_tokens": usage.total_tokens,
            "total_cost_usd": usage.cost_usd if usage.cost_known else None,
        }
        self._metrics(metrics, len(result.history))
        self._values("parameters/final", result.best_values)
        client = self._client
        client.set_tag(self.run_id, "stopped_reason", result.stopped_reason)
        for name in REPORT_FILES if result.run_dir is not None else ():
            path = Path(result.run_dir or ".") / name
            if path.is_file():
                client.log_artifact(self.run_id, str(path), "report")
        if self.owns_run:
            client.set_terminated(self.run_id, "FINISHED")

    def _failed(self, error: BaseException) -> None:
        if self._client is None or self.run_id is None:
            return
        self._client.set_tag(self.run_id, "error", scrub(f"{type(error).__name__}: {error}"))
        if self.owns_run:
            self._client.set_terminated(self.run_id, "FAILED")

    # -- helpers ---------------------------------------------------------------------------
    def _metrics(self, values: Mapping[str, Any], step: int) -> None:
        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        metrics = [Metric(k, float(v), now, step) for k, v in values.items() if v is not None]
        self._client.log_batch(self.run_id, metrics=metrics)

    def _text(self, path: str, text: str) -> None:
        self._client.log_text(self.run_id, scrub(str(text)), path)

    def _values(self, folder: str, values: list[str]) -> None:
        for i, value in enumerate(values):
            self._text(f"{folder}/param_{i}.txt", value)
