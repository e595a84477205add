"""Zen plugin ``zen-tool-consensus``: the ``consensus`` tool (parallel multi-model consensus).

Importing this module is cheap; the tool module is imported when the host asks for tools.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from zen_core import Tool, hookimpl

__version__ = "0.2.0"


@hookimpl
def register_tools(register: Callable[[Tool[Any]], None]) -> None:
    from zen_tool_consensus.tool import ConsensusTool

    register(ConsensusTool())
