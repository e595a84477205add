"""A plugin whose HTTP hooks fail: one raises, the other registers something that is not a route."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from zen_core import hookimpl


@hookimpl
def register_routes(register: Callable[[Any], None]) -> None:
    register("/not-a-route")


@hookimpl
def register_asgi_wrappers(register: Callable[[Any], None]) -> None:
    raise RuntimeError("the wrapper plugin is broken")
