"""The extension surface: what an adapter or a third-party engine builds on, in one place.

Import from here rather than from tg_core's inner modules; these names keep their meaning
across versions, the modules behind them may move.

**Engines.** Subclass :class:`EngineLM` and implement one method,
``async _acall(request: EngineRequest) -> Answer`` (or, TextGrad-style, a sync
``generate(prompt, system_prompt=None, **kwargs)``). ``agenerate`` then runs the same
sequence for every engine: the test override, the answer cache (set ``self.cache`` to a
:class:`~tg_core.engine.cache.ResponseCache`), retries of :class:`TransientEngineError`
(``self.max_retries``, ``self.backoff_s``) and the guard (budgets, usage, concurrency
limit). Optional hooks: ``_system_for(system_prompt)`` (the system prompt sent),
``_default_settings()``, ``_max_tokens(settings)`` and ``_cost_estimate(request)``. Turn a
provider's exception into a typed error with :func:`to_engine_error`.

**Calls made outside an engine** (a framework's own model calls): hold each against the
budgets with :class:`CallHold` before it starts and settle it with what it used.

**Graphs.** Wire recorded runs into :class:`Variable` nodes: :func:`llm_backward` for a model
call (its text written out by :func:`conversation_text`), :func:`pass_through` for steps
without a model; a :class:`Binding` links a parameter to the framework object storing it.
Text shown to a model comes from template files in ``tg_core/prompts``, filled in by
:func:`render`.

**Recorders.** What a framework's recorder fills lives in :mod:`tg_core.program`: a
:class:`~tg_core.program.tape.Tape` of predictor and tool calls for frameworks that call
prompt-bearing predictors (DSPy), a :class:`~tg_core.program.run_tree.RunTree` walked by a
:class:`~tg_core.program.run_tree.TreeGraph` for frameworks that report nested runs
(LangChain); both link a step's inputs to earlier outputs by value. A framework's own model
calls count against the budgets as a :class:`~tg_core.program.accounting.FrameworkCall`.

**Async.** The real code is async; :func:`run_sync` gives sync names (also inside a running
loop) and :func:`run_in_worker` runs blocking framework code without blocking the loop.

Example:
    >>> import asyncio
    >>> class Shout(EngineLM):
    ...     model_string = "shout"
    ...     async def _acall(self, request: EngineRequest) -> Answer:
    ...         return Answer(str(request.content).upper(), prompt_tokens=1, completion_tokens=1)
    >>> Shout().generate("hi")
    'HI'
    >>> run_sync(Shout().agenerate("again"))
    'AGAIN'
"""

from __future__ import annotations

from ._async import run_sync
from .autograd.function import conversation_text
from .autograd.llm_call import llm_backward
from .autograd.reduce_ops import pass_through
from .engine.base import Answer, EngineLM, EngineRequest, chat_messages
from .engine.content import content_parts, content_text
from .engine.guard import CallHold, report_usage
from .engine.provider_errors import to_engine_error
from .engine.registry import as_engine, get_backward_engine, resolve_engine
from .engine.usage import estimate_tokens
from .engine.workers import run_in_worker
from .errors import (
    BindingRejected,
    BudgetExceeded,
    EngineError,
    TgCoreError,
    TransientEngineError,
    UserError,
)
from .graph import BackwardContext, is_grad_enabled
from .prompts import render
from .variable import Binding, Variable

__all__ = [
    "Answer",
    "BackwardContext",
    "Binding",
    "BindingRejected",
    "BudgetExceeded",
    "CallHold",
    "EngineError",
    "EngineLM",
    "EngineRequest",
    "TgCoreError",
    "TransientEngineError",
    "UserError",
    "Variable",
    "as_engine",
    "chat_messages",
    "content_parts",
    "content_text",
    "conversation_text",
    "estimate_tokens",
    "get_backward_engine",
    "is_grad_enabled",
    "llm_backward",
    "pass_through",
    "render",
    "report_usage",
    "resolve_engine",
    "run_in_worker",
    "run_sync",
    "to_engine_error",
]
