"""Test plugin: a ``heap_probe`` tool reporting the server process's garbage-collector state."""

from __future__ import annotations

import gc
from collections.abc import Callable
from typing import Any

from zen_core import Tool, ToolContext, ToolRequest, ToolResponse, hookimpl


class HeapProbe(Tool[ToolRequest]):
    name = "heap_probe"
    description = "Objects frozen out of the garbage collector, and those it still tracks."
    request_model = ToolRequest

    async def execute(self, request: ToolRequest, ctx: ToolContext) -> ToolResponse:
        data = {"frozen": gc.get_freeze_count(), "tracked": len(gc.get_objects())}
        return ToolResponse(data=data, text=str(data))


@hookimpl
def register_tools(register: Callable[[Tool[Any]], None]) -> None:
    register(HeapProbe())
