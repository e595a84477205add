"""Remove secrets from data before it is logged.

- values under keys that name a secret (``api_key``, ``apiKey``, ``token``, ``secret``, ``password``,
  ``authorization``, ``cookie`` …; but not counters such as ``prompt_tokens``) become ``"***"``;
- in strings, bearer credentials, Zen keys (``zen_…``) and common provider key shapes (``sk-…``,
  ``AIza…``, ``xai-…``) are replaced by ``***``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

MASK = "***"

SECRET_WORDS = frozenset(
    {
        "key",
        "keys",
        "apikey",
        "secret",
        "secrets",
        "token",
        "password",
        "passwd",
        "pwd",
        "passphrase",
        "authorization",
        "auth",
        "credential",
        "credentials",
        "cookie",
        "session",
    }
)

_SPLIT = re.compile(r"[^a-z0-9]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")

SECRET_VALUE = re.compile(
    r"(?i:\bbearer\s+)[A-Za-z0-9._~+/=-]+"
    r"|\bzen_[A-Za-z0-9_-]{16,}"
    r"|\bsk-[A-Za-z0-9_-]{16,}"
    r"|\bxai-[A-Za-z0-9_-]{16,}"
    r"|\bAIza[A-Za-z0-9_-]{30,}"
)


def is_secret_key(name: str) -> bool:
    """Whether a mapping key names a secret (word-wise, so ``prompt_tokens`` is not one)."""
    words = [w for w in _SPLIT.split(_CAMEL.sub("_", name).lower()) if w]
    joined = "".join(words)
    return bool(SECRET_WORDS.intersection(words)) or joined in SECRET_WORDS or joined.endswith("apikey")


def redact_text(text: str) -> str:
    return SECRET_VALUE.sub(lambda m: "Bearer " + MASK if m.group(0).lower().startswith("bearer") else MASK, text)


def redact(value: Any, *, max_depth: int = 20) -> Any:
    """A copy of ``value`` (JSON-like data) with secrets masked."""
    if max_depth <= 0:
        return MASK
    if isinstance(value, Mapping):
        return {
            str(k): MASK if is_secret_key(str(k)) and v not in (None, "") else redact(v, max_depth=max_depth - 1)
            for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [redact(v, max_depth=max_depth - 1) for v in value]
    if isinstance(value, str):
        return redact_text(value)
    return value
