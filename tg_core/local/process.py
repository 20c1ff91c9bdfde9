"""Process helpers for the local server: liveness, the HTTP probe, ports, logs and termination."""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Literal

#: The module the server runs as (``python -m llama_cpp.server``).
SERVER_MODULE = "llama_cpp.server"

ProbeResult = Literal["ready", "busy", "down"]


def pid_alive(pid: int) -> bool:
    """Tell whether process ``pid`` exists and is not a zombie.

    Example:
        >>> import os
        >>> pid_alive(os.getpid())
        True
    """
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


def is_server_process(pid: int, port: int) -> bool:
    """Tell whether ``pid`` runs ``llama_cpp.server`` on ``port`` (guards against pid reuse).

    Example:
        >>> import os
        >>> is_server_process(os.getpid(), 8000)
        False
    """
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except FileNotFoundError:
        return False
    except OSError:
        return True  # No /proc to look at: trust the state file.
    args = [part.decode(errors="replace") for part in raw.split(b"\0")]
    if SERVER_MODULE not in args:
        return False
    return any(a == "--port" and b == str(port) for a, b in itertools.pairwise(args))


def probe(base_url: str, *, alias: str, timeout: float) -> ProbeResult:
    """GET ``/models``: ``ready`` if it lists ``alias``, ``busy`` if it did not answer in time.

    The server answers ``/v1/models`` only between generations (it takes the model lock),
    so a read timeout on an open connection means a request is being served.

    Args:
        base_url: the server's OpenAI root, ending in ``/v1``.
        alias: the model name it must list.
        timeout: seconds to wait for the answer.

    Example:
        >>> probe("http://127.0.0.1:9/v1", alias="m", timeout=0.5)
        'down'
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
    return "ready" if alias in ids else "down"


def free_port(host: str) -> int:
    """Return a TCP port on ``host`` that was free a moment ago.

    Example:
        >>> 0 < free_port("127.0.0.1") < 65536
        True
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def log_tail(path: Path, lines: int = 25) -> str:
    """Return the last ``lines`` lines of a log file (empty if unreadable).

    Example:
        >>> log_tail(Path("/nonexistent.log"))
        ''
    """
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - 16384))
            text = handle.read().decode(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def log_excerpt(path: Path, lines: int = 25) -> str:
    """Return a log's error lines (if the last lines miss them) followed by its last lines.

    The server prints its whole ``--help`` after a settings error, which buries the error
    above the tail; the lines naming an error or a traceback are brought forward.

    Example:
        >>> log_excerpt(Path("/nonexistent.log"))
        ''
    """
    tail = log_tail(path, lines)
    try:
        with path.open("rb") as handle:
            text = handle.read(1 << 20).decode(errors="replace")
    except OSError:
        return tail
    marked = [
        line
        for line in text.splitlines()
        if any(word in line.lower() for word in ("error", "traceback", "exception"))
    ]
    missing = [line for line in marked[-8:] if line not in tail]
    if not missing:
        return tail
    return "\n".join([*missing, "...", tail])


def rotate_log(path: Path) -> None:
    """Keep the previous log as ``<name>.1`` before a new server writes one.

    Example:
        >>> rotate_log(Path("/nonexistent/server.log"))  # nothing to keep
    """
    if path.exists():
        with contextlib.suppress(OSError):
            os.replace(path, path.with_name(path.name + ".1"))


def signal_group(pid: int, sig: signal.Signals) -> None:
    """Send ``sig`` to the process group led by ``pid``, or to ``pid`` alone.

    Example:
        >>> import subprocess, sys
        >>> child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
        >>> signal_group(child.pid, signal.SIGTERM)
        >>> child.wait() != 0
        True
    """
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if os.getpgid(pid) == pid:
            os.killpg(pid, sig)
            return
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


def terminate_proc(proc: subprocess.Popen[bytes], timeout: float) -> None:
    """Stop a child process: SIGTERM, then SIGKILL after ``timeout`` seconds; reap it.

    Example:
        >>> import subprocess, sys
        >>> child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
        >>> terminate_proc(child, timeout=5)
        >>> child.poll() is not None
        True
    """
    if proc.poll() is not None:
        return
    signal_group(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        signal_group(proc.pid, signal.SIGKILL)
        proc.wait()


def terminate_pid(pid: int, timeout: float) -> None:
    """Stop a process that is not our child: SIGTERM, then SIGKILL after ``timeout`` seconds.

    Example:
        >>> terminate_pid(2**22 + 1, timeout=0.1)  # no such process: nothing happens
    """
    signal_group(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while pid_alive(pid):
        if time.monotonic() >= deadline:
            signal_group(pid, signal.SIGKILL)
            break
        time.sleep(0.1)
