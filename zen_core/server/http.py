"""Streamable HTTP: ``/mcp`` (stateless, so instances can sit behind a load balancer) and ``/healthz``."""

from __future__ import annotations

import contextlib
import os
import socket
import sys
from collections.abc import AsyncIterator
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from zen_core.plugin.host import ZenHost
from zen_core.server.header_limit import header_limited_protocol, max_header_bytes
from zen_core.server.host_check import transport_security
from zen_core.server.mcp import ZenMCPServer
from zen_core.server.uvicorn_server import ZenUvicornServer, keep_sse_streams_open_on_shutdown
from zen_core.services import settle_heap
from zen_core.version import __version__


def build_http_app(
    host: ZenHost, *, bind_host: str = "127.0.0.1", port: int = 8765, bound_address: str | None = None
) -> ASGIApp:
    """The ASGI app: MCP at ``/mcp`` plus ``/healthz`` and the routes of the HTTP middleware.

    ``bind_host`` is what ``--host`` named, ``bound_address`` and ``port`` where the socket is bound
    (the Host values ``/mcp`` accepts, see :mod:`zen_core.server.host_check`).
    """
    zen = ZenMCPServer(host)
    security, host_error = transport_security(bind_host, bound_address or bind_host, port, host.settings)
    mcp_app = zen.server.streamable_http_app(
        streamable_http_path="/mcp", stateless_http=True, transport_security=security
    )

    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok", "version": __version__, "tools": sorted(host.tools), "pid": os.getpid()})

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with zen.server.session_manager.run():  # a Mount does not run the sub-app's lifespan
            try:
                yield
            finally:
                await zen.aclose()
                await host.services.aclose()

    routes: list[BaseRoute] = [Route("/healthz", healthz), *host.routes]
    routes.append(Mount("/", app=_no_standalone_stream(mcp_app)))
    app: ASGIApp = _wrapped(Starlette(routes=routes, lifespan=lifespan), host, bind_host)
    if host_error is not None:  # reported after a missing API key, the more serious problem
        raise host_error
    return app


def _wrapped(app: ASGIApp, host: ZenHost, bind_host: str) -> ASGIApp:
    """``app`` inside the registered ASGI wrappers: the first registered ends up outermost (the API-key
    check). A wrapper refuses an unsafe bind by raising."""
    for wrap in reversed(host.asgi_wrappers):
        app = wrap(app, host.settings, bind_host)
    return app


def check_bind(host: ZenHost, bind_host: str, port: int) -> None:
    """The refusals that need no socket (an exposed address without an API key, a wildcard address
    without ``server.allowed_hosts``): run before binding, so a refused address is never bound."""
    _wrapped(_refuse_all, host, bind_host)  # wrappers are pure: building them raises their refusals
    _, host_error = transport_security(bind_host, bind_host, port, host.settings)
    if host_error is not None:
        raise host_error


async def _refuse_all(scope: Scope, receive: Receive, send: Send) -> None:
    """The app wrapped by :func:`check_bind`'s dry run; never served."""
    raise RuntimeError("check_bind's placeholder app is never served")


def _no_standalone_stream(app: ASGIApp) -> ASGIApp:
    """Answer ``GET /mcp`` with 405, as the MCP spec allows a server without server-initiated messages.

    A stateless server never sends anything on that stream, yet agents on the TypeScript SDK open one
    after the handshake; held open, it would keep a draining server alive for the whole ``--drain``.
    """

    async def asgi(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and scope["path"].rstrip("/") == "/mcp":
            await Response(status_code=405, headers={"Allow": "POST"})(scope, receive, send)
            return
        await app(scope, receive, send)

    return asgi


#: Connections the kernel queues for the server (uvicorn's default).
BACKLOG = 2048


def bind_socket(bind_host: str, port: int) -> socket.socket:
    """Bind and listen: from here on connections queue up until the server accepts them."""
    family = socket.AF_INET6 if ":" in bind_host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Inherited by accepted sockets: uvicorn writes headers and body separately, and with Nagle on,
    # each response would wait ~40 ms for the client's delayed ACK.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((bind_host, port))
        sock.listen(BACKLOG)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def listening_line(sock: socket.socket, workers: int = 1) -> str:
    """The start-up line naming the URL (tests and scripts wait for it)."""
    address, port = sock.getsockname()[:2]
    shown = f"[{address}]" if ":" in address else address
    pool = f" ({workers} workers)" if workers > 1 else ""
    return f"Zen {__version__} listening on http://{shown}:{port}/mcp{pool}"


async def serve_http(
    host: ZenHost,
    *,
    bind_host: str = "127.0.0.1",
    port: int = 8765,
    drain_s: float = 30.0,
    sock: socket.socket | None = None,
    ready_fd: int | None = None,
) -> None:
    """Serve until SIGINT/SIGTERM; in-flight calls get ``drain_s`` seconds to finish.

    The ``listening on`` line is printed once the server accepts connections. With ``sock`` (a pool
    worker's inherited listening socket) nothing is bound or announced here: the worker writes a byte
    to ``ready_fd`` instead, and the supervisor announces the pool.
    """
    host.services.after_llm_ready = settle_heap
    announce = sock is None
    if sock is None:
        check_bind(host, bind_host, port)
        sock = bind_socket(bind_host, port)
    else:  # bind_host: the supervisor's --host
        host.services.warm_up()  # tools/list reaches one worker only, so each warms itself up
    listening = sock
    address, bound_port = sock.getsockname()[:2]
    app = build_http_app(host, bind_host=bind_host, port=bound_port, bound_address=address)
    keep_sse_streams_open_on_shutdown()

    def started() -> None:
        if announce:
            print(listening_line(listening), file=sys.stderr, flush=True)
        if ready_fd is not None:
            os.write(ready_fd, b"r")
            os.close(ready_fd)

    header_limit = max_header_bytes(host.settings)
    config: Any = uvicorn.Config(
        app,
        log_level="warning",
        lifespan="on",
        timeout_graceful_shutdown=int(drain_s),
        access_log=False,
        http=header_limited_protocol(header_limit),
        h11_max_incomplete_event_size=header_limit,
    )
    await ZenUvicornServer(config, on_started=started).serve(sockets=[sock])
