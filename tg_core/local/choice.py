"""Which GGUF the local server serves: the bundled model, or the user's own from an env variable."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from tg_core.errors import UserError
from tg_core.local.errors import LocalModelError
from tg_core.local.record import LOCAL_MODEL_ALIAS

#: The environment variable that names a GGUF file to serve instead of the bundled model.
MODEL_ENV = "TG_CORE_LOCAL_MODEL"
#: The first four bytes of every GGUF file.
GGUF_MAGIC = b"GGUF"

_ALIAS_UNSAFE = re.compile(r"[^a-z0-9._-]+")


class OwnModelError(LocalModelError, UserError):
    """``TG_CORE_LOCAL_MODEL`` names no readable GGUF file; the message says what to do.

    Attributes:
        value: the variable's value as given.
        problem: what is wrong with it.

    Example:
        >>> err = OwnModelError("/m.gguf", "no such file")
        >>> str(err).startswith("TG_CORE_LOCAL_MODEL=/m.gguf: no such file;")
        True
    """

    def __init__(self, value: str, problem: str) -> None:
        self.value = value
        self.problem = problem
        super().__init__(
            f"{MODEL_ENV}={value}: {problem}; set {MODEL_ENV} to the path of a readable .gguf "
            "model file (llama.cpp's format), or unset it to serve the bundled "
            "Qwen2.5-Coder-0.5B-Instruct"
        )


@dataclass(frozen=True)
class ModelChoice:
    """The model the local server is to serve.

    Attributes:
        alias: the model name the server answers to (and the engine's cache keys use).
        own: True for the user's GGUF from ``TG_CORE_LOCAL_MODEL``, False for the bundled one.
        path: the user's GGUF (absolute); None for the bundled model, assembled when needed.

    Example:
        >>> ModelChoice(LOCAL_MODEL_ALIAS, own=False).describe()
        'qwen2.5-coder-0.5b-instruct (the bundled model, checked by SHA-256)'
    """

    alias: str
    own: bool
    path: Path | None = None

    def describe(self) -> str:
        """One line naming the model and where it comes from."""
        if not self.own:
            return f"{self.alias} (the bundled model, checked by SHA-256)"
        return f"{self.alias} (your own GGUF from {MODEL_ENV}={self.path}; no checksum is checked)"


def alias_for(path: Path) -> str:
    """The model name the server answers to for a user's GGUF: its file name, lower case.

    The engine's disk cache tells models apart by this name, so two different files should
    not share a file name.

    Example:
        >>> alias_for(Path("/models/Llama-3.2-1B-Instruct-Q4_K_M.gguf"))
        'llama-3.2-1b-instruct-q4_k_m'
    """
    name = path.name[: -len(".gguf")] if path.name.lower().endswith(".gguf") else path.name
    alias = _ALIAS_UNSAFE.sub("-", name.lower()).strip("-") or "own-model"
    # Never the bundled model's name: answers cached for one must not be found for the other.
    return f"{alias}-own" if alias == LOCAL_MODEL_ALIAS else alias


def check_gguf(value: str) -> Path:
    """Return the absolute path ``value`` names once it is a readable file starting with ``GGUF``.

    Args:
        value: a path as given in ``TG_CORE_LOCAL_MODEL`` (``~`` is expanded, a relative path
            is taken from the current folder).

    Raises:
        OwnModelError: no such file, a folder, unreadable, or not a GGUF file.

    Example:
        >>> try:
        ...     check_gguf("/nonexistent/model.gguf")
        ... except OwnModelError as exc:
        ...     print(exc.problem)
        no such file
    """
    path = Path(value).expanduser().absolute()
    if not path.exists():
        raise OwnModelError(value, "no such file")
    if path.is_dir():
        raise OwnModelError(value, "this is a folder, not a model file")
    try:
        with path.open("rb") as handle:
            head = handle.read(len(GGUF_MAGIC))
    except OSError as exc:
        raise OwnModelError(value, f"cannot be read ({exc.strerror or exc})") from exc
    if head != GGUF_MAGIC:
        raise OwnModelError(
            value,
            f"not a GGUF file (it starts with {head!r}, a GGUF file starts with b'GGUF'; "
            "convert the model with llama.cpp's convert_hf_to_gguf.py or download a .gguf)",
        )
    return path


def chosen_model(environ: Mapping[str, str] | None = None) -> ModelChoice:
    """Return the model to serve: the GGUF named by ``TG_CORE_LOCAL_MODEL``, else the bundled one.

    An empty value counts as unset. The user's file is checked for its ``GGUF`` magic bytes
    only; the SHA-256 check belongs to the bundled model.

    Args:
        environ: the environment to read (default ``os.environ``).

    Raises:
        OwnModelError: the variable names no readable GGUF file.

    Example:
        >>> chosen_model({}).own
        False
        >>> import tempfile, pathlib
        >>> own = pathlib.Path(tempfile.mkdtemp()) / "Tiny-Q8_0.gguf"
        >>> _ = own.write_bytes(b"GGUF" + bytes(8))
        >>> chosen_model({"TG_CORE_LOCAL_MODEL": str(own)}).alias
        'tiny-q8_0'
    """
    value = (os.environ if environ is None else environ).get(MODEL_ENV, "").strip()
    if not value:
        return ModelChoice(LOCAL_MODEL_ALIAS, own=False)
    path = check_gguf(value)
    return ModelChoice(alias_for(path), own=True, path=path)
