"""The tool contract plugin authors implement: a request model, ``execute(request, ctx)``, a response.

``ToolError`` (from :mod:`zen_core.errors`) is what a tool raises for a failure the agent should read.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from zen_core.calls.context import ToolContext
from zen_core.calls.progress import ProgressCallback
from zen_core.calls.schema import compact_schema, output_schema
from zen_core.errors import ToolError

if TYPE_CHECKING:
    from zen_core.llm.models import ModelConfig

__all__ = ["ProgressCallback", "Tool", "ToolAnnotations", "ToolError", "ToolRequest", "ToolResponse"]


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


@dataclass(frozen=True)
class ToolAnnotations:
    """Hints for MCP clients (mapped to the MCP ``ToolAnnotations``)."""

    title: str | None = None
    read_only: bool | None = None
    destructive: bool | None = None
    idempotent: bool | None = None
    open_world: bool | None = None


RequestT = TypeVar("RequestT", bound=ToolRequest)
#: The ``background`` argument of a tool with ``background = True`` (the dispatcher takes it out).
BACKGROUND_FIELD = {"type": "boolean", "description": "Return a job id at once; get the result with jobs."}


class Tool(ABC, Generic[RequestT]):
    """A tool served over MCP. Instances are shared across concurrent calls: keep state in locals."""

    name: ClassVar[str]
    description: ClassVar[str]
    request_model: ClassVar[type[ToolRequest]]
    annotations: ClassVar[ToolAnnotations] = ToolAnnotations()
    #: Text of the MCP prompt (``/zen:<name>``) offered for this tool; ``None`` for a generic one.
    prompt_template: ClassVar[str | None] = None
    #: The pydantic model of ``ToolResponse.data`` on success: clients get it as the ``outputSchema``
    #: (a summary: field types and required fields) and check results against it. For data of several
    #: shapes, a ``RootModel`` of a union of models.
    output_model: ClassVar[type[BaseModel] | None] = None
    #: For a tool whose results can be long: the size (characters) up to which Claude Code shows a
    #: result inline (``_meta["anthropic/maxResultSizeChars"]``; it caps at 500,000).
    max_result_chars: ClassVar[int | None] = None
    #: A tool whose calls can take minutes: it takes a ``background`` argument (return a job id at once,
    #: poll with the ``jobs`` tool), and a call outrunning ``jobs.auto_background_after_s`` becomes a job.
    background: ClassVar[bool] = False
    #: A tool that may ask the user to confirm its cost (``ctx.confirm_cost``) before its models answer. Its
    #: ``background: true`` calls become jobs only once the cost is confirmed (or a model is asked), so the
    #: question still reaches the client; others become jobs at once.
    confirms_cost: ClassVar[bool] = False

    @abstractmethod
    async def execute(self, request: RequestT, ctx: ToolContext) -> ToolResponse:
        """Run the tool. Raise :class:`ToolError` for failures the agent should read."""

    def unavailable_reason(self, models: Sequence[ModelConfig]) -> str | None:
        """Why this tool is not offered with these usable ``models`` (``None``: it is). Checked once at
        start-up; a tool withheld this way is absent from ``tools/list``, and ``listmodels`` says why.
        Override it for a tool that needs a kind of model (say, one with web search)."""
        return None

    def input_schema(self) -> dict[str, Any]:
        """The MCP ``inputSchema``: the request model's JSON schema, compacted (no titles, no docstring)."""
        schema = compact_schema(self.request_model.model_json_schema())
        if self.background:
            schema.setdefault("properties", {})["background"] = BACKGROUND_FIELD
        return schema

    def output_schema(self) -> dict[str, Any] | None:
        """The MCP ``outputSchema`` (``None`` without an ``output_model``)."""
        if self.output_model is None:
            return None
        return output_schema(self.output_model.model_json_schema(), job_handle=self.background)
