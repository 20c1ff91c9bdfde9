"""The command line and environment of the embedded model's server process."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

from tg_core.local.errors import LOCAL_EXTRA_INSTALL, LocalModelUnavailable
from tg_core.local.process import SERVER_MODULE
from tg_core.local.record import DEFAULT_N_CTX, LOCAL_MODEL_ALIAS

HOST = "127.0.0.1"
# Modules ``python -m llama_cpp.server`` needs (the ``[server]`` extra); looked up, not imported.
_SERVER_MODULES = (
    "llama_cpp",
    "uvicorn",
    "fastapi",
    "sse_starlette",
    "starlette_context",
    "pydantic_settings",
)
# The server reads its settings from environment variables too (pydantic-settings, any case);
# these are dropped from the child's environment so a stray HOST, PORT, API_KEY or
# CONFIG_FILE cannot change the server.
_SERVER_SETTING_NAMES = frozenset(
    {
        "api_key", "cache", "cache_size", "cache_type", "chat_format", "chat_template_kwargs",
        "clip_model_path", "config_file", "disable_ping_events", "draft_model",
        "draft_model_num_pred_tokens", "embedding", "flash_attn", "hf_model_repo_id",
        "hf_pretrained_model_name_or_path", "hf_tokenizer_config_path", "host",
        "interrupt_requests", "kv_overrides", "last_n_tokens_size", "logits_all", "lora_base",
        "lora_path", "main_gpu", "model", "model_alias", "models", "mul_mat_q", "n_batch",
        "n_ctx", "n_gpu_layers", "n_threads", "n_threads_batch", "n_ubatch", "numa",
        "offload_kqv", "port", "root_path", "rope_freq_base", "rope_freq_scale",
        "rope_scaling_type", "rpc_servers", "seed", "split_mode", "ssl_certfile", "ssl_keyfile",
        "tensor_split", "type_k", "type_v", "use_mlock", "use_mmap", "verbose", "vocab_only",
        "yarn_attn_factor", "yarn_beta_fast", "yarn_beta_slow", "yarn_ext_factor",
        "yarn_orig_ctx",
    }
)  # fmt: skip


def default_threads() -> int:
    try:
        count = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        count = os.cpu_count() or 2
    return max(1, min(count, 8))


def build_server_command(
    model_file: Path,
    port: int,
    *,
    n_ctx: int = DEFAULT_N_CTX,
    n_threads: int | None = None,
    alias: str = LOCAL_MODEL_ALIAS,
) -> list[str]:
    """Return the command line that runs the server on ``127.0.0.1:port`` with this Python.

    Requests queue behind one another (``--interrupt_requests false`` keeps a waiting request
    from cutting off a stream) and logits are kept only for the last token
    (``--logits_all false``; ``logprobs`` are therefore not available).

    Args:
        model_file: the GGUF to load.
        port: the loopback port to listen on.
        n_ctx: context size in tokens.
        n_threads: CPU threads; defaults to the usable cores, at most 8.
        alias: the model name the server answers to.

    Example:
        >>> build_server_command(Path("/m.gguf"), 8123)[1:3]
        ['-m', 'llama_cpp.server']
    """
    threads = n_threads or default_threads()
    return [
        sys.executable,
        "-m",
        SERVER_MODULE,
        "--model", str(model_file),
        "--model_alias", alias,
        "--host", HOST,
        "--port", str(port),
        "--n_ctx", str(n_ctx),
        "--n_threads", str(threads),
        "--n_threads_batch", str(threads),
        "--logits_all", "false",
        "--interrupt_requests", "false",
    ]  # fmt: skip


def child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k.lower() not in _SERVER_SETTING_NAMES}
    env["PYTHONUNBUFFERED"] = "1"
    # llama.cpp's CPU threads meet at an OpenMP barrier after every operation. Spinning there
    # is fastest on an idle machine but collapses generation (about 25 -> 1.5 tokens/s on two
    # cores) as soon as anything else wants a core; waiting passively keeps it near 10.
    env.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    return env


def check_server_packages() -> None:
    missing = [name for name in _SERVER_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        raise LocalModelUnavailable(
            "llama-cpp-python's server is not installed in this Python "
            f"({sys.executable}; or install only it: "
            'pip install "llama-cpp-python[server]==0.3.36")',
            missing=missing,
            fix=LOCAL_EXTRA_INSTALL,
        )
