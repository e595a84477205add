"""The hooks a Zen plugin can implement.

A plugin is any module or object with functions marked ``@zen_core.hookimpl``, exposed through an
entry point in the ``zen`` group. Each hook receives a ``register`` callback; call it once per thing
the plugin offers. Hook order follows pluggy: ``tryfirst`` impls run first, ``trylast`` ones last,
and otherwise the plugin registered last runs first (built-ins are registered after external plugins).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from starlette.routing import BaseRoute
    from starlette.types import ASGIApp

    from zen_core.calls.middleware import Middleware
    from zen_core.calls.tool import Tool
    from zen_core.llm.models import ModelSource
    from zen_core.settings import Settings

PROJECT = "zen"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)

#: ``wrapper(app, settings, bind_host) -> app``: wraps the HTTP app of ``zen serve --http``.
AsgiWrapper = Callable[["ASGIApp", "Settings", str], "ASGIApp"]


@hookspec
def register_tools(register: Callable[[Tool[Any]], None]) -> None:
    """Offer MCP tools.

    :param register: call ``register(tool)`` with a :class:`zen_core.Tool` instance for each tool.
        Tool instances are shared by all concurrent calls, so keep no per-request state on them.
    """


@hookspec
def register_middleware(register: Callable[[Middleware], None]) -> None:
    """Wrap every tool call.

    :param register: call ``register(middleware)`` with an async callable
        ``middleware(call: ToolCall, call_next) -> ToolResponse``. Middleware registered by impls that
        pluggy calls earlier sits further out. The built-ins (auth, logging, metrics) are ``tryfirst``
        and therefore outermost, in that order.
    """


@hookspec
def register_model_sources(register: Callable[[ModelSource], None]) -> None:
    """Offer model configuration.

    :param register: call ``register(source)`` with a :class:`zen_core.ModelSource`: an object with a
        ``name`` and a ``load(settings) -> list[ModelConfig]`` method, where ``settings`` is Zen's whole
        configuration. The built-in source reads ``models`` from the YAML configuration; it wins over
        plugin sources when both define the same model. A source whose ``load`` raises is reported
        against its plugin and contributes no models; Zen keeps serving.
    """


@hookspec
def register_routes(register: Callable[[BaseRoute], None]) -> None:
    """Add HTTP endpoints to ``zen serve --http`` (the built-in metrics plugin adds ``/metrics``).

    :param register: call ``register(route)`` with a Starlette route (``starlette.routing.Route``). Routes
        sit behind the API-key check like ``/mcp``; only ``/healthz`` is open.
    """


@hookspec
def register_asgi_wrappers(register: Callable[[AsgiWrapper], None]) -> None:
    """Wrap the whole HTTP app of ``zen serve --http`` (the built-in auth plugin adds the API-key check).

    :param register: call ``register(wrapper)`` with ``wrapper(app, settings, bind_host) -> app``, a pure
        ASGI wrapper (it must pass streams through untouched). Wrappers registered by impls that pluggy
        calls earlier sit further out. Raise :class:`zen_core.errors.ConfigError` to refuse to serve.
    """
