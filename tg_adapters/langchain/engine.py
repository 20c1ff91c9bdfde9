"""``ChatModelEngine``: a tg_core engine that calls a LangChain chat model you configured."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

from tg_core.extend import (
    Answer,
    EngineLM,
    EngineRequest,
    TgCoreError,
    UserError,
    as_engine,
    content_parts,
    to_engine_error,
)
from tg_core.program.accounting import CallUsage

from .values import message_text


def _model_name(model: BaseChatModel) -> str:
    for attr in ("model_name", "model", "model_id"):
        value = getattr(model, attr, None)
        if isinstance(value, str) and value:
            return value
    return type(model).__name__


class ChatModelEngine(EngineLM):
    """Use a LangChain chat model as the backward and optimizer engine.

    Each call sends ``[SystemMessage, HumanMessage]`` with ``model.ainvoke``, under tg_core's
    budgets and concurrency limit, and reports the model's ``usage_metadata`` tokens.
    Transient failures (429, 5xx, timeouts) are retried with backoff.

    Args:
        model: any LangChain chat model.
        max_retries: retries of transient failures.
        backoff_s: first retry delay in seconds (doubled each time).
        **invoke_kwargs: sent with every call (for example ``max_tokens``).

    Example:
        >>> from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
        >>> engine = ChatModelEngine(GenericFakeChatModel(messages=iter(["Be concrete."])))
        >>> engine.generate("Critique this.", system_prompt="You are a critic.")
        'Be concrete.'
    """

    def __init__(
        self,
        model: BaseChatModel,
        *,
        max_retries: int = 2,
        backoff_s: float = 1.0,
        **invoke_kwargs: Any,
    ) -> None:
        if not isinstance(model, BaseChatModel):
            raise UserError(f"ChatModelEngine needs a LangChain chat model, got {model!r}")
        if max_retries < 0 or backoff_s < 0:
            raise UserError("max_retries and backoff_s must be >= 0")
        self.model = model
        self.model_string = f"langchain/{_model_name(model)}"
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.invoke_kwargs = dict(invoke_kwargs)

    def messages(self, prompt: str | Sequence[Any], system_prompt: str | None) -> list[BaseMessage]:
        """The two messages one call sends."""
        content: Any = content_parts(prompt)
        return [SystemMessage(content=self._system_for(system_prompt)), HumanMessage(content)]

    def _system_for(self, system_prompt: str | None) -> str:
        return system_prompt or self.system_prompt

    def _default_settings(self) -> dict[str, Any]:
        return self.invoke_kwargs

    def _max_tokens(self, settings: dict[str, Any]) -> int | None:
        value = settings.get("max_tokens") or getattr(self.model, "max_tokens", None)
        return value if isinstance(value, int) else None

    async def _acall(self, request: EngineRequest) -> Answer:
        """One ``ainvoke`` of the chat model, with the tokens of its ``usage_metadata``."""
        messages = self.messages(request.content, request.system_prompt)
        try:
            reply = await self.model.ainvoke(messages, **request.settings)
        except TgCoreError:
            raise
        except Exception as exc:
            raise to_engine_error(exc, self.model_string) from exc
        usage = getattr(reply, "usage_metadata", None)
        if not usage:
            return Answer(message_text(reply))
        tokens = CallUsage(int(usage.get("input_tokens", 0)), int(usage.get("output_tokens", 0)))
        return tokens.answer(message_text(reply))


def as_tg_engine(engine: Any) -> Any:
    """A tg_core engine from an engine, an engine name or a LangChain chat model (None stays).

    Example:
        >>> as_tg_engine("fake").model_string
        'fake'
    """
    if engine is None:
        return None
    if isinstance(engine, BaseChatModel):
        return ChatModelEngine(engine)
    return as_engine(engine)
