"""tg_core's own files: where they live, folders only the owner can read, atomic writes."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

#: Environment variable that moves every file tg_core keeps (default ``~/.cache/tg_core``).
HOME_ENV = "TG_CORE_HOME"

_PRIVATE_DIR_MODE = 0o700


def tg_core_home() -> Path:
    """Return the root folder of tg_core's own files; nothing is created.

    ``$TG_CORE_HOME`` when set (``~`` expanded), else ``~/.cache/tg_core``.

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
        os.chmod(folder, _PRIVATE_DIR_MODE)  # mkdir's mode is filtered by the umask
    return path


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that a crash leaves the old file or the new one, whole.

    The text goes to a temporary file beside ``path`` (readable by the owner only), is
    flushed to disk and renamed over ``path``. A missing folder is created private.

    Args:
        path: the destination.
        text: the content, written as UTF-8.

    Example:
        >>> import tempfile, pathlib
        >>> target = pathlib.Path(tempfile.mkdtemp()) / "state.json"
        >>> atomic_write_text(target, "{}")
        >>> target.read_text(), oct(target.stat().st_mode & 0o777)
        ('{}', '0o600')
    """
    ensure_private_dir(path.parent)
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


def write_json_atomic(path: Path, data: Any) -> None:
    """Write ``data`` as JSON (UTF-8, indented) with :func:`atomic_write_text`.

    Example:
        >>> import tempfile, pathlib
        >>> target = pathlib.Path(tempfile.mkdtemp()) / "run" / "data.json"
        >>> write_json_atomic(target, {"step": 1})
        >>> json.loads(target.read_text())
        {'step': 1}
    """
    atomic_write_text(path, json.dumps(data, ensure_ascii=False, indent=1))
