"""The plugin host: loads plugins, then collects what they offer — tools, middleware, model sources, HTTP
routes and wrappers — through a typed façade over ``pm.hook``.

Each hook implementation is called on its own, in pluggy's order, so an exception (or a ``sys.exit``) in one
plugin's hook is recorded against that plugin and the others still register.
"""

from __future__ import annotations

import inspect
import logging
import os
import re
from collections.abc import Callable, Mapping
from typing import Any

import pluggy
from pydantic import BaseModel

from zen_core.calls.dispatch import Dispatcher, RegisteredTool
from zen_core.calls.middleware import Middleware
from zen_core.plugin.loader import PluginInfo, PluginLoader, PluginLoadError, make_plugin_manager
from zen_core.plugin.spec import AsgiWrapper
from zen_core.services import Services
from zen_core.settings import Settings

log = logging.getLogger("zen.host")

TOOL_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def _check_tool(tool: object) -> str | None:
    """Why ``tool`` is not a valid tool, or ``None`` when it is."""
    for attr in ("name", "description", "request_model", "execute"):
        if not hasattr(tool, attr):
            return f"registered object {tool!r} has no '{attr}'; tools subclass zen_core.Tool"
    name = getattr(tool, "name", "")
    if not isinstance(name, str) or not TOOL_NAME.match(name):
        return f"tool name {name!r} must be 1-64 characters of letters, digits, '_' or '-'"
    model = getattr(tool, "request_model", None)
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        return f"tool '{name}': request_model must be a pydantic model class (subclass zen_core.ToolRequest)"
    if not inspect.iscoroutinefunction(getattr(tool, "execute", None)):
        return f"tool '{name}': execute must be an async method"
    return None


class ZenHost:
    """Everything one Zen process serves: settings, plugins, tools, middleware and services."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        extra_plugins: Mapping[str, object] | None = None,
        environ: Mapping[str, str] | None = None,
        strict: bool | None = None,
    ) -> None:
        self.settings = settings or Settings()
        env = dict(os.environ if environ is None else environ)
        self.pm: pluggy.PluginManager = make_plugin_manager()
        self.loader = PluginLoader(self.pm, environ=env)
        for name, plugin in (extra_plugins or {}).items():
            self.loader.register_object(plugin, name)
        self.loader.load_all()
        self.tools: dict[str, RegisteredTool] = {}
        self.middleware: list[Middleware] = []
        self._collect_tools()
        self._collect_middleware()
        #: HTTP routes and app wrappers for ``zen serve --http`` (outermost wrapper first).
        self.routes: list[Any] = [route for _, route in self._collect("register_routes", _check_route)]
        self.asgi_wrappers: list[AsgiWrapper] = [w for _, w in self._collect("register_asgi_wrappers", _check_callable)]
        sources = [
            source if self._info(plugin).builtin else _GuardedSource(source, plugin, self._fail)
            for plugin, source in self._collect("register_model_sources", _check_source)
        ]
        self.services = Services(self.settings, sources)
        self.services.plugins = [info.as_dict() for info in self.loader.infos.values()]
        self.services.withheld_tools = self._withhold_tools()  # also validates the model config now
        strict = strict if strict is not None else env.get("ZEN_STRICT_PLUGINS", "") not in ("", "0", "false")
        if strict and self.loader.errors():
            problems = "; ".join(f"{name}: {err}" for name, err in self.loader.errors().items())
            raise PluginLoadError(f"plugin errors (ZEN_STRICT_PLUGINS is set): {problems}")

    # -- collection --------------------------------------------------------------------------
    def _info(self, plugin_name: str) -> PluginInfo:
        return self.loader.infos.setdefault(plugin_name, PluginInfo(name=plugin_name))

    def _collect(self, hook_name: str, check: Callable[[object], str | None]) -> list[tuple[str, Any]]:
        """Call each impl of ``hook_name`` separately (pluggy order) and gather what it registers."""
        caller: pluggy.HookCaller = getattr(self.pm.hook, hook_name)
        items: list[tuple[str, Any]] = []
        for impl in reversed(caller.get_hookimpls()):  # pluggy calls the last impl first
            offered: list[Any] = []
            try:
                impl.function(register=offered.append)
            except (Exception, SystemExit) as exc:
                self._fail(impl.plugin_name, f"{hook_name} raised {type(exc).__name__}: {exc}")
                continue
            for item in offered:
                problem = check(item)
                if problem:
                    self._fail(impl.plugin_name, problem)
                else:
                    items.append((impl.plugin_name, item))
        return items

    def _fail(self, plugin_name: str, message: str) -> None:
        info = self._info(plugin_name)
        info.error = f"{info.error}; {message}" if info.error else message
        log.warning("plugin %s: %s", plugin_name, message)

    def _collect_tools(self) -> None:
        for plugin_name, tool in self._collect("register_tools", _check_tool):
            info = self._info(plugin_name)
            candidate = RegisteredTool(tool, plugin_name, info.distribution, info.builtin)
            current = self.tools.get(tool.name)
            if current is None:
                self.tools[tool.name] = candidate
                info.tools.append(tool.name)
                continue
            winner, loser = _resolve_conflict(current, candidate)
            self.tools[tool.name] = winner
            if winner is candidate:
                self._info(current.plugin).tools.remove(tool.name)
                info.tools.append(tool.name)
            self._fail(
                loser.plugin,
                f"tool '{tool.name}' is also registered by {_who(winner)}; {_who(winner)} wins "
                f"(built-ins win, then the distribution whose name sorts first). Rename the tool in "
                f"{_who(loser)} or disable one plugin with ZEN_DISABLE_PLUGINS",
            )

    def _collect_middleware(self) -> None:
        self.middleware = [mw for _, mw in self._collect("register_middleware", _check_middleware)]

    def _withhold_tools(self) -> dict[str, str]:
        """Take out the tools whose ``unavailable_reason`` says they cannot work with the usable models."""
        usable = self.services.models.available()  # alias conflicts in the model config fail here
        withheld: dict[str, str] = {}
        for name, entry in list(self.tools.items()):
            try:
                reason = entry.tool.unavailable_reason(usable)
            except Exception as exc:
                reason = f"its availability check failed: {type(exc).__name__}: {exc}"
                self._fail(entry.plugin, f"tool '{name}': {reason}")
            if reason:
                withheld[name] = reason
                del self.tools[name]
        return withheld

    def dispatcher(self) -> Dispatcher:
        """A dispatcher for this host's tools, through its middleware."""
        return Dispatcher(self.tools, self.middleware, self.services)

    # -- listing -----------------------------------------------------------------------------
    def plugin_infos(self, *, include_builtin: bool = False) -> list[PluginInfo]:
        return [i for i in self.loader.infos.values() if include_builtin or not i.builtin]

    def load_errors(self) -> dict[str, str]:
        return self.loader.errors()


