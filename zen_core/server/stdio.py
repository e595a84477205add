"""Serve MCP over stdin/stdout (what agents spawn). stdout carries protocol messages only."""

from __future__ import annotations

import anyio
from mcp.server.stdio import stdio_server

from zen_core.plugin.host import ZenHost
from zen_core.server.mcp import ZenMCPServer
from zen_core.services import settle_heap


async def serve_stdio(host: ZenHost) -> None:
    host.services.after_llm_ready = settle_heap
    zen = ZenMCPServer(host)
    try:
        async with stdio_server() as (read_stream, write_stream):
            await zen.server.run(read_stream, write_stream, zen.server.create_initialization_options())
    finally:
        with anyio.CancelScope(shield=True):
            await zen.aclose()
            await host.services.aclose()
