"""``TextGradOptimizer``: a DSPy optimizer that rewrites instructions by textual gradients."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import dspy
from dspy.teleprompt import Teleprompter

from tg_core.extend import get_backward_engine, run_sync
from tg_core.program.fit import FailureLog, aoptimize, fit_config
from tg_core.program.history import TextGradHistory
from tg_core.train import FitCallback, FitResult
from tg_core.train.config import FitConfig

from .budgeted_lm import budgeted_program_lms
from .engine import DSPyLMEngine, resolve_engine
from .errors import DSPyAdapterError
from .metric import Metric, metric_arity, two_argument
from .program import DSPyProgram, example_inputs


class TextGradOptimizer(Teleprompter):  # type: ignore[misc]
    """Optimize every predictor's instructions with textual gradients.

    Each step runs the program on a minibatch with every predictor call recorded, turns the
    metric's verdict into a loss (its feedback text, or its score with the expected output),
    backpropagates it through every predictor that contributed, and proposes new
    instructions: by default several candidates (a sentence deleted, a rule added, a
    worked example, a TGD rewrite), screened on the minibatch and kept in a
    Pareto pool; with ``search=False`` TextGrad's loop, one TGD rewrite. With a validation
    set, a step is kept only if the validation score does not drop. The run is the core's :func:`tg_core.program.aoptimize` on a
    :class:`~tg_adapters.dspy.program.DSPyProgram`.

    Args:
        metric: ``metric(example, pred)``, ``metric(example, pred, trace=None)`` or GEPA's
            ``metric(example, pred, trace=None, pred_name=None, pred_trace=None)``; it
            returns a float, a bool, or ``dspy.Prediction(score=..., feedback=...)``.
        engine: backward engine: a tg_core engine, an engine name, or a ``dspy.LM``
            (default: tg_core's backward engine if set, else the configured ``dspy.settings.lm``).
        optimizer_engine: engine for the TGD updates (default: ``engine``).
        num_threads: program runs in flight at once (default: ``max_concurrency`` or 8).
        prefixes: also optimize each output field's prefix.
        config: a :class:`tg_core.train.config.FitConfig` (the keywords below update it).
        callbacks: :class:`tg_core.train.FitCallback` hooks of every compile (e.g.
            :class:`tg_core.tracking.MlflowCallback`).
        **options: any :class:`~tg_core.train.config.FitConfig` option: ``steps``,
            ``epochs``, ``batch_size``, ``validate`` (with ``trainset`` as validation set
            when no ``valset`` is given), ``budget`` (every model call of the run, the
            program's own LM calls included), ``max_concurrency``, ``seed``, ``run_dir``
            (compiling again resumes), ``patience``, ``constraints``, ``gradient_memory``,
            ``perfect_score``, ``on_metric_error`` (``"score_zero"`` counts a metric
            exception, None or NaN as a failed example with score 0, reasons in
            ``history.metric_failures``; ``"raise"`` stops with
            :class:`~tg_core.program.metric.MetricError`), ``progress``,
            ``require_improvement``, the search's ``num_candidates``, ``operators``, ``pool``,
            ``feedback``, and ``search=False`` for TextGrad's loop ...

    Attributes:
        config: the run's options.
        history: the :class:`~tg_core.program.history.TextGradHistory` of the last compile.
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
        >>> [c.operator for c in opt.result.history[0].candidates]
        ['delete', 'edit', 'example', 'rewrite']
        >>> better.signature.instructions.endswith("\\nimproved variable")  # a rule was added
        True
        >>> program.signature.instructions  # the student is not changed
        'Given the fields `question`, produce the fields `answer`.'
    """

    def __init__(
        self,
        metric: Metric,
        *,
        engine: Any = None,
        optimizer_engine: Any = None,
        num_threads: int | None = None,
        prefixes: bool = False,
        config: FitConfig | None = None,
        callbacks: Sequence[FitCallback] = (),
        **options: Any,
    ) -> None:
        super().__init__()
        if not callable(metric):
            raise DSPyAdapterError("metric must be callable: metric(example, prediction, ...)")
        if num_threads is not None and num_threads < 1:
            raise DSPyAdapterError("num_threads must be >= 1")
        self.metric = metric
        self.arity = metric_arity(metric)
        self.engine = engine
        self.optimizer_engine = optimizer_engine
        self.num_threads = num_threads
        self.prefixes = prefixes
        self.config = fit_config(config, **options)
        self.callbacks = list(callbacks)
        self.history: TextGradHistory | None = None
        self.result: FitResult | None = None

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
        for example in [*train, *(valset or [])]:
            example_inputs(example)  # a caller mistake is reported now, not as failed steps
        program = student.deepcopy()
        threads = self.num_threads or self.config.max_concurrency or 8
        wrapped = DSPyProgram(program, prefixes=self.prefixes, num_threads=threads)
        names = [n for n, _ in wrapped.named]
        initial = [str(p.value) for p in wrapped.parameters()]
        engine = self._backward_engine()
        updates = resolve_engine(self.optimizer_engine)
        failures = FailureLog()
        with budgeted_program_lms(program):  # the program's own calls count in the budget
            result = await aoptimize(
                wrapped,
                train,
                two_argument(self.metric, self.arity),
                None if valset is None else list(valset),
                config=self.config,
                engine=engine,
                optimizer_engine=updates,
                failures=failures,
                callbacks=self.callbacks,
            )
        final = [str(p.value) for p in wrapped.parameters()]
        history = TextGradHistory.from_fit(
            names, initial, result, final, failures.metric, failures.program
        )
        self.result = result
        self.history = history
        program.textgrad_history = history
        program._compiled = True
        return program
