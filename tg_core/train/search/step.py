"""A searching step: several candidates, screened on the minibatch, the best validated.

One step of :class:`~tg_core.train.trainer.Trainer` when ``num_candidates > 1``, a pool or
other operators are configured:

1. start from a parent: the current values, or (with a pool) a candidate drawn from the
   Pareto front of the validated candidates;
2. forward and backward on the minibatch, as TextGrad does;
3. propose ``num_candidates`` candidates concurrently, each with an operator in turn
   (``operators``: by default ``delete``, ``edit``, ``example``, ``rewrite``) and its own
   view of the feedback (a ``delete`` turn makes up to ``deletions`` candidates, each
   without a different sentence); the overfit guard, constraints and bindings refuse bad
   ones;
4. screen every candidate on the minibatch (the parent's score comes from the cache) and
   send the best to validation if it is not worse than its parent there;
5. validate on a sample first, then on the rest if it holds up there; keep it if it is
   not worse than the current value (or, with a pool, if no candidate dominates it).
"""

from __future__ import annotations

import asyncio
import copy
import random
import time
from typing import TYPE_CHECKING, Any

from ...errors import BudgetExceeded
from ...optimizer import TextualGradientDescent
from ...optimizer_base import ParamUpdate
from ..batches import batch_indices, set_values
from ..evaluation import mean, score_examples
from ..events import CandidateJudged
from ..records import CandidateRecord, StepRecord
from .deletion import deletion_choices, without_sentence
from .examples import right_samples, with_worked_example
from .pool import CandidatePool
from .turns import describe_turns

if TYPE_CHECKING:
    from ..trainer import Trainer


def _fmt(score: float | None) -> str:
    return "-" if score is None else f"{score:.3f}"


def _composed(
    cand: CandidateRecord, opt: TextualGradientDescent, target: int, value: str
) -> CandidateRecord:
    """``cand`` with ``value`` (composed by the loop, not the model) for parameter ``target``,
    unless a constraint or binding refuses it."""
    problem = opt.check_value(target, value, guarded=False)
    if problem:
        cand.reason = problem
        cand.refused = [value if i == target else "" for i in range(len(cand.values))]
        return cand
    cand.values[target], cand.status = value, "proposed"
    return cand


async def _propose(trainer: Trainer, opt: TextualGradientDescent, j: int) -> list[CandidateRecord]:
    """Candidate ``j`` (its operator in turn, variant ``j`` of the feedback), then, for a
    ``delete`` turn, its other deletions."""
    if _operator(trainer, j) == "delete":
        return _deletions(trainer, opt, j)
    return [await _propose_one(trainer, opt, j)]


def _operator(trainer: Trainer, j: int) -> str:
    ops = trainer.config.operators
    return ops[j % len(ops)]


def _with_feedback(trainer: Trainer) -> list[int]:
    """The parameters that received feedback this step."""
    return [i for i, p in enumerate(trainer.params) if p.requires_grad and p.gradients]


def _composed_target(trainer: Trainer) -> int:
    """The parameter a composed candidate (example, deletion) changes: the last that received
    feedback, or the last of all."""
    return (_with_feedback(trainer) or list(range(len(trainer.params))))[-1]


