"""Zen plugin: the ``clink`` tool (another coding CLI as a sub-agent).

Importing this module is cheap: the tool module loads in the hook.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from zen_core import Tool, hookimpl

__version__ = "0.2.0"


@hookimpl
def register_tools(register: Callable[[Tool[Any]], None]) -> None:
    from zen_tool_clink.tool import ClinkTool

    register(ClinkTool())
