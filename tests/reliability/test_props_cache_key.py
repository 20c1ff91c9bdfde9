"""Property-based tests of the answer-cache key: canonical, secret-free, and discriminating."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tg_core.engine.cache import ResponseCache, cache_key, key_settings
from tg_core.engine.litellm_engine import LiteLLMEngine
from tg_core.secrets import is_secret_name

PROFILE = settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

SECRET_NAMES = [
    "api_key",
    "apikey",
    "OPENAI_API_KEY",
    "anthropic_api_key",
    "azure_ad_token",
    "aws_secret_access_key",
    "aws_session_token",
    "access_token",
    "client_secret",
    "password",
    "private_key",
    "vertex_credentials",
    "authorization",
    "x-api-key",
    "api-key",
    "Ocp-Apim-Subscription-Key",
    "token",
    "key",
]
TRANSPORT_NAMES = [
    "api_base",
    "base_url",
    "api_version",
    "organization",
    "headers",
    "extra_headers",
    "timeout",
    "num_retries",
    "max_retries",
    "metadata",
]
SAMPLING_NAMES = [
    "temperature",
    "top_p",
    "top_k",
    "max_tokens",
    "max_completion_tokens",
    "seed",
    "stop",
    "n",
    "presence_penalty",
    "frequency_penalty",
    "logit_bias",
    "response_format",
    "reasoning_effort",
    "tools",
    "eos_token",
]

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
LONE_SURROGATES = st.sampled_from(["\ud800", "\udfff", "\udcff\udc80"])  # surrogateescape'd bytes
ANY_TEXT = st.lists(st.one_of(st.text(max_size=10), LONE_SURROGATES), max_size=4).map("".join)
CONTENT = st.one_of(
    ANY_TEXT,
    st.lists(
        st.fixed_dictionaries({"type": st.just("text"), "text": ANY_TEXT}),
        min_size=1,
        max_size=3,
    ),
)
MESSAGE = st.fixed_dictionaries(
    {"role": st.sampled_from(["system", "user", "assistant"]), "content": CONTENT}
)
MESSAGES = st.lists(MESSAGE, min_size=1, max_size=4)
MODELS = st.sampled_from(["openai/gpt-4o", "openai/sim-model", "anthropic/claude", "gpt-4o"])
SAMPLING = st.dictionaries(st.sampled_from(SAMPLING_NAMES), JSON, max_size=4)
SECRET_VALUE = st.text(min_size=1, max_size=30)


def reordered(value: Any) -> Any:
    """The same data with every dict's keys in reverse insertion order."""
    if isinstance(value, dict):
        return {k: reordered(value[k]) for k in reversed(list(value))}
    if isinstance(value, list):
        return [reordered(v) for v in value]
    return value


@PROFILE
@given(MODELS, MESSAGES, SAMPLING)
def test_key_is_a_sha256_hex_digest_and_stable_under_key_order(
    model: str, messages: list[dict[str, Any]], sampling: dict[str, Any]
) -> None:
    key = cache_key(model, messages, sampling)
    assert re.fullmatch(r"[0-9a-f]{64}", key)
    assert cache_key(model, reordered(messages), reordered(sampling)) == key


@PROFILE
@given(
    MODELS,
    MESSAGES,
    SAMPLING,
    st.dictionaries(st.sampled_from(SECRET_NAMES + TRANSPORT_NAMES), SECRET_VALUE, min_size=1),
)
def test_key_ignores_secrets_and_transport_settings(
    model: str, messages: list[dict[str, Any]], sampling: dict[str, Any], extra: dict[str, str]
) -> None:
    assert cache_key(model, messages, {**sampling, **extra}) == cache_key(model, messages, sampling)
    assert not set(key_settings({**sampling, **extra})) & set(extra)


@PROFILE
@given(MODELS, MESSAGES, MESSAGES, SAMPLING)
def test_different_messages_give_different_keys(
    model: str, first: list[dict[str, Any]], second: list[dict[str, Any]], sampling: dict[str, Any]
) -> None:
    assume(first != second)
    assert cache_key(model, first, sampling) != cache_key(model, second, sampling)


@PROFILE
@given(MODELS, MODELS, MESSAGES, SAMPLING)
def test_different_models_give_different_keys(
    first: str, second: str, messages: list[dict[str, Any]], sampling: dict[str, Any]
) -> None:
    assume(first != second)
    assert cache_key(first, messages, sampling) != cache_key(second, messages, sampling)


@PROFILE
@given(MODELS, MESSAGES, SAMPLING, SAMPLING)
def test_different_sampling_gives_different_keys(
    model: str, messages: list[dict[str, Any]], first: dict[str, Any], second: dict[str, Any]
) -> None:
    assume(first != second)
    assert cache_key(model, messages, first) != cache_key(model, messages, second)


@pytest.mark.parametrize("name", SECRET_NAMES)
def test_secret_names_are_recognised(name: str) -> None:
    assert is_secret_name(name)


@pytest.mark.parametrize(
    "name", [*SAMPLING_NAMES, "total_tokens", "cache_key", "aws_access_key_id"]
)
def test_setting_names_are_not_taken_for_secrets(name: str) -> None:
    assert not is_secret_name(name)


@PROFILE
@given(st.text(min_size=1, max_size=20), st.text(min_size=1, max_size=20), MESSAGES)
def test_engine_key_does_not_depend_on_api_key_or_api_base(
    key: str, base: str, messages: list[dict[str, Any]]
) -> None:
    one = LiteLLMEngine("openai/m", api_key=key, api_base=f"http://{base}", temperature=0)
    two = LiteLLMEngine("openai/m", api_key="other", api_base="http://other", temperature=0)
    assert one.sampling == two.sampling
    text = str(messages)
    assert cache_key(one.model_string, one.messages(text, None), one.sampling) == cache_key(
        two.model_string, two.messages(text, None), two.sampling
    )


@pytest.mark.parametrize("answer", ["", "half \ud800 answer", "long \udfff answer " * 2000])
def test_cache_stores_no_empty_or_malformed_answer(tmp_path: Path, answer: str) -> None:
    cache = ResponseCache(tmp_path)
    cache.set("k", answer)
    assert cache.get("k") is None and len(cache) == 0
    cache.close()
