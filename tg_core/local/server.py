"""Starts, finds, probes and stops the embedded llama-cpp-python OpenAI-compatible server."""

from __future__ import annotations

import atexit
import contextlib
import importlib.util
import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Literal

from tg_core.local.errors import LOCAL_EXTRA_INSTALL, LocalModelUnavailable, LocalServerError
from tg_core.local.paths import atomic_write_text, ensure_private_dir, file_lock, local_state_dir
from tg_core.local.weights import model_path

#: The model name the server answers to (``model=`` in requests; any name falls back to it).
LOCAL_MODEL_ALIAS = "qwen2.5-coder-0.5b-instruct"
#: Context size the server is started with unless told otherwise.
DEFAULT_N_CTX = 4096
#: Seconds ``ensure_server`` waits for a new server to load its model and answer.
DEFAULT_START_TIMEOUT = 300.0

_HOST = "127.0.0.1"
_STATE_FILE = "server.json"
_LOCK_FILE = "server.lock"
_LOG_FILE = "server.log"
_STATE_VERSION = 1
_SERVER_MODULE = "llama_cpp.server"
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

ProbeResult = Literal["ready", "busy", "down"]


@dataclass(frozen=True)
class LocalServer:
    """A running embedded model server on a loopback port.

    Attributes:
        base_url: the OpenAI-compatible root, e.g. ``http://127.0.0.1:PORT/v1``.
        port: the TCP port on 127.0.0.1.
        pid: the server's process id.
        model_alias: the model name it serves (:data:`LOCAL_MODEL_ALIAS`).
        log_path: the file that receives the server's stdout and stderr.
        model_file: the GGUF it loaded.
        n_ctx: its context size in tokens.
        detached: True when it outlives the process that started it (``local start``).
        owner_pid: the process that started it.
        started_at: when it became ready (seconds since the epoch).

    Example:
        >>> server = LocalServer(
        ...     base_url="http://127.0.0.1:8123/v1", port=8123, pid=42,
        ...     model_alias=LOCAL_MODEL_ALIAS, log_path=Path("server.log"),
        ... )
        >>> server.litellm_model
        'openai/qwen2.5-coder-0.5b-instruct'
    """

    base_url: str
    port: int
    pid: int
    model_alias: str
    log_path: Path
    model_file: Path | None = None
    n_ctx: int = DEFAULT_N_CTX
    detached: bool = False
    owner_pid: int | None = None
    started_at: float = 0.0

    @property
    def litellm_model(self) -> str:
        """The model string for litellm or ``dspy.LM`` (``openai/<alias>``) with ``api_base``."""
        return f"openai/{self.model_alias}"

    @property
    def api_key(self) -> str:
        """A placeholder key: the server checks none, but OpenAI clients insist on one."""
        return "EMPTY"

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict of the fields (paths as strings).

        Example:
            >>> LocalServer("http://127.0.0.1:1/v1", 1, 2, "m", Path("l")).to_dict()["port"]
            1
        """
        data = asdict(self)
        data["log_path"] = str(self.log_path)
        data["model_file"] = None if self.model_file is None else str(self.model_file)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LocalServer:
        """Build a server record from :meth:`to_dict` output.

        Raises:
            KeyError, TypeError, ValueError: the dict is not a server record.

        Example:
            >>> record = LocalServer("http://127.0.0.1:1/v1", 1, 2, "m", Path("l"))
            >>> LocalServer.from_dict(record.to_dict()) == record
            True
        """
        model_file = data.get("model_file")
        owner = data.get("owner_pid")
        return cls(
            base_url=str(data["base_url"]),
            port=int(data["port"]),
            pid=int(data["pid"]),
            model_alias=str(data["model_alias"]),
            log_path=Path(str(data["log_path"])),
            model_file=None if model_file is None else Path(str(model_file)),
            n_ctx=int(data.get("n_ctx", DEFAULT_N_CTX)),
            detached=bool(data.get("detached", False)),
            owner_pid=None if owner is None else int(owner),
            started_at=float(data.get("started_at", 0.0)),
        )


# Servers this process started and must stop at exit, by pid.
_owned: dict[int, subprocess.Popen[bytes]] = {}
_owned_lock = threading.Lock()
_atexit_registered = False


def _state_path() -> Path:
    return local_state_dir() / _STATE_FILE


def _lock_path() -> Path:
    return local_state_dir() / _LOCK_FILE


def _log_path() -> Path:
    return local_state_dir() / _LOG_FILE


def _read_state() -> LocalServer | None:
    try:
        data = json.loads(_state_path().read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            return None
        return LocalServer.from_dict(data)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write_state(server: LocalServer) -> None:
    record = {"version": _STATE_VERSION, **server.to_dict()}
    atomic_write_text(_state_path(), json.dumps(record, indent=2) + "\n")


def _clear_state(pid: int | None = None) -> None:
    """Remove the state file; with ``pid``, only if it still records that process."""
    if pid is not None:
        current = _read_state()
        if current is not None and current.pid != pid:
            return
    with contextlib.suppress(FileNotFoundError):
        _state_path().unlink()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return True
    # The state letter follows the parenthesised command name; Z is a zombie.
    return stat.rpartition(")")[2].split()[:1] != ["Z"]


def _is_our_server(pid: int, port: int) -> bool:
    """Tell whether ``pid`` runs ``llama_cpp.server`` on ``port`` (guards against pid reuse)."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except FileNotFoundError:
        return False
    except OSError:
        return True  # No /proc to look at: trust the state file.
    args = [part.decode(errors="replace") for part in raw.split(b"\0")]
    if _SERVER_MODULE not in args:
        return False
    return any(a == "--port" and b == str(port) for a, b in itertools.pairwise(args))


