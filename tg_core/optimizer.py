"""Textual gradient descent: ``TGD`` (with memory, constraints, examples) and its momentum twin."""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import Callable, Iterable
from typing import Any

from .engine.base import agenerate_with
from .engine.registry import resolve_engine
from .engine.usage import track_usage
from .errors import BudgetExceeded, EngineError, ProposalError, ProposalRejectedWarning, UserError
from .optimizer_base import Optimizer, ParamUpdate, StepReport
from .optimizer_extras import check_tags, optimizer_system, update_extras
from .prompts import load_prompt
from .reduce import areduce_texts
from .structured import parse_proposal, response_format_for
from .variable import Variable

Constraint = str | Callable[[str], str | None]


class TextualGradientDescent(Optimizer):
    """Rewrite each parameter from its feedback, all parameters concurrently.

    Args:
        parameters: the Variables to optimize.
        verbose: print each new value when > 0.
        engine: engine or name for the updates (``None``: the backward engine).
        constraints: rules the new value must follow: strings (told to the model) or
            functions ``value -> error message or None`` (checked on every proposal).
        new_variable_tags: the two tags the new value is written between.
        optimizer_system_prompt: replaces the built-in system prompt (its tags are yours).
        in_context_examples: examples of good values, shown to the model.
        gradient_memory: how many past feedback texts per parameter to show the model.
        max_repairs: how many times to ask again after an unusable proposal.
        structured: ask the server for a JSON answer that it enforces by schema (the local
            llama.cpp server and OpenAI; see :mod:`tg_core.structured`); other servers, and
            an answer that is not valid JSON, fall back to the tags.

    A proposal without the tags, empty, refused by a constraint function or by the
    parameter's binding is retried ``max_repairs`` times; then the old value stays and a
    :class:`~tg_core.errors.ProposalRejectedWarning` says why.

    Example:
        >>> from tg_core.engine.fake import FakeEngine
        >>> p = Variable("Be nice.", role_description="system prompt")
        >>> p.add_gradient(Variable("Be concise too.", role_description="feedback"))
        >>> opt = TextualGradientDescent([p], engine=FakeEngine())
        >>> opt.step().updates[0].status, p.value
        ('updated', 'improved variable')
    """

    def __init__(
        self,
        parameters: Iterable[Variable],
        verbose: int = 0,
        engine: Any = None,
        constraints: list[Constraint] | None = None,
        new_variable_tags: list[str] | tuple[str, str] | None = None,
        optimizer_system_prompt: str | None = None,
        in_context_examples: list[str] | None = None,
        gradient_memory: int = 0,
        *,
        max_repairs: int = 1,
        structured: bool = False,
    ) -> None:
        super().__init__(parameters)
        self.verbose = verbose
        self.engine = engine
        self.constraints: list[Constraint] = list(constraints or [])
        self.new_variable_tags = check_tags(new_variable_tags)
        self.in_context_examples = list(in_context_examples or [])
        if gradient_memory < 0 or max_repairs < 0:
            raise UserError("gradient_memory and max_repairs must be >= 0")
        self.gradient_memory = gradient_memory
        self.max_repairs = max_repairs
        self.structured = structured
        self.checks: list[Callable[[str, str], str | None]] = []
        """Checks ``(old, new) -> problem or None`` every proposal must pass (a fit adds its
        overfit guard here)."""
        self.optimizer_system_prompt = optimizer_system(
            optimizer_system_prompt, *self.new_variable_tags
        )

    # Names TextGrad users read.
    @property
    def do_constrained(self) -> bool:
        """Whether constraints are set."""
        return bool(self.constraints)

    @property
    def do_in_context_examples(self) -> bool:
        """Whether in-context examples are set."""
        return bool(self.in_context_examples)

    @property
    def do_gradient_memory(self) -> bool:
        """Whether past feedback is shown."""
        return self.gradient_memory > 0

    def record_failed_proposal(self, param: Variable, value: str, reason: str) -> None:
        """Remember a proposal that was undone (e.g. by validation) to show it next time."""
        index = self.parameters.index(param)
        failed = self.state[index].setdefault("failed", [])
        failed.append({"value": value, "reason": reason})
        del failed[:-5]

    # -- prompt ---------------------------------------------------------------------------
    def _extras(self, index: int) -> str:
        return update_extras(
            self.state[index],
            constraints=[c for c in self.constraints if isinstance(c, str)],
            in_context_examples=self.in_context_examples,
            gradient_memory=self.gradient_memory,
            past_values=self._past_values(index),
        )

    def _past_values(self, index: int) -> list[str]:
        """Earlier values shown to the model (none here; the momentum variant has them)."""
        return []

    async def _feedback(self, param: Variable, engine: Any, view: int = 0) -> str:
        from .context_text import gradient_with_context

        gradients = list(param.gradients)
        if view > 0 and len(gradients) > 1:  # another view: one sample's feedback alone
            gradients = [gradients[(view - 1) % len(gradients)]]
        texts = [gradient_with_context(g, param.gradients_context.get(g)) for g in gradients]
        merged = await areduce_texts(texts, param.get_role_description(), engine)
        return "\n\n".join(merged)

    def update_prompt(self, index: int, feedback: str, operator: str = "rewrite") -> str:
        """The update prompt for parameter ``index`` given its feedback text.

        ``operator`` is ``rewrite`` (the whole new value) or ``edit`` (one rule to add).
        """
        param = self.parameters[index]
        start, end = self.new_variable_tags
        name = "optimizer_edit" if operator == "edit" else "optimizer_update"
        return load_prompt(name).render(
            variable=load_prompt("variable_block").render(
                tag="VARIABLE", role=param.get_role_description(), value=str(param.value)
            ),
            feedback=feedback,
            extras=self._extras(index),
            role=param.get_role_description(),
            start_tag=start,
            end_tag=end,
        )

    # -- proposals ------------------------------------------------------------------------
    def _validate(self, param: Variable, value: str) -> None:
        for check in self.checks:
            problem = check(str(param.value), value)
            if problem:
                raise ProposalError(f"the new value was refused: {problem}")
        for rule in self.constraints:
            if callable(rule):
                problem = rule(value)
                if problem:
                    raise ProposalError(f"the new value breaks a constraint: {problem}")
        if param.binding is not None:
            param.binding.validate(value)

    async def apropose(
        self, index: int, *, operator: str = "rewrite", variant: int = 0, engine: Any = None
    ) -> ParamUpdate:
        """Propose a new value for parameter ``index`` without applying it.

        Args:
            index: the parameter's position in :attr:`parameters`.
            operator: ``rewrite`` (the model writes the whole new value) or ``edit`` (the
                model writes one rule, appended to the current value).
            variant: 0 is the plain proposal; a higher number samples (temperature 0.8,
                seed ``variant``) and shows the model one sample's feedback alone, so
                several variants give different candidates.
            engine: overrides the optimizer's engine.

        Example:
            >>> import asyncio
            >>> from tg_core.engine.fake import FakeEngine
            >>> p = Variable("Be nice.", role_description="system prompt")
            >>> p.add_gradient(Variable("Be concise too.", role_description="feedback"))
            >>> opt = TextualGradientDescent([p], engine=FakeEngine(["<IMPROVED_VARIABLE>Be brief.</IMPROVED_VARIABLE>"]))
            >>> update = asyncio.run(opt.apropose(0, operator="edit"))
            >>> update.new.splitlines(), p.value
            (['Be nice.', 'Be brief.'], 'Be nice.')
        """
        if operator not in ("rewrite", "edit"):
            raise UserError(f"operator must be 'rewrite' or 'edit', got {operator!r}")
        chosen = resolve_engine(engine if engine is not None else self.engine, "the optimizer")
        return await self._make_proposal(index, chosen, operator, variant)

    async def _make_proposal(
        self, index: int, engine: Any, operator: str, variant: int
    ) -> ParamUpdate:
        param = self.parameters[index]
        old = str(param.value)
        update = ParamUpdate(index, param.get_role_description(), old, old, "rejected")
        feedback = await self._feedback(param, engine, variant)
        update.feedback = feedback
        prompt = self.update_prompt(index, feedback, operator)
        template = "optimizer_edit" if operator == "edit" else "optimizer_update"
        update.prompt_ids.append(load_prompt(template).id)
        start, end = self.new_variable_tags
        repair = load_prompt("optimizer_repair")
        sampling: dict[str, Any] = {} if variant == 0 else {"temperature": 0.8, "seed": variant}
        schema = response_format_for(engine) if self.structured else None
        if schema is not None:
            sampling["response_format"] = schema
        system = self.optimizer_system_prompt
        answer = await agenerate_with(engine, prompt, system_prompt=system, **sampling)
        for attempt in range(self.max_repairs + 1):
            update.attempts = attempt + 1
            try:
                parsed = parse_proposal(answer, start, end, structured=schema is not None)
                value = f"{old.rstrip()}\n{parsed.strip()}" if operator == "edit" else parsed
                update.refused = value
                self._validate(param, value)
            except ProposalError as exc:
                update.reason = str(exc)
                if attempt == self.max_repairs:
                    return update
                update.prompt_ids.append(repair.id)
                again = repair.render(
                    problem=str(exc),
                    previous=answer[:4000],
                    role=param.get_role_description(),
                    start_tag=start,
                    end_tag=end,
                )
                answer = await agenerate_with(
                    engine, prompt + "\n\n" + again, system_prompt=system, **sampling
                )
                continue
            update.new = value
            update.status = "updated" if value != old else "unchanged"
            update.reason = update.refused = ""
            return update
        return update

    def check_value(self, index: int, value: str, *, guarded: bool = True) -> str | None:
        """Why ``value`` may not become parameter ``index`` (checks, constraints, binding), or None.

        ``guarded=False`` skips :attr:`checks` (for values the loop itself composed, such as a
        worked example taken from a training run).

        Example:
            >>> from tg_core.engine.fake import FakeEngine
            >>> p = Variable("Be nice.", role_description="system prompt")
            >>> TextualGradientDescent([p], engine=FakeEngine(), constraints=[lambda v: "too short" if len(v) < 3 else None]).check_value(0, "ok")
            'the new value breaks a constraint: too short'
        """
        checks = self.checks
        if not guarded:
            self.checks = []
        try:
            self._validate(self.parameters[index], value)
        except ProposalError as exc:
            return str(exc)
        finally:
            self.checks = checks
        return None

    def _remember(self, index: int, update: ParamUpdate) -> None:
        state = self.state[index]
        state["steps"] = state.get("steps", 0) + 1
        if self.gradient_memory and update.feedback:
            memory = state.setdefault("memory", [])
            memory.append(update.feedback)
            del memory[: -self.gradient_memory]

    async def astep(self) -> StepReport:
        """Propose new values for every parameter with feedback, concurrently, then apply them.

        Raises:
            BudgetExceeded: after applying every proposal that finished within budget.
            EngineError: when every parameter's update call failed.
        """
        self._run_pre_hooks()
        engine = resolve_engine(self.engine, "the optimizer")
        report = StepReport()
        indices = [i for i, p in enumerate(self.parameters) if p.requires_grad and p.gradients]
        with track_usage("step") as scope:
            results = await asyncio.gather(
                *(self._make_proposal(i, engine, "rewrite", 0) for i in indices),
                return_exceptions=True,
            )
        report.usage = scope.usage
        errors: list[BaseException] = []
        for i, param in enumerate(self.parameters):
            if i not in indices:
                old = str(param.value)
                report.updates.append(
                    ParamUpdate(i, param.get_role_description(), old, old, "skipped", "no feedback")
                )
                continue
            result = results[indices.index(i)]
            if isinstance(result, BaseException):
                errors.append(result)
                old = str(param.value)
                report.updates.append(
                    ParamUpdate(i, param.get_role_description(), old, old, "error", str(result))
                )
                continue
            self._apply(param, result)
            self._remember(i, result)
            report.updates.append(result)
        self.last_report = report
        for problem in report.problems:
            warnings.warn(
                ProposalRejectedWarning(
                    f"kept the old value of {problem.role!r}: {problem.reason}"
                ),
                stacklevel=2,
            )
        budget = [e for e in errors if isinstance(e, BudgetExceeded)]
        if budget:
            raise budget[0]
        if errors and len(errors) == len(indices):
            first = errors[0]
            raise (
                first
                if isinstance(first, EngineError)
                else EngineError(str(first), engine=getattr(engine, "model_string", "engine"))
            )
        self._run_post_hooks(report)
        return report

    def _apply(self, param: Variable, update: ParamUpdate) -> None:
        if update.status != "updated":
            return
        try:
            param.set_value(update.new)
        except ProposalError as exc:
            update.status, update.reason, update.refused = "rejected", str(exc), update.new
            update.new = update.old
            return
        if self.verbose:
            print(f"TextualGradientDescent updated {update.role!r}:\n{update.new}")


