"""``Trainer``: the fit loop as a class: forward, backward, update, gate, checkpoint."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import math
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from ..autograd.reduce_ops import sum as sum_variables
from ..autograd.relay import relay_feedback
from ..engine.limits import concurrency
from ..engine.registry import resolve_engine
from ..engine.usage import Usage, track_usage
from ..errors import BudgetExceeded, TgCoreError, UserError
from ..optimizer import TextualGradientDescent
from ..optimizer_base import Optimizer, StepReport
from ..variable import Variable
from ..visualize import GraphView
from .batches import set_values
from .callbacks import FitCallback
from .checkpoint import load_checkpoint, save_checkpoint
from .config import FitConfig
from .estimate import estimate_run, tokens_per_call
from .evaluation import ScoreFn, example_texts, mean, score_examples
from .events import FitEvent, PhaseStarted, RunEnded, RunFailed, RunStarted, StepEnded
from .progress import Progress
from .records import FitResult, StepRecord
from .samples import Sample
from .search.guard import OverfitGuard
from .state import RunState

LossFn = Callable[[Any], Awaitable[Variable | Sample]]


class Trainer:
    """Optimizes parameters on a training set, one validation-gated step at a time.

    By default each step searches (see :mod:`tg_core.train.search.step`); with TextGrad's
    loop (``FitConfig.textgrad_loop()``: one candidate, no pool, rewrites only) each step is
    TextGrad's: one proposal, kept if validation does not drop. The whole state is checkpointed after every step in
    ``config.run_dir``; a new Trainer on the same folder resumes after the last finished step.

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
        >>> trainer = Trainer([prompt], loss, score, ["a"], ["b"], engine=engine,
        ...                   config=FitConfig.textgrad_loop(steps=1, progress=False))
        >>> asyncio.run(trainer.afit()).history[0].accepted
        True
    """

    def __init__(
        self,
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
    ) -> None:
        self.config = config or FitConfig()
        self.params = list(parameters)
        if not self.params:
            raise UserError("fit needs at least one parameter Variable")
        if not trainset:
            raise UserError("fit needs a non-empty trainset")
        self.loss_fn, self.score_fn = loss_fn, score_fn
        self.trainset = list(trainset)
        self.val = list(valset or []) if self.config.validate_steps else []
        self.engine = resolve_engine(engine, "training")
        self.opt = optimizer or TextualGradientDescent(
            self.params,
            engine=self.engine,
            constraints=list(self.config.constraints),
            gradient_memory=self.config.gradient_memory,
        )
        if self.config.searching and not isinstance(self.opt, TextualGradientDescent):
            raise UserError(
                "a searching fit (the default: num_candidates > 1, pool or operators) needs a "
                "TextualGradientDescent optimizer; pass search=False (TextGrad's loop) to use "
                "this one"
            )
        if self.config.searching and isinstance(self.opt, TextualGradientDescent):
            self.opt.structured = self.opt.structured or self.config.structured_proposals
        self.callbacks = list(callbacks)
        cfg = self.config
        per_epoch = math.ceil(len(self.trainset) / cfg.batch_size)
        self.total = cfg.steps if cfg.steps is not None else cfg.epochs * per_epoch
        self.path = Path(cfg.run_dir) if cfg.run_dir is not None else None
        self.state = RunState(best_values=[str(p.value) for p in self.params])
        self.guard = OverfitGuard()
        self.right_bank: list[Sample] = []
        """Training runs the program got right, in the order seen (worked-example source)."""
        self.right_inputs: set[str] = set()
        if cfg.guard_overfit:
            self.guard.learn_all(example_texts(ex) for ex in self.trainset)
        ops = [cfg.operators[j % len(cfg.operators)] for j in range(cfg.num_candidates)]
        values = " ".join(str(p.value) for p in self.params)
        self.estimate = estimate_run(
            n_val=len(self.val),
            batch_size=min(cfg.batch_size, len(self.trainset)),
            steps=self.total,
            n_params=len(self.params),
            candidates=cfg.num_candidates,
            relay=cfg.feedback == "relay",
            val_sample=cfg.val_sample if cfg.searching else None,
            model_made=sum(op in ("edit", "rewrite") for op in ops),
            tokens_per_call=tokens_per_call(
                [values + " " + example_texts(ex)[0] for ex in self.trainset[:20]]
            ),
        )
        self.bar = Progress(self.total, enabled=cfg.progress)
        self.started = time.monotonic()
        self.usage = Usage()

    # -- state ----------------------------------------------------------------------------
    def fingerprint(self) -> dict[str, Any]:
        """What must match for a checkpoint to be resumed by this Trainer."""
        cfg = self.config
        found: dict[str, Any] = {
            "roles": [p.get_role_description() for p in self.params],
            "n_train": len(self.trainset),
            "n_val": len(self.val),
            "batch_size": cfg.batch_size,
            "seed": cfg.seed,
            "total_steps": self.total,
        }
        if cfg.searching:
            found["search"] = {
                "num_candidates": cfg.num_candidates,
                "operators": list(cfg.operators),
                "deletions": cfg.deletions,
                "pool": cfg.pool,
                "val_sample": cfg.val_sample,
            }
        return found

    def to_state(self) -> dict[str, Any]:
        """The whole run state as a JSON-ready dict (what ``checkpoint.json`` holds)."""
        return {
            "fingerprint": self.fingerprint(),
            "values": [str(p.value) for p in self.params],
            "optimizer": self.opt.state_dict(),
            "usage": self.usage.to_dict(),
            "estimate": self.estimate.to_dict(),
            "random_state": {
                "batch_seed": self.config.seed,
                "scheme": "Random(f'{seed}-{epoch}').shuffle",
            },
            **self.state.to_state(),
        }

    def from_state(self, saved: dict[str, Any]) -> None:
        """Resume from a checkpoint dict made by :meth:`to_state`.

        Raises:
            UserError: the checkpoint is of another run, or damaged.
        """
        if saved.get("fingerprint") != self.fingerprint():
            raise UserError(
                f"{self.path} holds a checkpoint of a different run ({saved.get('fingerprint')}); "
                "use a new run_dir or the same settings"
            )
        self.state = RunState.from_state(saved, where=str(self.path))
        set_values(self.params, saved["values"])
        self.opt.load_state_dict(saved["optimizer"])

    def checkpoint(self) -> None:
        """Save the state to ``run_dir`` (atomically), when there is one."""
        if self.path is not None:
            save_checkpoint(self.path, self.to_state())

    def emit(self, event: FitEvent) -> None:
        """Send ``event`` to every callback."""
        for cb in self.callbacks:
            cb.on_event(event)

    def phase(self, step: int | None, name: str, detail: str = "") -> None:
        """Announce a phase to callbacks and the status line."""
        self.emit(PhaseStarted(step, time.monotonic() - self.started, name, detail))

    # -- run ------------------------------------------------------------------------------
    async def afit(self) -> FitResult:
        """Run every step (or resume), restore the best values, write the report."""
        cfg = self.config
        saved = load_checkpoint(self.path) if self.path is not None else None
        if saved is not None:
            self.from_state(saved)
        state = self.state
        limit = concurrency(cfg.max_concurrency) if cfg.max_concurrency else None
        if cfg.guard_overfit and isinstance(self.opt, TextualGradientDescent):
            self.opt.checks.append(self.guard.check)
        with track_usage("run", cfg.budget) as scope, limit or contextlib.nullcontext():
            scope.usage.merge(state.prior_usage)
            self.usage = self.bar.usage = scope.usage
            try:
                snapshot = self.to_state()
                for cb in self.callbacks:
                    cb.on_run_start(snapshot)
                self.emit(RunStarted(None, 0.0, snapshot, self.config))
                if self.val and state.initial is None:
                    self.phase(None, "baseline", f"{len(self.val)} validation examples")
                    scores, _ = await score_examples(self.score_fn, self.val)
                    state.current_scores = dict(enumerate(scores))
                    state.initial = state.current = state.best = mean(scores)
                    self.bar.score = self.bar.best = state.initial
                while state.next_step < self.total:
                    if cfg.patience is not None and state.since_best >= cfg.patience:
                        state.stopped = f"early stopping: no better score for {cfg.patience} steps"
                        break
                    record = await self.step(state.next_step)
                    state.history.append(record)
                    state.next_step += 1
                    self.checkpoint()
                    for cb in self.callbacks:
                        cb.on_step_end(record)
                    self.emit(StepEnded(record.step, time.monotonic() - self.started, record))
            except BudgetExceeded as exc:
                state.stopped = f"budget: {exc}"
            except BaseException as exc:
                self.emit(RunFailed(state.next_step, time.monotonic() - self.started, exc))
                raise
            finally:
                self.bar.close()
                set_values(self.params, state.best_values)
                if self.guard.check in getattr(self.opt, "checks", []):
                    self.opt.checks.remove(self.guard.check)  # type: ignore[attr-defined]
            usage = scope.usage.copy()
            self.checkpoint()
        result = FitResult(
            state.initial,
            state.best,
            list(state.best_values),
            state.history,
            usage,
            state.stopped,
            self.estimate.to_dict(),
            self.path,
        )
        if self.path is not None and cfg.report:
            from ..report import write_report

            write_report(self.path)
        for cb in self.callbacks:
            cb.on_run_end(result)
        self.emit(RunEnded(None, time.monotonic() - self.started, result))
        return result

    async def step(self, step: int) -> StepRecord:
        """One step: TextGrad's when not searching, else a search step."""
        if self.config.searching:
            from .search.step import search_step

            return await search_step(self, step)
        from .tgd_step import tgd_step

        return await tgd_step(self, step)

    # -- phases ---------------------------------------------------------------------------
    async def forward(self, step: int, batch: list[int]) -> tuple[list[Sample], list[Any]]:
        """The batch's losses, concurrently: (samples that ran, every result or error)."""
        done = 0
        self.phase(step, "forward", f"{len(batch)} training examples")
        self.bar.update(step=step, done_in_step=0, batch=len(batch), phase="forward ")

        async def one(i: int) -> Variable | Sample:
            nonlocal done
            try:
                return await self.loss_fn(self.trainset[i])
            finally:
                done += 1
                self.bar.update(step=step, done_in_step=done, batch=len(batch), phase="forward ")

        results = await asyncio.gather(*(one(i) for i in batch), return_exceptions=True)
        for r in results:
            if isinstance(r, BudgetExceeded):
                raise r
        samples = [
            r if isinstance(r, Sample) else Sample(r)
            for r in results
            if isinstance(r, (Variable, Sample))
        ]
        for s in samples:
            if s.input_text and self.config.guard_overfit:
                self.guard.learn(s.input_text, s.expected_text)
            right = s.score is not None and s.score >= self.config.perfect_score
            if right and s.output_text and s.input_text not in self.right_inputs:
                self.right_inputs.add(s.input_text)
                self.right_bank.append(s)
        return samples, list(results)

    async def backward(self, step: int, samples: list[Sample]) -> str:
        """Backpropagate the sum of the samples' losses; a note if some calls failed."""
        losses = [s.loss for s in samples]
        total_loss = losses[0] if len(losses) == 1 else sum_variables(losses)
        self.phase(step, "backward", f"{len(losses)} losses")
        self.bar.update(step=step, done_in_step=len(losses), batch=len(losses), phase="backward ")
        note = ""
        relay = relay_feedback() if self.config.feedback == "relay" else contextlib.nullcontext()
        try:
            with relay:
                await total_loss.abackward(self.engine)
        except BudgetExceeded:
            raise
        except TgCoreError as exc:  # partial gradients are kept and used
            note = f"some backward calls failed: {exc}; "
        if self.state.graph is None:
            view = GraphView.of(total_loss)
            self.state.graph = {
                "nodes": [list(n) for n in view.nodes[:60]],
                "edges": [list(e) for e in view.edges],
            }
        return note

    async def validate(self, step: int | None, indices: list[int]) -> dict[int, float]:
        """Scores of the current values on the validation examples ``indices``."""
        self.phase(step, "validate", f"{len(indices)} validation examples")
        self.bar.update(step=step or 0, done_in_step=0, batch=len(indices), phase="validate ")
        scores, _ = await score_examples(self.score_fn, [self.val[i] for i in indices])
        return dict(zip(indices, scores))

    def record(
        self,
        step: int,
        epoch: int,
        batch: list[int],
        before: Usage,
        started: float,
        failed: int,
        *,
        accepted: bool,
        reason: str,
        report: StepReport | None = None,
        val_score: float | None = None,
    ) -> StepRecord:
        """A step record with the usage spent since ``before``."""
        proposals = [
            dataclasses.replace(u, prompt_ids=list(u.prompt_ids))
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
            [str(p.value) for p in self.params],
            proposals,
            self.usage.since(before).to_dict(),
            failed,
            time.monotonic() - started,
        )

    def accept(self, score: float, scores: dict[int, float]) -> None:
        """Make the current values the run's current (and maybe best) values."""
        state = self.state
        state.current, state.current_scores = score, dict(scores)
        if state.best is None or score > state.best:
            state.best, state.since_best = score, 0
        else:
            state.since_best += 1
        state.best_values = [str(p.value) for p in self.params]
        self.bar.score, self.bar.best = score, state.best

    def undo(self, values: list[str], optimizer_state: dict[str, Any]) -> None:
        """Leave no trace of an unfinished step: parameter values and optimizer state."""
        set_values(self.params, values)
        self.opt.load_state_dict(optimizer_state)
