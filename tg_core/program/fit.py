"""``optimize(program, trainset, metric)``: one optimization path for every framework."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .._async import run_sync
from ..engine.registry import resolve_engine
from ..errors import BudgetExceeded
from ..optimizer import TextualGradientDescent
from ..optimizer_base import Optimizer
from ..train import FitCallback, FitResult, afit
from ..train.config import FitConfig
from ..train.samples import Sample
from ..variable import Variable
from .loss import ExampleFailed, failure_loss, metric_loss
from .metric import Metric, MetricError, acall_metric
from .protocol import Program, ProgramRun

OptimizerArg = Optimizer | Callable[[list[Variable]], Optimizer] | None
"""An optimizer over the program's parameters, a factory taking them, or None for TGD."""


def fit_config(config: FitConfig | None = None, **options: Any) -> FitConfig:
    """``config`` (default: ``FitConfig()``) with ``options`` applied, validated again.

    Entry points pass the fit options they were given as keywords; ``None`` for an option
    whose default is not None means its default, ``validate_steps`` may be spelled
    ``validate``, and ``search=False`` asks for TextGrad's loop (see
    :class:`~tg_core.train.FitConfig`).

    Raises:
        UserError: an unknown option or a bad value, named.

    Example:
        >>> fit_config(steps=2, constraints=None).constraints
        ()
        >>> fit_config(FitConfig(steps=2), validate=False).validate_steps
        False
        >>> fit_config(steps=2, search=False).num_candidates
        1
    """
    if "validate_steps" in options:
        options["validate"] = options.pop("validate_steps")
    fields = FitConfig.model_fields

    def wanted(name: str, value: Any) -> bool:
        known = fields.get("validate_steps" if name == "validate" else name)
        return value is not None or known is None or known.default is None

    given = {k: v for k, v in options.items() if wanted(k, v)}
    base = config if config is not None else FitConfig()
    return base.updated(**given) if given else base


@dataclass
class FailureLog:
    """Why examples failed during a run: the metric's reasons and the program's errors.

    Example:
        >>> log = FailureLog()
        >>> log.program_failed(ValueError("bad input"))
        >>> log.program
        ['ValueError: bad input']
    """

    metric: list[str] = field(default_factory=list)
    program: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def metric_failed(self, reason: str) -> None:
        """Note a metric failure."""
        with self._lock:
            self.metric.append(reason)

    def program_failed(self, error: BaseException) -> None:
        """Note a run that raised."""
        with self._lock:
            self.program.append(f"{type(error).__name__}: {error}")

    def check_metric(self) -> None:
        """Raise :class:`~tg_core.program.metric.MetricError` once the metric has failed."""
        if self.metric:
            raise MetricError(
                f"the metric failed {len(self.metric)} time(s); first: {self.metric[0]}. "
                "Fix the metric, or pass on_metric_error='score_zero' to count such "
                "examples as failures"
            )


class _MetricGuard(FitCallback):
    """Stops the run at the next step boundary once the metric has failed (``raise`` mode)."""

    def __init__(self, log: FailureLog) -> None:
        self.log = log

    def on_run_start(self, state: dict[str, Any]) -> None:
        self.log.check_metric()

    def on_step_start(self, step: int, batch: list[int]) -> None:
        self.log.check_metric()

    def on_step_end(self, record: Any) -> None:
        self.log.check_metric()


def _optimizer(
    optimizer: OptimizerArg, params: list[Variable], config: FitConfig, engine: Any
) -> Optimizer:
    if isinstance(optimizer, Optimizer):
        return optimizer
    if optimizer is not None:
        return optimizer(params)
    return TextualGradientDescent(
        params,
        engine=engine,
        constraints=list(config.constraints),
        gradient_memory=config.gradient_memory,
    )


async def _run(program: Program, example: Any, record: bool, log: FailureLog) -> ProgramRun:
    run = await program.arun(example, record=record)
    if isinstance(run.error, BudgetExceeded):
        raise run.error
    if run.error is not None:
        log.program_failed(run.error)
    return run


