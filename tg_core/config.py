"""TextGrad's ``config`` path: the process backward engine as a singleton object."""

from __future__ import annotations

from typing import Any

from .engine import registry
from .engine.base import EngineLM
from .engine.registry import resolve_engine, set_backward_engine

__all__ = ["SingletonBackwardEngine", "set_backward_engine", "validate_engine_or_get_default"]


class SingletonBackwardEngine:
    """The one object that holds the process-wide backward engine (TextGrad's singleton).

    It is a view of :func:`tg_core.set_backward_engine` / :func:`tg_core.get_backward_engine`:
    setting an engine here sets it there, and the engine in force (a
    :func:`~tg_core.engine.registry.backward_engine` scope first, then the process default)
    is what ``get_engine`` returns.

    Example:
        >>> from tg_core.engine.fake import FakeEngine
        >>> fake = FakeEngine()
        >>> SingletonBackwardEngine() is SingletonBackwardEngine()
        True
        >>> SingletonBackwardEngine().set_engine(fake, override=True)
        >>> SingletonBackwardEngine().get_engine() is fake
        True
        >>> SingletonBackwardEngine().engine = None
    """

    _instance: SingletonBackwardEngine | None = None

    def __new__(cls) -> SingletonBackwardEngine:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    @property
    def engine(self) -> EngineLM | None:
        """The backward engine in force, or None."""
        return registry.get_backward_engine()

    @engine.setter
    def engine(self, engine: EngineLM | None) -> None:
        registry._PROCESS_BACKWARD = None if engine is None else registry.as_engine(engine)

    def set_engine(self, engine: EngineLM | str, override: bool = False) -> None:
        """Set the process-wide backward engine.

        Raises:
            UserError: one is already set and ``override`` is False.
        """
        set_backward_engine(engine, override=override)

    def get_engine(self) -> EngineLM | None:
        """The backward engine in force, or None."""
        return self.engine


def validate_engine_or_get_default(engine: EngineLM | str | None) -> Any:
    """``engine`` as an engine object (a name goes through ``get_engine``), else the default.

    Raises:
        NoEngineError: ``engine`` is None and no backward engine is set.

    Example:
        >>> validate_engine_or_get_default(None)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        tg_core.errors.NoEngineError: no engine for this call: ...
    """
    return resolve_engine(engine)
