"""Tools for the core's tests, loaded into a real server with ZEN_EXTRA_PLUGINS=zen_test_tools."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from typing import Any

from pydantic import Field

from zen_core import Tool, ToolContext, ToolError, ToolRequest, ToolResponse, hookimpl


class EchoRequest(ToolRequest):
    text: str = Field(description="Text to echo back")
    times: int = Field(1, ge=1, le=5, description="How often")


class EchoTool(Tool[EchoRequest]):
    name = "echo"
    description = "Echo the text."
    request_model = EchoRequest

    async def execute(self, request: EchoRequest, ctx: ToolContext) -> ToolResponse:
        return ToolResponse(data={"text": request.text * request.times, "request_id": request.request_id})


class NoArgs(ToolRequest):
    pass


class BoomTool(Tool[NoArgs]):
    name = "boom"
    description = "Always raises."
    request_model = NoArgs

    async def execute(self, request: NoArgs, ctx: ToolContext) -> ToolResponse:
        raise RuntimeError("kaboom from a broken tool")


class RefuseTool(Tool[NoArgs]):
    name = "refuse"
    description = "Always refuses with a ToolError."
    request_model = NoArgs

    async def execute(self, request: NoArgs, ctx: ToolContext) -> ToolResponse:
        raise ToolError("I refuse: set FOO to continue", code="refused")


class StepsRequest(ToolRequest):
    steps: int = Field(3, ge=1, le=20)
    delay: float = Field(0.0, ge=0, le=5)


class StepsTool(Tool[StepsRequest]):
    """Reports progress, and prints to stdout and stderr the way careless libraries do."""

    name = "steps"
    description = "Report progress step by step."
    request_model = StepsRequest

    async def execute(self, request: StepsRequest, ctx: ToolContext) -> ToolResponse:
        for step in range(1, request.steps + 1):
            print(f"stray print from step {step}")  # must never reach the MCP stdio channel
            print(f"stderr noise {step}", file=sys.stderr)
            await ctx.report_progress(step, request.steps, f"step {step}/{request.steps}")
            await asyncio.sleep(request.delay)
        return ToolResponse(data={"steps": request.steps}, text=f"done {request.steps} steps")


@hookimpl
def register_tools(register: Callable[[Tool[Any]], None]) -> None:
    for tool in (EchoTool(), BoomTool(), RefuseTool(), StepsTool()):
        register(tool)
