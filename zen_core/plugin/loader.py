"""Plugin discovery and loading: entry points in the ``zen`` group, isolated so one broken plugin
never takes the host down.

Order: external plugins (sorted by distribution name, so the result does not depend on install
order), then ``ZEN_EXTRA_PLUGINS`` modules, then the built-ins. ``ZEN_LOAD_PLUGINS`` (allowlist; set
but empty = no external plugins) and ``ZEN_DISABLE_PLUGINS`` (denylist) name entry points or
distributions; they never affect built-ins. ``ZEN_STRICT_PLUGINS=1`` turns any load error into a
startup failure.
"""

from __future__ import annotations

import importlib
import importlib.metadata as md
import logging
import os
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import pluggy

from zen_core.plugin import spec as hookspecs
from zen_core.settings import env_list

log = logging.getLogger("zen.plugins")

#: Built-in plugins, registered after external ones (so they are called first, as pluggy is LIFO).
BUILTIN_PLUGINS: tuple[str, ...] = (
    "zen_core.builtins.tools",
    "zen_core.builtins.yaml_models",
    "zen_core.builtins.metrics",
    "zen_core.builtins.call_log",
    "zen_core.builtins.auth",
)


class PluginLoadError(RuntimeError):
    """Raised in strict mode (``ZEN_STRICT_PLUGINS=1``) when any plugin failed to load."""


@dataclass
class PluginInfo:
    """One plugin as ``zen plugins`` shows it."""

    name: str
    distribution: str | None = None
    version: str | None = None
    builtin: bool = False
    hooks: list[str] = field(default_factory=list)
    tools: list[str] = field(default_factory=list)
    error: str | None = None
    #: Whether it was skipped by ZEN_LOAD_PLUGINS / ZEN_DISABLE_PLUGINS.
    disabled: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "distribution": self.distribution,
            "version": self.version,
            "builtin": self.builtin,
            "hooks": self.hooks,
            "tools": self.tools,
            "error": self.error,
            "disabled": self.disabled,
        }


def known_hooks() -> list[str]:
    """The names of Zen's hooks, in the order :mod:`zen_core.plugin.spec` defines them."""
    specs = [(fn.__code__.co_firstlineno, name) for name, fn in vars(hookspecs).items() if hasattr(fn, "zen_spec")]
    return [name for _, name in sorted(specs)]


def make_plugin_manager() -> pluggy.PluginManager:
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    return pm


def _entry_points() -> list[md.EntryPoint]:
    """Entry points of the ``zen`` group, once each (editable installs can list a dist twice)."""
    seen: set[tuple[str, str]] = set()
    unique: list[md.EntryPoint] = []
    for ep in md.entry_points(group=hookspecs.PROJECT):
        dist = ep.dist.metadata["Name"] if ep.dist else ""
        key = (ep.name, ep.value)
        if key in seen:
            continue
        seen.add(key)
        unique.append(ep)
        log.debug("found entry point %s = %s (%s)", ep.name, ep.value, dist)
    return sorted(unique, key=lambda ep: ((ep.dist.metadata["Name"] if ep.dist else "").lower(), ep.name))


