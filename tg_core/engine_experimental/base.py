"""TextGrad's ``engine_experimental.base`` path: an engine base with two generate hooks, and
the ``cached`` decorator for them."""

from __future__ import annotations

import functools
import hashlib
import re
from abc import abstractmethod
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from ..engine.base import EngineLM as CoreEngineLM
from ..engine.litellm_engine import DEFAULT_SYSTEM_PROMPT
from ..errors import UserError

__all__ = ["EngineLM", "cached"]

F = TypeVar("F", bound=Callable[..., Any])


def cached(func: F) -> F:
    """Cache a generate method's answers in ``self.cache`` (a ``diskcache.Cache``, or False).

    The key is a SHA-256 of the arguments' text, the same in every process (so a cache
    written by one run is found by the next).

    Example:
        >>> class Counter:
        ...     cache, calls = {}, 0
        ...     @cached
        ...     def ask(self, prompt):
        ...         Counter.calls += 1
        ...         return prompt.upper()
        >>> c = Counter()
        >>> c.ask("hi"), c.ask("hi"), Counter.calls
        ('HI', 'HI', 1)
    """

    @functools.wraps(func)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        store: Any = getattr(self, "cache", False)
        if store is False or store is None:
            return func(self, *args, **kwargs)
        key = hashlib.sha256(
            f"{func.__qualname__}|{args!r}|{sorted(kwargs.items())!r}".encode()
        ).hexdigest()
        if key in store:
            return store[key]
        result = func(self, *args, **kwargs)
        store[key] = result
        return result

    return wrapper  # type: ignore[return-value]


class EngineLM(CoreEngineLM):
    """Base of a custom engine written the ``engine_experimental`` way: implement
    ``_generate_from_single_prompt`` (text) and ``_generate_from_multiple_input`` (a list of
    text and image bytes); ``generate`` picks one and fills in the default system prompt.

    Args:
        model_string: the model's name.
        system_prompt: used when a call gives none.
        is_multimodal: whether image inputs are allowed.
        cache: ``True`` (a disk cache under ``<tg_core home>/engine_cache``), ``False``, or a
            ``diskcache.Cache``.

    Example:
        >>> class Shout(EngineLM):
        ...     def _generate_from_single_prompt(self, content, system_prompt=None, **kw):
        ...         return content.upper()
        ...     def _generate_from_multiple_input(self, content, system_prompt=None, **kw):
        ...         return " ".join(c for c in content if isinstance(c, str)).upper()
        >>> Shout("shout").generate("hi"), Shout("shout").generate(["a", "b"])
        ('HI', 'A B')
    """

    def __init__(
        self,
        model_string: str,
        system_prompt: str = DEFAULT_SYSTEM_PROMPT,
        is_multimodal: bool = False,
        cache: Any = False,
    ) -> None:
        self.model_string = model_string
        self.system_prompt = system_prompt
        self.is_multimodal = is_multimodal
        if cache is True:
            import diskcache

            from ..engine.cache import make_private_dir, tg_core_home

            safe = re.sub(r"[^A-Za-z0-9._-]+", "_", model_string)
            folder = make_private_dir(tg_core_home() / "engine_cache")
            self.cache: Any = diskcache.Cache(str(folder / f"cache_model_{safe}.db"))
        elif cache is False or hasattr(cache, "__contains__"):
            self.cache = cache
        else:
            raise UserError("cache must be True, False or a diskcache.Cache")

    @abstractmethod
    def _generate_from_single_prompt(
        self, content: str, system_prompt: str | None = None, **kwargs: Any
    ) -> str:
        """Answer a text prompt."""

    @abstractmethod
    def _generate_from_multiple_input(
        self, content: list[str | bytes], system_prompt: str | None = None, **kwargs: Any
    ) -> str:
        """Answer a list of text and image bytes."""

    def generate(  # type: ignore[override]  # TextGrad names this argument `content`
        self, content: str | Sequence[Any], system_prompt: str | None = None, **kwargs: Any
    ) -> str:
        """Answer ``content`` with the matching hook.

        Raises:
            UserError: images were given to an engine that is not multimodal.
        """
        system = system_prompt or self.system_prompt
        if isinstance(content, str):
            return self._generate_from_single_prompt(content, system_prompt=system, **kwargs)
        items = list(content)
        if any(isinstance(i, (bytes, bytearray)) for i in items) and not self.is_multimodal:
            raise UserError(
                f"{type(self).__name__} got image input but is_multimodal is False; "
                "pass is_multimodal=True if the model takes images"
            )
        return self._generate_from_multiple_input(items, system_prompt=system, **kwargs)
