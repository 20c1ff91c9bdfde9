"""What counts as a secret: setting names and environment values never stored or logged."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable

# Matched against the name in lower case with "-" read as "_" (header names too).
_SECRET_NAME = re.compile(
    r"^(?:.*_)?(?:api_?key|secret|secret_key|access_key|subscription_key|password|passwd"
    r"|passphrase|credentials?|private_key)$"
    r"|^(?:.*_)?(?:access|auth|bearer|refresh|session|api|id)?_?token$"
    r"|^(?:.*_)?authorization$|^key$"
)
# Generation settings named like tokens that hold no secret (kept in cache keys).
_NOT_SECRET = frozenset(
    {"eos_token", "bos_token", "pad_token", "unk_token", "sep_token", "cls_token", "mask_token"}
)
_SECRET_ENV = re.compile(r"(API_?KEY|TOKEN|SECRET|PASSWORD|CREDENTIAL|(?:^|_)KEY$)", re.I)
# Strings shaped like provider keys, and the credential after an Authorization scheme.
_KEY_LIKE = re.compile(
    r"\b(sk-[A-Za-z0-9_\-]{8,}|sk-ant-[A-Za-z0-9_\-]{8,})"
    r"|(?<=Bearer )[A-Za-z0-9_\-.~+/=]{8,}",
    re.I,
)
REDACTED = "[redacted]"


def is_secret_name(name: str) -> bool:
    """True for setting names that hold secrets (``api_key``, ``aws_secret_access_key``,
    ``x-api-key``, ``token`` ...).

    Example:
        >>> [is_secret_name(n) for n in ("api_key", "OPENAI_API_KEY", "max_tokens", "total_tokens")]
        [True, True, False, False]
    """
    normal = name.lower().replace("-", "_")
    return normal not in _NOT_SECRET and bool(_SECRET_NAME.search(normal))


def secret_env_values(min_length: int = 8) -> list[str]:
    """Values of environment variables whose names say they hold keys or tokens."""
    return [v for k, v in os.environ.items() if _SECRET_ENV.search(k) and len(v) >= min_length]


def redact_text(text: str, secrets: Iterable[str | None] = (), *, env: bool = True) -> str:
    """``text`` with known secrets and key-shaped strings replaced by ``[redacted]``.

    Known secrets are ``secrets`` (values of 4 characters or more) and, with ``env``, the
    values of environment variables named like keys or tokens.

    Example:
        >>> redact_text("auth: Bearer abcdefgh12345 for my-key-123", ["my-key-123"], env=False)
        'auth: Bearer [redacted] for [redacted]'
    """
    known = [s for s in secrets if s and len(s) >= 4]
    if env:
        known.extend(secret_env_values())
    for secret in sorted(set(known), key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, REDACTED)
    return _KEY_LIKE.sub(REDACTED, text)
