"""Zen plugin ``zen-tool-review``: the ``codereview``, ``precommit`` and ``secaudit`` tools.

Three entry points (``codereview``, ``precommit``, ``secaudit``), one per tool, so each can be switched off
on its own (``ZEN_DISABLE_PLUGINS=secaudit``) while the three share one engine. Importing this module is
cheap: the tool modules load when the host asks for tools.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from zen_core import Tool, hookimpl

__version__ = "0.2.0"


class ReviewPlugin:
    """The plugin object behind one entry point: registers one of the three tools."""

    def __init__(self, tool: str) -> None:
        self.tool = tool

    @hookimpl
    def register_tools(self, register: Callable[[Tool[Any]], None]) -> None:
        from zen_tool_review.tools import TOOLS

        register(TOOLS[self.tool]())

    def __repr__(self) -> str:
        return f"ReviewPlugin({self.tool!r})"


codereview = ReviewPlugin("codereview")
precommit = ReviewPlugin("precommit")
secaudit = ReviewPlugin("secaudit")
