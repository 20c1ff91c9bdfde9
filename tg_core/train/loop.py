"""The fit loop: minibatches, concurrent forward and backward, validation-gated TGD steps."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import math
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._async import run_sync
from ..autograd.reduce_ops import sum as sum_variables
from ..engine.limits import concurrency
from ..engine.registry import resolve_engine
from ..engine.usage import Budget, Usage, track_usage
from ..errors import BudgetExceeded, TgCoreError, UserError
from ..graph import no_grad
from ..optimizer import TextualGradientDescent
from ..optimizer_base import Optimizer, StepReport
from ..variable import Variable
from ..visualize import GraphView
from .callbacks import FitCallback
from .checkpoint import load_checkpoint, save_checkpoint
from .estimate import estimate_run
from .progress import Progress
from .records import FitResult, Proposal, StepRecord

LossFn = Callable[[Any], Awaitable[Variable]]
ScoreFn = Callable[[Any], Awaitable[float]]


def batch_indices(step: int, n: int, batch_size: int, seed: int) -> tuple[int, list[int]]:
    """(epoch, example indices) of ``step``: each epoch is a seeded shuffle cut into batches.

    Example:
        >>> batch_indices(0, 5, 2, seed=0)[1] == batch_indices(0, 5, 2, seed=0)[1]
        True
    """
    per_epoch = math.ceil(n / batch_size)
    epoch, position = divmod(step, per_epoch)
    order = list(range(n))
    random.Random(f"{seed}-{epoch}").shuffle(order)
    return epoch, order[position * batch_size : (position + 1) * batch_size]


def _valid_score(value: Any) -> float:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)) and math.isfinite(value):
        return float(value)
    raise TgCoreError(f"score must be a finite number, got {value!r}")


@dataclass
class _Run:
    """State of one fit call, shared by its steps."""

    params: list[Variable]
    opt: Optimizer
    best_values: list[str]
    history: list[StepRecord] = field(default_factory=list)
    initial: float | None = None
    current: float | None = None
    best: float | None = None
    next_step: int = 0
    since_best: int = 0
    stopped: str = "completed"
    graph: dict[str, Any] | None = None
    prior_usage: Usage = field(default_factory=Usage)
    require_improvement: bool = False


async def _evaluate(score_fn: ScoreFn, dataset: Sequence[Any]) -> tuple[float, int]:
    """Mean score over ``dataset`` without recording graphs; (mean, failed examples)."""
    with no_grad():
        results = await asyncio.gather(*(score_fn(ex) for ex in dataset), return_exceptions=True)
    scores, failed = [], 0
    for r in results:
        if isinstance(r, BudgetExceeded):
            raise r
        try:
            if isinstance(r, BaseException):
                raise r
            scores.append(_valid_score(r))
        except Exception:
            failed += 1
            scores.append(0.0)
    return (sum(scores) / len(scores) if scores else 0.0), failed


async def afit(
    parameters: Sequence[Variable],
    loss_fn: LossFn,
    score_fn: ScoreFn,
    trainset: Sequence[Any],
    valset: Sequence[Any] | None = None,
    *,
    engine: Any = None,
    optimizer: Optimizer | None = None,
    steps: int | None = None,
    epochs: int = 1,
    batch_size: int = 4,
    seed: int = 0,
    budget: Budget | None = None,
    max_concurrency: int | None = None,
    run_dir: str | Path | None = None,
    patience: int | None = None,
    progress: bool | None = None,
    callbacks: Sequence[FitCallback] = (),
    validate: bool = True,
    report: bool = True,
    require_improvement: bool = False,
) -> FitResult:
    """Optimize ``parameters`` on ``trainset``; keep a step only if validation does not drop.

    Each step: the batch's ``loss_fn`` calls run concurrently, one backward pass over their
    sum, one optimizer step, then (with ``valset``) a validation pass with ``score_fn``. A
    step whose score falls below the current one is undone and shown to the optimizer as a
    failed proposal next time. After every step the full state is checkpointed in
    ``run_dir``; calling again with the same ``run_dir`` resumes after the last finished step.

    Args:
        parameters: the Variables to optimize (bound ones write through their bindings).
        loss_fn: ``async (example) -> Variable``: forward and loss for one example.
        score_fn: ``async (example) -> float`` in [0, 1], run without recording graphs.
        trainset: training examples (any objects ``loss_fn`` accepts).
        valset: validation examples; without them every proposal is kept.
        engine: backward and optimizer engine (default: the backward engine in force).
        optimizer: defaults to :class:`~tg_core.optimizer.TextualGradientDescent`.
        steps: number of steps (default: ``epochs`` passes over ``trainset``).
        epochs: passes over the training set when ``steps`` is not given.
        batch_size: examples per step.
        seed: seeds the batch order.
        budget: calls/tokens/dollars for the whole run, resumed parts included.
        max_concurrency: model calls in flight at once within the run.
        run_dir: folder for ``checkpoint.json`` and the report.
        patience: stop after this many steps without a new best score.
        progress: show a status line (default: when stderr is a terminal).
        callbacks: :class:`~tg_core.train.callbacks.FitCallback` hooks.
        validate: set False to keep every proposal.
        report: write ``report.md`` and ``report.html`` to ``run_dir`` at the end.
        require_improvement: keep a step only if validation rises (by default a tie is
            kept, as in TextGrad); with a small validation set this stops the optimizer from
            drifting among prompts that score the same.

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
        ...     return 1.0
        >>> result = asyncio.run(afit([prompt], loss, score, ["a", "b"], ["c"], engine=engine, steps=1))
        >>> result.history[0].accepted, prompt.value
        (True, 'improved variable')
    """
    params = list(parameters)
    if not params:
        raise UserError("fit needs at least one parameter Variable")
    if not trainset:
        raise UserError("fit needs a non-empty trainset")
    if batch_size < 1 or epochs < 1 or (steps is not None and steps < 0):
        raise UserError("batch_size and epochs must be >= 1 and steps >= 0")
    backward_engine = resolve_engine(engine, "training")
    opt = optimizer or TextualGradientDescent(params, engine=backward_engine)
    per_epoch = math.ceil(len(trainset) / batch_size)
    total = steps if steps is not None else epochs * per_epoch
    val = list(valset or []) if validate else []
    path = Path(run_dir) if run_dir is not None else None
    fingerprint = {
        "roles": [p.get_role_description() for p in params],
        "n_train": len(trainset),
        "n_val": len(val),
        "batch_size": batch_size,
        "seed": seed,
        "total_steps": total,
    }
    run = _Run(params=params, opt=opt, best_values=[str(p.value) for p in params])
    run.require_improvement = require_improvement
    saved = load_checkpoint(path) if path is not None else None
    if saved is not None:
        _restore(run, saved, fingerprint, path)
    estimate = estimate_run(
        n_val=len(val), batch_size=min(batch_size, len(trainset)), steps=total, n_params=len(params)
    )
    bar = Progress(total, enabled=progress)

    def state(scope_usage: Usage) -> dict[str, Any]:
        return {
            "fingerprint": fingerprint,
            "next_step": run.next_step,
            "values": [str(p.value) for p in params],
            "optimizer": opt.state_dict(),
            "history": [r.to_dict() for r in run.history],
            "initial_score": run.initial,
            "current_score": run.current,
            "best_score": run.best,
            "best_values": run.best_values,
            "since_best": run.since_best,
            "usage": scope_usage.to_dict(),
            "stopped_reason": run.stopped,
            "estimate": estimate.to_dict(),
            "graph": run.graph,
            "random_state": {"batch_seed": seed, "scheme": "Random(f'{seed}-{epoch}').shuffle"},
        }

    limit = concurrency(max_concurrency) if max_concurrency else contextlib.nullcontext()
    with track_usage("run", budget) as scope, limit:
        scope.usage.merge(run.prior_usage)
        bar.usage = scope.usage
        try:
            for cb in callbacks:
                cb.on_run_start(state(scope.usage))
            if val and run.initial is None:
                run.initial, _ = await _evaluate(score_fn, val)
                run.current = run.best = run.initial
                bar.score = bar.best = run.initial
            while run.next_step < total:
                if patience is not None and run.since_best >= patience:
                    run.stopped = f"early stopping: no better score for {patience} steps"
                    break
                record = await _step(
                    run,
                    loss_fn,
                    score_fn,
                    trainset,
                    val,
                    backward_engine,
                    batch_size,
                    seed,
                    callbacks,
                    bar,
                    scope.usage,
                )
                run.history.append(record)
                run.next_step += 1
                if path is not None:
                    save_checkpoint(path, state(scope.usage))
                for cb in callbacks:
                    cb.on_step_end(record)
        except BudgetExceeded as exc:
            run.stopped = f"budget: {exc}"
        finally:
            bar.close()
            for p, v in zip(params, run.best_values):
                if str(p.value) != v:
                    p.set_value(v)
        usage = scope.usage.copy()
        if path is not None:
            save_checkpoint(path, state(scope.usage))
    result = FitResult(
        run.initial,
        run.best,
        list(run.best_values),
        run.history,
        usage,
        run.stopped,
        estimate.to_dict(),
        path,
    )
    if path is not None and report:
        from ..report import write_report

        write_report(path)
    for cb in callbacks:
        cb.on_run_end(result)
    return result


def _restore(
    run: _Run, saved: dict[str, Any], fingerprint: dict[str, Any], path: Path | None
) -> None:
    if saved.get("fingerprint") != fingerprint:
        raise UserError(
            f"{path} holds a checkpoint of a different run ({saved.get('fingerprint')}); "
            "use a new run_dir or the same settings"
        )
    for p, v in zip(run.params, saved["values"]):
        if str(p.value) != v:
            p.set_value(v)
    run.opt.load_state_dict(saved["optimizer"])
    run.history = [StepRecord.from_dict(r) for r in saved["history"]]
    run.initial = saved["initial_score"]
    run.current = saved["current_score"]
    run.best = saved["best_score"]
    run.best_values = list(saved["best_values"])
    run.since_best = saved.get("since_best", 0)
    run.next_step = saved["next_step"]
    run.graph = saved.get("graph")
    run.prior_usage = Usage.from_dict(saved.get("usage", {}))
    if str(saved.get("stopped_reason", "")).startswith("budget"):
        run.stopped = "completed"


async def _step(
    run: _Run,
    loss_fn: LossFn,
    score_fn: ScoreFn,
    trainset: Sequence[Any],
    val: list[Any],
    engine: Any,
    batch_size: int,
    seed: int,
    callbacks: Sequence[FitCallback],
    bar: Progress,
    usage: Usage,
) -> StepRecord:
    started = time.monotonic()
    before = usage.copy()
    step = run.next_step
    epoch, batch = batch_indices(step, len(trainset), batch_size, seed)
    for cb in callbacks:
        cb.on_step_start(step, batch)
    start_values = [str(p.value) for p in run.params]
    start_state = copy.deepcopy(run.opt.state_dict())
    run.opt.zero_grad()
    done = 0
    bar.update(step=step, done_in_step=0, batch=len(batch), phase="forward ")

    async def one(i: int) -> Variable:
        nonlocal done
        try:
            return await loss_fn(trainset[i])
        finally:
            done += 1
            bar.update(step=step, done_in_step=done, batch=len(batch), phase="forward ")

    results = await asyncio.gather(*(one(i) for i in batch), return_exceptions=True)
    for r in results:
        if isinstance(r, BudgetExceeded):
            raise r
    losses = [r for r in results if isinstance(r, Variable)]
    failed = len(results) - len(losses)

    def record(
        accepted: bool, reason: str, report: StepReport | None, val_score: float | None
    ) -> StepRecord:
        spent = usage.since(before)
        proposals = [
            Proposal(u.index, u.role, u.old, u.new, u.status, u.reason, u.feedback)
            for u in (report.updates if report else [])
        ]
        return StepRecord(
            step,
            epoch,
            batch,
            None,
            val_score,
            accepted,
            reason,
            [str(p.value) for p in run.params],
            proposals,
            spent.to_dict(),
            failed,
            time.monotonic() - started,
        )

    if not losses:
        first = next(r for r in results if isinstance(r, BaseException))
        return record(False, f"every example of the batch failed: {first!r}", None, None)
    total_loss = losses[0] if len(losses) == 1 else sum_variables(losses)
    bar.update(step=step, done_in_step=done, batch=len(batch), phase="backward ")
    note = ""
    try:
        await total_loss.abackward(engine)
    except BudgetExceeded:
        raise
    except TgCoreError as exc:  # partial gradients are kept and used
        note = f"some backward calls failed: {exc}; "
    if run.graph is None:
        view = GraphView.of(total_loss)
        run.graph = {
            "nodes": [list(n) for n in view.nodes[:60]],
            "edges": [list(e) for e in view.edges],
        }
    bar.update(step=step, done_in_step=done, batch=len(batch), phase="update ")
    try:
        report = await run.opt.astep()
    except BudgetExceeded:
        _undo(run, start_values, start_state)
        raise
    if not report.changed:
        problems = "; ".join(f"{u.role}: {u.reason}" for u in report.problems)
        why = f"no usable proposal ({problems})" if problems else "no change proposed"
        return record(False, note + why, report, None)
    if not val:
        run.best_values = [str(p.value) for p in run.params]
        return record(True, note + "accepted (no validation set)", report, None)
    bar.update(step=step, done_in_step=done, batch=len(batch), phase="validate ")
    try:
        score, _ = await _evaluate(score_fn, val)
    except BudgetExceeded:
        _undo(run, start_values, start_state)
        raise
    current = run.current if run.current is not None else -math.inf
    better = score > current if run.require_improvement else score >= current
    rec = record(better, "", report, score)
    if rec.accepted and not all(cb.approve(rec) for cb in callbacks):
        rec.accepted, rec.reason = False, "vetoed by a callback"
    elif rec.accepted:
        sign = ">" if run.require_improvement else ">="
        rec.reason = note + f"validation {score:.3f} {sign} {current:.3f}"
    elif score == current:
        rec.reason = note + f"validation did not improve ({score:.3f})"
    else:
        rec.reason = note + f"validation fell from {current:.3f} to {score:.3f}"
    if rec.accepted:
        run.current = score
        if run.best is None or score > run.best:
            run.best, run.since_best = score, 0
        else:
            run.since_best += 1
        run.best_values = [str(p.value) for p in run.params]
        bar.score, bar.best = score, run.best
        for cb in callbacks:
            cb.on_proposal_accepted(rec)
    else:
        run.since_best += 1
        remember_failure = getattr(run.opt, "record_failed_proposal", None)
        for update in report.changed:
            if remember_failure is not None:
                remember_failure(run.params[update.index], update.new, rec.reason)
        _reset(run.params, start_values)
        rec.values = [str(p.value) for p in run.params]
        for cb in callbacks:
            cb.on_proposal_rejected(rec)
    return rec


def _undo(run: _Run, values: list[str], optimizer_state: dict[str, Any]) -> None:
    """Leave no trace of an unfinished step: parameter values and optimizer state as before."""
    _reset(run.params, values)
    run.opt.load_state_dict(optimizer_state)


def _reset(params: list[Variable], values: list[str]) -> None:
    for p, v in zip(params, values):
        if str(p.value) != v:
            p.set_value(v)


def fit(*args: Any, **kwargs: Any) -> FitResult:
    """Sync :func:`afit` (also works inside a running event loop)."""
    return run_sync(afit(*args, **kwargs))
