"""The engine protocol: ``EngineLM`` and the one call sequence every engine runs.

``EngineLM.agenerate`` is the sequence: the test override, the answer cache, retries of
transient failures, and for each attempt the guard (budgets, usage, concurrency limit)
around the one method an engine implements, :meth:`EngineLM._acall`. A TextGrad-style
subclass implements ``generate`` instead and gets the same sequence around it.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Self

from .._async import run_sync
from ..errors import UserError
from .cache import ResponseCache, cache_key
from .content import content_parts, content_text
from .finish import PARTIAL_FINISH, note_finish
from .guard import guarded_attempt, report_usage
from .overrides import active_override
from .placement import call_sync
from .retry import call_with_retries
from .usage import record_cache_hit


@dataclass(frozen=True)
class Answer:
    """What one model call returned: its text, why it stopped, and what the provider counted.

    Attributes:
        text: the answer.
        finish_reason: ``stop``, ``length`` ... when known; a cut answer is never cached.
        prompt_tokens: prompt tokens the provider counted (None: estimated instead).
        completion_tokens: completion tokens the provider counted (None: estimated instead).
        cost_usd: the call's price in dollars (None: unknown).

    Example:
        >>> Answer("4", "stop", prompt_tokens=9, completion_tokens=1).text
        '4'
    """

    text: str
    finish_reason: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cost_usd: float | None = None


def chat_messages(content: str | Sequence[Any], system: str | None) -> list[dict[str, Any]]:
    """The chat messages of one call: the system message (when there is one) and the user's.

    Example:
        >>> chat_messages("hi", "Be brief.")
        [{'role': 'system', 'content': 'Be brief.'}, {'role': 'user', 'content': 'hi'}]
    """
    messages: list[dict[str, Any]] = []
    if system is not None:
        messages.append({"role": "system", "content": system})
    messages.append({"role": "user", "content": content_parts(content)})
    return messages


@dataclass
class EngineRequest:
    """One call as the engine sees it.

    Attributes:
        content: the prompt as the caller gave it (text, or text and image parts).
        system_prompt: the system prompt as the caller gave it (None: not given).
        system: the system prompt the engine sends (its own default filled in, or None).
        settings: the engine's default settings updated with the call's keyword arguments.
        kwargs: the call's keyword arguments alone.

    Example:
        >>> EngineRequest("hi", None, "Be brief.", {"temperature": 0}).messages[0]["role"]
        'system'
    """

    content: str | Sequence[Any]
    system_prompt: str | None
    system: str | None
    settings: dict[str, Any]
    kwargs: dict[str, Any] = field(default_factory=dict)

    @functools.cached_property
    def messages(self) -> list[dict[str, Any]]:
        """The chat messages sent (built on first use: fakes never read image files)."""
        return chat_messages(self.content, self.system)

    @property
    def text(self) -> str:
        """The request's text (prompt, then system prompt), for budget estimates."""
        return content_text(self.content) + (self.system or "")


