"""MCP wiring: ``tools/list``, ``tools/call`` and ``prompts/*`` on the low-level SDK server."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import mcp_types as types
from mcp.server import Server, ServerRequestContext
from mcp.shared.exceptions import MCPError
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

from zen_core.calls.confirm import CONFIRM_SCHEMA, Ask, InputRequired
from zen_core.errors import ToolError
from zen_core.version import __version__

if TYPE_CHECKING:  # imported when first used: a start answered from the saved listing needs none of it
    from zen_core.calls.context import Caller
    from zen_core.calls.tool import Tool, ToolResponse
    from zen_core.plugin.host import ZenHost
    from zen_core.server.resources import Resources

log = logging.getLogger("zen.server")

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
    from zen_core.calls.context import Caller

    scope = _scope(ctx)
    if scope is None:
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


def _scope(ctx: ServerRequestContext[Any, Any] | None) -> dict[str, Any] | None:
    """The ASGI scope of an HTTP request (``None`` on stdio, and outside a request: in-process listings)."""
    scope = getattr(getattr(ctx, "request", None), "scope", None)
    return scope if isinstance(scope, dict) else None


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


def _listing_of(host: ZenHost) -> list[types.Tool]:
    """The ``tools/list`` tools of ``host``, by name."""
    return [mcp_tool(entry.tool) for _, entry in sorted(host.tools.items())]


def tool_listing(tools: Sequence[types.Tool]) -> list[dict[str, Any]]:
    """``tools`` as the JSON of a ``tools/list`` answer (what :mod:`zen_core.server.listing_cache` keeps)."""
    return [tool.model_dump(mode="json", by_alias=True, exclude_none=True) for tool in tools]


class ZenMCPServer:
    """Builds the SDK ``Server`` for a host. One instance serves any number of sessions.

    Give it a loaded ``host``, or a way to ``load`` one and the ``saved`` listing of an earlier start:
    ``tools/list`` is then answered from the listing while the host loads (in a worker thread, started by
    that answer, by any other request, or by :meth:`start_loading`); other requests wait for the host. Once loaded, the
    real listing is compared with the saved one: ``save`` gets it when it differs (or when there was none),
    and the sessions answered from the old one are sent ``notifications/tools/list_changed``.
    """

    def __init__(
        self,
        host: ZenHost | None = None,
        *,
        warm_up_after_list: bool = True,
        load: Callable[[], ZenHost] | None = None,
        saved: Sequence[Mapping[str, Any]] | None = None,
        save: Callable[[list[dict[str, Any]]], None] | None = None,
    ) -> None:
        if (host is None) == (load is None):
            raise TypeError("ZenMCPServer needs a host or a way to load one, not both")
        self._host: ZenHost | None = None
        self._load = load
        self._loading: asyncio.Future[ZenHost] | None = None
        #: Why loading the host failed (the server then stops; see :mod:`zen_core.server.stdio`).
        self.load_error: BaseException | None = None
        self.on_load_failed: Callable[[BaseException], None] | None = None
        self._saved = [types.Tool.model_validate(tool) for tool in saved] if saved is not None and load else None
        self._save = save
        self._answered_from_saved: list[Any] = []
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
        # The SDK wraps every request in an OpenTelemetry span by default; Zen has its own trace ids and
        # logs, so the span is per-call cost for nothing unless an operator opts in (server.opentelemetry).
        self._sdk_middleware = list(self.server.middleware)
        self.server.middleware = [m for m in self._sdk_middleware if type(m).__name__ != "OpenTelemetryMiddleware"]
        if host is not None:
            self._attach(host)

    def _attach(self, host: ZenHost) -> None:
        from zen_core.server.resources import Resources

        self.dispatcher = host.dispatcher()
        self.resources: Resources = Resources(host.services)
        if host.settings.get("server.opentelemetry", False):
            self.server.middleware = self._sdk_middleware
        self._host = host

    @property
    def is_loaded(self) -> bool:
        return self._host is not None

    @property
    def host(self) -> ZenHost:
        """The loaded host (only once it is: see :meth:`loaded_host`)."""
        if self._host is None:
            raise RuntimeError("the host is still loading")
        return self._host

    async def loaded_host(self) -> ZenHost:
        """The host, once loaded (starts loading it if nothing has yet)."""
        if self._host is not None:
            return self._host
        return await asyncio.shield(self.start_loading())

    def start_loading(self) -> asyncio.Future[ZenHost]:
        """Load the host in a worker thread (once), then check and save the listing."""
        if self._loading is None:
            self._loading = asyncio.ensure_future(self._load_and_check())
            self._loading.add_done_callback(lambda done: done.cancelled() or done.exception())  # seen: reported
        return self._loading

    async def _load_and_check(self) -> ZenHost:
        assert self._load is not None
        load, saved = self._load, self._saved

        def load_and_list() -> tuple[ZenHost, list[types.Tool], bool]:
            """In the worker thread: the host, its listing, and whether that differs from the saved one
            (then saved: the listing's comparison and file stay off the event loop)."""
            host = load()
            tools = _listing_of(host)
            changed = saved is None or tool_listing(tools) != tool_listing(saved)
            if changed:
                self._save_listing(tools)
            return host, tools, changed

        try:
            host, tools, changed = await asyncio.to_thread(load_and_list)
        except BaseException as exc:
            self.load_error = exc
            if self.on_load_failed is not None:
                self.on_load_failed(exc)
            raise
        self._attach(host)
        self._tools_cache = tools
        self._schedule_warm_up()
        if changed:
            for session in self._answered_from_saved:
                try:
                    await session.send_tool_list_changed()
                except Exception as exc:  # a 2026-07-28 client takes change notices on its listen stream only
                    log.debug("could not announce the changed tool list: %s", exc)
        self._answered_from_saved.clear()
        return host

    def _save_listing(self, tools: list[types.Tool]) -> None:
        if self._save is None:
            return
        try:
            self._save(tool_listing(tools))
        except Exception as exc:  # a cache: the next start builds the listing again
            log.warning("could not save the tool listing for the next start: %s", exc)

    async def aclose(self) -> None:
        """Before the process stops: background jobs still running are recorded as interrupted."""
        if self._host is not None:
            await self.dispatcher.aclose()

    def tool_input_schema(self, name: str) -> dict[str, Any] | None:
        """The ``inputSchema`` of tool ``name`` (``None`` for an unknown tool: nothing to validate)."""
        if self._host is None:  # still loading: the saved listing's
            return next((dict(tool.input_schema) for tool in self._saved or [] if tool.name == name), None)
        if name not in self._schemas:
            entry = self._host.tools.get(name)
            self._schemas[name] = entry.tool.input_schema() if entry is not None else None
        return self._schemas[name]

    def _schedule_warm_up(self) -> None:
        if self._warm_up_after_list and self._host is not None:
            asyncio.get_running_loop().call_later(0.2, self._host.services.warm_up)

    async def list_tools(
        self, ctx: ServerRequestContext[Any, Any], params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        if self._host is None and self._saved is not None:
            self._answered_from_saved.append(ctx.session)
            asyncio.get_running_loop().call_later(0.05, self.start_loading)  # once this answer is on its way
            # a stdio caller may call every tool (and its check would import what this start defers)
            saved = self._saved if _scope(ctx) is None else _callable_by(_request_info(ctx)[0], self._saved)
            return types.ListToolsResult(tools=saved)
        caller, _ = _request_info(ctx)
        host = await self.loaded_host()
        if self._tools_cache is None:
            self._tools_cache = _listing_of(host)
            self._schedule_warm_up()
            if self._save is not None:  # written by a worker thread, once this answer is on its way
                asyncio.get_running_loop().run_in_executor(None, self._save_listing, self._tools_cache)
        return types.ListToolsResult(tools=_callable_by(caller, self._tools_cache))

    async def call_tool(
        self, ctx: ServerRequestContext[Any, Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult | types.InputRequiredResult:
        await self.loaded_host()
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
        await self.loaded_host()
        return types.ListResourcesResult(resources=await self.resources.listing(_request_info(ctx)[0]))

    async def list_resource_templates(
        self, ctx: ServerRequestContext[Any, Any], params: types.PaginatedRequestParams | None
    ) -> types.ListResourceTemplatesResult:
        await self.loaded_host()
        return types.ListResourceTemplatesResult(resource_templates=self.resources.templates())

    async def read_resource(
        self, ctx: ServerRequestContext[Any, Any], params: types.ReadResourceRequestParams
    ) -> types.ReadResourceResult:
        await self.loaded_host()
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
        host = await self.loaded_host()
        prompts = [
            types.Prompt(
                name=name,
                description=entry.tool.description.split("\n", 1)[0],
                arguments=[types.PromptArgument(name="request", description="What to ask", required=False)],
            )
            for name, entry in sorted(host.tools.items())
        ]
        return types.ListPromptsResult(prompts=prompts)

    async def get_prompt(
        self, ctx: ServerRequestContext[Any, Any], params: types.GetPromptRequestParams
    ) -> types.GetPromptResult:
        host = await self.loaded_host()
        entry = host.tools.get(params.name)
        if entry is None:
            raise ValueError(f"Unknown prompt '{params.name}'. Available: {', '.join(sorted(host.tools))}")
        request = (params.arguments or {}).get("request", "")
        template = entry.tool.prompt_template or "Use the `{tool}` tool of the zen MCP server for this: {request}"
        text = template.format(tool=entry.tool.name, request=request).strip()
        return types.GetPromptResult(
            description=entry.tool.description.split("\n", 1)[0],
            messages=[types.PromptMessage(role="user", content=types.TextContent(type="text", text=text))],
        )
