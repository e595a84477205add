"""Serve MCP over stdin/stdout (what agents spawn). stdout carries protocol messages only.

Ctrl-C (SIGINT) and SIGTERM stop the server at once, with exit code 0. The SDK reads stdin in an
AnyIO worker thread, which a stopping server has to wait for: Ctrl-C did nothing until the next line
of input arrived. Here a daemon thread reads the client's messages, so a stop never waits on it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import signal
import sys
import threading
from collections.abc import Iterator
from typing import Any

import anyio
from mcp.server.stdio import stdio_server

from zen_core.plugin.host import ZenHost
from zen_core.server.mcp import ZenMCPServer
from zen_core.services import settle_heap
from zen_core.version import __version__

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
BANNER = f"Zen {__version__} speaks MCP on stdio, for your agent to start it (see docs/install.md). Ctrl-C stops it."


class StdinLines:
    """The lines on file descriptor ``fd``, read by a daemon thread (``async for line in ...``)."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._loop = asyncio.get_running_loop()
        self._lines: asyncio.Queue[str | None] = asyncio.Queue(maxsize=16)  # backpressure for the reader
        threading.Thread(target=self._read, name="zen-stdin", daemon=True).start()

    def _read(self) -> None:
        try:
            with open(self._fd, "rb", closefd=False) as stream:  # closefd=False: see claimed_stdin()
                for raw in stream:
                    if not self._put(raw.decode("utf-8", errors="replace")):
                        return
        except (OSError, ValueError):
            pass
        self._put(None)

    def _put(self, line: str | None) -> bool:
        """Hand ``line`` to the event loop, waiting while the queue is full; ``False`` once it is gone."""
        try:
            asyncio.run_coroutine_threadsafe(self._lines.put(line), self._loop).result()
        except (RuntimeError, asyncio.CancelledError, concurrent.futures.CancelledError):  # the server stopped
            return False
        return True

    def __aiter__(self) -> StdinLines:
        return self

    async def __anext__(self) -> str:
        line = await self._lines.get()
        if line is None:
            raise StopAsyncIteration
        return line


@contextlib.contextmanager
def claimed_stdin() -> Iterator[int]:
    """A private duplicate of fd 0 for the client's messages, while fd 0 reads the null device.

    Child processes of tools then read EOF instead of the client's bytes (as the SDK arranges for the
    stdin it reads itself). The duplicate is never closed: the reader thread may still block on it.
    """
    private = os.dup(0)
    null = os.open(os.devnull, os.O_RDONLY)
    try:
        os.dup2(null, 0)
    finally:
        os.close(null)
    try:
        yield private
    finally:
        os.dup2(private, 0)


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
        with anyio.CancelScope() as scope, stop_on_signals(scope), claimed_stdin() as fd:
            if in_terminal:  # a person started it by hand: say what it is and how to leave
                print(BANNER, file=sys.stderr, flush=True)
            stdin: Any = StdinLines(fd)
            async with stdio_server(stdin=stdin) as (read_stream, write_stream):
                await zen.server.run(read_stream, write_stream, zen.server.create_initialization_options())
    finally:
        with anyio.CancelScope(shield=True):
            await zen.aclose()
            await host.services.aclose()