async def aoptimize(
    program: Program,
    trainset: Sequence[Any],
    metric: Metric,
    valset: Sequence[Any] | None = None,
    *,
    config: FitConfig | None = None,
    engine: Any = None,
    optimizer: OptimizerArg = None,
    optimizer_engine: Any = None,
    callbacks: Sequence[FitCallback] = (),
    failures: FailureLog | None = None,
) -> FitResult:
    """Optimize ``program``'s parameters on ``trainset`` with :func:`tg_core.train.afit`.

    Each training example is run recorded; the metric's verdict on it (see
    :func:`~tg_core.program.metric.read_metric`) becomes a loss on the run's output (its
    feedback, or its score with the expected and actual output); a run that raised teaches
    the answer that broke it. Validation runs are not recorded and score with the metric.
    Without ``valset``, the trainset validates when ``config.validate_steps`` is on.

    Args:
        program: a :class:`~tg_core.program.protocol.Program`.
        trainset: training examples (whatever ``program.arun`` accepts).
        metric: ``metric(example, prediction)`` (may be async).
        valset: validation examples.
        config: the fit options (default: ``FitConfig()``).
        engine: backward engine (default: the backward engine in force).
        optimizer: an optimizer over ``program.parameters()``, a factory taking them, or None
            for TGD with ``config.constraints`` and ``config.gradient_memory``.
        optimizer_engine: engine of the default TGD's updates (default: ``engine``).
        callbacks: :class:`~tg_core.train.FitCallback` hooks.
        failures: collects why examples failed (a fresh log when not given).

    Raises:
        MetricError: the metric failed and ``config.on_metric_error == "raise"``.

    Example:
        >>> import asyncio, tg_core as tg
        >>> from tg_core.engine.fake import FakeEngine
        >>> from tg_core.program.nodes import model_call
        >>> prompt = tg.Variable("Answer.", role_description="system prompt")
        >>> class Echo:
        ...     def parameters(self):
        ...         return [prompt]
        ...     async def arun(self, example, *, record):
        ...         out = model_call("5", [prompt], conversation=example, role="answer")
        ...         return ProgramRun("5", out if record else None, output_text="5")
        >>> result = asyncio.run(aoptimize(Echo(), ["2+2?"], lambda ex, pred: pred == "4",
        ...     config=FitConfig(steps=1, validate=False), engine=FakeEngine()))
        >>> result.history[0].accepted, prompt.value  # the edit operator added one rule
        (True, 'Answer.\\nimproved variable')
    """
    config = config if config is not None else FitConfig()
    log = failures if failures is not None else FailureLog()
    params = program.parameters()
    backward = resolve_engine(engine, "optimize")
    updates = optimizer_engine if optimizer_engine is not None else backward
    opt = _optimizer(optimizer, params, config, updates)
    val = valset if valset is not None else (trainset if config.validate_steps else None)

    async def loss_fn(example: Any) -> Any:
        run = await _run(program, example, True, log)
        if run.error is not None:
            return Sample(failure_loss(run), None, run.input_text, run.output_text)
        outcome = await acall_metric(metric, example, run.prediction)
        if outcome.failed:
            log.metric_failed(outcome.reason)
            raise ExampleFailed(f"no loss for this example: {outcome.reason}")
        loss = metric_loss(run, outcome, perfect_score=config.perfect_score)
        texts = (run.input_text, run.output_text, run.expected_text)
        return Sample(loss, outcome.score, *texts)

    async def score_fn(example: Any) -> float:
        run = await _run(program, example, False, log)
        if run.error is not None:
            return 0.0
        outcome = await acall_metric(metric, example, run.prediction)
        if outcome.failed:
            log.metric_failed(outcome.reason)
        return outcome.score

    guard = [_MetricGuard(log)] if config.on_metric_error == "raise" else []
    result = await afit(
        params,
        loss_fn,
        score_fn,
        trainset,
        val,
        engine=backward,
        optimizer=opt,
        callbacks=[*guard, *callbacks],
        config=config,
    )
    if config.on_metric_error == "raise":
        log.check_metric()
    return result


def optimize(
    program: Program,
    trainset: Sequence[Any],
    metric: Metric,
    valset: Sequence[Any] | None = None,
    **kwargs: Any,
) -> FitResult:
    """Sync :func:`aoptimize` (also works inside a running event loop); same arguments.

    Example:
        >>> from tg_core.engine.fake import FakeEngine
        >>> class Fixed:
        ...     def parameters(self):
        ...         return [Variable("Answer.", role_description="system prompt")]
        ...     async def arun(self, example, *, record):
        ...         return ProgramRun("4", output_text="4")
        >>> optimize(Fixed(), ["2+2?"], lambda ex, pred: 1.0, engine=FakeEngine()).best_score
        1.0
    """
    return run_sync(aoptimize(program, trainset, metric, valset, **kwargs))
