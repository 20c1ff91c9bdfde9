"""Checkpoints: the whole run state as JSON, written atomically, with secrets removed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..errors import UserError
from ..fs import write_json_atomic
from ..secrets import REDACTED, is_secret_name, redact_text, secret_env_values

CHECKPOINT_NAME = "checkpoint.json"
FORMAT_VERSION = 1


def scrub(data: Any, secrets: list[str] | None = None) -> Any:
    """A copy of ``data`` with secret-named keys and secret-looking strings redacted.

    Strings equal to or containing the value of an environment variable named like a key or
    token are redacted too.

    Example:
        >>> scrub({"api_key": "abc", "note": "uses sk-1234567890abcdef"})
        {'api_key': '[redacted]', 'note': 'uses [redacted]'}
    """
    known = secret_env_values() if secrets is None else secrets
    if isinstance(data, dict):
        return {
            k: REDACTED if isinstance(k, str) and is_secret_name(k) else scrub(v, known)
            for k, v in data.items()
        }
    if isinstance(data, list):
        return [scrub(v, known) for v in data]
    if isinstance(data, str):
        return redact_text(data, known, env=False)
    return data


def save_checkpoint(run_dir: Path, state: dict[str, Any]) -> Path:
    """Write the run state (scrubbed) as ``checkpoint.json`` in ``run_dir``."""
    path = run_dir / CHECKPOINT_NAME
    write_json_atomic(path, scrub({"format": FORMAT_VERSION, **state}))
    return path


def load_checkpoint(run_dir: Path) -> dict[str, Any] | None:
    """The saved run state, or None if the folder has none. Plain JSON: loading runs nothing.

    Raises:
        UserError: the file exists but is not a checkpoint of this format.
    """
    path = run_dir / CHECKPOINT_NAME
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text("utf-8"))
    except (ValueError, RecursionError) as exc:  # bad JSON, not UTF-8 (a pickle), too deep
        raise UserError(f"{path} is not valid JSON ({exc}); move it away to start over") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT_VERSION:
        raise UserError(f"{path} is not a tg_core checkpoint (format {FORMAT_VERSION})")
    return data
