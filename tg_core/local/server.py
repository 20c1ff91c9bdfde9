"""Starts, finds, probes and stops the embedded llama-cpp-python OpenAI-compatible server."""

from __future__ import annotations

import atexit
import contextlib
import os
import subprocess
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

from tg_core.fs import ensure_private_dir
from tg_core.local.choice import ModelChoice, OwnModelError, chosen_model
from tg_core.local.command import HOST, build_server_command, check_server_packages, child_env
from tg_core.local.errors import LocalServerError
from tg_core.local.paths import file_lock, local_state_dir
from tg_core.local.process import (
    ProbeResult,
    free_port,
    is_server_process,
    log_excerpt,
    log_tail,
    pid_alive,
    probe,
    rotate_log,
    terminate_pid,
    terminate_proc,
)
from tg_core.local.record import (
    DEFAULT_N_CTX,
    LOCAL_MODEL_ALIAS,
    LocalServer,
    clear_state,
    lock_path,
    log_path,
    read_state,
    state_path,
    write_state,
)
from tg_core.local.weights import model_path

__all__ = [
    "DEFAULT_N_CTX",
    "DEFAULT_START_TIMEOUT",
    "LOCAL_MODEL_ALIAS",
    "LocalServer",
    "build_server_command",
    "ensure_server",
    "server_status",
    "start_detached",
    "stop_server",
]

#: Seconds ``ensure_server`` waits for a new server to load its model and answer.
DEFAULT_START_TIMEOUT = 300.0

# Servers this process started and must stop at exit, by pid.
_owned: dict[int, subprocess.Popen[bytes]] = {}
_owned_lock = threading.Lock()
_atexit_registered = False


def _alive(server: LocalServer, *, probe_timeout: float) -> bool:
    if not pid_alive(server.pid) or not is_server_process(server.pid, server.port):
        return False
    return probe(server.base_url, alias=server.model_alias, timeout=probe_timeout) != "down"


def _stop_owned_at_exit() -> None:
    with _owned_lock:
        owned = list(_owned.items())
        _owned.clear()
    for pid, proc in owned:
        with contextlib.suppress(Exception):
            terminate_proc(proc, timeout=10.0)
        with contextlib.suppress(Exception):
            clear_state(pid)


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
    proc: subprocess.Popen[bytes], base_url: str, log_file: Path, timeout: float, alias: str
) -> Literal["ready", "port-taken"]:
    deadline = time.monotonic() + timeout
    while True:
        code = proc.poll()
        if code is not None:
            tail = log_excerpt(log_file)
            if "address already in use" in tail.lower():
                return "port-taken"
            raise LocalServerError(
                f"the local model server exited with code {code} before it was ready",
                log_path=log_file,
                log_tail=tail,
            )
        if probe(base_url, alias=alias, timeout=2.0) == "ready":
            return "ready"
        if time.monotonic() >= deadline:
            raise LocalServerError(
                f"the local model server did not answer within {timeout:g}s",
                log_path=log_file,
                log_tail=log_tail(log_file),
            )
        time.sleep(0.25)


def _launch(choice: ModelChoice, *, n_ctx: int, timeout: float, detached: bool) -> LocalServer:
    model_file = choice.path if choice.path is not None else model_path()
    check_server_packages()
    log_file = log_path()
    rotate_log(log_file)
    for _attempt in range(3):
        port = free_port(HOST)
        base_url = f"http://{HOST}:{port}/v1"
        with log_file.open("ab") as log_handle:
            proc = subprocess.Popen(
                build_server_command(model_file, port, n_ctx=n_ctx, alias=choice.alias),
                stdin=subprocess.DEVNULL,
                stdout=log_handle,
                stderr=subprocess.STDOUT,
                env=child_env(),
                close_fds=True,
                start_new_session=True,
            )
        _own(proc)
        try:
            outcome = _wait_ready(proc, base_url, log_file, timeout, choice.alias)
        except BaseException:
            _disown(proc.pid)
            terminate_proc(proc, timeout=5.0)
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
            model_alias=choice.alias,
            log_path=log_file,
            model_file=model_file,
            own_model=choice.own,
            n_ctx=n_ctx,
            detached=detached,
            owner_pid=os.getpid(),
            started_at=time.time(),
        )
        write_state(server)
        return server
    raise LocalServerError(
        "could not find a free loopback port for the local model server", log_path=log_file
    )


def serves(server: LocalServer, choice: ModelChoice) -> bool:
    """Tell whether ``server`` serves the model ``choice`` names.

    Example:
        >>> record = LocalServer("http://127.0.0.1:1/v1", 1, 2, LOCAL_MODEL_ALIAS, Path("l"))
        >>> serves(record, ModelChoice(LOCAL_MODEL_ALIAS, own=False))
        True
    """
    if server.own_model != choice.own or server.model_alias != choice.alias:
        return False
    return not choice.own or server.model_file == choice.path


