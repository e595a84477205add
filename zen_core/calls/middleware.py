"""Middleware around tool calls: the call object, the middleware signature and the chain builder."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from zen_core.calls.context import ToolContext
    from zen_core.calls.tool import Tool, ToolResponse
    from zen_core.settings import Settings


@dataclass
class ToolCall:
    """One tool call on its way through the middleware chain.

    ``arguments`` are the raw arguments from the client; middleware may rewrite them before the
    innermost step validates them against the tool's request model. Who is calling is ``ctx.caller``.
    """

    tool: Tool[Any]
    arguments: dict[str, Any]
    ctx: ToolContext
    #: Headers of the HTTP request (lower-case names) on the HTTP transport, empty otherwise.
    headers: dict[str, str] = field(default_factory=dict)
    #: Zen's whole configuration (read-only), for middleware that reads its own section:
    #: ``call.settings.plugin("my-distribution")``.
    settings: Settings | None = None

    @property
    def transport(self) -> str:
        """``stdio``, ``http`` or ``cli``."""
        return self.ctx.caller.transport


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
