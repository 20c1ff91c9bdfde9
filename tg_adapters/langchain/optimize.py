"""``optimize(chain, trainset, metric)``: rewrite a chain's prompt templates with TGD."""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import Callable, Coroutine, Iterable, Sequence
from pathlib import Path
from typing import Any, NamedTuple, ParamSpec, TypeVar
from uuid import uuid4

from langchain_core.runnables import Runnable, RunnableConfig

from tg_core import Budget, Variable
from tg_core._async import run_sync
from tg_core.engine.registry import resolve_engine
from tg_core.errors import UserError
from tg_core.optimizer import Constraint, TextualGradientDescent
from tg_core.optimizer_base import Optimizer
from tg_core.train import FitCallback, FitResult, StepRecord, afit

from .config import add_callback, with_handler
from .engine import as_tg_engine
from .errors import NoPromptTemplatesError
from .handler import TextGradCallbackHandler
from .metric import MetricResult, default_feedback, feedback_loss, read_metric
from .params import DEFAULT_ROLES, parameters
from .usage import UsageCallbackHandler

P = ParamSpec("P")
R = TypeVar("R")

Metric = Callable[[Any, Any], Any]
"""``metric(example, output)``: a number/bool, or a dict/object with score and feedback."""

TEMPLATE_RULE = (
    "The value is a prompt template: keep every placeholder of the current value exactly as "
    "written, add no new placeholders, and keep literal braces escaped as they are."
)


class OptimizeResult(NamedTuple):
    """The optimized chain (the same object, its templates rewritten) and the run's record.

    Example:
        >>> from tg_core.engine.usage import Usage
        >>> from tg_core.train import FitResult
        >>> r = OptimizeResult("chain", FitResult(None, None, [], [], Usage(), "completed"))
        >>> r.history
        []
    """

    chain: Any
    fit: FitResult

    @property
    def history(self) -> list[StepRecord]:
        """Every step, accepted or not."""
        return self.fit.history


async def _judge(metric: Metric, example: Any, output: Any) -> MetricResult:
    verdict = metric(example, output)
    if inspect.isawaitable(verdict):
        verdict = await verdict
    return read_metric(verdict)


def _make_optimizer(
    optimizer: Optimizer | Callable[[list[Variable]], Optimizer] | None,
    params: list[Variable],
    engine: Any,
    constraints: Sequence[Constraint],
    gradient_memory: int,
) -> Optimizer:
    if isinstance(optimizer, Optimizer):
        return optimizer
    if optimizer is not None:
        return optimizer(params)
    return TextualGradientDescent(
        params,
        engine=engine,
        constraints=[TEMPLATE_RULE, *constraints],
        gradient_memory=gradient_memory,
    )


