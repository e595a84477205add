"""A middleware plugin: refuse oversized arguments, stamp every result (docs/plugins/middleware-plugins.md)."""

from __future__ import annotations

import json
from collections.abc import Callable

from zen_core import CallNext, Middleware, ToolCall, ToolError, ToolResponse, hookimpl

MAX_ARGUMENT_CHARS = 2_000


async def size_guard(call: ToolCall, call_next: CallNext) -> ToolResponse:
    size = len(json.dumps(call.arguments))
    if size > MAX_ARGUMENT_CHARS:
        raise ToolError(
            f"Arguments of '{call.tool.name}' are {size} characters; the limit is {MAX_ARGUMENT_CHARS}. "
            "Send a shorter excerpt or a file path instead.",
            code="arguments_too_large",
        )
    response = await call_next(call)  # the next middleware, and finally the tool
    response.metadata["size_guard"] = {"argument_chars": size}
    return response


@hookimpl
def register_middleware(register: Callable[[Middleware], None]) -> None:
    register(size_guard)
