"""``TextGradOptimizer``: a DSPy optimizer that rewrites instructions by textual gradients."""

from __future__ import annotations

import asyncio
import threading
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import dspy
from dspy.teleprompt import Teleprompter

from tg_core._async import run_sync
from tg_core.engine.registry import get_backward_engine
from tg_core.engine.usage import Budget
from tg_core.optimizer import TextualGradientDescent
from tg_core.train import FitCallback, FitResult, afit
from tg_core.variable import Variable

from .bindings import named_parameters
from .budgeted_lm import budgeted_program_lms
from .engine import DSPyLMEngine, resolve_engine
from .errors import DSPyAdapterError, ExampleFailed, MetricError
from .history import TextGradHistory
from .loss import failure_loss, metric_loss
from .metric import Metric, metric_arity
from .running import example_inputs, run_example

MetricErrorPolicy = Literal["score_zero", "raise"]


class _MetricGuard(FitCallback):
    """Stops the run at the next step boundary once the metric has failed (``raise`` mode)."""

    def __init__(self, failures: list[str]) -> None:
        self.failures = failures

    def _check(self) -> None:
        if self.failures:
            raise MetricError(
                f"the metric failed {len(self.failures)} time(s); first: {self.failures[0]}. "
                "Fix the metric, or pass on_metric_error='score_zero' to count such "
                "examples as failures"
            )

    def on_run_start(self, state: dict[str, Any]) -> None:
        self._check()

    def on_step_start(self, step: int, batch: list[int]) -> None:
        self._check()

    def on_step_end(self, record: Any) -> None:
        self._check()


