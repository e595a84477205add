"""Secrets: which files look like credentials, by name.

Pure functions, no I/O.
"""

from __future__ import annotations

import fnmatch
from pathlib import Path

__all__ = ["SECRET_NAMES", "SECRET_SUFFIXES", "is_secret"]

#: File-name patterns (lower-cased ``fnmatch``) refused as secrets unless ``allow_secrets`` is set.
SECRET_NAMES = (
    ".env",
    ".env.*",
    "*.env",
    ".envrc",
    ".npmrc",
    ".pypirc",
    ".netrc",
    "_netrc",
    ".pgpass",
    ".git-credentials",
    "id_rsa",
    "id_dsa",
    "id_ecdsa",
    "id_ed25519",
    "id_rsa.*",
    "id_dsa.*",
    "id_ecdsa.*",
    "id_ed25519.*",
    "*.pem",
    "*.key",
    "*.p12",
    "*.pfx",
    "*.jks",
    "*.keystore",
    "*.kdbx",
    "credentials",
    "*credentials*.json",
    "credentials.y*ml",
    "credentials.toml",
    "credentials.ini",
    "*.tfvars",
    "secrets.json",
    "secrets.y*ml",
    "secrets.toml",
    "secrets.ini",
    "*.secret",
    "*.secrets",
    "service-account*.json",
    "htpasswd",
    ".htpasswd",
)
#: Relative path suffixes refused as secrets (matched against the last path components).
SECRET_SUFFIXES = (
    (".aws", "credentials"),
    (".aws", "config"),
    (".docker", "config.json"),
    (".kube", "config"),
    (".ssh", "*"),
    (".gnupg", "*"),
    (".config", "gh", "hosts.yml"),
)


def is_secret(path: Path | str) -> str | None:
    """Why ``path`` looks like a secret (``None`` when it does not). Looks at the name and parents only."""
    parts = [p.lower() for p in Path(path).parts]
    if not parts:
        return None
    if ".git" in parts[:-1] or parts[-1] == ".git":
        return "inside a .git directory (repository internals)"
    name = parts[-1]
    for pattern in SECRET_NAMES:
        if fnmatch.fnmatchcase(name, pattern):
            return f"secret file (matches '{pattern}')"
    for suffix in SECRET_SUFFIXES:
        if len(parts) >= len(suffix) and all(
            fnmatch.fnmatchcase(part, pat) for part, pat in zip(parts[-len(suffix) :], suffix, strict=True)
        ):
            return f"secret file (matches '{'/'.join(suffix)}')"
    return None
