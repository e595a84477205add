"""A tiny second tool for the chat tests (loaded by the test server through ZEN_EXTRA_PLUGINS).

``notes`` either starts a thread of its own (a user turn that references files, and an answer) or,
given a continuation_id, returns the thread's turns, so tests can continue threads across tools.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import Field

from zen_core import Tool, ToolContext, ToolRequest, ToolResponse, hookimpl
from zen_core.store import Turn


class NotesRequest(ToolRequest):
    note: str = ""
    files: list[str] = Field(default_factory=list)
    continuation_id: str | None = None


class NotesTool(Tool[NotesRequest]):
    name = "notes"
    description = "Test tool: start a thread with a note, or read a thread."
    request_model = NotesRequest

    async def execute(self, request: NotesRequest, ctx: ToolContext) -> ToolResponse:
        if request.continuation_id:
            thread = await ctx.threads.get(request.continuation_id)
            turns = [
                {"role": t.role, "tool": t.tool, "model": t.model, "content": t.content, "files": t.files}
                for t in thread.turns
            ]
            return ToolResponse(data={"tool": thread.tool, "turns": turns})
        thread = await ctx.threads.create(
            "notes",
            turns=[
                Turn(role="user", content=request.note, files=request.files, tool="notes"),
                Turn(role="assistant", content=f"noted: {request.note}", tool="notes", model="notes-model"),
            ],
        )
        return ToolResponse(data={"continuation_id": thread.id})


@hookimpl
def register_tools(register: Callable[[Tool[Any]], None]) -> None:
    register(NotesTool())