def _describe_exception(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


class PluginLoader:
    """Loads plugins into a pluggy manager and records what happened to each."""

    def __init__(self, pm: pluggy.PluginManager, *, environ: dict[str, str] | None = None) -> None:
        self.pm = pm
        self.environ = dict(os.environ if environ is None else environ)
        self.infos: dict[str, PluginInfo] = {}
        #: Problems with the plugin selection itself (a name in ZEN_LOAD_PLUGINS that matches nothing …).
        self.warnings: list[str] = []

    # -- selection -------------------------------------------------------------------------
    def _selected(self, ep: md.EntryPoint, dist: str | None) -> bool:
        allow = env_list("ZEN_LOAD_PLUGINS", self.environ)
        deny = env_list("ZEN_DISABLE_PLUGINS", self.environ) or []
        names = {ep.name.lower(), (dist or "").lower()}
        if allow is not None and not names & {a.lower() for a in allow}:
            return False
        return not names & {d.lower() for d in deny}

    # -- loading ---------------------------------------------------------------------------
    def load_all(self) -> None:
        entry_points = _entry_points()
        self._check_selection(entry_points)
        for ep in entry_points:
            self._load_entry_point(ep)
        for module_name in env_list("ZEN_EXTRA_PLUGINS", self.environ) or []:
            self._load_module(module_name, info=PluginInfo(name=module_name))
        for module_name in BUILTIN_PLUGINS:
            self._load_module(module_name, info=PluginInfo(name=module_name, builtin=True))
        self._check_pending()
        for name, info in self.infos.items():
            plugin = self.pm.get_plugin(name)
            if plugin is not None:
                info.hooks = sorted(caller.name for caller in self.pm.get_hookcallers(plugin) or [])

    def _check_selection(self, entry_points: list[md.EntryPoint]) -> None:
        """Warn about names in ZEN_LOAD_PLUGINS / ZEN_DISABLE_PLUGINS that match no installed plugin (typos)."""
        known = {ep.name.lower() for ep in entry_points}
        known |= {ep.dist.metadata["Name"].lower() for ep in entry_points if ep.dist}
        listing = ", ".join(sorted({ep.name for ep in entry_points})) or "none installed"
        for variable in ("ZEN_LOAD_PLUGINS", "ZEN_DISABLE_PLUGINS"):
            for name in env_list(variable, self.environ) or []:
                if name.lower() not in known:
                    message = f"{variable} names '{name}', which is no installed plugin (installed: {listing})"
                    self.warnings.append(message)
                    log.warning("%s", message)

    def _load_entry_point(self, ep: md.EntryPoint) -> None:
        dist = ep.dist.metadata["Name"] if ep.dist else None
        info = PluginInfo(name=ep.name, distribution=dist, version=ep.dist.version if ep.dist else None)
        if ep.name in self.infos:
            other = self.infos[ep.name]
            info.error = (
                f"entry point name '{ep.name}' is already used by {other.distribution or other.name}; "
                "rename the entry point in one of the two distributions"
            )
            self.infos[f"{ep.name} ({dist})"] = info
            return
        self.infos[ep.name] = info
        if not self._selected(ep, dist):
            info.disabled = True
            self.pm.set_blocked(ep.name)
            return
        try:
            plugin = ep.load()
            self.pm.register(plugin, name=ep.name)
        except (Exception, SystemExit) as exc:
            info.error = _describe_exception(exc)
            log.warning("plugin %s (%s) failed to load: %s", ep.name, dist, info.error)

    def _load_module(self, module_name: str, *, info: PluginInfo) -> None:
        self.infos[module_name] = info
        try:
            module: ModuleType = importlib.import_module(module_name)
            self.pm.register(module, name=module_name)
        except (Exception, SystemExit) as exc:
            info.error = _describe_exception(exc)
            log.warning("plugin %s failed to load: %s", module_name, info.error)

    def register_object(self, plugin: object, name: str) -> None:
        """Register an in-process plugin object (tests, embedding). Must be called before building."""
        info = PluginInfo(name=name)
        self.infos[name] = info
        try:
            self.pm.register(plugin, name=name)
        except (Exception, SystemExit) as exc:
            info.error = _describe_exception(exc)

    def _check_pending(self) -> None:
        """Unregister plugins with hooks that match no hookspec (usually a misspelled hook name)."""
        unknown: dict[str, list[str]] = {}
        for hook_name in dir(self.pm.hook):
            caller = getattr(self.pm.hook, hook_name)
            if hook_name.startswith("_") or not isinstance(caller, pluggy.HookCaller) or caller.spec is not None:
                continue
            for impl in caller.get_hookimpls():
                if not impl.optionalhook:
                    unknown.setdefault(impl.plugin_name, []).append(hook_name)
        for name, hooks in unknown.items():
            info = self.infos.setdefault(name, PluginInfo(name=name))
            info.error = f"unknown hook(s) {', '.join(sorted(hooks))}; known hooks are {', '.join(known_hooks())}"
            plugin = self.pm.get_plugin(name)
            if plugin is not None:
                self.pm.unregister(plugin)
        self.pm.check_pending()

    def errors(self) -> dict[str, str]:
        return {name: info.error for name, info in self.infos.items() if info.error}
