"""Where the local model keeps its files, and the file locks that guard them."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path

from tg_core.fs import HOME_ENV, atomic_write_text, ensure_private_dir, tg_core_home
from tg_core.local.errors import LocalModelError

__all__ = [
    "HOME_ENV",
    "atomic_write_text",
    "ensure_private_dir",
    "file_lock",
    "local_state_dir",
    "models_dir",
    "tg_core_home",
]


def models_dir() -> Path:
    """Return the folder that holds assembled model files (``<home>/models``).

    Example:
        >>> models_dir().name
        'models'
    """
    return tg_core_home() / "models"


def local_state_dir() -> Path:
    """Return the folder of the local server's state file, lock and log (``<home>/local``).

    Example:
        >>> local_state_dir().name
        'local'
    """
    return tg_core_home() / "local"


@contextlib.contextmanager
def file_lock(path: Path, *, timeout: float | None = None) -> Iterator[None]:
    """Hold an exclusive ``fcntl.flock`` on ``path`` (created if missing) for a ``with`` block.

    The lock excludes other processes and other threads that open the same file.

    Args:
        path: the lock file; its folder must exist.
        timeout: seconds to wait for the lock; ``None`` waits for ever.

    Raises:
        LocalModelError: the lock was not obtained within ``timeout``.

    Example:
        >>> import tempfile, pathlib
        >>> with file_lock(pathlib.Path(tempfile.mkdtemp()) / "x.lock", timeout=1):
        ...     pass
    """
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    raise
                if deadline is not None and time.monotonic() >= deadline:
                    raise LocalModelError(
                        f"could not lock {path} within {timeout:g}s: "
                        "another process holds it (is a server starting or a model assembling?)"
                    ) from exc
                time.sleep(0.1)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