def _ensure(*, n_ctx: int, timeout: float, detached: bool) -> LocalServer:
    choice = chosen_model()
    ensure_private_dir(local_state_dir())
    with file_lock(lock_path(), timeout=timeout + 60.0):
        existing = read_state()
        if existing is not None:
            if _alive(existing, probe_timeout=1.0):
                if not serves(existing, choice):
                    served = existing.model_file or existing.model_alias
                    raise LocalServerError(
                        f"a local model server is already running another model ({served}; "
                        f"pid {existing.pid}, {existing.base_url}) than the one asked for, "
                        f"{choice.describe()}; stop it with `tg-core local stop` to start one "
                        "with the model asked for"
                    )
                if existing.n_ctx < n_ctx:
                    raise LocalServerError(
                        f"a local model server with n_ctx={existing.n_ctx} is already running "
                        f"(pid {existing.pid}, {existing.base_url}); stop it with "
                        f"`tg-core local stop` to start one with n_ctx={n_ctx}"
                    )
                if detached and not existing.detached and _disown(existing.pid) is not None:
                    existing = replace(existing, detached=True)
                    write_state(existing)
                return existing
            if pid_alive(existing.pid) and is_server_process(existing.pid, existing.port):
                # Alive but not answering on its port: a hung server; replace it.
                proc = _disown(existing.pid)
                if proc is not None:
                    terminate_proc(proc, timeout=10.0)
                else:
                    terminate_pid(existing.pid, timeout=10.0)
            clear_state()
        return _launch(choice, n_ctx=n_ctx, timeout=timeout, detached=detached)


def ensure_server(
    *, n_ctx: int = DEFAULT_N_CTX, timeout: float = DEFAULT_START_TIMEOUT
) -> LocalServer:
    """Return the running embedded model server, starting one if none answers.

    A server recorded in ``$TG_CORE_HOME/local/server.json`` that is alive (its process runs
    and ``GET /v1/models`` answers, or is busy serving a request) is reused, from this or any
    other process. Otherwise the model is assembled if needed (:func:`model_path`), or the
    user's GGUF named by ``TG_CORE_LOCAL_MODEL`` is taken as it is, and
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
        OwnModelError: ``TG_CORE_LOCAL_MODEL`` names no readable GGUF file.
        LocalServerError: the server died or did not answer in time (the message names the
            log file and quotes its last lines), or a running server serves another model.

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
    with file_lock(lock_path(), timeout=DEFAULT_START_TIMEOUT + 60.0):
        existing = read_state()
        if existing is None:
            return False
        stopped = False
        proc = _disown(existing.pid)
        if proc is not None:
            stopped = proc.poll() is None
            terminate_proc(proc, timeout=timeout)
        elif pid_alive(existing.pid) and is_server_process(existing.pid, existing.port):
            terminate_pid(existing.pid, timeout=timeout)
            stopped = True
        clear_state()
        return stopped


def server_status() -> dict[str, Any]:
    """Describe the recorded embedded model server without starting or changing anything.

    Returns:
        A JSON-ready dict: ``running`` (bool), ``state`` (``"ready"``, ``"busy"`` serving a
        request, ``"down"`` or ``"stopped"``), ``state_file``, ``log_path``, the model the
        next start would serve (``chosen_model``: ``alias``, ``own``, ``path``; or
        ``chosen_model_error`` when ``TG_CORE_LOCAL_MODEL`` is wrong) and, when a server is
        recorded, every :class:`LocalServer` field plus ``owned_by_this_process``.

    Example:
        >>> server_status()["running"]  # doctest: +SKIP
        False
    """
    status: dict[str, Any] = {
        "running": False,
        "state": "stopped",
        "state_file": str(state_path()),
        "log_path": str(log_path()),
    }
    try:
        choice = chosen_model()
    except OwnModelError as exc:
        status["chosen_model_error"] = str(exc)
    else:
        path = None if choice.path is None else str(choice.path)
        status["chosen_model"] = {"alias": choice.alias, "own": choice.own, "path": path}
    existing = read_state()
    if existing is None:
        return status
    status.update(existing.to_dict())
    state: ProbeResult = "down"
    if pid_alive(existing.pid) and is_server_process(existing.pid, existing.port):
        state = probe(existing.base_url, alias=existing.model_alias, timeout=2.0)
    with _owned_lock:
        owned = existing.pid in _owned
    status.update(running=state != "down", state=state, owned_by_this_process=owned)
    return status
