"""Zen: an MCP server that lets coding agents consult other LLMs, built as a pluggy plugin host.

The public API for plugin authors lives here; everything else is an implementation detail.
"""

from zen_core.hookspecs import hookimpl
from zen_core.middleware_chain import CallNext, Middleware, ToolCall
from zen_core.tools import Tool, ToolAnnotations, ToolContext, ToolError, ToolRequest, ToolResponse

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
