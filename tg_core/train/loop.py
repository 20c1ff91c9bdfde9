"""``fit``/``afit``: the training entry points, building a FitConfig and running a Trainer."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .._async import run_sync
from ..optimizer_base import Optimizer
from ..variable import Variable
from .batches import batch_indices
from .callbacks import FitCallback
from .config import FitConfig
from .evaluation import ScoreFn
from .records import FitResult
from .trainer import LossFn, Trainer

__all__ = ["afit", "batch_indices", "fit"]


async def afit(
    parameters: Sequence[Variable],
    loss_fn: LossFn,
    score_fn: ScoreFn,
    trainset: Sequence[Any],
    valset: Sequence[Any] | None = None,
    *,
    config: FitConfig | None = None,
    engine: Any = None,
    optimizer: Optimizer | None = None,
    callbacks: Sequence[FitCallback] = (),
    **options: Any,
) -> FitResult:
    """Optimize ``parameters`` on ``trainset``, keeping only what validation does not refute.

    Each step: the batch's ``loss_fn`` calls run concurrently, one backward pass over their
    sum, then by default a search over several candidates (``num_candidates``,
    ``operators``, ``pool``: see :class:`~tg_core.train.FitConfig`), or with
    ``search=False`` one optimizer step (TextGrad's loop), then (with ``valset``) a
    validation pass with ``score_fn``. A step whose score falls below the current one is
    undone and shown to the optimizer as a failed proposal next time. After every step the full state is checkpointed in ``run_dir``; calling again with
    the same ``run_dir`` resumes after the last finished step.

    Args:
        parameters: the Variables to optimize (bound ones write through their bindings).
        loss_fn: ``async (example) -> Variable`` (or a :class:`~tg_core.train.Sample`):
            forward and loss for one example.
        score_fn: ``async (example) -> float`` in [0, 1], run without recording graphs.
        trainset: training examples (any objects ``loss_fn`` accepts).
        valset: validation examples; without them every proposal is kept.
        config: the run's options; keywords in ``options`` (``steps=``, ``batch_size=``,
            ``num_candidates=`` ...) override its fields.
        engine: backward and optimizer engine (default: the backward engine in force).
        optimizer: defaults to :class:`~tg_core.optimizer.TextualGradientDescent`.
        callbacks: :class:`~tg_core.train.callbacks.FitCallback` hooks.
        **options: any :class:`~tg_core.train.FitConfig` field, or ``search=False``.

    Raises:
        UserError: an unknown option or a bad value (named in the message).

    Example:
        >>> import asyncio, tg_core as tg
        >>> from tg_core.engine.fake import FakeEngine
        >>> prompt = tg.Variable("Answer.", role_description="system prompt")
        >>> engine = FakeEngine()
        >>> model = tg.BlackboxLLM(engine, system_prompt=prompt)
        >>> async def loss(q):
        ...     out = await model.aforward(tg.Variable(q, role_description="question", requires_grad=False))
        ...     return await tg.TextLoss("Judge.", engine=engine).aforward(out)
        >>> async def score(q):
        ...     return float("improved" in prompt.value)
        >>> result = asyncio.run(afit([prompt], loss, score, ["a", "b"], ["c"], engine=engine, steps=1))
        >>> [(c.operator, c.status) for c in result.history[0].candidates]  # doctest: +NORMALIZE_WHITESPACE
        [('delete', 'refused'), ('edit', 'kept'), ('example', 'refused'),
         ('rewrite', 'screened out')]
        >>> prompt.value  # the edit operator added one rule
        'Answer.\\nimproved variable'
        >>> prompt.set_value("Answer.")
        >>> result = asyncio.run(afit([prompt], loss, score, ["a", "b"], ["c"], engine=engine,
        ...                           steps=1, search=False))  # TextGrad's loop: one rewrite
        >>> result.history[0].accepted, prompt.value
        (True, 'improved variable')
    """
    cfg = (config or FitConfig()).updated(**options) if options else (config or FitConfig())
    trainer = Trainer(
        parameters,
        loss_fn,
        score_fn,
        trainset,
        valset,
        config=cfg,
        engine=engine,
        optimizer=optimizer,
        callbacks=callbacks,
    )
    return await trainer.afit()


def fit(*args: Any, **kwargs: Any) -> FitResult:
    """Sync :func:`afit` (also works inside a running event loop).

    Example:
        >>> fit([], None, None, [])  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        tg_core.errors.UserError: fit needs at least one parameter Variable
    """
    return run_sync(afit(*args, **kwargs))
