"""``BudgetedLM``: a program's own ``dspy.LM`` calls counted in tg_core usage and budgets."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import dspy
from dspy.lm15 import Request

from tg_core.program.accounting import FrameworkCall

from .lm_calls import answer_text, call_usage, request_text


@contextlib.contextmanager
def _marked_for(inner: Any, outer: Any, messages: Any) -> Iterator[None]:
    """Carry a DSPy 3.4 adapter's mark on its chat-message call from the wrapper to the
    wrapped LM, so the call stays the adapter's own (DSPy 3.5 adapters send a ``Request``
    and have no such mark)."""
    try:
        from dspy.clients._deprecation import _adapter_call, adapter_message_call
    except ImportError:  # DSPy without the 3.4 message form: nothing to carry
        yield
        return
    origin = _adapter_call.get()
    if messages is not None and origin is not None and origin[0] is outer:
        with adapter_message_call(inner, messages):
            yield
    else:
        yield


class BudgetedLM(dspy.BaseLM):  # type: ignore[misc]
    """Wrap a ``dspy.LM`` so every call counts in tg_core's usage scopes and budgets.

    Before each call the request's estimated tokens (plus ``max_tokens``) are held against
    every budget in force, so a call past a budget raises
    :class:`~tg_core.errors.BudgetExceeded` and is never sent; afterwards the tokens and
    cost DSPy recorded for the call are counted (a DSPy cache hit counts as a cached call).
    Everything else (model name, settings, history, callbacks, save state) is the wrapped
    LM's. :class:`~tg_adapters.dspy.optimizer.TextGradOptimizer` puts one around the
    program's LMs for the length of ``compile``.

    Args:
        inner: the LM to wrap.

    Example:
        >>> import tg_core as tg
        >>> from tg_adapters.dspy.testing import FunctionLM, chat_answer
        >>> lm = BudgetedLM(FunctionLM(lambda call: chat_answer(answer="4")))
        >>> with tg.track_usage("program") as scope, dspy.context(lm=lm):
        ...     _ = dspy.Predict("question -> answer")(question="2+2?")
        >>> scope.usage.calls, scope.usage.prompt_tokens > 0
        (1, True)
    """

    def __init__(self, inner: Any) -> None:
        if isinstance(inner, BudgetedLM):
            inner = inner.inner
        # No BaseLM.__init__: the model name, settings and history are the inner LM's own.
        self.inner: Any = inner
        self.model = inner.model
        self.model_type = getattr(inner, "model_type", "chat")
        self.cache = getattr(inner, "cache", True)
        self.callbacks: list[Any] = []
        self.num_retries = getattr(inner, "num_retries", 3)
        self.kwargs = inner.kwargs
        self.history = inner.history

    def __getattr__(self, name: str) -> Any:
        if name == "inner":
            raise AttributeError(name)
        return getattr(self.inner, name)

    @property
    def supports_function_calling(self) -> bool:
        """The wrapped LM's answer."""
        return bool(self.inner.supports_function_calling)

    @property
    def supports_reasoning(self) -> bool:
        """The wrapped LM's answer."""
        return bool(self.inner.supports_reasoning)

    @property
    def supports_response_schema(self) -> bool:
        """The wrapped LM's answer."""
        return bool(self.inner.supports_response_schema)

    @property
    def supported_params(self) -> set[str]:
        """The wrapped LM's answer."""
        return set(self.inner.supported_params)

    def _hold(self, prompt: Any, messages: Any, kwargs: dict[str, Any]) -> FrameworkCall:
        request = prompt if isinstance(prompt, Request) else kwargs.get("request")
        limit = request.config.max_tokens if isinstance(request, Request) else None
        max_tokens = limit or kwargs.get("max_tokens") or self.kwargs.get("max_tokens") or 0
        return FrameworkCall(request_text(request or prompt, messages), int(max_tokens))

    def _settle(self, call: FrameworkCall, outputs: Any) -> None:
        if outputs is not None:  # no outputs: the call counts as failed
            call.finish(call_usage(self.inner, outputs), answer_text(outputs))

    def __call__(self, prompt: Any = None, *, messages: Any = None, **kwargs: Any) -> Any:
        """Call the wrapped LM under the budgets, in the form the caller used: a
        ``dspy.lm15.Request`` (answered by a ``Response``), a prompt, or a DSPy 3.4
        adapter's chat messages."""
        with self._hold(prompt, messages, kwargs) as call, _marked_for(self.inner, self, messages):
            outputs = self.inner(prompt, messages=messages, **kwargs)
            self._settle(call, outputs)
        return outputs

    async def acall(self, prompt: Any = None, *, messages: Any = None, **kwargs: Any) -> Any:
        """Async :meth:`__call__`."""
        with self._hold(prompt, messages, kwargs) as call, _marked_for(self.inner, self, messages):
            outputs = await self.inner.acall(prompt, messages=messages, **kwargs)
            self._settle(call, outputs)
        return outputs

    def copy(self, **kwargs: Any) -> BudgetedLM:
        """A wrapper around a copy of the wrapped LM."""
        return BudgetedLM(self.inner.copy(**kwargs))

    def dump_state(self) -> dict[str, Any]:
        """The wrapped LM's state (what is saved is the LM, never the wrapper)."""
        return dict(self.inner.dump_state())


@contextlib.contextmanager
def budgeted_program_lms(program: Any) -> Iterator[None]:
    """Within the block, ``program``'s calls (its predictors' own LMs and the configured
    ``dspy.settings.lm``) go through :class:`BudgetedLM`; the LMs are put back afterwards.

    Example:
        >>> from tg_adapters.dspy.testing import FunctionLM, chat_answer
        >>> program = dspy.Predict("question -> answer")
        >>> with dspy.context(lm=FunctionLM(lambda c: chat_answer(answer="4"))):
        ...     with budgeted_program_lms(program):
        ...         wrapped = type(dspy.settings.lm).__name__
        >>> wrapped, program.lm is None
        ('BudgetedLM', True)
    """
    own: list[tuple[Any, Any]] = []
    for predictor in program.predictors():
        lm = getattr(predictor, "lm", None)
        if lm is not None and not isinstance(lm, BudgetedLM):
            own.append((predictor, lm))
    settings_lm = dspy.settings.get("lm", None)
    try:
        for predictor, lm in own:
            predictor.lm = BudgetedLM(lm)
        if settings_lm is not None and not isinstance(settings_lm, BudgetedLM):
            with dspy.context(lm=BudgetedLM(settings_lm)):
                yield
        else:
            yield
    finally:
        for predictor, lm in own:
            predictor.lm = lm
