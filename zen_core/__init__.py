"""Zen: an MCP server that lets coding agents consult other LLMs, built as a pluggy plugin host.

The public API for plugin authors lives here; everything else is an implementation detail.
"""

from zen_core.calls.middleware import CallNext, Middleware, ToolCall
from zen_core.calls.tool import Tool, ToolAnnotations, ToolContext, ToolError, ToolRequest, ToolResponse
from zen_core.plugin.spec import hookimpl

__version__ = "0.1.0"

__all__ = [
    "CallNext",
    "Middleware",
    "Tool",
    "ToolAnnotations",
    "ToolCall",
    "ToolContext",
    "ToolError",
    "ToolRequest",
    "ToolResponse",
    "__version__",
    "hookimpl",
]
