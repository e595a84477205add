"""Zen's public API: everything a tool, a middleware or a model source needs, and nothing else.

A plugin imports only from here (``from zen_core import Tool, ToolContext, hookimpl``); the modules
below ``zen_core`` are internal and change without notice. Names exported here change incompatibly only
with a new :data:`API_VERSION` (pin ``zen-core>=0.2,<0.3``). The reference, with signatures:
``docs/plugins/api.md``.
"""

from zen_core.calls.context import Caller, ServerInfo, ToolContext
from zen_core.calls.middleware import CallNext, Middleware, ToolCall
from zen_core.calls.tool import Tool, ToolAnnotations, ToolRequest, ToolResponse
from zen_core.context.access import Files
from zen_core.context.files import ExcludedFile, FileContext, RefusedPath, ResolvedPaths
from zen_core.context.gather import PromptContext
from zen_core.context.git import DiffContext, GitChanges, GitFileChange
from zen_core.context.images import Image
from zen_core.errors import ConfigError, ToolError
from zen_core.llm.bound import LLM, Model
from zen_core.llm.errors import LLMError
from zen_core.llm.limits import LimitError
from zen_core.llm.models import Deployment, ModelConfig, ModelSource, TemperatureConstraint
from zen_core.llm.types import Completion, CompletionStream, Usage
from zen_core.llm.usage import UsageRecord
from zen_core.plugin.spec import AsgiWrapper, hookimpl
from zen_core.settings import Settings
from zen_core.store.base import StoreUnavailable, ThreadFull, ThreadNotFound
from zen_core.store.models import Thread, ThreadSummary, Turn
from zen_core.store.view import Threads
from zen_core.version import API_VERSION, __version__

__all__ = [
    "API_VERSION",
    "LLM",
    "AsgiWrapper",
    "CallNext",
    "Caller",
    "Completion",
    "CompletionStream",
    "ConfigError",
    "Deployment",
    "DiffContext",
    "ExcludedFile",
    "FileContext",
    "Files",
    "GitChanges",
    "GitFileChange",
    "Image",
    "LLMError",
    "LimitError",
    "Middleware",
    "Model",
    "ModelConfig",
    "ModelSource",
    "PromptContext",
    "RefusedPath",
    "ResolvedPaths",
    "ServerInfo",
    "Settings",
    "StoreUnavailable",
    "TemperatureConstraint",
    "Thread",
    "ThreadFull",
    "ThreadNotFound",
    "ThreadSummary",
    "Threads",
    "Tool",
    "ToolAnnotations",
    "ToolCall",
    "ToolContext",
    "ToolError",
    "ToolRequest",
    "ToolResponse",
    "Turn",
    "Usage",
    "UsageRecord",
    "__version__",
    "hookimpl",
]
