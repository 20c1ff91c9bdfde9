"""The record of a running local model server and the state file that keeps it between processes."""

from __future__ import annotations

import contextlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from tg_core.fs import atomic_write_text
from tg_core.local.paths import local_state_dir

#: The model name the server answers to (``model=`` in requests; any name falls back to it).
LOCAL_MODEL_ALIAS = "qwen2.5-coder-0.5b-instruct"
#: Context size the server is started with unless told otherwise.
DEFAULT_N_CTX = 4096

_STATE_FILE = "server.json"
_LOCK_FILE = "server.lock"
_LOG_FILE = "server.log"
_STATE_VERSION = 1


@dataclass(frozen=True)
class LocalServer:
    """A running embedded model server on a loopback port.

    Attributes:
        base_url: the OpenAI-compatible root, e.g. ``http://127.0.0.1:PORT/v1``.
        port: the TCP port on 127.0.0.1.
        pid: the server's process id.
        model_alias: the model name it serves (:data:`LOCAL_MODEL_ALIAS` for the bundled model).
        log_path: the file that receives the server's stdout and stderr.
        model_file: the GGUF it loaded.
        n_ctx: its context size in tokens.
        detached: True when it outlives the process that started it (``local start``).
        owner_pid: the process that started it.
        started_at: when it became ready (seconds since the epoch).
        own_model: True when its GGUF is the user's (``TG_CORE_LOCAL_MODEL``), not the bundled.

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
    own_model: bool = False

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
            own_model=bool(data.get("own_model", False)),
            n_ctx=int(data.get("n_ctx", DEFAULT_N_CTX)),
            detached=bool(data.get("detached", False)),
            owner_pid=None if owner is None else int(owner),
            started_at=float(data.get("started_at", 0.0)),
        )


def state_path() -> Path:
    """Return the JSON file that records the running server (``<home>/local/server.json``).

    Example:
        >>> state_path().name
        'server.json'
    """
    return local_state_dir() / _STATE_FILE


def lock_path() -> Path:
    """Return the lock file that serialises starting and stopping the server.

    Example:
        >>> lock_path().name
        'server.lock'
    """
    return local_state_dir() / _LOCK_FILE


def log_path() -> Path:
    """Return the server's log file (``<home>/local/server.log``).

    Example:
        >>> log_path().name
        'server.log'
    """
    return local_state_dir() / _LOG_FILE


def read_state() -> LocalServer | None:
    """Return the recorded server, or None when there is none or the record is unreadable.

    Example:
        >>> read_state() is None or isinstance(read_state(), LocalServer)
        True
    """
    try:
        data = json.loads(state_path().read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            return None
        return LocalServer.from_dict(data)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_state(server: LocalServer) -> None:
    """Record ``server`` in the state file (atomically).

    Example:
        >>> write_state(server)  # doctest: +SKIP
    """
    record = {"version": _STATE_VERSION, **server.to_dict()}
    atomic_write_text(state_path(), json.dumps(record, indent=2) + "\n")


def clear_state(pid: int | None = None) -> None:
    """Remove the state file; with ``pid``, only if it still records that process.

    Example:
        >>> clear_state(pid=server.pid)  # doctest: +SKIP
    """
    if pid is not None:
        current = read_state()
        if current is not None and current.pid != pid:
            return
    with contextlib.suppress(FileNotFoundError):
        state_path().unlink()
