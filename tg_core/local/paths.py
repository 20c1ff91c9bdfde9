"""Where the local model keeps its files, private directories, atomic writes and file locks."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from tg_core.local.errors import LocalModelError

#: Environment variable that moves every file tg_core keeps (default ``~/.cache/tg_core``).
HOME_ENV = "TG_CORE_HOME"

_PRIVATE_DIR_MODE = 0o700


def tg_core_home() -> Path:
    """Return the root folder of tg_core's own files; nothing is created.

    ``$TG_CORE_HOME`` when set, else ``~/.cache/tg_core``.

    Returns:
        The folder as an absolute path.

    Example:
        >>> tg_core_home().is_absolute()
        True
    """
    configured = os.environ.get(HOME_ENV, "").strip()
    if configured:
        return Path(configured).expanduser().absolute()
    return (Path.home() / ".cache" / "tg_core").absolute()


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


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` and any missing parents with mode 0o700; existing folders are left as is.

    Args:
        path: the folder to create.

    Returns:
        ``path``.

    Example:
        >>> import tempfile, pathlib
        >>> root = pathlib.Path(tempfile.mkdtemp())
        >>> oct(ensure_private_dir(root / "a" / "b").stat().st_mode & 0o777)
        '0o700'
    """
    missing: list[Path] = []
    current = path
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=_PRIVATE_DIR_MODE)
        except FileExistsError:
            continue
        os.chmod(folder, _PRIVATE_DIR_MODE)
    return path


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and an atomic rename.

    Args:
        path: the destination; its folder must exist.
        text: the content, written as UTF-8.

    Example:
        >>> import tempfile, pathlib
        >>> target = pathlib.Path(tempfile.mkdtemp()) / "state.json"
        >>> atomic_write_text(target, "{}")
        >>> target.read_text()
        '{}'
    """
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise


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
