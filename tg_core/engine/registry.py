"""Engine lookup by name, and the default engines: argument > context scope > process default."""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from typing import Any, cast

from ..errors import NoEngineError, UserError
from .base import EngineLM
from .overrides import _OVERRIDE

_PROCESS_BACKWARD: EngineLM | None = None
_CONTEXT_BACKWARD: contextvars.ContextVar[EngineLM | None] = contextvars.ContextVar(
    "tg_core_backward_engine", default=None
)

# TextGrad's short-name prefixes and the litellm provider each one means.
_PREFIXES = {
    "azure-": "azure/",
    "together-": "together_ai/",
    "ollama-": "ollama/",
    "vllm-": "hosted_vllm/",
    "groq-": "groq/",
}


def litellm_model_name(engine_name: str) -> str:
    """The litellm model string for a TextGrad-style or litellm engine name.

    Example:
        >>> litellm_model_name("experimental:gpt-4o")
        'gpt-4o'
        >>> litellm_model_name("claude-3-5-sonnet-20240620")
        'anthropic/claude-3-5-sonnet-20240620'
        >>> litellm_model_name("together-meta-llama/Llama-3-70b-chat-hf")
        'together_ai/meta-llama/Llama-3-70b-chat-hf'
    """
    name = engine_name.strip()
    if name.startswith("experimental:"):
        name = name[len("experimental:") :]
    if "/" in name.split("-", 1)[0]:
        return name
    for prefix, provider in _PREFIXES.items():
        if name.startswith(prefix):
            return provider + name[len(prefix) :]
    if name.startswith("claude-"):
        return "anthropic/" + name
    if name.startswith("gemini-"):
        return "gemini/" + name
    return name


def get_engine(engine_name: str, cache: Any = True, **kwargs: Any) -> EngineLM:
    """Make an engine from a name: litellm strings, TextGrad short names, ``local``, ``fake``.

    Args:
        engine_name: ``"gpt-4o"``, ``"openai/gpt-4o-mini"``, ``"experimental:..."``,
            ``"local"`` (the embedded model), ``"fake"`` (offline scripted engine) ...
        cache: ``True`` (default disk cache), ``False``, or a folder path.
        **kwargs: passed to :class:`~tg_core.engine.litellm_engine.LiteLLMEngine`
            (``api_base``, ``api_key``, ``temperature``, ``max_tokens`` ...).

    Raises:
        UserError: no provider serves the model (the message lists the names that work).

    Example:
        >>> get_engine("openai/gpt-4o-mini", cache=False).model_string
        'openai/gpt-4o-mini'
    """
    if not isinstance(engine_name, str) or not engine_name.strip():
        raise UserError(f"engine name must be a non-empty string, got {engine_name!r}")
    override = _OVERRIDE.get()
    if override is not None:
        return cast(EngineLM, override)
    name = engine_name.strip()
    if name == "fake":
        from .fake import FakeEngine

        return FakeEngine()
    if name == "local" or name.startswith("local/"):
        from .local_engine import LocalEngine

        return LocalEngine(cache=cache, **kwargs)
    from .litellm_engine import LiteLLMEngine
    from .model_names import check_routable, expand_shortcut

    model = check_routable(litellm_model_name(expand_shortcut(name)), kwargs)
    return LiteLLMEngine(model, cache=cache, **kwargs)


def as_engine(engine: EngineLM | str | Any) -> Any:
    """An engine object for ``engine`` (names go through :func:`get_engine`)."""
    if isinstance(engine, str):
        return get_engine(engine)
    if not (hasattr(engine, "agenerate") or hasattr(engine, "generate")):
        raise UserError(f"{engine!r} is not an engine: pass an EngineLM or an engine name")
    return engine


def set_backward_engine(engine: EngineLM | str, override: bool = False, **kwargs: Any) -> None:
    """Set the process-wide engine for losses, backward passes and optimizers.

    Args:
        engine: an engine, or a name for :func:`get_engine`.
        override: replace an engine set before.
        **kwargs: passed to :func:`get_engine` with a name (``temperature``, ``api_base`` ...).

    Raises:
        UserError: one is already set and ``override`` is False, or ``kwargs`` came with an
            engine object (they only configure an engine made from a name).

    Example:
        >>> set_backward_engine("fake", override=True)
    """
    global _PROCESS_BACKWARD
    if _PROCESS_BACKWARD is not None and not override:
        raise UserError("a backward engine is already set; pass override=True to replace it")
    if kwargs and not isinstance(engine, str):
        raise UserError(
            f"set_backward_engine got settings {sorted(kwargs)} with an engine object; "
            "pass them to the engine you built, or give an engine name instead"
        )
    _PROCESS_BACKWARD = (
        get_engine(engine, **kwargs) if isinstance(engine, str) else as_engine(engine)
    )


def get_backward_engine() -> EngineLM | None:
    """The backward engine in force here (context scope first, then process default)."""
    return _CONTEXT_BACKWARD.get() or _PROCESS_BACKWARD


def resolve_engine(engine: EngineLM | str | Any | None, what: str = "this call") -> Any:
    """An explicit engine if given, else the context's, else the process default.

    Raises:
        NoEngineError: none of them is set.
    """
    if engine is not None:
        return as_engine(engine)
    found = get_backward_engine()
    if found is None:
        raise NoEngineError(
            f"no engine for {what}: pass engine=..., or call "
            "tg_core.set_backward_engine('gpt-4o') (or 'local') first"
        )
    return found


@contextlib.contextmanager
def backward_engine(engine: EngineLM | str) -> Iterator[EngineLM]:
    """Use ``engine`` as the backward engine inside the block (this task and thread only).

    Example:
        >>> with backward_engine("fake") as e:
        ...     get_backward_engine() is e
        True
    """
    resolved = as_engine(engine)
    token = _CONTEXT_BACKWARD.set(resolved)
    try:
        yield resolved
    finally:
        _CONTEXT_BACKWARD.reset(token)


@contextlib.contextmanager
def override_engines(engine: EngineLM) -> Iterator[EngineLM]:
    """Make every :func:`get_engine` call and the backward engine return ``engine`` (tests).

    Example:
        >>> from tg_core.engine.fake import FakeEngine
        >>> with override_engines(FakeEngine()) as fake:
        ...     get_engine("gpt-4o") is fake
        True
    """
    token = _OVERRIDE.set(engine)
    token2 = _CONTEXT_BACKWARD.set(engine)
    try:
        yield engine
    finally:
        _CONTEXT_BACKWARD.reset(token2)
        _OVERRIDE.reset(token)
