"""``optimize(chain, trainset, metric)``: rewrite a chain's prompt templates with TGD."""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine, Iterable, Sequence
from typing import Any, NamedTuple, ParamSpec, TypeVar

from langchain_core.runnables import Runnable, RunnableConfig

from tg_core.extend import render, resolve_engine, run_sync
from tg_core.program.fit import FailureLog, OptimizerArg, fit_config
from tg_core.program.fit import aoptimize as core_aoptimize
from tg_core.train import FitCallback, FitResult, StepRecord
from tg_core.train.config import FitConfig

from .engine import as_tg_engine
from .params import DEFAULT_ROLES
from .program import LangChainProgram

P = ParamSpec("P")
R = TypeVar("R")

Metric = Callable[[Any, Any], Any]
"""``metric(example, output)``: a number/bool, or a dict/object with score and feedback."""

TEMPLATE_RULE = render("template_rule")
"""The constraint the default TGD keeps for every template (``tg_core/prompts/template_rule.txt``)."""


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


async def aoptimize(
    chain: Runnable[Any, Any],
    trainset: Sequence[Any],
    metric: Metric,
    *,
    valset: Sequence[Any] | None = None,
    to_input: Callable[[Any], Any] | None = None,
    config: RunnableConfig | FitConfig | None = None,
    roles: Iterable[str] = DEFAULT_ROLES,
    string_prompts: bool = True,
    engine: Any = None,
    optimizer_engine: Any = None,
    optimizer: OptimizerArg = None,
    num_threads: int | None = None,
    callbacks: Sequence[FitCallback] = (),
    failures: FailureLog | None = None,
    parameters: Sequence[Any] | None = None,
    **options: Any,
) -> OptimizeResult:
    """Optimize ``chain``'s prompt templates on ``trainset``; the chain is rewritten in place.

    Each step runs a batch through the chain recording its graphs, turns each output's
    metric verdict into a loss (the metric's feedback text when it gives one, else its
    score and the expected output), backpropagates to the bound templates, and proposes new
    ones: by default several candidates, screened on the batch and kept in a Pareto pool;
    with ``search=False`` TextGrad's loop, one TGD rewrite. With ``valset`` a step is kept
    only if the validation score does not drop. The run is the core's
    :func:`tg_core.program.aoptimize` on a
    :class:`~tg_adapters.langchain.program.LangChainProgram` (checkpoints in ``run_dir``,
    resumable).

    Args:
        chain: the runnable to optimize.
        trainset: examples; ``to_input(example)`` is what the chain is invoked with.
        metric: ``metric(example, output)`` returning a number/bool in [0, 1], or a dict
            or object with ``score`` and optional ``feedback`` (may be async).
        valset: validation examples (default: ``trainset`` when ``validate`` is on).
        to_input: example to chain input (default: the example itself).
        config: LangChain config for every chain run (callbacks, tags, metadata), or a
            :class:`tg_core.train.config.FitConfig` with the fit options.
        roles: chat message roles whose templates are optimized.
        string_prompts: also optimize plain string prompts.
        engine: backward engine: a tg_core engine, an engine name, or a LangChain chat
            model (default: the backward engine in force).
        optimizer_engine: engine for the TGD updates, same kinds (default: ``engine``).
        optimizer: an optimizer over ``parameters(chain)``, or a factory taking them
            (replaces the default TGD and its options).
        num_threads: chain runs in flight at once (default: ``max_concurrency`` or 8).
        callbacks: :class:`tg_core.train.FitCallback` hooks.
        failures: a :class:`~tg_core.program.fit.FailureLog` that collects why examples
            failed (the metric's reasons, the chain's errors).
        parameters: prompts or runnables whose templates are optimized, instead of the
            chain's own (for chains it calls from plain functions, e.g. LangGraph nodes).
        **options: any :class:`~tg_core.train.config.FitConfig` option: ``steps``,
            ``epochs``, ``batch_size``, ``seed``, ``budget`` (the chain's own model calls
            included), ``max_concurrency``, ``run_dir``, ``patience``, ``progress``,
            ``validate``, ``report``, ``require_improvement``, ``constraints`` (extra rules
            for the default TGD), ``gradient_memory``, ``perfect_score``,
            ``on_metric_error``, the search's ``num_candidates``, ``operators``, ``pool``,
            ``feedback``, and ``search=False`` for TextGrad's loop ...

    Raises:
        NoPromptTemplatesError: the chain has no optimizable template.
        MetricError: the metric failed and ``on_metric_error="raise"``.

    Example:
        >>> import asyncio
        >>> from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
        >>> from langchain_core.prompts import ChatPromptTemplate
        >>> from tg_core.engine.fake import FakeEngine
        >>> prompt = ChatPromptTemplate.from_messages([("system", "Answer."), ("human", "{q}")])
        >>> chain = prompt | GenericFakeChatModel(messages=iter(["5"] * 5))
        >>> result = asyncio.run(aoptimize(chain, [{"q": "2+2?"}], lambda ex, out: 0.0,
        ...                                engine=FakeEngine(), steps=1, validate=False))
        >>> prompt.messages[0].prompt.template  # the edit operator added one rule
        'Answer.\\nimproved variable'
    """
    given = config if isinstance(config, FitConfig) else None
    fit = fit_config(given, **options)
    fit = fit.updated(constraints=(TEMPLATE_RULE, *fit.constraints))
    program = LangChainProgram(
        chain,
        to_input=to_input,
        config=None if isinstance(config, FitConfig) else config,
        roles=roles,
        string_prompts=string_prompts,
        num_threads=num_threads or fit.max_concurrency or 8,
        parameters=parameters,
    )
    result = await core_aoptimize(
        program,
        trainset,
        metric,
        valset,
        config=fit,
        engine=resolve_engine(as_tg_engine(engine), "optimize"),
        optimizer=optimizer,
        optimizer_engine=as_tg_engine(optimizer_engine),
        callbacks=callbacks,
        failures=failures,
    )
    return OptimizeResult(chain, result)


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