async def _propose_one(trainer: Trainer, opt: TextualGradientDescent, j: int) -> CandidateRecord:
    """Candidate ``j`` of a model-written or ``example`` operator."""
    operator = _operator(trainer, j)
    start = [str(p.value) for p in trainer.params]
    with_feedback = _with_feedback(trainer)
    cand = CandidateRecord(j, operator, list(start), "refused")
    if operator == "example":
        target = _composed_target(trainer)
        good = right_samples(trainer.right_bank, trainer.config.perfect_score)
        if not good:
            cand.reason = "no training example has been answered right yet"
            return cand
        offset = (j // len(trainer.config.operators) + trainer.state.next_step) % len(good)
        value = None
        for sample in good[offset:] + good[:offset]:
            value = with_worked_example(start[target], sample, trainer.config.max_examples)
            if value is not None:
                break
        if value is None:
            cand.reason = "every right answer seen is too long to show, or already shown"
            return cand
        return _composed(cand, opt, target, value)
    if not with_feedback:
        cand.reason = "no parameter received feedback"
        return cand
    updates: list[ParamUpdate | BaseException] = await asyncio.gather(
        *(opt.apropose(i, operator=operator, variant=j) for i in with_feedback),
        return_exceptions=True,
    )
    reasons = []
    for i, u in zip(with_feedback, updates):
        if isinstance(u, BudgetExceeded):
            raise u
        if isinstance(u, BaseException):
            reasons.append(f"{trainer.params[i].get_role_description()}: {u}")
            continue
        cand.feedback = (cand.feedback + "\n\n" + u.feedback).strip()
        if u.status == "updated":
            cand.values[i] = u.new
        elif u.reason:
            reasons.append(f"{u.role}: {u.reason}")
        if u.refused:
            cand.refused = cand.refused or [""] * len(start)
            cand.refused[i] = u.refused
    if cand.values != start:
        cand.status = "proposed"
    else:
        cand.reason = "; ".join(reasons) or "the proposal repeated the current value word for word"
    return cand


def _deletions(trainer: Trainer, opt: TextualGradientDescent, j: int) -> list[CandidateRecord]:
    """The candidates of ``delete`` turn ``j``: ``config.deletions`` of them at most, each
    without a different sentence of the value that received feedback (no model call). The
    first is candidate ``j``; the caller numbers the others and drops repeated values."""
    cfg = trainer.config
    turns = [i for i in range(cfg.num_candidates) if _operator(trainer, i) == "delete"]
    start = [str(p.value) for p in trainer.params]
    target = _composed_target(trainer)
    choices = deletion_choices(
        cfg.seed, trainer.state.next_step, turns.index(j), len(turns), cfg.deletions
    )
    made: list[CandidateRecord] = []
    for choice in choices:
        value = without_sentence(start[target], choice)
        if value is None:
            break  # one sentence: no choice deletes anything
        made.append(
            _composed(CandidateRecord(j, "delete", list(start), "refused"), opt, target, value)
        )
    if not made:
        cand = CandidateRecord(j, "delete", list(start), "refused")
        cand.reason = "the value has one sentence: nothing to delete"
        return [cand]
    return made


async def _screen(trainer: Trainer, values: list[str], batch: list[int]) -> list[float]:
    start = [str(p.value) for p in trainer.params]
    set_values(trainer.params, values)
    try:
        scores, _ = await score_examples(trainer.score_fn, [trainer.trainset[i] for i in batch])
    finally:
        set_values(trainer.params, start)
    return scores


def _parent(trainer: Trainer, rng: random.Random) -> tuple[int | None, list[str], dict[int, float]]:
    """(pool id, values, per-example validation scores) of the values the step starts from."""
    state = trainer.state
    if trainer.config.pool and state.pool is not None and len(state.pool):
        chosen = state.pool.pick_parent(rng)
        return chosen.id, list(chosen.values), dict(chosen.scores)
    return None, list(state.best_values), dict(state.current_scores)


async def search_step(trainer: Trainer, step: int) -> StepRecord:
    """Run one searching step of ``trainer`` and return its record."""
    cfg, state = trainer.config, trainer.state
    opt = trainer.opt
    assert isinstance(opt, TextualGradientDescent)
    started, before = time.monotonic(), trainer.usage.copy()
    epoch, batch = batch_indices(step, len(trainer.trainset), cfg.batch_size, cfg.seed)
    rng = random.Random(f"{cfg.seed}-search-{step}")
    if cfg.pool and state.pool is None and trainer.val:
        state.pool = CandidatePool()
        state.pool.add(list(state.best_values), scores=dict(state.current_scores))
    for cb in trainer.callbacks:
        cb.on_step_start(step, batch)
    parent_id, parent_values, parent_scores = _parent(trainer, rng)
    start_state = copy.deepcopy(opt.state_dict())
    set_values(trainer.params, parent_values)
    opt.zero_grad()
    samples, results = await trainer.forward(step, batch)
    failed = len(results) - len(samples)

    def rec(**kw: Any) -> StepRecord:
        r = trainer.record(step, epoch, batch, before, started, failed, **kw)
        r.parent, r.start_values = parent_id, list(parent_values)
        return r

    try:
        if not samples:
            first = next(r for r in results if isinstance(r, BaseException))
            return rec(accepted=False, reason=f"every example of the batch failed: {first!r}")
        note = await trainer.backward(step, samples)
        k = cfg.num_candidates
        trainer.phase(step, "propose", describe_turns(k, cfg.operators, cfg.deletions))
        made = await asyncio.gather(*(_propose(trainer, opt, j) for j in range(k)))
        cands = [m[0] for m in made]
        for extra in (c for m in made for c in m[1:]):  # a delete turn's other deletions
            if all(extra.values != c.values for c in cands):
                extra.index = len(cands)
                cands.append(extra)
        seen = {tuple(parent_values)}
        for c in cands:
            if c.status == "proposed" and tuple(c.values) in seen:
                c.status, c.reason = "refused", "the same as its parent or another candidate"
            seen.add(tuple(c.values))
        live = [c for c in cands if c.status == "proposed"]
        train_score: float | None = None
        if live:
            trainer.phase(step, "screen", f"{len(live)} candidates on {len(batch)} examples")
            train_score = mean(await _screen(trainer, parent_values, batch))
            for c in live:
                scores = await _screen(trainer, c.values, batch)
                c.screen_score, c.screen_n = mean(scores), len(scores)
        record = await _choose(trainer, step, cands, live, train_score, parent_id, parent_scores)
        record_fields = rec(accepted=record[0], reason=note + record[1], val_score=record[2])
        record_fields.train_score, record_fields.candidates = train_score, cands
        record_fields.val_n = record[3]
        for c in cands:
            trainer.emit(CandidateJudged(step, time.monotonic() - trainer.started, c))
        for c in cands:
            if c.status == "undone":
                for i, (old, new) in enumerate(zip(parent_values, c.values)):
                    if old != new:
                        opt.record_failed_proposal(trainer.params[i], new, c.reason)
        cbs = trainer.callbacks
        if record_fields.accepted and not all(cb.approve(record_fields) for cb in cbs):
            record_fields.accepted, record_fields.reason = False, "vetoed by a callback"
            _veto(trainer, cands)
        for cb in cbs:
            (cb.on_proposal_accepted if record_fields.accepted else cb.on_proposal_rejected)(
                record_fields
            )
        return record_fields
    except BudgetExceeded:
        opt.load_state_dict(start_state)
        raise
    finally:
        set_values(trainer.params, state.best_values)


def _veto(trainer: Trainer, cands: list[CandidateRecord]) -> None:
    """Take back a kept candidate that a callback vetoed."""
    state = trainer.state
    for c in cands:
        if c.status == "kept":
            c.status, c.reason = "undone", "vetoed by a callback"
            if state.pool is not None and c.pool_id is not None:
                state.pool.candidates.pop(c.pool_id)
                state.best_values = list(state.pool.best().values)
    trainer.state.best_values = list(state.best_values)


async def _choose(
    trainer: Trainer,
    step: int,
    cands: list[CandidateRecord],
    live: list[CandidateRecord],
    train_score: float | None,
    parent_id: int | None,
    parent_scores: dict[int, float],
) -> tuple[bool, str, float | None, int]:
    """Pick the best screened candidate and gate it: (accepted, reason, val score, val n)."""
    if not live:
        reasons = "; ".join(sorted({c.reason for c in cands if c.reason}))
        return False, f"no usable candidate ({reasons})", None, 0
    best = max(live, key=lambda c: (c.screen_score or 0.0, -c.index))
    tied = [c for c in live if (c.screen_score or 0.0) == (best.screen_score or 0.0)]
    for c in live:
        if c not in tied:
            c.status = "screened out"
            c.reason = (
                f"minibatch {_fmt(c.screen_score)} < candidate {best.index}'s "
                f"{_fmt(best.screen_score)}"
            )
    if train_score is not None and (best.screen_score or 0.0) < train_score:
        for c in tied:
            c.status = "screened out"
            c.reason = f"minibatch {_fmt(c.screen_score)} < parent {_fmt(train_score)}"
        return False, f"no candidate matched its parent on the minibatch ({best.reason})", None, 0
    cfg, state = trainer.config, trainer.state
    if not trainer.val:
        _tie_out(tied, best, "the earlier one is kept")
        set_values(trainer.params, best.values)
        state.best_values = list(best.values)
        best.status, best.reason = "kept", "no validation set"
        return True, f"candidate {best.index} ({best.operator}) kept (no validation set)", None, 0
    n = len(trainer.val)
    order = list(range(n))
    random.Random(f"{cfg.seed}-val-{step}").shuffle(order)
    first = order[: cfg.val_sample] if cfg.val_sample and cfg.val_sample < n else order
    if len(first) < n and len(tied) > 1:  # the minibatch could not tell them apart: race
        best, scores = await _race(trainer, step, tied, sorted(first))
    else:
        _tie_out(tied, best, "the earlier one goes on")
        set_values(trainer.params, best.values)
        scores = await trainer.validate(step, sorted(first))
    set_values(trainer.params, best.values)
    if len(first) < n:
        mine, theirs = mean(list(scores.values())), mean([parent_scores.get(i, 0.0) for i in first])
        if mine < theirs:
            best.status, best.val_score, best.val_n = "undone", mine, len(first)
            best.reason = f"validation sample {mine:.3f} < parent {theirs:.3f} (n={len(first)})"
            return False, f"candidate {best.index} undone: {best.reason}", mine, len(first)
        scores.update(await trainer.validate(step, sorted(order[len(first) :])))
    score = mean(list(scores.values()))
    best.val_score, best.val_n = score, len(scores)
    if cfg.pool and state.pool is not None:
        return _gate_pool(trainer, step, best, scores, parent_id, parent_scores)
    current = state.current if state.current is not None else float("-inf")
    strict = cfg.require_improvement
    if score > current or (not strict and score >= current):
        trainer.accept(score, scores)
        best.status = "kept"
        best.reason = f"validation {score:.3f} {'>' if strict else '>='} {current:.3f}"
        return True, f"candidate {best.index} ({best.operator}) kept: {best.reason}", score, n
    state.since_best += 1
    best.status = "undone"
    best.reason = (
        f"validation {score:.3f} < current {current:.3f}"
        if score < current
        else (f"validation did not improve ({score:.3f})")
    )
    return False, f"candidate {best.index} undone: {best.reason}", score, n


def _tie_out(tied: list[CandidateRecord], best: CandidateRecord, why: str) -> None:
    """Mark the candidates that tied ``best`` on the minibatch and were not chosen."""
    for c in tied:
        if c is not best:
            c.status = "screened out"
            c.reason = (
                f"minibatch {_fmt(c.screen_score)} tied with candidate {best.index}'s "
                f"{_fmt(best.screen_score)} ({why})"
            )


async def _race(
    trainer: Trainer, step: int, tied: list[CandidateRecord], sample: list[int]
) -> tuple[CandidateRecord, dict[int, float]]:
    """Validate every candidate that tied on the minibatch on the validation sample; the
    best there (the earliest of equals) goes on with its sample scores."""
    results: list[tuple[CandidateRecord, dict[int, float]]] = []
    for c in tied:
        set_values(trainer.params, c.values)
        results.append((c, await trainer.validate(step, sample)))
    best, scores = max(results, key=lambda r: (mean(list(r[1].values())), -r[0].index))
    top = mean(list(scores.values()))
    for c, theirs in results:
        if c is not best:
            c.status, c.val_n = "screened out", len(theirs)
            c.val_score = mean(list(theirs.values()))
            relation = "tied with" if c.val_score == top else "<"
            c.reason = (
                f"tied on the minibatch; validation sample {c.val_score:.3f} {relation} "
                f"candidate {best.index}'s {top:.3f} (n={len(sample)})"
            )
    return best, scores


def _gate_pool(
    trainer: Trainer,
    step: int,
    best: CandidateRecord,
    scores: dict[int, float],
    parent_id: int | None,
    parent_scores: dict[int, float],
) -> tuple[bool, str, float | None, int]:
    """Keep ``best`` in the pool unless a pool member dominates it; values become the
    pool's best."""
    state = trainer.state
    pool = state.pool
    assert pool is not None
    score = mean(list(scores.values()))
    strict = trainer.config.require_improvement
    parent_mean = mean(list(parent_scores.values())) if parent_scores else float("-inf")
    if pool.dominated(scores) or (strict and score <= parent_mean):
        state.since_best += 1
        best.status = "undone"
        best.reason = (
            f"validation {score:.3f}: a candidate in the pool is as good on every example"
            if pool.dominated(scores)
            else f"validation {score:.3f} did not beat its parent ({parent_mean:.3f})"
        )
        return False, f"candidate {best.index} undone: {best.reason}", score, len(scores)
    added = pool.add(
        best.values, scores=scores, parent=parent_id, step=step, operator=best.operator
    )
    best.status, best.pool_id = "kept", added.id
    top = pool.best()
    set_values(trainer.params, top.values)
    trainer.accept(top.mean, top.scores)
    best.reason = f"validation {score:.3f} (parent {parent_mean:.3f}); pool of {len(pool)}"
    return (
        True,
        f"candidate {best.index} ({best.operator}) joined the pool: {best.reason}",
        score,
        len(scores),
    )
