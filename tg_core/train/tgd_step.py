"""TextGrad's step: forward, backward, one optimizer step, kept if validation does not drop."""

from __future__ import annotations

import copy
import math
import time
from typing import TYPE_CHECKING, Any

from ..errors import BudgetExceeded
from .batches import batch_indices, set_values
from .evaluation import mean
from .records import StepRecord

if TYPE_CHECKING:
    from .trainer import Trainer


async def tgd_step(trainer: Trainer, step: int) -> StepRecord:
    """Forward, backward, one optimizer step, then keep it if validation does not drop."""
    started, before = time.monotonic(), trainer.usage.copy()
    epoch, batch = batch_indices(
        step, len(trainer.trainset), trainer.config.batch_size, trainer.config.seed
    )
    for cb in trainer.callbacks:
        cb.on_step_start(step, batch)
    start_values = [str(p.value) for p in trainer.params]
    start_state = copy.deepcopy(trainer.opt.state_dict())
    trainer.opt.zero_grad()
    samples, results = await trainer.forward(step, batch)
    failed = len(results) - len(samples)

    def rec(**kw: Any) -> StepRecord:
        r = trainer.record(step, epoch, batch, before, started, failed, **kw)
        r.start_values = list(start_values)
        return r

    if not samples:
        first = next(r for r in results if isinstance(r, BaseException))
        return rec(accepted=False, reason=f"every example of the batch failed: {first!r}")
    note = await trainer.backward(step, samples)
    trainer.phase(step, "update", f"{len(trainer.params)} parameters")
    trainer.bar.update(step=step, done_in_step=len(batch), batch=len(batch), phase="update ")
    try:
        report = await trainer.opt.astep()
    except BudgetExceeded:
        trainer.undo(start_values, start_state)
        raise
    if not report.changed:
        return rec(accepted=False, reason=note + report.why_unchanged, report=report)
    if not trainer.val:
        trainer.state.best_values = [str(p.value) for p in trainer.params]
        return rec(accepted=True, reason=note + "accepted (no validation set)", report=report)
    try:
        scores = await trainer.validate(step, list(range(len(trainer.val))))
    except BudgetExceeded:
        trainer.undo(start_values, start_state)
        raise
    score = mean(list(scores.values()))
    current = trainer.state.current if trainer.state.current is not None else -math.inf
    strict = trainer.config.require_improvement
    better = score > current if strict else score >= current
    record = rec(accepted=better, reason="", report=report, val_score=score)
    record.val_n = len(scores)
    if record.accepted and not all(cb.approve(record) for cb in trainer.callbacks):
        record.accepted, record.reason = False, "vetoed by a callback"
    elif record.accepted:
        record.reason = note + f"validation {score:.3f} {'>' if strict else '>='} {current:.3f}"
    elif score == current:
        record.reason = note + f"validation did not improve ({score:.3f})"
    else:
        record.reason = note + f"validation fell from {current:.3f} to {score:.3f}"
    if record.accepted:
        trainer.accept(score, scores)
        for cb in trainer.callbacks:
            cb.on_proposal_accepted(record)
    else:
        trainer.state.since_best += 1
        for update in report.changed:
            trainer.opt.record_failed_proposal(
                trainer.params[update.index], update.new, record.reason
            )
        set_values(trainer.params, start_values)
        record.values = [str(p.value) for p in trainer.params]
        for cb in trainer.callbacks:
            cb.on_proposal_rejected(record)
    return record
