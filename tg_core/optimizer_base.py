"""``Optimizer``: the torch.optim contract (param_groups, state, zero_grad, step, hooks)."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ._async import run_sync
from .engine.usage import Usage
from .errors import UserError
from .variable import Variable

_hook_ids = itertools.count()


@dataclass
class ParamUpdate:
    """What a step did to one parameter.

    ``status`` is ``updated``, ``unchanged`` (the proposal equalled the old value),
    ``rejected`` (no usable proposal: old value kept), ``error`` (the call failed: old value
    kept) or ``skipped`` (no feedback). ``refused`` is the last proposed text that a check,
    a constraint or the binding refused, kept for reports ("" when none was).
    """

    index: int
    role: str
    old: str
    new: str
    status: str
    reason: str = ""
    attempts: int = 0
    feedback: str = ""
    prompt_ids: list[str] = field(default_factory=list)
    refused: str = ""


@dataclass
class StepReport:
    """The outcome of one optimizer step for every parameter, and its usage."""

    updates: list[ParamUpdate] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)

    @property
    def changed(self) -> list[ParamUpdate]:
        """Parameters whose value changed."""
        return [u for u in self.updates if u.status == "updated"]

    @property
    def problems(self) -> list[ParamUpdate]:
        """Parameters whose update was rejected or failed."""
        return [u for u in self.updates if u.status in ("rejected", "error")]

    @property
    def why_unchanged(self) -> str:
        """Why no value changed, in words: the refused proposals, else an echoed value or no feedback.

        Example:
            >>> StepReport([ParamUpdate(0, "prompt", "Be brief.", "Be brief.", "unchanged")]).why_unchanged
            'the proposal repeated the current value word for word (prompt)'
        """
        if self.problems:
            problems = "; ".join(f"{u.role}: {u.reason}" for u in self.problems)
            return f"no usable proposal ({problems})"
        echoed = [u.role for u in self.updates if u.status == "unchanged"]
        if echoed:
            return f"the proposal repeated the current value word for word ({', '.join(echoed)})"
        return "no change proposed: no feedback reached any parameter"


class RemovableHandle:
    """Returned by hook registration; ``remove()`` unregisters the hook."""

    def __init__(self, hooks: dict[int, Any]) -> None:
        self._hooks = hooks
        self.id = next(_hook_ids)

    def remove(self) -> None:
        """Unregister the hook."""
        self._hooks.pop(self.id, None)


StepHook = Callable[["Optimizer"], None]
PostStepHook = Callable[["Optimizer", StepReport], None]


class Optimizer:
    """Base of textual optimizers, shaped like ``torch.optim.Optimizer``.

    Subclasses implement :meth:`astep`. ``state`` maps a parameter's index to a JSON-ready
    dict, so :meth:`state_dict` can be saved as JSON.

    Example:
        >>> p = Variable("x", role_description="prompt")
        >>> opt = Optimizer([p]); opt.zero_grad(); len(opt.parameters)
        1
    """

    def __init__(self, parameters: Iterable[Variable], defaults: dict[str, Any] | None = None):
        params = list(parameters)
        if not params:
            raise UserError("the optimizer got no parameters; pass a list of Variables")
        for p in params:
            if not isinstance(p, Variable):
                raise UserError(f"parameters must be Variables, got {type(p).__name__}")
            if not isinstance(p.value, str):
                raise UserError(
                    f"parameter {p.get_role_description()!r} holds bytes; only text can be optimized"
                )
        self.defaults = dict(defaults or {})
        self.param_groups: list[dict[str, Any]] = [{"params": params, **self.defaults}]
        self.state: dict[int, dict[str, Any]] = {i: {} for i in range(len(params))}
        self._pre_hooks: dict[int, StepHook] = {}
        self._post_hooks: dict[int, PostStepHook] = {}
        self.last_report: StepReport | None = None

    @property
    def parameters(self) -> list[Variable]:
        """Every parameter, in order."""
        return [p for group in self.param_groups for p in group["params"]]

    def record_failed_proposal(self, param: Variable, value: str, reason: str) -> None:
        """Hear that a proposal for ``param`` was undone (by validation); the base forgets it.

        Optimizers that show rejected proposals to the model next time override it.
        """

    def zero_grad(self) -> None:
        """Drop the gradients of every parameter."""
        for p in self.parameters:
            p.reset_gradients()

    async def astep(self) -> StepReport:
        """Update the parameters from their gradients."""
        raise NotImplementedError

    def step(self, closure: Callable[[], Any] | None = None) -> StepReport:
        """Sync :meth:`astep`; ``closure`` (if given) runs first, as in torch."""
        if closure is not None:
            closure()
        return run_sync(self.astep())

    def register_step_pre_hook(self, hook: StepHook) -> RemovableHandle:
        """Call ``hook(optimizer)`` before every step."""
        handle = RemovableHandle(self._pre_hooks)
        self._pre_hooks[handle.id] = hook
        return handle

    def register_step_post_hook(self, hook: PostStepHook) -> RemovableHandle:
        """Call ``hook(optimizer, report)`` after every step."""
        handle = RemovableHandle(self._post_hooks)
        self._post_hooks[handle.id] = hook
        return handle

    def _run_pre_hooks(self) -> None:
        for hook in list(self._pre_hooks.values()):
            hook(self)

    def _run_post_hooks(self, report: StepReport) -> None:
        for hook in list(self._post_hooks.values()):
            hook(self, report)

    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state as JSON-ready data (parameters by index, not values)."""
        groups = []
        index = 0
        for group in self.param_groups:
            n = len(group["params"])
            settings = {k: v for k, v in group.items() if k != "params"}
            groups.append({**settings, "params": list(range(index, index + n))})
            index += n
        return {
            "state": {str(k): v for k, v in self.state.items()},
            "param_groups": groups,
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned (for the same parameters, in order)."""
        groups = state_dict.get("param_groups", [])
        if sum(len(g["params"]) for g in groups) != len(self.parameters):
            raise UserError(
                "state_dict is for a different number of parameters than this optimizer has"
            )
        for group, saved in zip(self.param_groups, groups):
            group.update({k: v for k, v in saved.items() if k != "params"})
        self.state = {int(k): dict(v) for k, v in state_dict.get("state", {}).items()}
        for i in range(len(self.parameters)):
            self.state.setdefault(i, {})
