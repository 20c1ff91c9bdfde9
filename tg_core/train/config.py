"""``FitConfig``: every option of a training run, declared once, validated, frozen."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..engine.usage import Budget
from ..errors import UserError

Operator = Literal["rewrite", "edit", "example", "delete"]
"""How a candidate is made: a full rewrite, one added rule, one worked example, or one
sentence taken out."""

MetricErrorPolicy = Literal["score_zero", "raise"]
FeedbackMode = Literal["critic", "relay"]

TEXTGRAD_LOOP: Mapping[str, Any] = MappingProxyType(
    {"num_candidates": 1, "pool": False, "operators": ("rewrite",), "feedback": "critic"}
)
"""The settings of TextGrad's loop: what ``search=False`` and ``FitConfig.textgrad_loop`` set."""


class FitConfig(BaseModel):
    """The options of :func:`~tg_core.train.fit` and of both adapters' optimizers.

    One frozen object, validated when built: a bad value raises
    :class:`~tg_core.errors.UserError` naming the option. Entry points accept the same names
    as keywords and build it; a new option is one line here.

    By default a run searches: four candidates per step made by every operator, a Pareto
    pool and relayed feedback, because on the local model that search beat TextGrad's
    one-proposal loop (measured in ``benchmarks/RESULTS.md``, section 5, the search study).
    TextGrad's loop is one keyword away: ``search=False`` (accepted by every entry point) or
    :meth:`FitConfig.textgrad_loop` sets ``num_candidates=1``, ``pool=False``,
    ``operators=("rewrite",)`` and ``feedback="critic"``; an explicit different value for one
    of those four beside ``search=False`` is refused. ``search=True`` (or leaving it out)
    changes nothing.

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
        num_candidates: candidate values proposed per step, concurrently (default 4); each
            is screened on the step's minibatch and the best goes to validation. 1 with
            ``pool=False`` and ``operators=("rewrite",)`` is TextGrad's loop: one proposal
            per step, kept if validation does not drop.
        operators: how candidates are made, used in turn (default: all four): ``rewrite``
            (the whole value), ``edit`` (append one rule), ``example`` (append one
            worked example from a training example the program got right; no model call),
            ``delete`` (take one sentence out; no model call).
        pool: keep every validated candidate with its per-example scores and start each step
            from one on the Pareto frontier (complementary candidates), not only the best
            (default True).
        val_sample: validate a candidate on this many examples first and finish the set only
            if it is not worse there than the value it came from (None: whole set at once).
        guard_overfit: refuse a proposal that copies eight words of a training input, a
            training answer of three or more words (or twelve or more characters), or
            states a numeric or short label training answer as the answer (default True;
            the reason is in the report; see :mod:`tg_core.train.search.guard`).
        structured_proposals: in a searching run, ask for proposals as JSON the server
            enforces by schema, where it can (tags otherwise).
        max_examples: worked examples a value may hold (``example`` operator).
        deletions: candidates each ``delete`` turn makes, each without a different
            sentence (no model call; each costs one minibatch screen); a prompt with
            this many sentences or fewer has every deletion tried in one step.
        constraints: rules every new value must follow, for the default optimizer (text, or a
            function returning an error message or None).
        gradient_memory: past feedback texts per parameter shown to the default optimizer.
        feedback: how the backward pass reaches a model call's inputs: ``relay`` (the
            default: the feedback the call's output received, word for word, beside the
            call; no model call; see :func:`~tg_core.autograd.relay.relay_feedback`) or
            ``critic`` (TextGrad's: a model call writes the feedback for each input).
        perfect_score: a score at or above it with no feedback gives no gradient.
        on_metric_error: ``score_zero`` counts a failing metric as score 0; ``raise`` stops.

    Example:
        >>> FitConfig(steps=2, batch_size=3).batch_size
        3
        >>> FitConfig().searching, FitConfig(search=False).searching
        (True, False)
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
    num_candidates: int = Field(default=4, ge=1, le=16)
    operators: tuple[Operator, ...] = ("delete", "edit", "example", "rewrite")
    pool: bool = True
    val_sample: int | None = Field(default=None, ge=1)
    guard_overfit: bool = True
    structured_proposals: bool = True
    max_examples: int = Field(default=2, ge=0)
    deletions: int = Field(default=3, ge=1, le=16)
    constraints: tuple[Any, ...] = ()
    gradient_memory: int = Field(default=0, ge=0)
    feedback: FeedbackMode = "relay"
    perfect_score: float = 1.0
    on_metric_error: MetricErrorPolicy = "score_zero"

    @field_validator("operators")
    @classmethod
    def _some_operator(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("name at least one operator")
        return value

    @model_validator(mode="before")
    @classmethod
    def _search_shortcut(cls, data: Any) -> Any:
        if not isinstance(data, dict) or "search" not in data:
            return data
        data = dict(data)
        search = data.pop("search")
        if search is None or search is True:
            return data
        if search is not False:
            raise ValueError(f"invalid fit option search: pass True or False (got {search!r})")
        clash = {k: data[k] for k in TEXTGRAD_LOOP if k in data and _differs(k, data[k])}
        if clash:
            given = _settings(clash)
            raise ValueError(
                f"search=False asks for TextGrad's loop ({_settings(TEXTGRAD_LOOP)}) and "
                f"contradicts {given}; drop search=False to search, or drop {given}"
            )
        return {**data, **TEXTGRAD_LOOP}

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            first = exc.errors()[0]
            if not first["loc"]:  # a rule over several options: its own message says it all
                raise UserError(str(first.get("ctx", {}).get("error", first["msg"]))) from None
            name = ".".join(str(p) for p in first["loc"])
            raise UserError(
                f"invalid fit option {name}: {first['msg']} (got {first.get('input')!r})"
            ) from None

    @classmethod
    def textgrad_loop(cls, **changes: Any) -> FitConfig:
        """TextGrad's loop (what ``search=False`` sets) with ``changes`` applied on top.

        One proposal per step by a full rewrite, no pool, critic feedback; a change may
        replace one of those settings (``feedback="relay"``: the loop with relayed feedback).

        Example:
            >>> loop = FitConfig.textgrad_loop(steps=3)
            >>> loop.num_candidates, loop.pool, loop.operators, loop.feedback, loop.steps
            (1, False, ('rewrite',), 'critic', 3)
            >>> FitConfig.textgrad_loop(feedback="relay").searching
            False
        """
        return cls(search=False).updated(**changes)

    @property
    def searching(self) -> bool:
        """True when the run does more than TextGrad's one-proposal loop."""
        return self.num_candidates > 1 or self.pool or self.operators != ("rewrite",)

    def updated(self, **changes: Any) -> FitConfig:
        """A copy with ``changes`` applied (validated again).

        ``search=False`` among the changes replaces this config's search settings with
        TextGrad's loop; it is refused only beside a contradicting value in ``changes``.

        Example:
            >>> FitConfig().updated(num_candidates=3).num_candidates
            3
            >>> FitConfig(num_candidates=3).updated(search=False).num_candidates
            1
        """
        data = {name: getattr(self, name) for name in type(self).model_fields}
        if "validate" in changes:
            data["validate_steps"] = changes.pop("validate")
        if changes.get("search") is False:
            data = {k: v for k, v in data.items() if k not in TEXTGRAD_LOOP}
        data.update(changes)
        return FitConfig(**data)


def _differs(name: str, value: Any) -> bool:
    """True when ``value`` for option ``name`` is not TextGrad's loop setting."""
    wanted = TEXTGRAD_LOOP[name]
    return bool((tuple(value) if isinstance(value, list) else value) != wanted)


def _settings(options: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in options.items())
