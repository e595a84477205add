"""Test plugin for the middleware tests: two tools and a third-party middleware (no tryfirst/trylast).

The middleware runs inside the built-ins, so it sees the key name auth resolved and the in-flight
gauge the metrics middleware raised; it refuses tool ``blocked`` and rewrites ``text: rewrite-me``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from zen_core import CallNext, Tool, ToolCall, ToolContext, ToolError, ToolRequest, ToolResponse, UsageRecord, hookimpl


class EchoRequest(ToolRequest):
    text: str
    model: str | None = None
    models: list[Any] | None = None
    api_key: str | None = None


class Echo(Tool[EchoRequest]):
    name = "echo"
    description = "Echo the text; with models, look each up (as the caller may) and report a pretend call of each."
    request_model = EchoRequest

    async def execute(self, request: EchoRequest, ctx: ToolContext) -> ToolResponse:
        names = [request.model] if request.model else []
        names += [m["model"] if isinstance(m, dict) else m for m in request.models or []]
        for i, name in enumerate(names):
            used = name
            try:
                used = (await ctx.llm.model(name)).name  # refuses a model outside the caller's allowlist
            except ToolError as exc:
                if exc.code != "model_not_found":  # names made up for the metrics tests are fine
                    raise
            ctx.record_usage(
                UsageRecord(
                    model=name,
                    model_used=used,
                    prompt_tokens=11,
                    completion_tokens=7,
                    cost_usd=0.25,
                    latency_ms=30.0,
                    cache_hit=i > 0,
                    rate_limit_wait_s=0.5,
                )
            )
        return ToolResponse(
            data={
                "text": request.text,
                "trace_id_seen_by_tool": ctx.trace_id,
                "key_name": ctx.key_name,
                "seen_by_middleware": ctx.state.get("mw_test_seen"),
                "transport": ctx.caller.transport,
            }
        )


class BlockedRequest(ToolRequest):
    pass


class Blocked(Tool[BlockedRequest]):
    name = "blocked"
    description = "Would succeed, but the test middleware refuses it."
    request_model = BlockedRequest

    async def execute(self, request: BlockedRequest, ctx: ToolContext) -> ToolResponse:
        return ToolResponse(data="ran")


async def third_party_middleware(call: ToolCall, call_next: CallNext) -> ToolResponse:
    from zen_core.builtins.instruments import REGISTRY

    call.ctx.state["mw_test_seen"] = {
        "key_name": call.ctx.key_name,
        "in_flight": REGISTRY.get_sample_value("zen_tool_calls_in_flight", {"tool": call.tool.name}),
    }
    if call.tool.name == "blocked":
        raise ToolError("refused by the test middleware", code="refused_by_plugin")
    if call.arguments.get("text") == "rewrite-me":
        call.arguments = {**call.arguments, "text": "rewritten"}
    return await call_next(call)


@hookimpl
def register_tools(register: Callable[[Tool[Any]], None]) -> None:
    register(Echo())
    register(Blocked())


@hookimpl
def register_middleware(register: Callable[[Any], None]) -> None:
    register(third_party_middleware)
