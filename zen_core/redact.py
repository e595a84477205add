"""Remove secrets from data before it is logged.

- values under keys that name a secret (``api_key``, ``apiKey``, ``token``, ``secret``, ``password``,
  ``authorization``, ``cookie`` …; but not counters such as ``prompt_tokens``) become ``"***"``;
- in strings, bearer credentials, values assigned to a key name (``api_key=…``, ``"x-api-key": "…"``,
  ``access_token: …``, ``password=…``), Zen keys (``zen_…``) and common provider key shapes (OpenAI
  ``sk-…`` / ``sk-proj-…``, Anthropic ``sk-ant-…``, Google ``AIza…``, Groq ``gsk_…``, xAI ``xai-…``,
  AWS ``AKIA…``/``ASIA…``, GitHub ``ghp_…``/``github_pat_…``) are replaced by ``***``; so is any exact
  value passed in ``secrets`` (e.g. the keys a model was configured with).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
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

_TOKEN = r"[A-Za-z0-9._~+/=-]"
SECRET_VALUE = re.compile(
    rf"(?P<bearer>(?i:\bbearer\s+)){_TOKEN}+"
    r"|(?P<assign>(?i:\b(?:x-)?api[-_ ]?key|\baccess[-_]?token|\bclient[-_]?secret|\bpassword)[\"']?\s*[:=]\s*[\"']?)"
    rf"{_TOKEN}{{8,}}"
    r"|\bzen_[A-Za-z0-9_-]{16,}"
    r"|\bsk-[A-Za-z0-9_-]{16,}"  # OpenAI sk-… and sk-proj-…, Anthropic sk-ant-…
    r"|\bxai-[A-Za-z0-9_-]{16,}"
    r"|\bgsk_[A-Za-z0-9]{16,}"
    r"|\bAIza[A-Za-z0-9_-]{30,}"
    r"|\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"
    r"|\bgh[pousr]_[A-Za-z0-9]{20,}"
    r"|\bgithub_pat_[A-Za-z0-9_]{20,}"
)
#: Secrets given literally to :func:`redact_text` are masked only from this length (shorter ones are
#: too likely to be ordinary words).
MIN_SECRET_CHARS = 8


def is_secret_key(name: str) -> bool:
    """Whether a mapping key names a secret (word-wise, so ``prompt_tokens`` is not one)."""
    words = [w for w in _SPLIT.split(_CAMEL.sub("_", name).lower()) if w]
    joined = "".join(words)
    return bool(SECRET_WORDS.intersection(words)) or joined in SECRET_WORDS or joined.endswith("apikey")


def _mask(match: re.Match[str]) -> str:
    prefix = match.group("bearer") or match.group("assign") or ""
    return prefix + MASK


def redact_text(text: str, *, secrets: Iterable[str] = ()) -> str:
    """``text`` with credentials masked: known key shapes, and every value in ``secrets``."""
    for secret in sorted({s for s in secrets if len(s) >= MIN_SECRET_CHARS}, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return SECRET_VALUE.sub(_mask, text)


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
