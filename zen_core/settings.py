"""Settings: packaged defaults ▶ user config dir ▶ ``ZEN_*`` environment, merged by dynaconf.

Every ``*.yaml`` file contributes top-level keys (``models.yaml`` gives ``models:``, ``limits.yaml``
gives ``rate_limits:`` …). Files in the user config dir (``ZEN_CONFIG_DIR``, default the per-user
config dir) are merged over the packaged defaults; ``ZEN_*`` variables win over both, with ``__``
separating nested keys (``ZEN_CACHE__ENABLED=false``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

import platformdirs
from pydantic import BaseModel, ValidationError

from zen_core.errors import ConfigError

__all__ = ["ConfigError", "Settings", "deep_merge", "env_list"]

ENV_PREFIX = "ZEN"
_MISSING = object()


def packaged_config_dir() -> Path:
    """The directory holding the default YAML files (installed wheel, or the source checkout)."""
    here = Path(__file__).resolve().parent
    installed = here / "defaults"
    return installed if installed.is_dir() else here.parent / "config"


def default_user_config_dir() -> Path:
    return Path(platformdirs.user_config_dir("zen", appauthor=False))


def user_config_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The user config dir in use: ``ZEN_CONFIG_DIR`` when set, else the per-user config dir."""
    value = (os.environ if environ is None else environ).get(f"{ENV_PREFIX}_CONFIG_DIR")
    return Path(value) if value else default_user_config_dir()


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("zen", appauthor=False))


def env_list(name: str, environ: Mapping[str, str] | None = None) -> list[str] | None:
    """Parse a comma-separated environment variable; ``None`` when unset, ``[]`` when set but empty."""
    value = (environ if environ is not None else os.environ).get(name)
    if value is None:
        return None
    return [item.strip() for item in value.split(",") if item.strip()]


def _read_yaml(path: Path) -> dict[str, Any]:
    import yaml  # here: answering tools/list from a saved listing reads no YAML

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when PyYAML has it
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"malformed YAML{line}: {problem}", source=str(path)) from exc
    except OSError as exc:
        raise ConfigError(f"cannot read file: {exc.strerror}", source=str(path)) from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"expected a mapping of keys at the top level, got {type(data).__name__}", source=str(path))
    return data


def _lower_top(data: Mapping[str, Any]) -> dict[str, Any]:
    return {str(k).lower(): v for k, v in data.items()}


