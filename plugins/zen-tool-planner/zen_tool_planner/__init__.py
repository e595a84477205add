"""Zen plugin ``zen-tool-planner``: the ``planner``, ``challenge`` and ``apilookup`` tools.

Each tool has its own entry point (``planner``, ``challenge``, ``apilookup`` in the ``zen`` group), so
each can be switched off or loaded alone. The entry points are the three ``*_entry`` objects below; importing this
package is cheap: a tool's module (pydantic models, prompts) is imported when the host asks for tools.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from zen_core import Tool, hookimpl

__version__ = "0.2.0"


class ToolPlugin:
    """One entry point: registers one tool, importing its module only in the hook."""

    def __init__(self, module: str, cls: str) -> None:
        self.module = module
        self.cls = cls

    @hookimpl
    def register_tools(self, register: Callable[[Tool[Any]], None]) -> None:
        tool_class = getattr(importlib.import_module(self.module), self.cls)
        register(tool_class())

    def __repr__(self) -> str:
        return f"<zen-tool-planner {self.module}.{self.cls}>"


# Not named like the tool modules: importing ``zen_tool_planner.planner`` sets the package attribute
# ``planner`` to that module, which would hide an entry-point object of the same name from the next load.
planner_entry = ToolPlugin("zen_tool_planner.planner", "PlannerTool")
challenge_entry = ToolPlugin("zen_tool_planner.challenge", "ChallengeTool")
apilookup_entry = ToolPlugin("zen_tool_planner.apilookup", "ApiLookupTool")
