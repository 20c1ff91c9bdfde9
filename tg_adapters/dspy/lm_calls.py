"""One ``dspy.LM`` call in the form DSPy keeps (``lm(Request)`` answers a ``Response``): the
request built from chat messages, the texts sent and received, and what the call used."""

from __future__ import annotations

from typing import Any

from dspy.lm15 import Request, Response, TextPart, request_from_openai_chat

from tg_core.extend import content_text
from tg_core.program.accounting import CallUsage

#: Settings of an LM that are not part of a request: where and how to connect, how many
#: answers, the cache-busting rollout id (passed with the call instead).
NOT_IN_REQUEST = frozenset(
    {
        "api_key",
        "api_base",
        "base_url",
        "headers",
        "extra_headers",
        "timeout",
        "api_version",
        "azure_ad_token_provider",
        "organization",
        "project",
        "extra_query",
        "custom_llm_provider",
        "n",
        "num_generations",
        "prompt_cache",
        "rollout_id",
    }
)


def build_request(
    lm: Any, messages: list[dict[str, Any]], settings: dict[str, Any]
) -> tuple[Request, dict[str, Any]]:
    """A ``dspy.lm15.Request`` for chat ``messages``, and the options to call ``lm`` with.

    The request carries the LM's own generation settings (``lm.kwargs``, as DSPy merges them
    into every call), then ``settings``; connection settings stay the LM's.

    Example:
        >>> from dspy.utils import DummyLM
        >>> request, options = build_request(DummyLM([]), [{"role": "user", "content": "hi"}],
        ...                                  {"max_tokens": 5})
        >>> request.config.max_tokens, request.messages[0].text, options
        (5, 'hi', {})
    """
    own = getattr(lm, "kwargs", None) or {}
    generation = {k: v for k, v in own.items() if k not in NOT_IN_REQUEST and v is not None}
    body = {**generation, **settings, "model": lm.model, "messages": messages}
    options = {"rollout_id": own["rollout_id"]} if own.get("rollout_id") is not None else {}
    return request_from_openai_chat(body), options


def _parts_text(parts: Any) -> str:
    if isinstance(parts, str):
        return parts
    return "\n".join(p.text if isinstance(p, TextPart) else "[image]" for p in parts or ())


def request_text(prompt: Any, messages: Any) -> str:
    """The text of a call made with a ``Request``, a prompt or chat messages (for estimates).

    Example:
        >>> request_text(None, [{"role": "user", "content": "hi"}])
        'hi'
    """
    if isinstance(prompt, Request):
        texts = [_parts_text(prompt.system)] if prompt.system else []
        return "\n".join([*texts, *(_parts_text(m.parts) for m in prompt.messages)])
    parts = [str(prompt)] if prompt is not None else []
    for message in messages or []:
        content = message.get("content") if isinstance(message, dict) else message
        parts.append(content_text(content) if isinstance(content, (str, list)) else str(content))
    return "\n".join(parts)


def answer_text(result: Any) -> str:
    """The text an LM call answered: a ``Response``'s, or the first of a list of outputs.

    Example:
        >>> answer_text([{"text": "4"}])
        '4'
    """
    if isinstance(result, Response):
        return result.text or ""
    items = result if isinstance(result, list) else [result]
    texts = [str(i.get("text", "")) if isinstance(i, dict) else str(i) for i in items]
    return "".join(texts)


def _cache_hit(entry: dict[str, Any]) -> bool:
    response = entry.get("response")
    if getattr(response, "cache_hit", False):
        return True
    # A Response from DSPy's cache keeps its original counts; the entry records none.
    counted = isinstance(response, Response) and response.usage.input_tokens is not None
    return counted and not entry.get("usage")


def call_usage(lm: Any, result: Any) -> CallUsage | None:
    """The usage of the call of ``lm`` that returned ``result`` (None if DSPy kept no entry).

    DSPy stores the very object it returns in the history entry (``outputs`` for a list,
    ``response`` for a ``Response``), so the entry is found by identity even when other
    threads call the same LM at the same time.

    Example:
        >>> out = ["hi"]
        >>> class Lm: history = [{"outputs": out, "usage": {"prompt_tokens": 3,
        ...                       "completion_tokens": 1}}]
        >>> call_usage(Lm(), out).completion_tokens
        1
    """
    history = list(getattr(lm, "history", None) or [])[-64:]
    entry = next(
        (
            e
            for e in reversed(history)
            if isinstance(e, dict) and (e.get("outputs") is result or e.get("response") is result)
        ),
        None,
    )
    if entry is None:
        return None
    if _cache_hit(entry):
        return CallUsage(0, 0, 0.0, True)
    usage = entry.get("usage") or {}
    prompt = usage.get("prompt_tokens")
    completion = usage.get("completion_tokens")
    cost = entry.get("cost")
    return CallUsage(
        prompt if isinstance(prompt, int) else None,
        completion if isinstance(completion, int) else None,
        float(cost) if isinstance(cost, (int, float)) else None,
    )
