"""Serve MCP over stdin/stdout (what agents spawn). stdout carries protocol messages only.

Ctrl-C (SIGINT) and SIGTERM stop the server at once, with exit code 0; answers already given still
reach the client. The client's messages move through :mod:`zen_core.server.stdio_streams` (one daemon
thread per direction), so a stop never waits on a blocked read.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import signal
import sys
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import anyio
from mcp.server.stdio import stdio_server

from zen_core.server import listing_cache
from zen_core.server.mcp import ZenMCPServer
from zen_core.server.stdio_streams import StdinLines, StdoutLines, claimed_stdio
from zen_core.version import __version__

if TYPE_CHECKING:
    from zen_core.plugin.host import ZenHost

log = logging.getLogger("zen.server")
#: A start answered from the saved listing loads the plugins after ``tools/list``, or after this long.
LOAD_AFTER_S = 0.3

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


def _ready_for_stdio(load: Callable[[], ZenHost]) -> ZenHost:
    from zen_core.services import settle_heap

    host = load()
    host.services.after_llm_ready = settle_heap
    return host


def stdio_mcp_server(load: Callable[[], ZenHost], environ: dict[str, str] | None = None) -> ZenMCPServer:
    """The server for this start: answering ``tools/list`` from the listing an earlier start saved when
    nothing it depends on changed (the host then loads right after), else loading the host first."""
    load = functools.partial(_ready_for_stdio, load)
    path = listing_cache.cache_file(environ)
    try:
        digest = listing_cache.fingerprint(environ)
    except Exception as exc:  # a cache: without it, Zen starts as it would the first time
        log.warning("not using the saved tool listing: %s: %s", type(exc).__name__, exc)
        return ZenMCPServer(load())
    save = functools.partial(listing_cache.write, path, digest)
    saved = listing_cache.read(path, digest)
    if saved is None:
        return ZenMCPServer(load(), save=save)
    return ZenMCPServer(load=load, saved=saved, save=save)


async def serve_stdio(load: Callable[[], ZenHost]) -> None:
    """Serve MCP on stdin/stdout until the client leaves or a stop signal; ``load`` builds the host (a
    :class:`~zen_core.errors.ConfigError` or a strict-mode plugin error from it ends the server)."""
    zen = stdio_mcp_server(load)
    in_terminal = os.isatty(0)
    try:
        with anyio.CancelScope() as scope, stop_on_signals(scope), claimed_stdio() as fds:
            zen.on_load_failed = lambda exc: scope.cancel()
            if not zen.is_loaded:
                asyncio.get_running_loop().call_later(LOAD_AFTER_S, zen.start_loading)
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
            if zen.is_loaded:
                await zen.host.services.aclose()
    if zen.load_error is not None:
        raise zen.load_error
