"""Finds a task's data file in the caller's folders, or fetches a public one into the cache."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from ..engine.cache import make_private_dir, tg_core_home
from .data_files import DataUnavailable

PathLike = str | os.PathLike[str]


def data_folders(*given: PathLike | None) -> list[Path]:
    """The folders searched for data: those given, ``$TG_CORE_DATA_DIR``, ``<home>/data``.

    Example:
        >>> data_folders("/tmp/d")[0]
        PosixPath('/tmp/d')
    """
    env = os.environ.get("TG_CORE_DATA_DIR")
    return [Path(p) for p in (*given, env) if p] + [tg_core_home() / "data"]


def find_data_file(
    what: str,
    candidates: Sequence[str],
    *given: PathLike | None,
    url: str | None = None,
    download: bool = True,
) -> Path:
    """The first of ``candidates`` (paths relative to a data folder) that exists.

    Looks in the folders of :func:`data_folders`; when none has it and ``url`` is public,
    downloads it once into ``<home>/data/<candidates[0]>``.

    Raises:
        DataUnavailable: not found (and not downloadable); the message names the files,
            the folders searched, and ``data_dir=`` / ``$TG_CORE_DATA_DIR``.

    Example:
        >>> find_data_file("MMLU", ["mmlu/x/test.jsonl"], "/nowhere")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        tg_core.tasks.data_files.DataUnavailable: MMLU data not found: ...
    """
    folders = data_folders(*given)
    for folder in folders:
        for name in candidates:
            if (folder / name).is_file():
                return folder / name
    where = (
        f"put {' or '.join(candidates)} in a folder and pass data_dir=<folder> "
        f"(or set $TG_CORE_DATA_DIR); searched {[str(f) for f in folders]}"
    )
    if url is None or not download:
        raise DataUnavailable(f"{what} data not found: {where}")
    return _fetch(what, url, folders[-1] / candidates[0], where)


def _fetch(what: str, url: str, target: Path, where: str) -> Path:
    import httpx

    try:
        response = httpx.get(url, timeout=60.0, follow_redirects=True)
        response.raise_for_status()
    except httpx.HTTPError as exc:
        raise DataUnavailable(
            f"{what} data not found and not downloadable from {url} ({exc}): {where}"
        ) from exc
    make_private_dir(target.parent)
    partial = target.with_suffix(target.suffix + ".part")
    partial.write_bytes(response.content)
    partial.replace(target)
    return target