class TextGradOptimizer(Teleprompter):  # type: ignore[misc]
    """Optimize every predictor's instructions with textual gradients (TextGrad's TGD).

    Each step runs the program on a minibatch with every predictor call recorded, turns the
    metric's verdict into a loss (its feedback text, or its score with the expected output),
    backpropagates it through every predictor that contributed, and lets TGD rewrite the
    instructions. With a validation set, a step is kept only if the validation score does
    not drop. The loop is :func:`tg_core.train.afit` (checkpoints, budget, concurrency).

    Args:
        metric: ``metric(example, pred)``, ``metric(example, pred, trace=None)`` or GEPA's
            ``metric(example, pred, trace=None, pred_name=None, pred_trace=None)``; it
            returns a float, a bool, or ``dspy.Prediction(score=..., feedback=...)``.
        engine: backward engine: a tg_core engine, an engine name, or a ``dspy.LM``
            (default: tg_core's backward engine if set, else the configured ``dspy.settings.lm``).
        optimizer_engine: engine for the TGD updates (default: ``engine``).
        steps: optimization steps (default: ``epochs`` passes over the trainset).
        epochs: passes over the trainset when ``steps`` is not given.
        batch_size: examples per step.
        validate: gate each step on the validation score (with ``trainset`` as validation
            set when no ``valset`` is given).
        budget: a :class:`tg_core.Budget` for every model call of the run: the program's
            own LM calls (training runs and validation) as well as backward and updates.
        max_concurrency: model calls of tg_core engines in flight at once.
        num_threads: program runs in flight at once (default: ``max_concurrency`` or 8).
        seed: seeds the minibatch order.
        run_dir: checkpoint folder; compiling again with it resumes the run.
        patience: stop after this many steps without a better validation score.
        prefixes: also optimize each output field's prefix.
        constraints: rules every new instruction must follow (text, or a function that
            returns an error message or None).
        gradient_memory: past feedback texts per predictor shown to the optimizer.
        perfect_score: a score at or above it with no feedback gives no gradient.
        on_metric_error: ``"score_zero"`` counts a metric exception, None or NaN as a failed
            example with score 0 (reasons in ``history.metric_failures``); ``"raise"`` stops
            with :class:`~tg_adapters.dspy.errors.MetricError`.
        progress: show a status line (default: when stderr is a terminal).
        require_improvement: keep a step only if the validation score rises (by default
            a tie is kept).

    Attributes:
        history: the :class:`~tg_adapters.dspy.history.TextGradHistory` of the last compile.
        result: the :class:`tg_core.train.FitResult` of the last compile.

    Example:
        >>> import dspy
        >>> from dspy.utils import DummyLM
        >>> from tg_core.engine.fake import FakeEngine
        >>> program = dspy.Predict("question -> answer")
        >>> train = [dspy.Example(question="2+2?", answer="4").with_inputs("question")]
        >>> opt = TextGradOptimizer(lambda ex, pred: ex.answer == pred.answer,
        ...                         engine=FakeEngine(), steps=1, validate=False)
        >>> with dspy.context(lm=DummyLM([{"answer": "5"}] * 4)):
        ...     better = opt.compile(program, trainset=train)
        >>> better.signature.instructions, program.signature.instructions != "improved variable"
        ('improved variable', True)
    """

    def __init__(
        self,
        metric: Metric,
        *,
        engine: Any = None,
        optimizer_engine: Any = None,
        steps: int | None = None,
        epochs: int = 1,
        batch_size: int = 4,
        validate: bool = True,
        budget: Budget | None = None,
        max_concurrency: int | None = None,
        num_threads: int | None = None,
        seed: int = 0,
        run_dir: str | Path | None = None,
        patience: int | None = None,
        prefixes: bool = False,
        constraints: Sequence[Any] | None = None,
        gradient_memory: int = 0,
        perfect_score: float = 1.0,
        on_metric_error: MetricErrorPolicy = "score_zero",
        progress: bool | None = None,
        require_improvement: bool = False,
    ) -> None:
        super().__init__()
        if not callable(metric):
            raise DSPyAdapterError("metric must be callable: metric(example, prediction, ...)")
        if on_metric_error not in ("score_zero", "raise"):
            raise DSPyAdapterError("on_metric_error must be 'score_zero' or 'raise'")
        if num_threads is not None and num_threads < 1:
            raise DSPyAdapterError("num_threads must be >= 1")
        self.metric = metric
        self.arity = metric_arity(metric)
        self.engine = engine
        self.optimizer_engine = optimizer_engine
        self.steps = steps
        self.epochs = epochs
        self.batch_size = batch_size
        self.validate = validate
        self.budget = budget
        self.max_concurrency = max_concurrency
        self.num_threads = num_threads
        self.seed = seed
        self.run_dir = run_dir
        self.patience = patience
        self.prefixes = prefixes
        self.constraints = list(constraints or [])
        self.gradient_memory = gradient_memory
        self.perfect_score = perfect_score
        self.on_metric_error: MetricErrorPolicy = on_metric_error
        self.progress = progress
        self.require_improvement = require_improvement
        self.history: TextGradHistory | None = None
        self.result: FitResult | None = None

    # -- engines --------------------------------------------------------------------------
    def _backward_engine(self) -> Any:
        if self.engine is not None:
            return resolve_engine(self.engine)
        found = get_backward_engine()
        if found is not None:
            return found
        lm = dspy.settings.get("lm", None)
        if lm is not None:
            return DSPyLMEngine(lm)
        raise DSPyAdapterError(
            "no engine for the backward pass: pass engine=... (a dspy.LM, a tg_core engine or "
            "an engine name), or configure one with dspy.configure(lm=...)"
        )

    # -- compile --------------------------------------------------------------------------
    def compile(
        self,
        student: Any,
        *,
        trainset: Sequence[Any],
        teacher: Any = None,
        valset: Sequence[Any] | None = None,
        **kwargs: Any,
    ) -> Any:
        """Return an optimized ``student.deepcopy()``; ``student`` itself is not changed.

        The returned program carries ``textgrad_history``; it saves and loads with DSPy's
        own ``save``/``load``.

        Raises:
            DSPyAdapterError: no trainset, no predictors, unknown arguments, no engine.
            MetricError: the metric failed and ``on_metric_error="raise"``.
        """
        return run_sync(
            self.acompile(student, trainset=trainset, teacher=teacher, valset=valset, **kwargs)
        )

    async def acompile(
        self,
        student: Any,
        *,
        trainset: Sequence[Any],
        teacher: Any = None,
        valset: Sequence[Any] | None = None,
        **kwargs: Any,
    ) -> Any:
        """Async :meth:`compile`."""
        if kwargs:
            raise DSPyAdapterError(f"unknown compile arguments: {sorted(kwargs)}")
        if teacher is not None:
            warnings.warn("TextGradOptimizer does not use a teacher; ignoring it", stacklevel=2)
        train = list(trainset or [])
        if not train:
            raise DSPyAdapterError("compile needs a non-empty trainset")
        val = list(valset) if valset is not None else (train if self.validate else None)
        for example in [*train, *(val or [])]:
            example_inputs(example)  # a caller mistake is reported now, not as failed steps
        program = student.deepcopy()
        named = named_parameters(program, prefixes=self.prefixes)
        names = [n for n, _ in named]
        params: list[Variable] = [v for _, v in named]
        initial = [str(p.value) for p in params]
        engine = self._backward_engine()
        update_engine = (
            resolve_engine(self.optimizer_engine) if self.optimizer_engine is not None else engine
        )
        tgd = TextualGradientDescent(
            params,
            engine=update_engine,
            constraints=self.constraints,
            gradient_memory=self.gradient_memory,
        )
        failures: list[str] = []
        crashes: list[str] = []
        lock = threading.Lock()
        slots = asyncio.Semaphore(self.num_threads or self.max_concurrency or 8)

        def failed(reason: str) -> None:
            with lock:
                failures.append(reason)

        def crashed(error: BaseException) -> None:
            with lock:
                crashes.append(f"{type(error).__name__}: {error}")

        async def loss_fn(example: Any) -> Variable:
            async with slots:
                run = await run_example(
                    program, example, self.metric, arity=self.arity, record=True
                )
            if run.error is not None:
                crashed(run.error)
                if run.tape is None:
                    raise ExampleFailed(f"the program failed: {run.error!r}")
                return failure_loss(run.tape)
            assert run.metric is not None and run.tape is not None
            if run.metric.failed:
                failed(run.metric.reason)
            return metric_loss(run.tape, example, run.metric, perfect_score=self.perfect_score)

        async def score_fn(example: Any) -> float:
            async with slots:
                run = await run_example(
                    program, example, self.metric, arity=self.arity, record=False
                )
            if run.metric is None:
                if run.error is not None:
                    crashed(run.error)
                return 0.0
            if run.metric.failed:
                failed(run.metric.reason)
            return run.metric.score

        callbacks = [_MetricGuard(failures)] if self.on_metric_error == "raise" else []
        with budgeted_program_lms(program):  # the program's own calls count in the budget
            result = await afit(
                params,
                loss_fn,
                score_fn,
                train,
                val,
                engine=engine,
                optimizer=tgd,
                steps=self.steps,
                epochs=self.epochs,
                batch_size=self.batch_size,
                seed=self.seed,
                budget=self.budget,
                max_concurrency=self.max_concurrency,
                run_dir=self.run_dir,
                patience=self.patience,
                progress=self.progress,
                callbacks=callbacks,
                validate=self.validate,
                require_improvement=self.require_improvement,
            )
        if self.on_metric_error == "raise":
            _MetricGuard(failures)._check()
        history = TextGradHistory.from_fit(
            names, initial, result, [str(p.value) for p in params], failures, crashes
        )
        self.result = result
        self.history = history
        program.textgrad_history = history
        program._compiled = True
        return program
