"""The one engine for every provider: litellm underneath, with cache, retries and usage."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from .._async import run_sync
from ..errors import EngineError, UserError
from ..secrets import redact_text
from .base import Answer, EngineLM, EngineRequest, chat_messages
from .cache import ResponseCache
from .openai_http import chat_completion
from .provider_errors import to_engine_error
from .usage import dollar_budget_active, estimate_tokens

__all__ = ["LiteLLMEngine", "import_litellm", "to_engine_error"]

Transport = Literal["auto", "litellm", "http"]
DEFAULT_SYSTEM_PROMPT = "You are a helpful, creative, and smart assistant."


def import_litellm() -> Any:
    """Import litellm lazily, with its price table read locally (no network at import)."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    litellm.suppress_debug_info = True
    return litellm


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
        """The chat messages sent for ``content`` (the cache key is made from these)."""
        return chat_messages(content, self._system_for(system_prompt))

    async def agenerate(  # type: ignore[override]  # same argument name as generate
        self, content: str | Sequence[Any], system_prompt: str | None = None, **kwargs: Any
    ) -> str:
        """Answer ``content``: from the cache if it was asked before, else with retries.

        The sequence is :meth:`EngineLM.agenerate`'s; inside
        :func:`~tg_core.engine.registry.override_engines` the call goes to the override
        engine instead (tests run real scripts on a fake this way).
        """
        return await super().agenerate(content, system_prompt, **kwargs)

    def _system_for(self, system_prompt: str | None) -> str:
        return system_prompt if system_prompt is not None else self.system_prompt

    def _default_settings(self) -> dict[str, Any]:
        return self.sampling

    async def _cost_estimate(self, request: EngineRequest) -> float | None:
        """The prompt's cost at the model's price, held against a dollar budget (or None)."""
        if not dollar_budget_active():
            return None
        rates = await self._price_rates()  # None: no price; the budget check says so later
        return estimate_tokens(request.text) * rates[0] if rates is not None else None

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

    async def _acall(self, request: EngineRequest) -> Answer:
        """One attempt: straight to an OpenAI-compatible server, or through litellm."""
        messages, settings = request.messages, request.settings
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
            cost = None
            if answer.prompt_tokens is not None and answer.completion_tokens is not None:
                rates = await self._price_rates()
                if rates is not None:
                    cost = answer.prompt_tokens * rates[0] + answer.completion_tokens * rates[1]
            return Answer(
                answer.text,
                answer.finish_reason,
                answer.prompt_tokens,
                answer.completion_tokens,
                cost,
            )
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
        finish = finish_reason if isinstance(finish_reason, str) else None
        if usage is None:
            return Answer(str(text), finish)
        return Answer(
            str(text),
            finish,
            int(getattr(usage, "prompt_tokens", 0) or 0),
            int(getattr(usage, "completion_tokens", 0) or 0),
            cost,
        )


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
