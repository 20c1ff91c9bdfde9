"""Finds benchmark data files: a given folder, ``$TG_CORE_DATA_DIR``, or a download cache."""

from __future__ import annotations

import os
from pathlib import Path

from ..engine.cache import make_private_dir, tg_core_home
from ..errors import TgCoreError, UserError
from .bbh_tasks import BBH_TASKS

_BBH = "https://raw.githubusercontent.com/suzgunmirac/BIG-Bench-Hard/main/bbh"
_GSM8K = "https://raw.githubusercontent.com/openai/grade-school-math/master/grade_school_math/data"
SOURCES = {
    **{f"bbh/{task}.json": f"{_BBH}/{task}.json" for task in BBH_TASKS},
    "gsm8k/train.jsonl": f"{_GSM8K}/train.jsonl",
    "gsm8k/test.jsonl": f"{_GSM8K}/test.jsonl",
}


class DataUnavailable(TgCoreError):
    """A data file is not in any folder given and could not be downloaded."""


def data_file(
    relative: str, data_dir: str | os.PathLike[str] | None = None, download: bool = True
) -> Path:
    """Path of a data file such as ``bbh/object_counting.json``.

    Looks in ``data_dir``, then ``$TG_CORE_DATA_DIR``, then the download cache
    (``<tg_core_home>/data``), downloading from the public source into the cache if allowed.

    Example:
        >>> data_file("nope.json", download=False)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        tg_core.errors.UserError: unknown data file 'nope.json'...
    """
    if relative not in SOURCES:
        raise UserError(f"unknown data file {relative!r}; known: {sorted(SOURCES)}")
    folders = [Path(p) for p in (data_dir, os.environ.get("TG_CORE_DATA_DIR")) if p]
    cache = tg_core_home() / "data"
    for folder in [*folders, cache]:
        candidate = folder / relative
        if candidate.is_file():
            return candidate
    if data_dir is not None and not Path(data_dir).is_dir():
        raise UserError(f"data_dir {str(data_dir)!r} is not a folder")
    if not download:
        raise DataUnavailable(
            f"{relative} not found in {[str(f) for f in folders] or 'no folder'} or {cache}; "
            "pass data_dir= or allow download"
        )
    return _download(relative, cache / relative)


def _download(relative: str, target: Path) -> Path:
    import httpx

    url = SOURCES[relative]
    try:
        response = httpx.get(url, timeout=30.0, follow_redirects=True)
        response.raise_for_status()
    except httpx.HTTPError as exc:
        raise DataUnavailable(
            f"could not download {relative} from {url} ({exc}); "
            "pass data_dir= pointing at a local copy"
        ) from exc
    make_private_dir(target.parent)
    tmp = target.with_suffix(target.suffix + ".part")
    tmp.write_bytes(response.content)
    tmp.replace(target)
    return target