def _who(entry: RegisteredTool) -> str:
    return f"'{entry.distribution}'" if entry.distribution else f"plugin '{entry.plugin}'"


def _resolve_conflict(a: RegisteredTool, b: RegisteredTool) -> tuple[RegisteredTool, RegisteredTool]:
    """Built-ins win; otherwise the distribution (or plugin) name that sorts first wins."""
    if a.builtin != b.builtin:
        return (a, b) if a.builtin else (b, a)
    key_a = (a.distribution or a.plugin).lower()
    key_b = (b.distribution or b.plugin).lower()
    return (a, b) if key_a <= key_b else (b, a)


def _check_middleware(mw: object) -> str | None:
    if not callable(mw):
        return f"registered middleware {mw!r} is not callable"
    target = mw if inspect.isfunction(mw) or inspect.ismethod(mw) else getattr(mw, "__call__", None)  # noqa: B004
    if not inspect.iscoroutinefunction(target):
        return f"middleware {getattr(mw, '__name__', mw)!r} must be an async callable (call, call_next)"
    return None


class _GuardedSource:
    """A plugin's model source whose ``load`` failure is recorded against the plugin, not fatal.

    (The built-in YAML source is not wrapped: a broken config file must stop start-up.)
    """

    def __init__(self, source: Any, plugin: str, fail: Callable[[str, str], None]) -> None:
        self.source = source
        self.name = str(getattr(source, "name", plugin))
        self._plugin = plugin
        self._fail = fail

    def load(self, settings: Settings) -> list[Any]:
        try:
            return list(self.source.load(settings))
        except (Exception, SystemExit) as exc:
            self._fail(self._plugin, f"model source '{self.name}' failed to load: {type(exc).__name__}: {exc}")
            return []


def _check_route(route: object) -> str | None:
    from starlette.routing import BaseRoute

    return None if isinstance(route, BaseRoute) else f"registered route {route!r} is not a Starlette route"


def _check_callable(item: object) -> str | None:
    return None if callable(item) else f"registered ASGI wrapper {item!r} is not callable"


def _check_source(source: object) -> str | None:
    if not hasattr(source, "load") or not hasattr(source, "name"):
        return f"model source {source!r} needs a 'name' and a 'load(settings)' method"
    return None
