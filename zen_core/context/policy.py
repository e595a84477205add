"""Which files a caller's tools may read: the allowed roots, and what is never readable.

- **Roots.** An API key's own roots (``zen keys add NAME --roots DIR``) win; otherwise ``files.allowed_roots``
  (any YAML file, or ``ZEN_FILES__ALLOWED_ROOTS`` comma-separated). With neither, stdio (the local user's
  own agent) may read the home directory and the working directory (never ``/`` or a system directory),
  and **HTTP may read nothing**: a shared server hands no file of its host to a key holder unless the
  operator says which.
- **Never readable**, on any transport and whatever the roots: Zen's own config dir (provider keys, API
  key hashes), data dir (``zen.db``: every conversation), log files, and the configuration of coding
  agents (Claude Code, Codex, Cursor, Gemini CLI), which hold their users' keys.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from zen_core.settings import Settings

#: Directories never offered as a default root (a server started in ``/`` must not serve ``/etc``).
SYSTEM_DIRS = frozenset(
    Path(p)
    for p in ("/", "/bin", "/boot", "/dev", "/etc", "/lib", "/lib64", "/proc", "/run", "/sbin", "/sys", "/usr", "/var")
)
#: Agent configuration under the home directory: ``(relative path, whose)``.
AGENT_CONFIG = (
    (".claude.json", "Claude Code's configuration"),
    (".claude", "Claude Code's configuration"),
    (".codex", "Codex's configuration"),
    (".cursor", "Cursor's configuration"),
    (".gemini", "Gemini CLI's configuration"),
    (".config/claude", "Claude Desktop's configuration"),
    (".config/Claude", "Claude Desktop's configuration"),
    ("Library/Application Support/Claude", "Claude Desktop's configuration"),
    (".config/github-copilot", "GitHub Copilot's configuration"),
    (".continue", "Continue's configuration"),
)
HTTP_OFF = (
    "file access is off on this HTTP server: the operator has configured no file roots. An operator enables it "
    "with files.allowed_roots (server-wide) or per API key with `zen keys add NAME --roots DIR`"
)

KEY_OFF = (
    'file access is off for this API key: it was created with no file roots (--roots ""). The operator can '
    "give it roots with `zen keys remove NAME` and `zen keys add NAME --roots DIR`"
)


@dataclass(frozen=True)
class FilePolicy:
    """What one caller may read: roots (empty: nothing) and paths that are never readable, with why."""

    roots: tuple[Path, ...]
    denied: tuple[tuple[Path, str], ...] = ()
    #: Why reading is off (``roots`` empty), worded for the agent.
    off_reason: str | None = None
    max_file_bytes: int = 5_000_000
    max_files: int = 1000
    max_image_bytes: int = 20_000_000
    max_images: int = 10

    @property
    def enabled(self) -> bool:
        return bool(self.roots)


def file_policy(settings: Settings, *, transport: str, key_roots: Sequence[str] | None = None) -> FilePolicy:
    """The policy for a caller on ``transport`` (``stdio`` / ``http``), with its API key's roots if any:
    ``None`` follows the server's roots, an empty list allows nothing (as for a key's tools and models)."""
    configured = key_roots if key_roots is not None else _configured_roots(settings)
    roots = _absolute(configured)
    off_reason = None
    if key_roots is not None and not key_roots:
        off_reason = KEY_OFF
    elif not roots:
        if transport == "stdio":
            roots = default_roots()
        else:
            off_reason = HTTP_OFF
    return FilePolicy(
        roots=tuple(roots),
        denied=tuple(never_readable(settings)),
        off_reason=off_reason,
        max_file_bytes=int(settings.get("files.max_file_bytes", 5_000_000)),
        max_files=int(settings.get("files.max_files", 1000)),
        max_image_bytes=int(settings.get("files.max_image_bytes", 20_000_000)),
        max_images=int(settings.get("files.max_images", 10)),
    )


def default_roots() -> list[Path]:
    """The local user's home and the working directory, each unless it is ``/`` or a system directory."""
    return [root for root in _unique([Path.home(), Path.cwd()]) if not _is_system(root)]


def never_readable(settings: Settings) -> list[tuple[Path, str]]:
    """Zen's own files and the coding agents' configuration, with the reason each is refused."""
    home = Path.home()
    denied = [
        (settings.config_dir, "Zen's own configuration directory"),
        (settings.defaults_dir, "Zen's own configuration directory"),
        (settings.data_dir, "Zen's own data directory (conversations)"),
    ]
    log_file = settings.get("logging.file")
    if log_file:
        path = Path(os.path.expanduser(str(log_file)))
        backups = int(settings.get("logging.backups") or 5)
        denied += [(path, "Zen's log file")]
        denied += [(path.with_name(f"{path.name}.{n}"), "Zen's log file") for n in range(1, backups + 1)]
    denied += [(home / rel, whose) for rel, whose in AGENT_CONFIG]
    return [(Path(os.path.realpath(path)), f"{reason}; never readable through tools") for path, reason in denied]


def _configured_roots(settings: Settings) -> list[str]:
    raw = settings.get("files.allowed_roots")
    items = raw.split(",") if isinstance(raw, str) else list(raw or [])
    return [str(item).strip() for item in items if str(item).strip()]


def _absolute(items: Iterable[str]) -> list[Path]:
    """Absolute roots (``~`` expanded, symlinks resolved); relative entries are ignored."""
    paths = [Path(os.path.expanduser(item)) for item in items]
    return _unique(p for p in paths if p.is_absolute())


def _unique(paths: Iterable[Path]) -> list[Path]:
    return list(dict.fromkeys(Path(os.path.realpath(p)) for p in paths))


def _is_system(path: Path) -> bool:
    return path in SYSTEM_DIRS or any(path == d or d in path.parents for d in SYSTEM_DIRS if d != Path("/"))
