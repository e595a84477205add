"""Serve MCP over stdin/stdout (what agents spawn). stdout carries protocol messages only.

Ctrl-C (SIGINT) and SIGTERM stop the server at once, with exit code 0; answers already given still
reach the client. The client's messages move through :mod:`zen_core.server.stdio_streams` (one daemon
thread per direction), so a stop never waits on a blocked read.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Iterator
from typing import Any

import anyio
from mcp.server.stdio import stdio_server

from zen_core.plugin.host import ZenHost
from zen_core.server.mcp import ZenMCPServer
from zen_core.server.stdio_streams import StdinLines, StdoutLines, claimed_stdio
from zen_core.services import settle_heap
from zen_core.version import __version__

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
BANNER = f"Zen {__version__} speaks MCP on stdio, for your agent to start it (see docs/install.md). Ctrl-C stops it."


@contextlib.contextmanager
def stop_on_signals(scope: anyio.CancelScope) -> Iterator[None]:
    """Cancel ``scope`` on SIGINT/SIGTERM (once: a second Ctrl-C then interrupts as usual)."""
    loop = asyncio.get_running_loop()
    installed: list[signal.Signals] = []

    def stop() -> None:
        scope.cancel()
        for sig in installed:
            loop.remove_signal_handler(sig)

    for sig in STOP_SIGNALS:
        try:
            loop.add_signal_handler(sig, stop)
        except (NotImplementedError, RuntimeError):  # Windows: Ctrl-C raises KeyboardInterrupt as before
            continue
        installed.append(sig)
    try:
        yield
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)


async def serve_stdio(host: ZenHost) -> None:
    host.services.after_llm_ready = settle_heap
    zen = ZenMCPServer(host)
    in_terminal = os.isatty(0)
    try:
        with anyio.CancelScope() as scope, stop_on_signals(scope), claimed_stdio() as fds:
            if in_terminal:  # a person started it by hand: say what it is and how to leave
                print(BANNER, file=sys.stderr, flush=True)
            stdin: Any = StdinLines(fds[0])
            stdout: Any = StdoutLines(fds[1])
            try:
                async with stdio_server(stdin=stdin, stdout=stdout) as (read_stream, write_stream):
                    await zen.server.run(read_stream, write_stream, zen.server.create_initialization_options())
            finally:
                with anyio.CancelScope(shield=True):
                    await stdout.aclose()  # answers already given reach the client
    finally:
        with anyio.CancelScope(shield=True):
            await zen.aclose()
            await host.services.aclose()