TGD = TextualGradientDescent


class TextualGradientDescentwithMomentum(TextualGradientDescent):
    """TGD that also shows the model the last ``momentum_window`` values of each parameter.

    Example:
        >>> from tg_core.engine.fake import FakeEngine
        >>> p = Variable("v1", role_description="prompt")
        >>> opt = TextualGradientDescentwithMomentum(FakeEngine(), [p], momentum_window=2)
        >>> opt.momentum_window
        2
    """

    def __init__(
        self,
        engine: Any,
        parameters: Iterable[Variable],
        momentum_window: int = 0,
        constraints: list[Constraint] | None = None,
        new_variable_tags: list[str] | tuple[str, str] | None = None,
        in_context_examples: list[str] | None = None,
        optimizer_system_prompt: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            parameters,
            engine=engine,
            constraints=constraints,
            new_variable_tags=new_variable_tags,
            in_context_examples=in_context_examples,
            optimizer_system_prompt=optimizer_system_prompt,
            **kwargs,
        )
        if momentum_window < 0:
            raise UserError("momentum_window must be >= 0")
        self.momentum_window = momentum_window

    def _past_values(self, index: int) -> list[str]:
        past: list[str] = self.state[index].get("past_values", [])
        return list(past) if self.momentum_window else []

    def _remember(self, index: int, update: ParamUpdate) -> None:
        super()._remember(index, update)
        if self.momentum_window and update.status == "updated":
            past = self.state[index].setdefault("past_values", [])
            past.append(update.old)
            del past[: -self.momentum_window]
