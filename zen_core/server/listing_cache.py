"""The ``tools/list`` answer of the last start, kept on disk so the next start can answer it at once.

An agent starts a stdio server per session and waits for its ``tools/list``; building that answer means
importing every plugin and generating each tool's JSON schemas. A start that finds a listing made with
the same *inputs* answers from it and loads the plugins right after (see
:class:`zen_core.server.mcp.ZenMCPServer`), then checks the listing against the loaded tools: a
difference is written back and announced to the client (``notifications/tools/list_changed``).

The inputs (:func:`fingerprint`), all read without importing plugin code: the Python and ``zen_core``
install, every ``zen`` entry point with its distribution's version and the size and mtime of its
package's files (editable installs included), ``ZEN_EXTRA_PLUGINS`` modules likewise, the packaged and
user config files' bytes, the ``ZEN_*``/``LITELLM_*`` variables, and which other variables are set
(a provider key's presence decides which models, and so which tools, are usable).

Where: ``$ZEN_DATA_DIR/cache`` when that variable is set, else the per-user cache dir; a file per
Python environment and config dir. A missing, unreadable or foreign file is a miss, never an error.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata as md
import importlib.util
import json
import os
import sys
import tempfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from zen_core.settings import env_list, packaged_config_dir, user_config_dir
from zen_core.version import __version__

#: Bumped when the file's layout or what the fingerprint covers changes.
FORMAT = 1
#: ``zen_core.plugin.spec.PROJECT``, not imported from there: a start answered from the listing imports no pluggy.
ENTRY_POINT_GROUP = "zen"
#: Variables whose values shape the listing (others count only by being set or not).
VALUE_PREFIXES = ("ZEN_", "LITELLM_")
_SOURCE_SUFFIXES = (".py", ".yaml", ".yml", ".json", ".toml", ".txt", ".md")


def cache_file(environ: Mapping[str, str] | None = None) -> Path:
    """Where this Python environment keeps the listing for the config dir in use."""
    env = os.environ if environ is None else environ
    base = Path(env["ZEN_DATA_DIR"]) / "cache" if env.get("ZEN_DATA_DIR") else _user_cache_dir()
    scope = hashlib.sha256(f"{sys.prefix}\0{user_config_dir(env)}".encode()).hexdigest()[:16]
    return base / f"tools-list-{scope}.json"


def fingerprint(environ: Mapping[str, str] | None = None) -> str:
    """A digest of everything the ``tools/list`` answer depends on (see the module docstring)."""
    env = os.environ if environ is None else environ
    digest = hashlib.sha256()

    def add(*parts: object) -> None:
        for part in parts:
            digest.update(str(part).encode("utf-8", "surrogateescape"))
            digest.update(b"\0")

    add(FORMAT, sys.version, sys.prefix, __version__, *_versions("pydantic", "mcp"))
    _add_tree(add, Path(__file__).resolve().parents[1])  # zen_core itself: built-in tools, schema code
    for ep in sorted(_entry_points(), key=lambda ep: (ep.name, ep.value)):
        dist = ep.dist
        add("ep", ep.name, ep.value, dist.metadata["Name"] if dist else "", dist.version if dist else "")
        _add_module(add, ep.value.split(":", 1)[0])
    for module in env_list("ZEN_EXTRA_PLUGINS", env) or []:
        add("extra", module)
        _add_module(add, module)
    for directory in (packaged_config_dir(), user_config_dir(env)):
        for path in sorted(directory.glob("*.yaml")) if directory.is_dir() else []:
            with contextlib.suppress(OSError):
                add("config", path, hashlib.sha256(path.read_bytes()).hexdigest())
    for name in sorted(env):
        add("env", name, env[name] if name.startswith(VALUE_PREFIXES) else bool(env[name]))
    return digest.hexdigest()


def read(path: Path, expected: str) -> list[dict[str, Any]] | None:
    """The tools saved in ``path`` under fingerprint ``expected`` (``None``: no usable listing)."""
    try:
        saved = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(saved, dict) or saved.get("fingerprint") != expected:
        return None
    tools = saved.get("tools")
    if not isinstance(tools, list) or not all(isinstance(tool, dict) for tool in tools):
        return None
    return tools


def write(path: Path, fingerprint: str, tools: Iterable[dict[str, Any]]) -> None:
    """Save ``tools`` for ``fingerprint`` (atomically: a reader sees the old file or the new one)."""
    data = json.dumps({"fingerprint": fingerprint, "tools": list(tools)}, separators=(",", ":"))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tools-list-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


# -- the parts of the fingerprint ------------------------------------------------------------------
#: Adds its arguments to the digest.
Add = Callable[..., None]


def _entry_points() -> list[md.EntryPoint]:
    return list(md.entry_points(group=ENTRY_POINT_GROUP))


def _versions(*distributions: str) -> list[str]:
    found = []
    for name in distributions:
        try:
            found.append(f"{name}={md.version(name)}")
        except md.PackageNotFoundError:
            found.append(f"{name}=-")
    return found


def _add_module(add: Add, module: str) -> None:
    """The files of ``module``'s top-level package (or the module file itself), found without importing."""
    top = module.split(".", 1)[0]
    try:
        spec = importlib.util.find_spec(top)
    except (ImportError, ValueError):
        spec = None
    if spec is None:
        add("missing", top)
        return
    for location in spec.submodule_search_locations or []:
        _add_tree(add, Path(location))
    if not spec.submodule_search_locations and spec.origin:
        _add_file(add, Path(spec.origin))


def _add_tree(add: Add, root: Path) -> None:
    for directory, subdirs, files in os.walk(root):
        subdirs[:] = sorted(d for d in subdirs if d != "__pycache__" and not d.startswith("."))
        for name in sorted(files):
            if name.endswith(_SOURCE_SUFFIXES):
                _add_file(add, Path(directory, name))


def _add_file(add: Add, path: Path) -> None:
    try:
        stat = path.stat()
    except OSError:
        add("gone", path)
        return
    add(path, stat.st_size, stat.st_mtime_ns)


def _user_cache_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_cache_dir("zen", appauthor=False))
