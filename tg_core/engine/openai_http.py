"""A lean client for OpenAI-compatible chat servers (llama.cpp, vLLM, SGLang, Ollama, proxies).

Used by :class:`~tg_core.engine.litellm_engine.LiteLLMEngine` for ``openai/<model>`` with an
``api_base``: the request is the OpenAI wire format litellm would send, without litellm's
per-call work (a few milliseconds of CPU per request), which bounds how many calls one
process can keep in flight. One connection pool per event loop, closed with the loop.
"""

from __future__ import annotations

import asyncio
import json
import weakref
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import EngineError, TransientEngineError
from ..secrets import redact_text
from .retry import retry_after_seconds

# litellm's own settings, meaningless to the server: never sent.
_CLIENT_ONLY = frozenset(
    {"api_key", "api_base", "base_url", "timeout", "num_retries", "max_retries", "extra_body"}
)
_TRANSIENT_STATUS = frozenset({408, 409, 425, 429})


@dataclass(frozen=True)
class ChatAnswer:
    """What one chat completion returned.

    Attributes:
        text: the first choice's message content ('' when there was none).
        finish_reason: why generation stopped (``stop``, ``length`` ...), if the server said.
        prompt_tokens: prompt tokens the server counted, if it said.
        completion_tokens: completion tokens the server counted, if it said.

    Example:
        >>> ChatAnswer("hi", "stop", 3, 1).text
        'hi'
    """

    text: str
    finish_reason: str | None
    prompt_tokens: int | None
    completion_tokens: int | None


def request_body(model: str, messages: list[dict[str, Any]], settings: dict[str, Any]) -> bytes:
    """The JSON body of a chat completion: model, messages and the sampling settings.

    ``extra_body`` is merged in; client-side settings (keys, timeouts, retries) are not sent.

    Example:
        >>> request_body("m", [], {"temperature": 0, "extra_body": {"top_k": 5}})
        b'{"model": "m", "messages": [], "temperature": 0, "top_k": 5}'
    """
    body: dict[str, Any] = {"model": model, "messages": messages}
    body.update({k: v for k, v in settings.items() if k not in _CLIENT_ONLY and v is not None})
    extra = settings.get("extra_body")
    if isinstance(extra, dict):
        body.update(extra)
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


