"""The tool contract plugin authors implement: a request model, ``execute(request, ctx)``, a response."""

from __future__ import annotations

import json
import logging
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

if TYPE_CHECKING:
    from zen_core.llm import LLMService
    from zen_core.services import Services
    from zen_core.store import ThreadStore

ProgressCallback = Callable[[float, "float | None", "str | None"], Awaitable[None]]


class ToolRequest(BaseModel):
    """Base of every tool's request model. Its JSON schema becomes the MCP ``inputSchema``.

    Unknown fields are rejected, so an agent's typo is reported instead of silently ignored.
    ``request_id`` is filled in by the host and is not part of the schema agents see.
    """

    model_config = ConfigDict(extra="forbid")

    request_id: SkipJsonSchema[str] = Field(default="", exclude=True)


class ToolResponse(BaseModel):
    """What a tool returns. Mapped to MCP ``content`` (``text``) and ``structuredContent`` (the rest)."""

    request_id: str = ""
    status: Literal["success", "partial", "error"] = "success"
    data: Any = None
    text: str | None = Field(default=None, description="Readable text for the agent; defaults to `data` as JSON.")
    metadata: dict[str, Any] = Field(default_factory=dict)

    def render_text(self) -> str:
        if self.text is not None:
            return self.text
        if isinstance(self.data, str):
            return self.data
        return json.dumps(self.data, indent=2, default=str, ensure_ascii=False)

    def structured(self) -> dict[str, Any]:
        """The JSON-safe ``structuredContent`` of the MCP result."""
        return self.model_dump(mode="json", exclude={"text"}, fallback=str)


class ToolError(Exception):
    """Raise from a tool (or middleware) to return an error result with a clear message for the agent."""

    def __init__(self, message: str, *, code: str = "tool_error", details: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.details = dict(details or {})


@dataclass(frozen=True)
class ToolAnnotations:
    """Hints for MCP clients (mapped to the MCP ``ToolAnnotations``)."""

    title: str | None = None
    read_only: bool | None = None
    destructive: bool | None = None
    idempotent: bool | None = None
    open_world: bool | None = None


RequestT = TypeVar("RequestT", bound=ToolRequest)


class Tool(ABC, Generic[RequestT]):
    """A tool served over MCP. Instances are shared across concurrent calls: keep state in locals."""

    name: ClassVar[str]
    description: ClassVar[str]
    request_model: ClassVar[type[ToolRequest]]
    annotations: ClassVar[ToolAnnotations] = ToolAnnotations()
    #: Text of the MCP prompt (``/zen:<name>``) offered for this tool; ``None`` for a generic one.
    prompt_template: ClassVar[str | None] = None

    @abstractmethod
    async def execute(self, request: RequestT, ctx: ToolContext) -> ToolResponse:
        """Run the tool. Raise :class:`ToolError` for failures the agent should read."""

    def input_schema(self) -> dict[str, Any]:
        schema = self.request_model.model_json_schema()
        schema.pop("title", None)
        return schema


@dataclass
class ToolContext:
    """What the host gives a tool for one call. A new context is made per call."""

    request_id: str
    tool_name: str
    services: Services
    settings: dict[str, Any] = field(default_factory=dict)
    logger: logging.Logger = field(default_factory=lambda: logging.getLogger("zen.tool"))
    trace_id: str = ""
    #: Name of the API key that authenticated the call (HTTP transport), ``None`` on stdio.
    key_name: str | None = None
    #: Free-form values middleware shares with later middleware and the tool (e.g. the key's allowlists).
    state: dict[str, Any] = field(default_factory=dict)
    progress_callback: ProgressCallback | None = None
    #: Largest result the client accepts, in tokens (from ``MAX_MCP_OUTPUT_TOKENS``), if known.
    max_output_tokens: int | None = None

    @property
    def llm(self) -> LLMService:
        """The LLM service (LiteLLM Router underneath). Created on first use."""
        return self.services.llm

    @property
    def threads(self) -> ThreadStore:
        """The conversation store (SQLite by default, Redis when configured)."""
        return self.services.threads

    def prompt(self, name: str, default: str = "") -> str:
        """A system prompt from ``prompts.yaml`` by dotted name (``"chat.system"``)."""
        value = self.services.settings.get(f"prompts.{name}", default)
        return str(value) if value is not None else default

    async def report_progress(self, progress: float, total: float | None = None, message: str | None = None) -> None:
        """Send an MCP progress notification (a no-op when the client did not ask for progress)."""
        if self.progress_callback is not None:
            try:
                await self.progress_callback(progress, total, message)
            except Exception:  # a client that went away must not fail the tool
                self.logger.debug("progress notification failed", exc_info=True)