class EngineLM:
    """Base class of every engine: implement ``_acall`` (async) or ``generate`` (sync).

    The core calls :meth:`agenerate`, which runs one sequence for every engine: inside
    :func:`~tg_core.engine.registry.override_engines` the call goes to the override engine;
    an answer in the engine's ``cache`` is returned without a call; otherwise each attempt
    runs under the budgets and the concurrency limit and is counted in usage, and transient
    failures are retried ``max_retries`` times with backoff.

    An engine written for tg_core implements ``async _acall(request) -> Answer``. A
    TextGrad-style subclass implements ``generate(prompt, system_prompt=None, **kwargs)``
    instead; ``agenerate`` then runs it in a worker thread, so many calls run at once (an
    engine whose calls take microseconds is called inline: see
    :func:`~tg_core.engine.placement.call_sync`).

    Attributes:
        system_prompt: default system prompt of engines that fill one in.
        model_string: the model's name, in errors, usage and cache keys.
        cache: a :class:`~tg_core.engine.cache.ResponseCache`, or None (no caching).
        max_retries: retries of transient failures; None: one attempt, errors raised as
            they are.
        backoff_s: first retry delay in seconds (doubled each retry).

    Example:
        >>> class Echo(EngineLM):
        ...     model_string = "echo"
        ...     def generate(self, prompt, system_prompt=None, **kwargs):
        ...         return f"echo: {prompt}"
        >>> Echo()("hi")
        'echo: hi'
        >>> class Upper(EngineLM):
        ...     async def _acall(self, request: EngineRequest) -> Answer:
        ...         return Answer(str(request.content).upper())
        >>> Upper().generate("hi")
        'HI'
    """

    system_prompt: str = "You are a helpful, creative, and smart assistant."
    model_string: str = "custom"
    is_multimodal: bool = False
    cache: ResponseCache | None = None
    max_retries: int | None = None
    backoff_s: float = 1.0

    def __new__(cls, *args: Any, **kwargs: Any) -> Self:
        if cls.generate is EngineLM.generate and cls._acall is EngineLM._acall:
            raise TypeError(
                f"Can't instantiate {cls.__name__}: an engine implements "
                "generate(prompt, system_prompt=None, **kwargs) or async _acall(request)"
            )
        return super().__new__(cls)

    def generate(
        self, prompt: str | Sequence[Any], system_prompt: str | None = None, **kwargs: Any
    ) -> str:
        """Answer ``prompt`` (text, or a list of text and image parts); sync :meth:`agenerate`."""
        return run_sync(self.agenerate(prompt, system_prompt, **kwargs))

    async def agenerate(
        self, prompt: str | Sequence[Any], system_prompt: str | None = None, **kwargs: Any
    ) -> str:
        """Async ``generate``: the method the core calls, the same sequence for every engine.

        Raises:
            EngineError: the call failed for good (after the retries the engine allows).
            BudgetExceeded: a budget in force does not allow the call; nothing was sent.
        """
        override = active_override()
        if override is not None and override is not self:
            return str(await override.agenerate(prompt, system_prompt, **kwargs))
        request = EngineRequest(
            prompt,
            system_prompt,
            self._system_for(system_prompt),
            {**self._default_settings(), **kwargs},
            dict(kwargs),
        )
        cache = self.cache if isinstance(self.cache, ResponseCache) else None
        key = ""
        if cache is not None:
            key = cache_key(self.model_string, request.messages, request.settings)
            hit = await asyncio.to_thread(cache.get, key)
            if hit is not None:
                record_cache_hit()
                note_finish("stop")
                return hit
        finish: list[str | None] = [None]

        async def attempt() -> str:
            answer = await self._acall(request)
            finish[0] = answer.finish_reason
            if answer.prompt_tokens is not None and answer.completion_tokens is not None:
                report_usage(answer.prompt_tokens, answer.completion_tokens, answer.cost_usd)
            return answer.text

        text = await call_with_retries(
            attempt,
            engine=self.model_string,
            prompt_text=request.text,
            max_tokens=self._max_tokens(request.settings),
            max_retries=self.max_retries,
            backoff_s=self.backoff_s,
            cost_estimate=await self._cost_estimate(request),
        )
        note_finish(finish[0])
        if cache is not None and text and finish[0] not in PARTIAL_FINISH:
            await asyncio.to_thread(cache.set, key, text)
        return text

    async def _acall(self, request: EngineRequest) -> Answer:
        """One attempt of one call: the method an engine implements.

        Raise :class:`~tg_core.errors.TransientEngineError` for a failure worth retrying
        and :class:`~tg_core.errors.EngineError` for one that is not (see
        :func:`~tg_core.engine.provider_errors.to_engine_error`). Token counts and cost go
        in the :class:`Answer`; without them the tokens are estimated and the cost unknown.
        The default runs a TextGrad-style ``generate`` with the caller's arguments.
        """
        result = await call_sync(
            self, self.generate, request.content, request.system_prompt, **request.kwargs
        )
        return Answer(str(result))

    def _system_for(self, system_prompt: str | None) -> str | None:
        """The system prompt a call sends; by default the caller's, as given."""
        return system_prompt

    def _default_settings(self) -> dict[str, Any]:
        """Settings sent with every call, under the call's own keyword arguments."""
        return {}

    def _max_tokens(self, settings: dict[str, Any]) -> int | None:
        """The answer length a call may reach, held against token budgets before it starts."""
        value = settings.get("max_tokens")
        return value if isinstance(value, int) else None

    async def _cost_estimate(self, request: EngineRequest) -> float | None:
        """Dollars the call costs at least, held against dollar budgets (None: unknown)."""
        return None

    def __call__(self, prompt: Any, system_prompt: str | None = None, **kwargs: Any) -> str:
        """Same as :meth:`generate`."""
        return self.generate(prompt, system_prompt=system_prompt, **kwargs)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.model_string!r})"


CachedEngine = EngineLM
"""Alias kept for code written against TextGrad's ``CachedEngine`` base."""


async def agenerate_with(
    engine: Any, prompt: str | Sequence[Any], system_prompt: str | None = None, **kwargs: Any
) -> str:
    """Call any engine-like object asynchronously.

    Our engines (anything with ``agenerate``) are awaited; a foreign object that only has a
    sync ``generate`` (for example a TextGrad engine instance) runs in a worker thread under
    the same budget and concurrency rules.

    Example:
        >>> import asyncio
        >>> from tg_core.engine.fake import FakeEngine
        >>> asyncio.run(agenerate_with(FakeEngine(["ok"]), "hi"))
        'ok'
    """
    agen = getattr(engine, "agenerate", None)
    if agen is not None and asyncio.iscoroutinefunction(agen):
        return str(await agen(prompt, system_prompt=system_prompt, **kwargs))
    gen = getattr(engine, "generate", None)
    if gen is None:
        raise UserError(
            f"{engine!r} is not an engine: it has neither agenerate nor generate; "
            "pass an EngineLM or an engine name"
        )
    text = content_text(prompt) + (system_prompt or "")

    async def attempt() -> str:
        return str(await call_sync(engine, gen, prompt, system_prompt=system_prompt, **kwargs))

    return await guarded_attempt(text, kwargs.get("max_tokens"), attempt)