def parse_answer(payload: bytes, engine: str = "openai-compatible") -> ChatAnswer:
    """Read a chat completion response body.

    Raises:
        TransientEngineError: the body is not a chat completion (a proxy's error page, a
            truncated or undecodable response): worth another attempt.

    Example:
        >>> parse_answer(b'{"choices": [{"message": {"content": "4"}, "finish_reason": "stop"}],'
        ...              b' "usage": {"prompt_tokens": 9, "completion_tokens": 1}}').text
        '4'
    """
    try:
        data = json.loads(payload.decode("utf-8"))
        choice = data["choices"][0]
        content = (choice.get("message") or {}).get("content")
    except (UnicodeDecodeError, ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
        start = payload[:200].decode("utf-8", errors="replace")
        raise TransientEngineError(
            f"malformed response (not a UTF-8 JSON chat completion: {type(exc).__name__})",
            engine=engine,
            body=start,
        ) from None
    usage = data.get("usage") if isinstance(data.get("usage"), dict) else {}
    prompt, completion = usage.get("prompt_tokens"), usage.get("completion_tokens")
    finish = choice.get("finish_reason")
    return ChatAnswer(
        content if isinstance(content, str) else "",
        finish if isinstance(finish, str) else None,
        prompt if isinstance(prompt, int) else None,
        completion if isinstance(completion, int) else None,
    )


def _error_message(payload: bytes) -> str:
    text = payload[:2000].decode("utf-8", errors="replace")
    try:
        error = json.loads(text).get("error")
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            return str(error["message"])
        if isinstance(error, str):
            return error
    except (ValueError, AttributeError):
        pass
    return text


def status_hint(status: int | None) -> str:
    """What to check for an HTTP error status from a provider.

    Example:
        >>> status_hint(404)
        'check the model name and api_base'
    """
    if status in (401, 403):
        return "check the provider's API key (for example OPENAI_API_KEY) or pass api_key="
    if status == 404:
        return "check the model name and api_base"
    if status == 400:
        return "the provider refused the request; see body (context too long? bad setting?)"
    return "see body; pass max_retries= to retry more, or check the provider's status"


def status_error(
    status: int, payload: bytes, headers: Any, engine: str, secrets: Sequence[str | None]
) -> EngineError:
    """The typed error for an HTTP error status: transient (retried) or permanent.

    Example:
        >>> type(status_error(503, b"busy", {}, "openai/m", [])).__name__
        'TransientEngineError'
    """
    body = redact_text(_error_message(payload), secrets)
    if status in _TRANSIENT_STATUS or status >= 500:
        return TransientEngineError(
            f"HTTP {status}",
            engine=engine,
            status=status,
            body=body,
            retry_after=retry_after_seconds(headers),
        )
    return EngineError(
        f"HTTP {status}", engine=engine, status=status, body=body, hint=status_hint(status)
    )


# id(loop) -> (the loop, weakly; its session; the parked closer). The entry leaves when the
# loop shuts down.
_SESSIONS: dict[int, tuple[weakref.ref[asyncio.AbstractEventLoop], Any, Any]] = {}


async def _closer(key: int, session: Any) -> AsyncIterator[None]:
    """Parked async generator: the loop's shutdown (``asyncio.run``) closes it, and the pool."""
    try:
        yield
    finally:
        _SESSIONS.pop(key, None)
        await session.close()


async def _session() -> Any:
    import aiohttp

    loop = asyncio.get_running_loop()
    key = id(loop)
    found = _SESSIONS.get(key)
    if found is not None and found[0]() is loop and not found[1].closed:
        return found[1]
    connector = aiohttp.TCPConnector(limit=0, ttl_dns_cache=300)
    session = aiohttp.ClientSession(connector=connector, trust_env=True)  # honours *_PROXY
    parked = _closer(key, session)
    await parked.__anext__()  # the loop now tracks it and closes it at shutdown
    _SESSIONS[key] = (weakref.ref(loop), session, parked)
    return session


async def chat_completion(
    api_base: str,
    model: str,
    messages: list[dict[str, Any]],
    settings: dict[str, Any],
    *,
    api_key: str | None,
    timeout: float,
    engine: str,
) -> ChatAnswer:
    """POST one chat completion to ``{api_base}/chat/completions``.

    Raises:
        TransientEngineError: 408/409/425/429/5xx, timeouts, dropped or refused connections,
            malformed bodies (with the server's ``Retry-After`` when it sent one).
        EngineError: any other error status (bad request, bad key, unknown model).

    Example:
        >>> from tg_core.testing.openai_sim import SimServer
        >>> with SimServer(latency_s=0) as sim:
        ...     answer = asyncio.run(chat_completion(sim.base_url, "sim", [{"role": "user",
        ...         "content": "hi"}], {}, api_key=None, timeout=10, engine="openai/sim"))
        >>> bool(answer.text)
        True
    """
    import aiohttp

    url = api_base.rstrip("/") + "/chat/completions"
    headers = {"Content-Type": "application/json"}
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    session = await _session()
    try:
        async with session.post(
            url,
            data=request_body(model, messages, settings),
            headers=headers,
            timeout=aiohttp.ClientTimeout(total=timeout),
        ) as response:
            payload = await response.read()
            if response.status >= 400:
                raise status_error(response.status, payload, response.headers, engine, [api_key])
    except (asyncio.TimeoutError, aiohttp.ClientError, ConnectionError) as exc:
        raise TransientEngineError(
            type(exc).__name__, engine=engine, body=redact_text(str(exc), [api_key])
        ) from None
    return parse_answer(payload, engine)
