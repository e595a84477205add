"""MCP wiring: ``tools/list``, ``tools/call`` and ``prompts/*`` on the low-level SDK server."""

from __future__ import annotations

import asyncio
from typing import Any

import mcp_types as types
from mcp.server import Server, ServerRequestContext
from mcp.shared.exceptions import MCPError
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

from zen_core.calls.confirm import CONFIRM_SCHEMA, Ask, InputRequired
from zen_core.calls.context import Caller
from zen_core.calls.tool import Tool, ToolResponse
from zen_core.errors import ToolError
from zen_core.plugin.host import ZenHost
from zen_core.server.resources import Resources
from zen_core.version import __version__

#: Sent to clients with every session and billed to the agent every turn: short, and about when to use Zen.
INSTRUCTIONS = (
    "Zen asks other LLMs for you: use it for a second opinion, a review, or several models' consensus "
    "before a risky change, or when stuck. Use the model the user names; `listmodels` shows the others. "
    "Pass absolute file paths, not file contents. Pass a result's continuation_id to continue; `threads` "
    "lists recent ones."
)


def mcp_tool(tool: Tool[Any]) -> types.Tool:
    ann = tool.annotations
    meta = {"anthropic/maxResultSizeChars": tool.max_result_chars} if tool.max_result_chars else None
    return types.Tool(
        name=tool.name,
        title=ann.title,
        description=tool.description,
        input_schema=tool.input_schema(),
        output_schema=tool.output_schema(),
        _meta=meta,
        annotations=types.ToolAnnotations(
            title=ann.title,
            read_only_hint=ann.read_only,
            destructive_hint=ann.destructive,
            idempotent_hint=ann.idempotent,
            open_world_hint=ann.open_world,
        ),
    )


def call_tool_result(response: ToolResponse) -> types.CallToolResult:
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=response.render_text())],
        structured_content=response.structured(),
        is_error=response.status == "error",
    )


def _request_info(ctx: ServerRequestContext[Any, Any]) -> tuple[Caller, dict[str, str]]:
    """Who is calling (from what the API-key check left in the ASGI scope) and the lower-cased headers."""
    request = getattr(ctx, "request", None)  # none outside a request (in-process listings)
    scope = getattr(request, "scope", None)
    if not isinstance(scope, dict):
        return Caller(transport="stdio"), {}
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
    auth: dict[str, Any] = dict(scope.get("zen", {}))
    caller = Caller(
        transport="http",
        key_name=auth.get("key_name"),
        allowed_tools=_names(auth.get("allowed_tools")),
        allowed_models=_names(auth.get("allowed_models")),
        file_roots=_names(auth.get("file_roots")),
    )
    return caller, headers


def _callable_by(caller: Caller, tools: list[types.Tool]) -> list[types.Tool]:
    """The tools ``caller``'s API key may call (its tool allowlist, and the job tools every key may use):
    an agent is not offered tools it would only be refused."""
    return [tool for tool in tools if caller.may_call(tool.name)]


#: The key of Zen's yes/no question in a 2026-07-28 ``InputRequiredResult`` (and of its answer on the retry).
CONFIRM_KEY = "zen_confirm"


def asker(ctx: ServerRequestContext[Any, Any], params: types.CallToolRequestParams) -> Ask | None:
    """How to put a yes/no question to the user of this request (``None``: the client cannot be asked).

    The 2025 protocol asks mid-call (``elicitation/create`` on the request's channel; not on stateless
    HTTP); 2026-07-28 answers with the question and reads the answer from the retried call.
    """
    capabilities = ctx.session.client_capabilities
    if capabilities is None or capabilities.elicitation is None:
        return None
    if ctx.protocol_version in MODERN_PROTOCOL_VERSIONS:
        answers = dict(params.input_responses or {})

        async def ask_modern(message: str) -> bool | None:
            answer = answers.get(CONFIRM_KEY)
            if answer is None:
                raise InputRequired(message)
            return _confirmed(answer)

        return ask_modern
    if not ctx.session.can_send_request:
        return None

    async def ask_legacy(message: str) -> bool | None:
        try:
            answer = await ctx.session.elicit_form(message, CONFIRM_SCHEMA, related_request_id=ctx.request_id)
        except Exception:  # the client went away, or cannot answer on this channel
            return None
        return _confirmed(answer)

    return ask_legacy


def _confirmed(answer: Any) -> bool:
    content = getattr(answer, "content", None) or {}
    return getattr(answer, "action", None) == "accept" and content.get("confirm") is True


def _names(value: Any) -> tuple[str, ...] | None:
    return None if value is None else tuple(str(v) for v in value)


