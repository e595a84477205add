"""A tool plugin: ask a model for a haiku about a topic (docs/plugins/tools.md embeds this file)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import Field

from zen_core import Tool, ToolAnnotations, ToolContext, ToolError, ToolRequest, ToolResponse, hookimpl


class HaikuRequest(ToolRequest):
    topic: str = Field(min_length=1, max_length=200, description="What the haiku is about.")
    model: str = Field(description="Model name (see listmodels).")


class HaikuTool(Tool[HaikuRequest]):
    name = "haiku"
    description = "Ask a model for a haiku about a topic."
    request_model = HaikuRequest
    annotations = ToolAnnotations(title="Haiku", read_only=True, open_world=True)

    async def execute(self, request: HaikuRequest, ctx: ToolContext) -> ToolResponse:
        model = await ctx.llm.model(request.model)  # unknown, unavailable or not allowed: a clear error
        await ctx.report_progress(0, 1, f"asking {model.name}")
        system = ctx.prompt("system", "You write one haiku: three lines, 5-7-5 syllables.")
        completion = await ctx.llm.complete(
            model,
            [{"role": "system", "content": system}, {"role": "user", "content": request.topic}],
            temperature=0.9,
        )
        if not completion.text.strip():
            raise ToolError(f"{completion.model_used} returned an empty answer; try another model.")
        await ctx.report_progress(1, 1, "done")
        return ToolResponse(
            text=completion.text,
            data={"haiku": completion.text.splitlines()},
            metadata={"model_used": completion.model_used, "tokens": completion.usage.total_tokens},
        )


@hookimpl
def register_tools(register: Callable[[Tool[Any]], None]) -> None:
    register(HaikuTool())
