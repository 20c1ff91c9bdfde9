"""``FitConfig``: every option of a training run, declared once, validated, frozen."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..engine.usage import Budget
from ..errors import UserError

Operator = Literal["rewrite", "edit", "example", "delete"]
"""How a candidate is made: a full rewrite, one added or replaced rule, or one worked example."""

MetricErrorPolicy = Literal["score_zero", "raise"]
FeedbackMode = Literal["critic", "relay"]


class FitConfig(BaseModel):
    """The options of :func:`~tg_core.train.fit` and of both adapters' optimizers.

    One frozen object, validated when built: a bad value raises
    :class:`~tg_core.errors.UserError` naming the option. Entry points accept the same names
    as keywords and build it; a new option is one line here.

    Attributes:
        steps: optimization steps (default: ``epochs`` passes over the trainset).
        epochs: passes over the trainset when ``steps`` is not given.
        batch_size: training examples per step.
        seed: seeds the minibatch order and the search's choices.
        budget: calls/tokens/dollars for the whole run, resumed parts included.
        max_concurrency: model calls in flight at once within the run.
        run_dir: folder for ``checkpoint.json`` and the report; reusing it resumes the run.
        patience: stop after this many steps without a new best validation score.
        progress: show progress (default: a status line when stderr is a terminal).
        validate_steps: gate each step on the validation score; False keeps every proposal
            (keyword ``validate`` in every entry point).
        report: write ``report.md`` and ``report.html`` to ``run_dir`` at the end.
        require_improvement: keep a step only if validation rises (a tie is undone).
        num_candidates: candidate values proposed per step, concurrently; each is screened
            on the step's minibatch and the best goes to validation. 1 with ``pool=False``
            is TextGrad's loop: one proposal per step, kept if validation does not drop.
        operators: how candidates are made, used in turn: ``rewrite`` (the whole value),
            ``edit`` (add or replace one rule), ``example`` (append one worked example from
            a training example the program got right; no model call), ``delete`` (take
            one sentence out; no model call).
        pool: keep every validated candidate with its per-example scores and start each step
            from one on the Pareto frontier (complementary candidates), not only the best.
        val_sample: validate a candidate on this many examples first and finish the set only
            if it is not worse there than the value it came from (None: whole set at once).
        guard_overfit: refuse a proposal that copies a training input or answer verbatim.
        structured_proposals: in a searching run, ask for proposals as JSON the server
            enforces by schema, where it can (tags otherwise).
        max_examples: worked examples a value may hold (``example`` operator).
        constraints: rules every new value must follow, for the default optimizer (text, or a
            function returning an error message or None).
        gradient_memory: past feedback texts per parameter shown to the default optimizer.
        feedback: how the backward pass reaches a model call's inputs: ``critic`` (TextGrad's:
            a model call writes the feedback for each input) or ``relay`` (the feedback the
            call's output received, word for word, beside the call; no model call; see
            :func:`~tg_core.autograd.relay.relay_feedback`).
        perfect_score: a score at or above it with no feedback gives no gradient.
        on_metric_error: ``score_zero`` counts a failing metric as score 0; ``raise`` stops.

    Example:
        >>> FitConfig(steps=2, batch_size=3).batch_size
        3
        >>> FitConfig(batch_size=0)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        tg_core.errors.UserError: invalid fit option batch_size: ...
    """

    model_config = ConfigDict(
        frozen=True, extra="forbid", arbitrary_types_allowed=True, populate_by_name=True
    )

    steps: int | None = Field(default=None, ge=0)
    epochs: int = Field(default=1, ge=1)
    batch_size: int = Field(default=4, ge=1)
    seed: int = 0
    budget: Budget | None = None
    max_concurrency: int | None = Field(default=None, ge=1)
    run_dir: Path | None = None
    patience: int | None = Field(default=None, ge=1)
    progress: bool | None = None
    validate_steps: bool = Field(default=True, alias="validate")
    report: bool = True
    require_improvement: bool = False
    num_candidates: int = Field(default=1, ge=1, le=16)
    operators: tuple[Operator, ...] = ("rewrite",)
    pool: bool = False
    val_sample: int | None = Field(default=None, ge=1)
    guard_overfit: bool = True
    structured_proposals: bool = True
    max_examples: int = Field(default=2, ge=0)
    constraints: tuple[Any, ...] = ()
    gradient_memory: int = Field(default=0, ge=0)
    feedback: FeedbackMode = "critic"
    perfect_score: float = 1.0
    on_metric_error: MetricErrorPolicy = "score_zero"

    @field_validator("operators")
    @classmethod
    def _some_operator(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("name at least one operator")
        return value

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            first = exc.errors()[0]
            name = ".".join(str(p) for p in first["loc"]) or "?"
            raise UserError(
                f"invalid fit option {name}: {first['msg']} (got {first.get('input')!r})"
            ) from None

    @property
    def searching(self) -> bool:
        """True when the run does more than TextGrad's one-proposal loop."""
        return self.num_candidates > 1 or self.pool or self.operators != ("rewrite",)

    def updated(self, **changes: Any) -> FitConfig:
        """A copy with ``changes`` applied (validated again).

        Example:
            >>> FitConfig().updated(num_candidates=3).num_candidates
            3
        """
        data = {name: getattr(self, name) for name in type(self).model_fields}
        if "validate" in changes:
            data["validate_steps"] = changes.pop("validate")
        data.update(changes)
        return FitConfig(**data)
