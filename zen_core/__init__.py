"""Zen's public API: everything a tool, a middleware or a model source needs, and nothing else.

A plugin imports only from here (``from zen_core import Tool, ToolContext, hookimpl``); the modules
below ``zen_core`` are internal and change without notice. Names exported here change incompatibly only
with a new :data:`API_VERSION` (pin ``zen-core>=0.2,<0.3``). The reference, with signatures:
``docs/plugins/api.md``.

Names are imported on first use (PEP 562), so ``import zen_core`` — which every ``zen`` command and every
plugin does — costs nothing until a name is needed.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from zen_core.version import API_VERSION, __version__

if TYPE_CHECKING:
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

#: Each exported name and the module that defines it.
_EXPORTS = {
    "Caller": "zen_core.calls.context",
    "ServerInfo": "zen_core.calls.context",
    "ToolContext": "zen_core.calls.context",
    "CallNext": "zen_core.calls.middleware",
    "Middleware": "zen_core.calls.middleware",
    "ToolCall": "zen_core.calls.middleware",
    "Tool": "zen_core.calls.tool",
    "ToolAnnotations": "zen_core.calls.tool",
    "ToolRequest": "zen_core.calls.tool",
    "ToolResponse": "zen_core.calls.tool",
    "Files": "zen_core.context.access",
    "ExcludedFile": "zen_core.context.files",
    "FileContext": "zen_core.context.files",
    "RefusedPath": "zen_core.context.files",
    "ResolvedPaths": "zen_core.context.files",
    "PromptContext": "zen_core.context.gather",
    "DiffContext": "zen_core.context.git",
    "GitChanges": "zen_core.context.git",
    "GitFileChange": "zen_core.context.git",
    "Image": "zen_core.context.images",
    "ConfigError": "zen_core.errors",
    "ToolError": "zen_core.errors",
    "LLM": "zen_core.llm.bound",
    "Model": "zen_core.llm.bound",
    "LLMError": "zen_core.llm.errors",
    "LimitError": "zen_core.llm.limits",
    "Deployment": "zen_core.llm.models",
    "ModelConfig": "zen_core.llm.models",
    "ModelSource": "zen_core.llm.models",
    "TemperatureConstraint": "zen_core.llm.models",
    "Completion": "zen_core.llm.types",
    "CompletionStream": "zen_core.llm.types",
    "Usage": "zen_core.llm.types",
    "UsageRecord": "zen_core.llm.usage",
    "AsgiWrapper": "zen_core.plugin.spec",
    "hookimpl": "zen_core.plugin.spec",
    "Settings": "zen_core.settings",
    "StoreUnavailable": "zen_core.store.base",
    "ThreadFull": "zen_core.store.base",
    "ThreadNotFound": "zen_core.store.base",
    "Thread": "zen_core.store.models",
    "ThreadSummary": "zen_core.store.models",
    "Turn": "zen_core.store.models",
    "Threads": "zen_core.store.view",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'zen_core' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # found directly next time
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})


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
