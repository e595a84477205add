"""Zen plugin ``zen-tool-think``: seven focused tools, each one model call with a structured answer —
``debug``, ``thinkdeep``, ``analyze``, ``refactor``, ``testgen``, ``docgen`` and ``tracer``.

Importing this module is cheap: the tool modules load in the hook.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from zen_core import Tool, hookimpl

__version__ = "0.2.0"


@hookimpl
def register_tools(register: Callable[[Tool[Any]], None]) -> None:
    from zen_tool_think.analyze import AnalyzeTool
    from zen_tool_think.debug import DebugTool
    from zen_tool_think.docgen import DocGenTool
    from zen_tool_think.refactor import RefactorTool
    from zen_tool_think.testgen import TestGenTool
    from zen_tool_think.thinkdeep import ThinkDeepTool
    from zen_tool_think.tracer import TracerTool

    for tool in (DebugTool, ThinkDeepTool, AnalyzeTool, RefactorTool, TestGenTool, DocGenTool, TracerTool):
        register(tool())
