"""One tool call, end to end: find the tool, build its context for the caller, run the middleware chain,
validate the arguments, execute, and turn every failure into an error result the agent can read.

Both the MCP server and ``zen call`` go through :class:`Dispatcher`, so they behave the same.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from pydantic import ValidationError

from zen_core.calls.confirm import Ask, CostGate, InputRequired
from zen_core.calls.context import Caller, ServerInfo, ToolContext
from zen_core.calls.jobs import JobRunner
from zen_core.calls.middleware import Middleware, ToolCall, build_chain
from zen_core.calls.progress import CallProgress, ProgressCallback
from zen_core.calls.tool import Tool, ToolResponse
from zen_core.context.access import Files
from zen_core.context.policy import file_policy
from zen_core.errors import ToolError
from zen_core.llm.bound import LLM, CallScope
from zen_core.redact import redact_text
from zen_core.services import Services
from zen_core.store.jobs import STALE_AFTER_S, JobsView
from zen_core.store.usage import UsageEvent, UsageView
from zen_core.store.view import Threads
from zen_core.version import __version__

log = logging.getLogger("zen.dispatch")
#: A ``background: true`` call of a tool that ``confirms_cost`` becomes a job once it is under way (its cost
#: confirmed, or a model asked) — the question must reach the client that can answer it — or after this
#: long (the estimate may wait for LiteLLM to load, seconds on a fresh server).
BACKGROUND_GRACE_S = 30.0
#: The shortest ``jobs.stale_after_s`` taken (the heartbeat is a third of it).
MIN_STALE_AFTER_S = 1.0


@dataclass(frozen=True)
class RegisteredTool:
    """A tool and the plugin that offered it."""

    tool: Tool[Any]
    plugin: str
    distribution: str | None
    builtin: bool


def format_validation_error(tool: Tool[Any], exc: ValidationError) -> tuple[str, list[dict[str, Any]]]:
    """A message naming each bad field, why, and how to fix it, plus the same as structured data."""
    schema = tool.input_schema()
    props: dict[str, Any] = schema.get("properties", {})
    lines = [f"Invalid arguments for tool '{tool.name}':"]
    errors: list[dict[str, Any]] = []
    for err in exc.errors(include_url=False):
        field = ".".join(str(p) for p in err["loc"]) or "(arguments)"
        top = str(err["loc"][0]) if err["loc"] else ""
        kind = err["type"]
        if kind == "missing":
            expected = _type_hint(props.get(top, {}))
            fix = f'add "{field}" ({expected})' if expected else f'add "{field}"'
        elif kind == "extra_forbidden":
            accepted = ", ".join(sorted(props)) or "none (this tool takes no arguments)"
            fix = f'remove "{field}"; accepted fields: {accepted}'
        else:
            shown = repr(err.get("input"))
            fix = f"got {shown[:80]}" + ("…" if len(shown) > 80 else "")
        lines.append(f"- {field}: {err['msg']} ({fix})")
        errors.append({"field": field, "error": err["msg"], "fix": fix})
    return "\n".join(lines), errors


def _type_hint(prop: Mapping[str, Any]) -> str:
    if "type" in prop:
        return str(prop["type"])
    options = [str(p.get("type")) for p in prop.get("anyOf", []) if p.get("type") and p.get("type") != "null"]
    return " or ".join(options)


def error_response(message: str, *, code: str, details: Mapping[str, Any] | None = None) -> ToolResponse:
    """An error result. Key-shaped strings (a provider echoing a key, say) are masked, as in the logs."""
    message = redact_text(message)
    return ToolResponse(
        status="error",
        text=message,
        data={"error": {"code": code, "message": message, **_masked(dict(details or {}))}},
    )


def _masked(value: Any) -> Any:
    """``value`` with every string passed through :func:`redact_text` (keys and structure kept)."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, Mapping):
        return {k: _masked(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_masked(v) for v in value]
    return value


def usage_events(ctx: ToolContext) -> list[UsageEvent]:
    """The usage events of a finished call: one per model call, one per verdict."""
    now = time.time()
    owner, tool = ctx.caller.key_name, ctx.tool_name
    events = [
        UsageEvent(
            ts=now,
            owner=owner,
            tool=tool,
            model=r.model_used or r.model,
            prompt_tokens=r.prompt_tokens,
            completion_tokens=r.completion_tokens,
            cost_usd=r.cost_usd,
            latency_ms=r.latency_ms,
            error=r.error,
            cache_hit=r.cache_hit,
        )
        for r in ctx.usage
    ]
    events += [
        UsageEvent(ts=now, owner=owner, tool=tool, kind="verdict", model=model, agreed=agreed)
        for model, agreed in ctx.verdicts
    ]
    return events


def _max_output_tokens() -> int | None:
    raw = os.environ.get("MAX_MCP_OUTPUT_TOKENS", "")
    return int(raw) if raw.isdigit() and int(raw) > 0 else None


class Dispatcher:
    """Calls tools through the middleware chain. Holds no per-call state."""

    def __init__(
        self, tools: Mapping[str, RegisteredTool], middleware: Sequence[Middleware], services: Services
    ) -> None:
        self.tools = tools
        self.services = services
        self.max_arguments_bytes = int(services.settings.get("server.max_arguments_bytes", 1_000_000))
        self._chain = build_chain(middleware, self._invoke)
        #: A running job not written for this long reads ``lost`` (its instance stopped; ``jobs.stale_after_s``).
        self.stale_after_s = float(services.settings.get("jobs.stale_after_s", STALE_AFTER_S))
        if self.stale_after_s < MIN_STALE_AFTER_S:
            log.warning("jobs.stale_after_s=%s is too short: using %s s", self.stale_after_s, MIN_STALE_AFTER_S)
            self.stale_after_s = MIN_STALE_AFTER_S
        self.jobs = JobRunner(lambda: services.jobs, stale_after_s=self.stale_after_s)
        #: A call of a ``background`` tool running longer than this becomes a job (``jobs.auto_background_after_s``).
        self.auto_background_after_s = float(services.settings.get("jobs.auto_background_after_s", 240.0))
        confirm = services.settings.get("budgets.confirm_above_usd", 1.0)
        self.confirm_above_usd = None if confirm is None else float(confirm)

    def context(
        self,
        registered: RegisteredTool,
        caller: Caller,
        *,
        progress: ProgressCallback | None = None,
        request_id: str | None = None,
        ask: Ask | None = None,
    ) -> ToolContext:
        """A new context for one call of ``registered`` by ``caller``: every service bound to the caller."""
        services, name = self.services, registered.tool.name
        plugin_settings = services.settings.plugin(registered.distribution or registered.plugin)
        trace_id = uuid.uuid4().hex
        usage: list[Any] = []
        tracker = CallProgress(progress, name, float(services.settings.get("server.progress_interval_s", 10.0)))
        under_way = asyncio.Event()  # the cost is confirmed or a model is asked: a background call may go
        scope = CallScope(
            on_model_call=under_way.set,
            trace_id=trace_id,
            key_name=caller.key_name,
            allowed_models=caller.allowed_models,
            default_model=str(plugin_settings["default_model"]) if plugin_settings.get("default_model") else None,
            record=usage.append,
            in_flight=tracker.in_flight,
        )
        policy = partial(
            file_policy,
            services.settings,
            transport="stdio" if caller.is_local else "http",
            key_roots=caller.file_roots,
        )
        prompts = services.settings.get(f"prompts.{name}", {})
        return ToolContext(
            request_id=request_id or uuid.uuid4().hex,
            tool_name=name,
            trace_id=trace_id,
            caller=caller,
            llm=LLM(services.llm, scope),
            threads=Threads(services.threads, caller.key_name),
            files=Files(policy),
            plugin_settings=plugin_settings,
            logger=logging.getLogger(f"zen.tool.{name}"),
            server=ServerInfo(version=__version__, plugins=services.plugins, withheld_tools=services.withheld_tools),
            usage=usage,
            progress=tracker,
            max_output_tokens=_max_output_tokens(),
            prompt_overrides=prompts if isinstance(prompts, Mapping) else {},
            usage_log=UsageView(services.usage, caller.key_name),
            jobs=JobsView(services.jobs, caller.key_name, self.stale_after_s),
            cost_gate=CostGate(self.confirm_above_usd, ask, on_passed=under_way.set),
            under_way=under_way,
        )

    async def call(
        self,
        name: str,
        arguments: Mapping[str, Any] | None,
        *,
        caller: Caller | None = None,
        headers: Mapping[str, str] | None = None,
        progress: ProgressCallback | None = None,
        request_id: str | None = None,
        ask: Ask | None = None,
        foreground: bool = False,
    ) -> ToolResponse:
        """Run tool ``name`` for ``caller``. ``ask`` puts a yes/no question to the user (elicitation), when the
        client can be asked; :class:`InputRequired` propagates when the question must go in the response.

        ``foreground``: never make the call a job (its ``background`` argument is ignored, and no time limit
        applies) — for a caller that cannot keep a job alive, such as the one-shot ``zen call``."""
        registered = self.tools.get(name)
        withheld = self.services.withheld_tools.get(name)
        if registered is None and withheld:
            return error_response(
                f"Tool '{name}' is not offered by this server: {withheld}. listmodels shows the models configured.",
                code="tool_not_offered",
            )
        if registered is None:
            known = ", ".join(sorted(self.tools)) or "none"
            return error_response(
                f"Unknown tool '{name}'. Available tools: {known}. "
                "Run `zen plugins` to see installed plugins and their load errors.",
                code="unknown_tool",
            )
        try:
            ctx = self.context(registered, caller or Caller(), progress=progress, request_id=request_id, ask=ask)
        except ToolError as exc:  # the store or settings cannot serve this caller
            return error_response(exc.message, code=exc.code, details=exc.details)
        args = dict(arguments or {})
        background = args.pop("background", False) if registered.tool.background else False
        if not isinstance(background, bool):
            return error_response(
                f"Invalid arguments for tool '{name}':\n- background: must be true or false (got {background!r})",
                code="invalid_arguments",
            )
        call = ToolCall(registered.tool, args, ctx, dict(headers or {}), self.services.settings)
        if foreground or not registered.tool.background:
            return await self._finish(ctx, await self._run(call))
        task = asyncio.create_task(self._run(call))
        try:
            if background and registered.tool.confirms_cost:  # a job once under way: the cost question first
                under_way = asyncio.create_task(ctx.under_way.wait())
                waits = {task, under_way}
                done, _ = await asyncio.wait(waits, timeout=BACKGROUND_GRACE_S, return_when=asyncio.FIRST_COMPLETED)
                under_way.cancel()
                because = f"it had not reached its cost check {BACKGROUND_GRACE_S:g} s after it started"
            elif background:
                done, _ = await asyncio.wait({task}, timeout=0)
                because = "it was started with background: true"
            else:
                done, _ = await asyncio.wait({task}, timeout=self.auto_background_after_s)
                because = "it ran past jobs.auto_background_after_s before asking"
        except asyncio.CancelledError:  # the client gave up before it became a job: so does the call
            task.cancel()
            raise
        if task in done:
            return await self._finish(ctx, task.result())
        return await self.jobs.detach(task, ctx, lambda response: self._finish(ctx, response), because=because)

    async def _run(self, call: ToolCall) -> ToolResponse:
        """The middleware chain and the tool, with the heartbeat; every failure becomes an error result."""
        try:
            async with call.ctx.progress.beating():
                return await self._chain(call)
        except InputRequired:
            raise
        except ToolError as exc:
            return error_response(exc.message, code=exc.code, details=exc.details)
        except Exception as exc:  # a failing middleware
            log.exception("middleware failed around tool %s (trace %s)", call.tool.name, call.ctx.trace_id)
            return error_response(f"Tool '{call.tool.name}' failed: {type(exc).__name__}: {exc}", code="internal_error")

    async def _finish(self, ctx: ToolContext, response: ToolResponse) -> ToolResponse:
        response.request_id = ctx.request_id
        response.metadata.setdefault("trace_id", ctx.trace_id)
        await self._keep_usage(ctx)
        return response

    async def _keep_usage(self, ctx: ToolContext) -> None:
        """Hand the call's usage events to the store's usage log (buffered: no store round trip here)."""
        events = usage_events(ctx)
        if not events:
            return
        try:
            await self.services.usage.append(events)
        except Exception as exc:  # the answer is delivered; a lost usage event is only logged
            log.warning("usage of %s (trace %s) not stored: %s", ctx.tool_name, ctx.trace_id, exc)

    async def aclose(self) -> None:
        """Before the process stops: interrupt the jobs still running (recorded so). Their usage is
        written when the store closes."""
        await self.jobs.aclose()

    async def _invoke(self, call: ToolCall) -> ToolResponse:
        """The innermost step: validate the (possibly rewritten) arguments and execute.

        Failures become error responses here, so every middleware sees a ``ToolResponse``.
        """
        try:
            return await self._execute(call)
        except InputRequired:
            raise
        except ToolError as exc:
            return error_response(exc.message, code=exc.code, details=exc.details)
        except Exception as exc:
            log.exception("tool %s failed (trace %s)", call.tool.name, call.ctx.trace_id)
            return error_response(f"Tool '{call.tool.name}' failed: {type(exc).__name__}: {exc}", code="internal_error")

    async def _execute(self, call: ToolCall) -> ToolResponse:
        size = len(json.dumps(call.arguments, default=str).encode())
        if size > self.max_arguments_bytes:
            raise ToolError(
                f"Arguments for tool '{call.tool.name}' are {size:,} bytes; the limit is "
                f"{self.max_arguments_bytes:,} bytes (setting server.max_arguments_bytes). "
                "Pass large content as file paths instead of inline text.",
                code="arguments_too_large",
                details={"size_bytes": size, "limit_bytes": self.max_arguments_bytes},
            )
        try:
            request = call.tool.request_model.model_validate(call.arguments)
        except ValidationError as exc:
            message, errors = format_validation_error(call.tool, exc)
            raise ToolError(message, code="invalid_arguments", details={"errors": errors}) from exc
        request.request_id = call.ctx.request_id
        response = await call.tool.execute(request, call.ctx)
        if not isinstance(response, ToolResponse):
            raise ToolError(
                f"Tool '{call.tool.name}' returned {type(response).__name__}, expected zen_core.ToolResponse",
                code="bad_tool_response",
            )
        return response