class ZenMCPServer:
    """Builds the SDK ``Server`` for a host. One instance serves any number of sessions."""

    def __init__(self, host: ZenHost, *, warm_up_after_list: bool = True) -> None:
        self.host = host
        self.dispatcher = host.dispatcher()
        self.resources = Resources(host.services)
        self._warm_up_after_list = warm_up_after_list
        self._tools_cache: list[types.Tool] | None = None
        self._schemas: dict[str, dict[str, Any] | None] = {}
        self.server: Server[Any] = Server(
            "zen",
            version=__version__,
            title="Zen",
            instructions=INSTRUCTIONS,
            on_list_tools=self.list_tools,
            on_call_tool=self.call_tool,
            on_list_prompts=self.list_prompts,
            on_get_prompt=self.get_prompt,
            on_list_resources=self.list_resources,
            on_list_resource_templates=self.list_resource_templates,
            on_read_resource=self.read_resource,
            # Without this the SDK runs the whole tools/list handler on every HTTP tools/call to look up
            # one schema (for Mcp-Param-* header checks).
            get_tool_input_schema=self.tool_input_schema,
        )
        if not host.settings.get("server.opentelemetry", False):
            # The SDK wraps every request in an OpenTelemetry span by default; Zen has its own trace ids
            # and logs, so the span is per-call cost for nothing unless an operator opts in.
            kept = [m for m in self.server.middleware if type(m).__name__ != "OpenTelemetryMiddleware"]
            self.server.middleware = kept

    async def aclose(self) -> None:
        """Before the process stops: background jobs still running are recorded as interrupted."""
        await self.dispatcher.aclose()

    def tool_input_schema(self, name: str) -> dict[str, Any] | None:
        """The ``inputSchema`` of tool ``name`` (``None`` for an unknown tool: nothing to validate)."""
        if name not in self._schemas:
            entry = self.host.tools.get(name)
            self._schemas[name] = entry.tool.input_schema() if entry is not None else None
        return self._schemas[name]

    def _schedule_warm_up(self) -> None:
        if self._warm_up_after_list:
            asyncio.get_running_loop().call_later(0.2, self.host.services.warm_up)

    async def list_tools(
        self, ctx: ServerRequestContext[Any, Any], params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        if self._tools_cache is None:
            self._tools_cache = [mcp_tool(entry.tool) for _, entry in sorted(self.host.tools.items())]
            self._schedule_warm_up()
        caller, _ = _request_info(ctx)
        return types.ListToolsResult(tools=_callable_by(caller, self._tools_cache))

    async def call_tool(
        self, ctx: ServerRequestContext[Any, Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult | types.InputRequiredResult:
        caller, headers = _request_info(ctx)
        progress = None
        meta: dict[str, Any] = dict(ctx.meta or {})
        if meta.get("progress_token", meta.get("progressToken")) is not None:
            progress = ctx.session.report_progress
        try:
            response = await self.dispatcher.call(
                params.name,
                params.arguments,
                caller=caller,
                headers=headers,
                progress=progress,
                ask=asker(ctx, params),
            )
        except InputRequired as question:  # 2026-07-28: the question goes back; the client retries the call
            form = types.ElicitRequestFormParams(message=question.message, requested_schema=CONFIRM_SCHEMA)
            return types.InputRequiredResult(
                input_requests={CONFIRM_KEY: types.ElicitRequest(params=form)}, request_state=CONFIRM_KEY
            )
        return call_tool_result(response)

    async def list_resources(
        self, ctx: ServerRequestContext[Any, Any], params: types.PaginatedRequestParams | None
    ) -> types.ListResourcesResult:
        return types.ListResourcesResult(resources=await self.resources.listing(_request_info(ctx)[0]))

    async def list_resource_templates(
        self, ctx: ServerRequestContext[Any, Any], params: types.PaginatedRequestParams | None
    ) -> types.ListResourceTemplatesResult:
        return types.ListResourceTemplatesResult(resource_templates=self.resources.templates())

    async def read_resource(
        self, ctx: ServerRequestContext[Any, Any], params: types.ReadResourceRequestParams
    ) -> types.ReadResourceResult:
        try:
            contents = await self.resources.read(str(params.uri), _request_info(ctx)[0])
        except ToolError as exc:  # another key's (or an expired) conversation, the store down …
            raise MCPError(code=types.INVALID_PARAMS, message=exc.message) from exc
        except ValueError as exc:
            raise MCPError(code=types.INVALID_PARAMS, message=str(exc)) from exc
        return types.ReadResourceResult(contents=list(contents))

    async def list_prompts(
        self, ctx: ServerRequestContext[Any, Any], params: types.PaginatedRequestParams | None
    ) -> types.ListPromptsResult:
        prompts = [
            types.Prompt(
                name=name,
                description=entry.tool.description.split("\n", 1)[0],
                arguments=[types.PromptArgument(name="request", description="What to ask", required=False)],
            )
            for name, entry in sorted(self.host.tools.items())
        ]
        return types.ListPromptsResult(prompts=prompts)

    async def get_prompt(
        self, ctx: ServerRequestContext[Any, Any], params: types.GetPromptRequestParams
    ) -> types.GetPromptResult:
        entry = self.host.tools.get(params.name)
        if entry is None:
            raise ValueError(f"Unknown prompt '{params.name}'. Available: {', '.join(sorted(self.host.tools))}")
        request = (params.arguments or {}).get("request", "")
        template = entry.tool.prompt_template or "Use the `{tool}` tool of the zen MCP server for this: {request}"
        text = template.format(tool=entry.tool.name, request=request).strip()
        return types.GetPromptResult(
            description=entry.tool.description.split("\n", 1)[0],
            messages=[types.PromptMessage(role="user", content=types.TextContent(type="text", text=text))],
        )