def _probe(base_url: str, *, timeout: float) -> ProbeResult:
    """GET ``/models``: ``ready`` if it lists our alias, ``busy`` if it did not answer in time.

    The server answers ``/v1/models`` only between generations (it takes the model lock),
    so a read timeout on an open connection means a request is being served.
    """
    import httpx  # imported here to keep module import cheap

    try:
        with httpx.Client(trust_env=False, timeout=httpx.Timeout(timeout, connect=1.0)) as client:
            response = client.get(f"{base_url}/models")
    except httpx.ReadTimeout:
        return "busy"
    except httpx.HTTPError:
        return "down"
    if response.status_code != 200:
        return "down"
    try:
        payload = response.json()
        ids = {str(item.get("id")) for item in payload.get("data", [])}
    except (ValueError, AttributeError, TypeError):
        return "down"
    return "ready" if LOCAL_MODEL_ALIAS in ids else "down"


def _alive(server: LocalServer, *, probe_timeout: float) -> bool:
    if not _pid_alive(server.pid) or not _is_our_server(server.pid, server.port):
        return False
    return _probe(server.base_url, timeout=probe_timeout) != "down"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((_HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def _default_threads() -> int:
    try:
        count = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        count = os.cpu_count() or 2
    return max(1, min(count, 8))


def build_server_command(
    model_file: Path, port: int, *, n_ctx: int = DEFAULT_N_CTX, n_threads: int | None = None
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

    Example:
        >>> build_server_command(Path("/m.gguf"), 8123)[1:3]
        ['-m', 'llama_cpp.server']
    """
    threads = n_threads or _default_threads()
    return [
        sys.executable,
        "-m",
        _SERVER_MODULE,
        "--model", str(model_file),
        "--model_alias", LOCAL_MODEL_ALIAS,
        "--host", _HOST,
        "--port", str(port),
        "--n_ctx", str(n_ctx),
        "--n_threads", str(threads),
        "--n_threads_batch", str(threads),
        "--logits_all", "false",
        "--interrupt_requests", "false",
    ]  # fmt: skip


def _child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k.lower() not in _SERVER_SETTING_NAMES}
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _check_server_packages() -> None:
    missing = [name for name in _SERVER_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        raise LocalModelUnavailable(
            "llama-cpp-python's server is not installed in this Python "
            f"({sys.executable}; or install only it: "
            'pip install "llama-cpp-python[server]==0.3.36")',
            missing=missing,
            fix=LOCAL_EXTRA_INSTALL,
        )


def _log_tail(path: Path, lines: int = 25) -> str:
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - 16384))
            text = handle.read().decode(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def _rotate_log(path: Path) -> None:
    if path.exists():
        with contextlib.suppress(OSError):
            os.replace(path, path.with_name(path.name + ".1"))


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if os.getpgid(pid) == pid:
            os.killpg(pid, sig)
            return
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


def _terminate_proc(proc: subprocess.Popen[bytes], timeout: float) -> None:
    if proc.poll() is not None:
        return
    _signal_group(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        _signal_group(proc.pid, signal.SIGKILL)
        proc.wait()


def _terminate_pid(pid: int, timeout: float) -> None:
    _signal_group(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while _pid_alive(pid):
        if time.monotonic() >= deadline:
            _signal_group(pid, signal.SIGKILL)
            break
        time.sleep(0.1)


def _stop_owned_at_exit() -> None:
    with _owned_lock:
        owned = list(_owned.items())
        _owned.clear()
    for pid, proc in owned:
        with contextlib.suppress(Exception):
            _terminate_proc(proc, timeout=10.0)
        with contextlib.suppress(Exception):
            _clear_state(pid)


def _forget_owned_in_child() -> None:
    """A forked child does not own its parent's servers and must not stop them at its exit."""
    global _owned_lock
    _owned_lock = threading.Lock()
    _owned.clear()


def _own(proc: subprocess.Popen[bytes]) -> None:
    global _atexit_registered
    with _owned_lock:
        _owned[proc.pid] = proc
        if not _atexit_registered:
            atexit.register(_stop_owned_at_exit)
            os.register_at_fork(after_in_child=_forget_owned_in_child)
            _atexit_registered = True


def _disown(pid: int) -> subprocess.Popen[bytes] | None:
    with _owned_lock:
        return _owned.pop(pid, None)


def _wait_ready(
    proc: subprocess.Popen[bytes], base_url: str, log_path: Path, timeout: float
) -> Literal["ready", "port-taken"]:
    deadline = time.monotonic() + timeout
    while True:
        code = proc.poll()
        if code is not None:
            tail = _log_tail(log_path)
            if "address already in use" in tail.lower():
                return "port-taken"
            raise LocalServerError(
                f"the local model server exited with code {code} before it was ready",
                log_path=log_path,
                log_tail=tail,
            )
        if _probe(base_url, timeout=2.0) == "ready":
            return "ready"
        if time.monotonic() >= deadline:
            raise LocalServerError(
                f"the local model server did not answer within {timeout:.0f}s",
                log_path=log_path,
                log_tail=_log_tail(log_path),
            )
        time.sleep(0.25)


def _launch(*, n_ctx: int, timeout: float, detached: bool) -> LocalServer:
    model_file = model_path()
    _check_server_packages()
    log_path = _log_path()
    _rotate_log(log_path)
    for _attempt in range(3):
        port = _free_port()
        base_url = f"http://{_HOST}:{port}/v1"
        with log_path.open("ab") as log_handle:
            proc = subprocess.Popen(
                build_server_command(model_file, port, n_ctx=n_ctx),
                stdin=subprocess.DEVNULL,
                stdout=log_handle,
                stderr=subprocess.STDOUT,
                env=_child_env(),
                close_fds=True,
                start_new_session=True,
            )
        _own(proc)
        try:
            outcome = _wait_ready(proc, base_url, log_path, timeout)
        except BaseException:
            _disown(proc.pid)
            _terminate_proc(proc, timeout=5.0)
            raise
        if outcome == "port-taken":
            _disown(proc.pid)
            continue
        if detached:
            _disown(proc.pid)
        server = LocalServer(
            base_url=base_url,
            port=port,
            pid=proc.pid,
            model_alias=LOCAL_MODEL_ALIAS,
            log_path=log_path,
            model_file=model_file,
            n_ctx=n_ctx,
            detached=detached,
            owner_pid=os.getpid(),
            started_at=time.time(),
        )
        _write_state(server)
        return server
    raise LocalServerError(
        "could not find a free loopback port for the local model server", log_path=log_path
    )


def _ensure(*, n_ctx: int, timeout: float, detached: bool) -> LocalServer:
    ensure_private_dir(local_state_dir())
    with file_lock(_lock_path(), timeout=timeout + 60.0):
        existing = _read_state()
        if existing is not None:
            if _alive(existing, probe_timeout=1.0):
                if existing.n_ctx < n_ctx:
                    raise LocalServerError(
                        f"a local model server with n_ctx={existing.n_ctx} is already running "
                        f"(pid {existing.pid}, {existing.base_url}); stop it with "
                        f"`tg-core local stop` to start one with n_ctx={n_ctx}"
                    )
                if detached and not existing.detached and _disown(existing.pid) is not None:
                    existing = replace(existing, detached=True)
                    _write_state(existing)
                return existing
            if _pid_alive(existing.pid) and _is_our_server(existing.pid, existing.port):
                # Alive but not answering on its port: a hung server; replace it.
                proc = _disown(existing.pid)
                if proc is not None:
                    _terminate_proc(proc, timeout=10.0)
                else:
                    _terminate_pid(existing.pid, timeout=10.0)
            _clear_state()
        return _launch(n_ctx=n_ctx, timeout=timeout, detached=detached)


def ensure_server(
    *, n_ctx: int = DEFAULT_N_CTX, timeout: float = DEFAULT_START_TIMEOUT
) -> LocalServer:
    """Return the running embedded model server, starting one if none answers.

    A server recorded in ``$TG_CORE_HOME/local/server.json`` that is alive (its process runs
    and ``GET /v1/models`` answers, or is busy serving a request) is reused, from this or any
    other process. Otherwise the model is assembled if needed (:func:`model_path`) and
    ``python -m llama_cpp.server`` is started on a free loopback port, logging to
    ``$TG_CORE_HOME/local/server.log``. A server started here is stopped when this
    interpreter exits. A file lock keeps concurrent callers from starting two servers.

    Args:
        n_ctx: context size in tokens; a running server with a smaller one is an error.
        timeout: seconds to wait for a new server to load its model and answer.

    Returns:
        The server record; use ``server.base_url`` as an OpenAI ``base_url``/``api_base``
        and ``server.model_alias`` as the model.

    Raises:
        LocalModelUnavailable: the weights or the server package are not installed.
        ModelChecksumError: the installed weights are damaged.
        LocalServerError: the server died or did not answer in time (the message names the
            log file and quotes its last lines).

    Example:
        >>> server = ensure_server()  # doctest: +SKIP
        >>> server.base_url  # doctest: +SKIP
        'http://127.0.0.1:41237/v1'
    """
    return _ensure(n_ctx=n_ctx, timeout=timeout, detached=False)


def start_detached(
    *, n_ctx: int = DEFAULT_N_CTX, timeout: float = DEFAULT_START_TIMEOUT
) -> LocalServer:
    """Like :func:`ensure_server`, but the server keeps running after this process exits.

    Used by ``tg-core local start``; stop it with :func:`stop_server` or ``tg-core local stop``.
    A server this process started earlier with :func:`ensure_server` becomes detached.

    Example:
        >>> server = start_detached()  # doctest: +SKIP
        >>> server.detached  # doctest: +SKIP
        True
    """
    return _ensure(n_ctx=n_ctx, timeout=timeout, detached=True)


def stop_server(*, timeout: float = 15.0) -> bool:
    """Stop the recorded embedded model server, whichever process started it.

    Sends SIGTERM, then SIGKILL after ``timeout`` seconds, and removes the state file.

    Args:
        timeout: seconds to wait for a clean exit.

    Returns:
        True if a server was stopped, False if none was running.

    Example:
        >>> stop_server()  # doctest: +SKIP
        True
    """
    ensure_private_dir(local_state_dir())
    with file_lock(_lock_path(), timeout=DEFAULT_START_TIMEOUT + 60.0):
        existing = _read_state()
        if existing is None:
            return False
        stopped = False
        proc = _disown(existing.pid)
        if proc is not None:
            stopped = proc.poll() is None
            _terminate_proc(proc, timeout=timeout)
        elif _pid_alive(existing.pid) and _is_our_server(existing.pid, existing.port):
            _terminate_pid(existing.pid, timeout=timeout)
            stopped = True
        _clear_state()
        return stopped


def server_status() -> dict[str, Any]:
    """Describe the recorded embedded model server without starting or changing anything.

    Returns:
        A JSON-ready dict: ``running`` (bool), ``state`` (``"ready"``, ``"busy"`` serving a
        request, ``"down"`` or ``"stopped"``), ``state_file``, ``log_path`` and, when a server
        is recorded, every :class:`LocalServer` field plus ``owned_by_this_process``.

    Example:
        >>> server_status()["running"]  # doctest: +SKIP
        False
    """
    status: dict[str, Any] = {
        "running": False,
        "state": "stopped",
        "state_file": str(_state_path()),
        "log_path": str(_log_path()),
    }
    existing = _read_state()
    if existing is None:
        return status
    status.update(existing.to_dict())
    state: ProbeResult = "down"
    if _pid_alive(existing.pid) and _is_our_server(existing.pid, existing.port):
        state = _probe(existing.base_url, timeout=2.0)
    with _owned_lock:
        owned = existing.pid in _owned
    status.update(running=state != "down", state=state, owned_by_this_process=owned)
    return status
