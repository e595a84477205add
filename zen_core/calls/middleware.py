"""Middleware around tool calls: the call object, the middleware signature and the chain builder."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from zen_core.calls.tool import Tool, ToolContext, ToolResponse


@dataclass
class ToolCall:
    """One tool call on its way through the middleware chain.

    ``arguments`` are the raw arguments from the client; middleware may rewrite them before the
    innermost step validates them against the tool's request model.
    """

    tool: Tool[Any]
    arguments: dict[str, Any]
    ctx: ToolContext
    transport: str = "stdio"
    #: Headers of the HTTP request (lower-case names) on the HTTP transport, empty on stdio.
    headers: dict[str, str] = field(default_factory=dict)


CallNext = Callable[[ToolCall], Awaitable["ToolResponse"]]
Middleware = Callable[[ToolCall, CallNext], Awaitable["ToolResponse"]]


def build_chain(middleware: Sequence[Middleware], innermost: CallNext) -> CallNext:
    """Compose middleware so ``middleware[0]`` is outermost and ``innermost`` runs last."""
    handler = innermost
    for mw in reversed(middleware):
        handler = _bind(mw, handler)
    return handler


def _bind(mw: Middleware, call_next: CallNext) -> CallNext:
    async def handler(call: ToolCall) -> ToolResponse:
        return await mw(call, call_next)

    handler.__qualname__ = f"middleware[{getattr(mw, '__name__', type(mw).__name__)}]"
    return handler


#: The tool call being served in this task (set by the dispatcher), for code below the tool — e.g. the
#: LLM service attaches the trace id to provider calls and records usage for logging and metrics.
current_call: ContextVar[ToolCall | None] = ContextVar("zen_current_call", default=None)


def record_llm_call(record: dict[str, Any]) -> None:
    """Append one LLM call's facts to the current tool call's ``ctx.state["llm_calls"]``.

    Keys: ``model``, ``model_used``, ``prompt_tokens``, ``completion_tokens``, ``cost_usd``,
    ``latency_ms``, ``cache_hit``, ``error`` (exception type name or ``None``), ``rate_limit_wait_s``.
    Outside a tool call this does nothing.
    """
    call = current_call.get()
    if call is not None:
        call.ctx.state.setdefault("llm_calls", []).append(record)


def current_trace_id() -> str | None:
    call = current_call.get()
    return call.ctx.trace_id if call is not None else None
