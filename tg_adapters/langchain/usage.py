"""Counts a chain's own model calls in tg_core's usage and holds them to its budgets."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler

from tg_core.program.accounting import CallUsage, HeldCalls


def _text_of(messages: list[list[Any]]) -> str:
    return "\n".join(str(getattr(m, "content", m)) for batch in messages for m in batch)


def _usage(response: Any) -> CallUsage:
    usage = (getattr(response, "llm_output", None) or {}).get("token_usage") or {}
    if usage:
        return CallUsage(usage.get("prompt_tokens"), usage.get("completion_tokens"))
    for batch in getattr(response, "generations", None) or []:
        for generation in batch:
            meta = getattr(getattr(generation, "message", None), "usage_metadata", None)
            if meta:
                return CallUsage(meta.get("input_tokens"), meta.get("output_tokens"))
    return CallUsage(None, None)


class UsageCallbackHandler(BaseCallbackHandler):
    """Makes a chain's model calls count like tg_core's own: in every usage scope, and refused
    with :class:`~tg_core.BudgetExceeded` before a call that would pass a budget.

    Example:
        >>> import tg_core as tg
        >>> from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
        >>> model = GenericFakeChatModel(messages=iter(["hi"]))
        >>> with tg.track_usage("chain") as scope:
        ...     _ = model.invoke("hello", config={"callbacks": [UsageCallbackHandler()]})
        >>> scope.usage.calls
        1
    """

    # A BudgetExceeded must stop the chain, not be logged. LangChain's async callback manager
    # makes every handler's coroutine before awaiting the inline ones one by one, so an inline
    # handler that raises leaves the coroutines after it never awaited (a RuntimeWarning, and
    # those handlers never hear of the call). Not inline, this handler runs with the other
    # non-inline ones under one gather, after every inline handler has run: none is stranded,
    # and the call is still held before it is sent.
    run_inline = False
    raise_error = True

    def __init__(self) -> None:
        super().__init__()
        self._held = HeldCalls()

    def _hold(self, run_id: UUID, text: str, kwargs: dict[str, Any]) -> None:
        params = kwargs.get("invocation_params") or {}
        max_tokens = params.get("max_tokens") or params.get("max_completion_tokens") or 0
        self._held.hold(run_id, text, int(max_tokens))

    def _settle(self, run_id: UUID, response: Any = None) -> None:
        call = self._held.pop(run_id)
        if call is None:
            return
        if response is None:
            call.failed()
            return
        answer = ""
        if getattr(response, "generations", None):
            answer = "".join(getattr(g, "text", "") for g in response.generations[0])
        call.finish(_usage(response), answer)

    def on_chat_model_start(
        self, serialized: Any, messages: list[list[Any]], *, run_id: UUID, **kwargs: Any
    ) -> None:
        """Hold the call against the budgets (raises BudgetExceeded past one)."""
        self._hold(run_id, _text_of(messages), kwargs)

    def on_llm_start(
        self, serialized: Any, prompts: list[str], *, run_id: UUID, **kwargs: Any
    ) -> None:
        """Hold a text model call against the budgets."""
        self._hold(run_id, "\n".join(prompts), kwargs)

    def on_llm_end(self, response: Any, *, run_id: UUID, **kwargs: Any) -> None:
        """Count what the call used."""
        self._settle(run_id, response)

    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        """Count a failed call."""
        self._settle(run_id)
