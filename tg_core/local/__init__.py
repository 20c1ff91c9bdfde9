"""The embedded local model: verified weights or your own GGUF, served by llama.cpp on loopback.

Importing this package is cheap: it touches no file or network and imports neither
``llama_cpp`` nor ``httpx``.

Example:
    >>> from tg_core.local import ensure_server
    >>> server = ensure_server()  # doctest: +SKIP
    >>> server.litellm_model, server.base_url  # doctest: +SKIP
    ('openai/qwen2.5-coder-0.5b-instruct', 'http://127.0.0.1:41237/v1')
"""

from __future__ import annotations

from tg_core.local.choice import MODEL_ENV, ModelChoice, OwnModelError, chosen_model
from tg_core.local.errors import (
    LocalModelError,
    LocalModelUnavailable,
    LocalServerError,
    ModelChecksumError,
)
from tg_core.local.server import (
    LOCAL_MODEL_ALIAS,
    LocalServer,
    ensure_server,
    server_status,
    start_detached,
    stop_server,
)
from tg_core.local.weights import model_path

__all__ = [
    "LOCAL_MODEL_ALIAS",
    "MODEL_ENV",
    "LocalModelError",
    "LocalModelUnavailable",
    "LocalServer",
    "LocalServerError",
    "ModelChecksumError",
    "ModelChoice",
    "OwnModelError",
    "chosen_model",
    "ensure_server",
    "model_path",
    "server_status",
    "start_detached",
    "stop_server",
]
