"""Adds a recording handler and a chosen run id to a LangChain run config."""

from __future__ import annotations

from typing import Any, cast
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler, BaseCallbackManager
from langchain_core.runnables import RunnableConfig


def with_handler(
    config: RunnableConfig | None, handler: BaseCallbackHandler, run_id: UUID
) -> RunnableConfig:
    """A copy of ``config`` whose callbacks also include ``handler`` and whose run is ``run_id``.

    Example:
        >>> from uuid import uuid4
        >>> handler = BaseCallbackHandler()
        >>> with_handler({"tags": ["x"]}, handler, uuid4())["callbacks"] == [handler]
        True
    """
    merged = dict(add_callback(config, handler))
    merged["run_id"] = run_id
    return cast(RunnableConfig, merged)


def add_callback(config: RunnableConfig | None, handler: BaseCallbackHandler) -> RunnableConfig:
    """A copy of ``config`` whose callbacks also include ``handler``.

    Example:
        >>> handler = BaseCallbackHandler()
        >>> add_callback(None, handler)["callbacks"] == [handler]
        True
    """
    merged: dict[str, Any] = dict(config or {})
    callbacks = merged.get("callbacks")
    if callbacks is None:
        merged["callbacks"] = [handler]
    elif isinstance(callbacks, BaseCallbackManager):
        manager = callbacks.copy()
        manager.add_handler(handler, inherit=True)
        merged["callbacks"] = manager
    else:
        merged["callbacks"] = [*callbacks, handler]
    return cast(RunnableConfig, merged)