async def aoptimize(
    chain: Runnable[Any, Any],
    trainset: Sequence[Any],
    metric: Metric,
    *,
    valset: Sequence[Any] | None = None,
    to_input: Callable[[Any], Any] | None = None,
    config: RunnableConfig | None = None,
    roles: Iterable[str] = DEFAULT_ROLES,
    string_prompts: bool = True,
    engine: Any = None,
    optimizer_engine: Any = None,
    optimizer: Optimizer | Callable[[list[Variable]], Optimizer] | None = None,
    constraints: Sequence[Constraint] = (),
    gradient_memory: int = 0,
    perfect_score: float = 1.0,
    steps: int | None = None,
    epochs: int = 1,
    batch_size: int = 4,
    seed: int = 0,
    budget: Budget | None = None,
    max_concurrency: int | None = None,
    num_threads: int | None = None,
    run_dir: str | Path | None = None,
    patience: int | None = None,
    progress: bool | None = None,
    callbacks: Sequence[FitCallback] = (),
    validate: bool = True,
    report: bool = True,
    require_improvement: bool = False,
) -> OptimizeResult:
    """Optimize ``chain``'s prompt templates on ``trainset``; the chain is rewritten in place.

    Each step runs a batch through the chain recording its graphs, turns each output's
    metric verdict into a loss (the metric's feedback text when it gives one, else its
    score and the example), backpropagates to the bound templates, and lets TGD rewrite
    them; with ``valset`` a step is kept only if the validation score does not drop. The
    loop is :func:`tg_core.train.afit` (checkpoints in ``run_dir``, resumable).

    Args:
        chain: the runnable to optimize.
        trainset: examples; ``to_input(example)`` is what the chain is invoked with.
        metric: ``metric(example, output)`` returning a number/bool in [0, 1], or a dict
            or object with ``score`` and optional ``feedback`` (may be async).
        valset: validation examples (default: ``trainset`` when ``validate`` is on).
        to_input: example to chain input (default: the example itself).
        config: LangChain config for every chain run (callbacks, tags, metadata).
        roles: chat message roles whose templates are optimized.
        string_prompts: also optimize plain string prompts.
        engine: backward engine: a tg_core engine, an engine name, or a LangChain chat
            model (default: the backward engine in force).
        optimizer_engine: engine for the TGD updates, same kinds (default: ``engine``).
        optimizer: an optimizer over ``parameters(chain)``, or a factory taking them
            (replaces the default TGD and its options below).
        constraints: extra rules for the default TGD (strings or checks).
        gradient_memory: past feedback texts per template shown to the default TGD.
        perfect_score: a score at or above it without feedback gives no gradient.
        steps: number of steps (default: ``epochs`` passes over ``trainset``).
        epochs: passes over the training set when ``steps`` is not given.
        batch_size: examples per step.
        seed: seeds the batch order.
        budget: calls/tokens/dollars for the whole run.
        max_concurrency: model calls of tg_core engines in flight at once.
        num_threads: chain runs in flight at once (default: ``max_concurrency`` or 8).
        run_dir: checkpoint folder; calling again with it resumes.
        patience: stop after this many steps without a better validation score.
        progress: show a status line (default: when stderr is a terminal).
        callbacks: :class:`tg_core.train.FitCallback` hooks.
        validate: gate each step on the validation score; False keeps every proposal.
        report: write a run report to ``run_dir``.
        require_improvement: keep a step only if the validation score rises (by default a
            tie is kept).

    Raises:
        NoPromptTemplatesError: the chain has no optimizable template.

    Example:
        >>> import asyncio
        >>> from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
        >>> from langchain_core.prompts import ChatPromptTemplate
        >>> from tg_core.engine.fake import FakeEngine
        >>> prompt = ChatPromptTemplate.from_messages([("system", "Answer."), ("human", "{q}")])
        >>> chain = prompt | GenericFakeChatModel(messages=iter(["5"] * 5))
        >>> result = asyncio.run(aoptimize(chain, [{"q": "2+2?"}], lambda ex, out: 0.0,
        ...                                engine=FakeEngine(), steps=1, validate=False))
        >>> prompt.messages[0].prompt.template
        'improved variable'
    """
    params = parameters(chain, roles, string_prompts=string_prompts)
    if not params:
        raise NoPromptTemplatesError(
            f"the chain has no prompt template with a message of role {sorted(set(roles))}; "
            "pass roles=(...) naming the messages to optimize"
        )
    if num_threads is not None and num_threads < 1:
        raise UserError("num_threads must be >= 1")
    backward = resolve_engine(as_tg_engine(engine), "optimize")
    updates = as_tg_engine(optimizer_engine) if optimizer_engine is not None else backward
    opt = _make_optimizer(optimizer, params, updates, constraints, gradient_memory)
    given = to_input if to_input is not None else (lambda example: example)
    wanted = frozenset(roles)
    slots = asyncio.Semaphore(num_threads or max_concurrency or 8)
    val = valset if valset is not None else (trainset if validate else None)

    counted = add_callback(config, UsageCallbackHandler())  # chain calls count in budgets

    async def loss_fn(example: Any) -> Variable:
        handler = TextGradCallbackHandler(roles=wanted, string_prompts=string_prompts)
        run_id = uuid4()
        async with slots:
            output = await chain.ainvoke(given(example), with_handler(counted, handler, run_id))
        verdict = await _judge(metric, example, output)
        if verdict.feedback is None and verdict.score >= perfect_score:
            return Variable("perfect", requires_grad=False, role_description="evaluation")
        feedback = verdict.feedback or default_feedback(example, output, verdict.score)
        return feedback_loss(handler.output(run_id), feedback)

    async def score_fn(example: Any) -> float:
        async with slots:
            output = await chain.ainvoke(given(example), counted)
        return (await _judge(metric, example, output)).score

    fit = await afit(
        params,
        loss_fn,
        score_fn,
        trainset,
        val,
        engine=backward,
        optimizer=opt,
        steps=steps,
        epochs=epochs,
        batch_size=batch_size,
        seed=seed,
        budget=budget,
        max_concurrency=max_concurrency,
        run_dir=run_dir,
        patience=patience,
        progress=progress,
        callbacks=callbacks,
        validate=validate,
        require_improvement=require_improvement,
        report=report,
    )
    return OptimizeResult(chain, fit)


def _sync(fn: Callable[P, Coroutine[Any, Any, R]]) -> Callable[P, R]:
    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        return run_sync(fn(*args, **kwargs))

    return wrapper


optimize = _sync(aoptimize)
optimize.__name__ = optimize.__qualname__ = "optimize"
optimize.__doc__ = """Sync :func:`aoptimize` (also works inside a running event loop); same arguments.

Example:
    >>> from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
    >>> from langchain_core.prompts import ChatPromptTemplate
    >>> from tg_core.engine.fake import FakeEngine
    >>> prompt = ChatPromptTemplate.from_messages([("system", "Answer."), ("human", "{q}")])
    >>> chain = prompt | GenericFakeChatModel(messages=iter(["5"] * 5))
    >>> chain, fit = optimize(chain, [{"q": "2+2?"}], lambda ex, out: {"score": 0,
    ...     "feedback": "It is 4."}, engine=FakeEngine(), steps=1, validate=False)
    >>> fit.history[0].accepted
    True
"""