def deep_merge(base: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``extra`` merged in: nested mappings merge key by key, anything else is replaced."""
    merged = dict(base)
    for key, value in extra.items():
        current = merged.get(key)
        if isinstance(current, Mapping) and isinstance(value, Mapping):
            merged[key] = deep_merge(current, value)
        else:
            merged[key] = value
    return merged


def _dig(data: Any, dotted: str) -> Any:
    node = data
    for part in dotted.split("."):
        if isinstance(node, Mapping):
            lowered = {str(k).lower(): v for k, v in node.items()}
            if part in node:
                node = node[part]
            elif part.lower() in lowered:
                node = lowered[part.lower()]
            else:
                return _MISSING
        elif isinstance(node, Sequence) and not isinstance(node, str) and part.isdigit():
            idx = int(part)
            if idx >= len(node):
                return _MISSING
            node = node[idx]
        else:
            return _MISSING
    return node


def _plugin_key(name: str) -> str:
    return name.replace("-", "_").lower()


def _lower_keys(key: Any) -> Any:
    return key.lower() if isinstance(key, str) else key


class Settings:
    """The merged settings of one Zen process. Read-only after construction."""

    def __init__(
        self,
        config_dir: Path | str | None = None,
        *,
        defaults_dir: Path | str | None = None,
        overrides: Mapping[str, Any] | None = None,
    ) -> None:
        self.defaults_dir = Path(defaults_dir) if defaults_dir else packaged_config_dir()
        self.config_dir = Path(config_dir) if config_dir else user_config_dir()
        self.files = self._discover_files()
        # Parse each file ourselves first: a malformed file must be named in the error.
        self._layers: list[tuple[str, dict[str, Any]]] = [
            (str(path), _lower_top(_read_yaml(path))) for path in self.files
        ]
        self._data = self._merge(overrides or {})

    def _discover_files(self) -> list[Path]:
        files = sorted(self.defaults_dir.glob("*.yaml")) if self.defaults_dir.is_dir() else []
        if self.config_dir.is_dir() and self.config_dir.resolve() != self.defaults_dir.resolve():
            files += sorted(self.config_dir.glob("*.yaml"))
        return files

    def _merge(self, overrides: Mapping[str, Any]) -> dict[str, Any]:
        """The files' layers merged in order, then dynaconf applies the ``ZEN_*`` environment on top.

        The files are already parsed (to name a malformed one), so dynaconf gets their merged data as
        initial values rather than parsing them again.
        """
        from dynaconf import Dynaconf  # imported here: only settings construction pays for it

        files_data: dict[str, Any] = {}
        for _, layer in self._layers:
            files_data = deep_merge(files_data, layer)
        dyn = Dynaconf(
            envvar_prefix=ENV_PREFIX,
            environments=False,
            load_dotenv=False,
            core_loaders=[],
            nested_separator="__",
            **{key.upper(): value for key, value in files_data.items()},
        )
        data = _lower_top(dyn.as_dict())
        for key, value in overrides.items():
            data[key.lower()] = value
        return data

    # -- reading -----------------------------------------------------------------------------
    def get(self, dotted: str, default: Any = None) -> Any:
        """A value by dotted path (``"rate_limits.global.requests_per_minute"``)."""
        value = _dig(self._data, dotted)
        return default if value is _MISSING else value

    def section(self, name: str) -> dict[str, Any]:
        value = self.get(name, {})
        if not isinstance(value, Mapping):
            raise ConfigError(f"expected a mapping, got {type(value).__name__}", source=self.source_of(name), key=name)
        return dict(value)

    def plugin(self, distribution: str) -> dict[str, Any]:
        """A plugin's own settings: the ``plugins.<distribution-name>`` section (empty when absent).

        The name matches whatever its case and ``-`` / ``_`` spelling, so YAML's ``zen-tool-x`` and the
        environment's ``ZEN_PLUGINS__ZEN_TOOL_X__…`` are the same section (merged, the environment winning)."""
        wanted = _plugin_key(distribution)
        merged: dict[str, Any] = {}
        for key, value in self.section("plugins").items():
            if _plugin_key(str(key)) == wanted and isinstance(value, Mapping):
                merged = deep_merge(merged, {_lower_keys(k): v for k, v in value.items()} if key.isupper() else value)
        return merged

    def as_dict(self) -> dict[str, Any]:
        return dict(self._data)

    def source_of(self, dotted: str) -> str:
        """Where a key's value comes from: an env variable or the last file that sets it."""
        parts = dotted.split(".")
        for depth in range(len(parts), 0, -1):  # ZEN_A__B__C, then ZEN_A__B, then ZEN_A
            env_name = f"{ENV_PREFIX}_" + "__".join(p.upper() for p in parts[:depth])
            if env_name in os.environ:
                return f"environment variable {env_name}"
        for source, layer in reversed(self._layers):
            if _dig(layer, dotted) is not _MISSING:
                return str(source)
        return "settings"

    def validate(self, key: str, model: type[BaseModel]) -> Any:
        """Validate section ``key`` against a pydantic model; errors name the file, key and expectation."""
        raw = self.get(key, {})
        try:
            return model.model_validate(raw if raw is not None else {})
        except ValidationError as exc:
            first = exc.errors()[0]
            loc = ".".join(str(p) for p in (key, *first["loc"]))
            problems = "; ".join(f"{'.'.join(str(p) for p in (key, *e['loc']))}: {e['msg']}" for e in exc.errors())
            raise ConfigError(problems, source=self.source_of(loc), key=loc) from exc

    # -- well-known locations ---------------------------------------------------------------
    @cached_property
    def data_dir(self) -> Path:
        configured = os.environ.get(f"{ENV_PREFIX}_DATA_DIR") or self.get("data_dir")
        return Path(configured) if configured else default_data_dir()

    @property
    def redis_url(self) -> str | None:
        value: Any = os.environ.get(f"{ENV_PREFIX}_REDIS_URL") or self.get("redis_url")
        return str(value) if value else None
