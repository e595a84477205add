"""Zen plugin: the ``chat`` tool (a second opinion from another model).

Importing this module is cheap: the tool module (pydantic models, no LiteLLM) loads in the hook.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from zen_core import Tool, hookimpl

__version__ = "0.2.0"


@hookimpl
def register_tools(register: Callable[[Tool[Any]], None]) -> None:
    from zen_tool_chat.tool import ChatTool

    register(ChatTool())
