"""The three hooks a Zen plugin can implement.

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
    from zen_core.calls.middleware import Middleware
    from zen_core.calls.tool import Tool
    from zen_core.llm.models import ModelSource

PROJECT = "zen"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


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

    :param register: call ``register(source)`` with an object that has a ``name`` and a
        ``load(settings) -> list[ModelConfig]`` method. The built-in source reads ``models`` from the
        YAML settings; it wins over plugin sources when both define the same model.
    """
