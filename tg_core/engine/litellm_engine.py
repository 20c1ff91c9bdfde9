"""The one engine for every provider: litellm underneath, with cache, retries and usage."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from .._async import run_sync
from ..errors import EngineError, TransientEngineError, UserError
from ..secrets import redact_text
from .base import EngineLM
from .cache import ResponseCache, cache_key
from .content import content_parts, content_text
from .guard import report_usage
from .openai_http import chat_completion, status_hint
from .overrides import active_override
from .retry import call_with_retries
from .usage import dollar_budget_active, estimate_tokens, record_cache_hit

Transport = Literal["auto", "litellm", "http"]
DEFAULT_SYSTEM_PROMPT = "You are a helpful, creative, and smart assistant."
_MAX_BACKOFF_S = 60.0
# Finish reasons of an answer the provider cut short: returned, never cached.
_PARTIAL_FINISH = frozenset({"length", "content_filter"})


def import_litellm() -> Any:
    """Import litellm lazily, with its price table read locally (no network at import)."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    litellm.suppress_debug_info = True
    return litellm


def _retry_after(exc: BaseException) -> float | None:
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None) or {}
    try:
        value = headers.get("retry-after") or headers.get("Retry-After")
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def to_engine_error(
    exc: BaseException, engine: str, secrets: Sequence[str | None] = ()
) -> EngineError:
    """Map a provider exception to a typed error: transient (retry) or permanent.

    The body is redacted: ``secrets`` (the engine's key), keys found in the environment and
    key-shaped strings never reach the message, even when the provider echoes them.
    """
    status = getattr(exc, "status_code", None)
    status = status if isinstance(status, int) else None
    name = type(exc).__name__
    body = redact_text(str(getattr(exc, "message", None) or exc), secrets)
    transient = (
        status in (408, 409, 429)
        or (status is not None and status >= 500)
        or name in {"Timeout", "APIConnectionError", "APITimeoutError", "ReadTimeout"}
        or isinstance(exc, (asyncio.TimeoutError, ConnectionError))
    )
    if transient:
        return TransientEngineError(
            f"{name}", engine=engine, status=status, body=body, retry_after=_retry_after(exc)
        )
    return EngineError(name, engine=engine, status=status, body=body, hint=status_hint(status))


