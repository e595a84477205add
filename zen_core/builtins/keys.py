"""API keys for the HTTP transport: generation, hashing, storage and constant-time lookup.

A key is ``zen_`` + 43 URL-safe random characters (256 bits). Only its SHA-256 is stored (a fast hash
is fine for random tokens; there is nothing to brute-force). Keys come from two places, merged:

- ``keys.yaml`` in the user config dir (written by ``zen keys add``), top-level ``api_keys: [...]``;
- settings ``auth.keys: [{name, hash, tools, models}]`` (any YAML file or ``ZEN_AUTH__KEYS``).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml

from zen_core.settings import ConfigError, Settings

KEY_PREFIX = "zen_"
HASH_PREFIX = "sha256:"
KEYS_FILE = "keys.yaml"
FILE_SECTION = "api_keys"


@dataclass(frozen=True)
class ApiKey:
    """One configured key: its name, the hash of its secret and optional allowlists."""

    name: str
    hash: str
    tools: tuple[str, ...] | None = None
    models: tuple[str, ...] | None = None
    created: str | None = None
    #: Directories this key's tools may read (``None``: the server's ``files.allowed_roots``).
    roots: tuple[str, ...] | None = None

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.name, "hash": self.hash}
        if self.tools is not None:
            data["tools"] = list(self.tools)
        if self.models is not None:
            data["models"] = list(self.models)
        if self.roots is not None:
            data["roots"] = list(self.roots)
        if self.created:
            data["created"] = self.created
        return data


def generate_key() -> str:
    """A new random API key (shown to the user once, never stored)."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    return HASH_PREFIX + hashlib.sha256(key.encode("utf-8")).hexdigest()


def _names(value: Any, *, field: str, source: str) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = [v for v in value.split(",")]
    if not isinstance(value, (list, tuple)):
        raise ConfigError(f"'{field}' must be a list of names, got {type(value).__name__}", source=source)
    return tuple(str(v).strip() for v in value if str(v).strip())


def parse_key(raw: Any, *, source: str) -> ApiKey:
    """Validate one key entry from a file or the settings."""
    if not isinstance(raw, Mapping):
        raise ConfigError(f"each API key must be a mapping with name and hash, got {raw!r}", source=source)
    name, digest = raw.get("name"), raw.get("hash")
    if not isinstance(name, str) or not name.strip():
        raise ConfigError("an API key entry has no 'name'", source=source)
    if not isinstance(digest, str) or not digest.startswith(HASH_PREFIX) or len(digest) != len(HASH_PREFIX) + 64:
        raise ConfigError(
            f"API key '{name}': 'hash' must be '{HASH_PREFIX}<64 hex digits>' (create keys with `zen keys add`)",
            source=source,
        )
    return ApiKey(
        name=name.strip(),
        hash=digest.lower(),
        tools=_names(raw.get("tools"), field="tools", source=source),
        models=_names(raw.get("models"), field="models", source=source),
        created=str(raw["created"]) if raw.get("created") else None,
        roots=_roots(raw.get("roots"), name=name.strip(), source=source),
    )


def _roots(value: Any, *, name: str, source: str) -> tuple[str, ...] | None:
    """A key's file roots: absolute directories (``~`` allowed)."""
    roots = _names(value, field="roots", source=source)
    if roots is None:
        return None
    relative = [r for r in roots if not os.path.isabs(os.path.expanduser(r))]
    if relative:
        raise ConfigError(
            f"API key '{name}': roots must be absolute directories, got {', '.join(relative)}", source=source
        )
    return roots


class KeyFile:
    """``keys.yaml`` in a config dir: read, add, remove (written atomically, mode 0600)."""

    def __init__(self, config_dir: Path | str) -> None:
        self.path = Path(config_dir) / KEYS_FILE

    def load(self) -> list[ApiKey]:
        if not self.path.exists():
            return []
        try:
            data = yaml.safe_load(self.path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(f"cannot read API keys: {exc}", source=str(self.path)) from exc
        entries = data.get(FILE_SECTION) if isinstance(data, Mapping) else None
        if entries is None:
            return []
        if not isinstance(entries, list):
            raise ConfigError(f"'{FILE_SECTION}' must be a list", source=str(self.path))
        return [parse_key(entry, source=str(self.path)) for entry in entries]

    def save(self, keys: Iterable[ApiKey]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        text = "# API keys for `zen serve --http` (hashes only). Manage with `zen keys`.\n" + yaml.safe_dump(
            {FILE_SECTION: [k.as_dict() for k in keys]}, sort_keys=False
        )
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".keys-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def add(
        self,
        name: str,
        *,
        tools: list[str] | None = None,
        models: list[str] | None = None,
        roots: list[str] | None = None,
    ) -> str:
        """Create a key called ``name``; returns the secret (the only time it is available)."""
        keys = self.load()
        if any(k.name == name for k in keys):
            raise ConfigError(f"an API key named '{name}' already exists; remove it first", source=str(self.path))
        secret = generate_key()
        created = datetime.now(timezone.utc).isoformat(timespec="seconds")
        entry = {"name": name, "hash": hash_key(secret), "created": created, "tools": tools, "models": models}
        keys.append(parse_key({**entry, "roots": roots}, source=str(self.path)))
        self.save(keys)
        return secret

    def remove(self, name: str) -> bool:
        keys = self.load()
        kept = [k for k in keys if k.name != name]
        if len(kept) == len(keys):
            return False
        self.save(kept)
        return True


def load_keys(settings: Settings) -> list[ApiKey]:
    """All keys: settings ``auth.keys`` first, then ``keys.yaml`` of the config dir."""
    raw = settings.get("auth.keys") or []
    source = settings.source_of("auth.keys")
    if not isinstance(raw, list):
        raise ConfigError("'auth.keys' must be a list of {name, hash, tools, models}", source=source)
    keys = [parse_key(entry, source=source) for entry in raw]
    return keys + KeyFile(settings.config_dir).load()


class KeyRing:
    """Looks up a presented key among the configured hashes in constant time."""

    def __init__(self, keys: Iterable[ApiKey]) -> None:
        self.keys = list(keys)

    def __bool__(self) -> bool:
        return bool(self.keys)

    def verify(self, presented: str) -> ApiKey | None:
        """The key whose hash matches ``presented``; every stored hash is compared, without early exit."""
        digest = hash_key(presented).encode("ascii")
        found: ApiKey | None = None
        for key in self.keys:
            if hmac.compare_digest(digest, key.hash.encode("ascii")):
                found = key
        return found


def unknown_names(key: ApiKey, tools: Iterable[str], models: Iterable[str]) -> list[str]:
    """Warnings for names in ``key``'s allowlists that match no tool / model served now: most are typos,
    and the key could never use them. Tools match exactly, models by any name or alias in any case (as
    the checks at call time do); ``models`` holds every name and alias."""
    tool_names, model_names = set(tools), set(models)
    lowered = {name.lower() for name in model_names}
    unknown = [("tools", name, tool_names) for name in key.tools or () if name not in tool_names]
    unknown += [("models", name, model_names) for name in key.models or () if name.lower() not in lowered]
    return [
        f"key '{key.name}': {kind} names '{name}', which is not served here ({', '.join(sorted(known)) or 'none'})"
        for kind, name, known in unknown
    ]
