"""What counts as a secret: setting names and environment values never stored or logged."""

from __future__ import annotations

import os
import re

_SECRET_NAME = re.compile(
    r"^(?:.*_)?(?:api_?key|secret|secret_key|password|passwd|credentials?|private_key)$"
    r"|^(?:.*_)?(?:access|auth|bearer|refresh|session|api|id)?_?token$"
    r"|^authorization$|^key$",
    re.I,
)
_SECRET_ENV = re.compile(r"(API_?KEY|TOKEN|SECRET|PASSWORD|CREDENTIAL)", re.I)


def is_secret_name(name: str) -> bool:
    """True for setting names that hold secrets (``api_key``, ``aws_secret``, ``token`` ...).

    Example:
        >>> [is_secret_name(n) for n in ("api_key", "OPENAI_API_KEY", "max_tokens", "total_tokens")]
        [True, True, False, False]
    """
    return bool(_SECRET_NAME.search(name))


def secret_env_values(min_length: int = 8) -> list[str]:
    """Values of environment variables whose names say they hold keys or tokens."""
    return [v for k, v in os.environ.items() if _SECRET_ENV.search(k) and len(v) >= min_length]