class LiteLLMEngine(EngineLM):
    """An engine for any litellm model string (``"openai/gpt-4o"``, ``"anthropic/..."`` ...).

    Args:
        model_string: litellm model name; any OpenAI-compatible server works with
            ``"openai/<name>"`` and ``api_base=``.
        system_prompt: default system prompt when a call gives none.
        is_multimodal: accepted for TextGrad compatibility (content lists always work).
        cache: ``True`` for the default disk cache, a folder path, a
            :class:`~tg_core.engine.cache.ResponseCache`, or ``False``.
        api_base: endpoint of an OpenAI-compatible server (vLLM, SGLang, llama.cpp, Ollama).
        api_key: key for that endpoint; never stored in cache keys, logs or checkpoints.
        router: a ``litellm.Router``; calls go through it (load balancing, fallbacks).
        max_retries: retries of transient failures (429, 5xx, timeouts), with backoff.
        timeout: seconds per attempt.
        transport: ``"auto"`` (default) sends ``openai/<model>`` calls with an ``api_base``
            straight to that OpenAI-compatible server (the same request, about 20 times less
            client CPU than going through litellm) and everything else through litellm;
            ``"litellm"`` always uses litellm; ``"http"`` always the direct client.
        **sampling: default settings sent with every call (temperature, max_tokens, seed ...).

    Example:
        >>> engine = LiteLLMEngine("openai/gpt-4o-mini", cache=False, temperature=0)
        >>> engine.model_string
        'openai/gpt-4o-mini'
    """

    def __init__(
        self,
        model_string: str,
        system_prompt: str = DEFAULT_SYSTEM_PROMPT,
        is_multimodal: bool = True,
        cache: bool | str | os.PathLike[str] | ResponseCache = False,
        *,
        api_base: str | None = None,
        api_key: str | None = None,
        router: Any = None,
        max_retries: int = 4,
        timeout: float = 120.0,
        backoff_s: float = 1.0,
        transport: Transport = "auto",
        **sampling: Any,
    ) -> None:
        if transport not in ("auto", "litellm", "http"):
            raise UserError(f"transport must be 'auto', 'litellm' or 'http', got {transport!r}")
        if transport == "http" and (router is not None or not model_string.startswith("openai/")):
            raise UserError(
                "transport='http' talks to OpenAI-compatible servers only: use an "
                "'openai/<model>' name with api_base=, and no router"
            )
        self.transport: Transport = transport
        self._rates: tuple[float, float] | None = None
        self._rates_known = False
        self.model_string = model_string
        self.system_prompt = system_prompt
        self.is_multimodal = is_multimodal
        self.api_base = api_base
        self._api_key = api_key
        self.router = router
        self.max_retries = max_retries
        self.timeout = timeout
        self.backoff_s = backoff_s
        self.sampling: dict[str, Any] = dict(sampling)
        if isinstance(cache, ResponseCache):
            self.cache: ResponseCache | None = cache
        elif cache is True:
            self.cache = ResponseCache()
        elif cache:
            self.cache = ResponseCache(Path(cache))
        else:
            self.cache = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.model_string!r}, cache={self.cache is not None})"

    def generate(  # type: ignore[override]  # TextGrad names this argument `content`
        self, content: str | Sequence[Any], system_prompt: str | None = None, **kwargs: Any
    ) -> str:
        """Sync twin of :meth:`agenerate`.

        Example:
            >>> LiteLLMEngine("openai/gpt-4o").generate  # doctest: +ELLIPSIS
            <bound method LiteLLMEngine.generate of LiteLLMEngine('openai/gpt-4o', ...)>
        """
        return run_sync(self.agenerate(content, system_prompt, **kwargs))

    def messages(
        self, content: str | Sequence[Any], system_prompt: str | None
    ) -> list[dict[str, Any]]:
        """The chat messages sent for ``content``."""
        system = system_prompt if system_prompt is not None else self.system_prompt
        return [
            {"role": "system", "content": system},
            {"role": "user", "content": content_parts(content)},
        ]

    async def agenerate(  # type: ignore[override]  # same argument name as generate
        self, content: str | Sequence[Any], system_prompt: str | None = None, **kwargs: Any
    ) -> str:
        """Answer ``content``: from the cache if it was asked before, else with retries.

        Inside :func:`~tg_core.engine.registry.override_engines` the call goes to the
        override engine instead (tests run real scripts on a fake this way).
        """
        override = active_override()
        if override is not None and override is not self:
            return str(await override.agenerate(content, system_prompt, **kwargs))
        messages = self.messages(content, system_prompt)
        settings = {**self.sampling, **kwargs}
        key = cache_key(self.model_string, messages, settings) if self.cache is not None else ""
        if self.cache is not None:
            hit = await asyncio.to_thread(self.cache.get, key)
            if hit is not None:
                record_cache_hit()
                return hit
        prompt_text = content_text(content) + (system_prompt or self.system_prompt)
        finish: list[str | None] = [None]

        async def attempt() -> str:
            text, finish[0] = await self._complete(messages, settings)
            return text

        text = await call_with_retries(
            attempt,
            engine=self.model_string,
            prompt_text=prompt_text,
            max_tokens=settings.get("max_tokens"),
            max_retries=self.max_retries,
            backoff_s=self.backoff_s,
            cost_estimate=await self._least_cost(prompt_text),
        )
        if self.cache is not None and text and finish[0] not in _PARTIAL_FINISH:
            await asyncio.to_thread(self.cache.set, key, text)
        return text

    async def _least_cost(self, prompt_text: str) -> float | None:
        """The prompt's cost at the model's price, held against a dollar budget (or None)."""
        if not dollar_budget_active():
            return None
        rates = await self._price_rates()  # None: no price; the budget check says so later
        return estimate_tokens(prompt_text) * rates[0] if rates is not None else None

    def _is_direct(self, model: str, api_base: str | None) -> bool:
        """Whether this call goes straight to an OpenAI-compatible server."""
        if self.transport == "litellm" or self.router is not None or api_base is None:
            return False
        return model.startswith("openai/")

    async def _price_rates(self) -> tuple[float, float] | None:
        """Dollars per prompt and per completion token from litellm's table, looked up once."""
        if not self._rates_known:
            self._rates = await asyncio.to_thread(_lookup_rates, self.model_string)
            self._rates_known = True
        return self._rates

    async def _resolve_endpoint(self) -> tuple[str, str | None]:
        """(litellm model name, api_base) for the next call; subclasses may start servers."""
        return self.model_string, self.api_base

    async def _complete(
        self, messages: list[dict[str, Any]], settings: dict[str, Any]
    ) -> tuple[str, str | None]:
        """One attempt: the answer's text and its finish reason."""
        model, api_base = await self._resolve_endpoint()
        if self._is_direct(model, api_base):
            assert api_base is not None
            answer = await chat_completion(
                api_base,
                model.split("/", 1)[1],
                messages,
                settings,
                api_key=self._api_key,
                timeout=self.timeout,
                engine=self.model_string,
            )
            if answer.prompt_tokens is not None and answer.completion_tokens is not None:
                rates = await self._price_rates()
                cost = None
                if rates is not None:
                    cost = answer.prompt_tokens * rates[0] + answer.completion_tokens * rates[1]
                report_usage(answer.prompt_tokens, answer.completion_tokens, cost)
            return answer.text, answer.finish_reason
        litellm = import_litellm()
        call: dict[str, Any] = dict(settings)
        call.update(model=model, messages=messages, timeout=self.timeout)
        if self.router is None:
            call.update(num_retries=0, max_retries=0)
            if api_base is not None:
                call["api_base"] = api_base
            if self._api_key is not None:
                call["api_key"] = self._api_key
        try:
            if self.router is not None:
                response = await self.router.acompletion(**call)
            else:
                response = await litellm.acompletion(**call)
        except EngineError:
            raise
        except Exception as exc:
            error = to_engine_error(exc, self.model_string, [self._api_key])
            if redact_text(str(exc), [self._api_key]) != str(exc):
                raise error from None  # the provider's own message carries a key: drop it
            raise error from exc
        choice = response.choices[0]
        text = choice.message.content or ""
        finish_reason = getattr(choice, "finish_reason", None)
        usage = getattr(response, "usage", None)
        cost = _response_cost(litellm, response)
        if usage is not None:
            report_usage(
                int(getattr(usage, "prompt_tokens", 0) or 0),
                int(getattr(usage, "completion_tokens", 0) or 0),
                cost,
            )
        return str(text), finish_reason if isinstance(finish_reason, str) else None


def _response_cost(litellm: Any, response: Any) -> float | None:
    """The call's price: litellm's own figure when it priced the response (no second pricing)."""
    hidden = getattr(response, "_hidden_params", None)
    if isinstance(hidden, dict) and "response_cost" in hidden:
        found = hidden["response_cost"]
        return float(found) if isinstance(found, (int, float)) else None
    try:
        return float(litellm.completion_cost(completion_response=response))
    except Exception:
        return None


def _lookup_rates(model: str) -> tuple[float, float] | None:
    """Per-token prices of ``model`` in litellm's table (None when it has none)."""
    try:
        prompt, completion = import_litellm().cost_per_token(
            model=model, prompt_tokens=1_000_000, completion_tokens=1_000_000
        )
        return float(prompt) / 1e6, float(completion) / 1e6
    except Exception:
        return None
