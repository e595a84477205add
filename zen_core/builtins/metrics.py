"""Prometheus metrics of tool calls and the LLM calls they make (instruments in :mod:`.instruments`).

Served at ``/metrics`` on the HTTP transport (:func:`http_routes`); :func:`start_metrics_server`
serves them on a separate loopback port (for stdio mode) and :func:`metrics_text` renders them.
Each server exposes its own numbers (aggregate instances in Prometheus); the workers of one
``zen serve --http --workers N`` report their sum (see :func:`metrics_text`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from zen_core.calls.middleware import CallNext, Middleware, ToolCall
from zen_core.calls.tool import ToolResponse
from zen_core.errors import ToolError
from zen_core.plugin.spec import hookimpl

if TYPE_CHECKING:
    from wsgiref.simple_server import WSGIServer


def _error_code(response: ToolResponse) -> str:
    data = response.data
    if isinstance(data, dict) and isinstance(data.get("error"), dict):
        return str(data["error"].get("code") or "error")
    return "error"


async def metrics_middleware(call: ToolCall, call_next: CallNext) -> ToolResponse:
    """Count the call, time it and record the LLM usage it reported."""
    from zen_core.builtins import instruments as m

    tool = call.tool.name
    in_flight = m.TOOL_IN_FLIGHT.labels(tool)
    in_flight.inc()
    start = time.perf_counter()
    status, error = "error", "internal_error"
    try:
        response = await call_next(call)
        status = response.status
        error = _error_code(response) if status == "error" else ""
        return response
    except ToolError as exc:
        error = exc.code
        raise
    except BaseException as exc:
        error = type(exc).__name__
        raise
    finally:
        in_flight.dec()
        m.TOOL_LATENCY.labels(tool).observe(time.perf_counter() - start)
        m.TOOL_CALLS.labels(tool, status).inc()
        if error:
            m.TOOL_ERRORS.labels(tool, error).inc()
        m.record_llm_metrics(call.ctx.usage)


def metrics_text() -> str:
    """The current metrics in the Prometheus text format (every worker's, summed, in a worker pool)."""
    from prometheus_client import CollectorRegistry, generate_latest

    from zen_core.builtins.instruments import REGISTRY

    pool_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not pool_dir:
        return generate_latest(REGISTRY).decode("utf-8")
    from prometheus_client.multiprocess import MultiProcessCollector

    pooled = CollectorRegistry()
    MultiProcessCollector(pooled, path=pool_dir)  # type: ignore[no-untyped-call]
    return generate_latest(pooled).decode("utf-8")


async def metrics_endpoint(request: Request) -> Response:
    from prometheus_client import CONTENT_TYPE_LATEST

    return Response(metrics_text(), media_type=CONTENT_TYPE_LATEST)


@hookimpl
def register_routes(register: Callable[[BaseRoute], None]) -> None:
    """``/metrics`` for the HTTP app (guarded by the API-key check unless ``auth.public_metrics``)."""
    register(Route("/metrics", metrics_endpoint, methods=["GET"]))


def start_metrics_server(port: int, addr: str = "127.0.0.1") -> WSGIServer:
    """Serve the metrics on ``addr:port`` from a daemon thread (stdio mode).

    Returns the server (``server.server_port`` is the bound port; ``server.shutdown()`` stops it).
    """
    from prometheus_client import start_http_server

    from zen_core.builtins.instruments import REGISTRY

    server, _thread = start_http_server(port, addr=addr, registry=REGISTRY)
    return server


@hookimpl(tryfirst=True)
def register_middleware(register: Callable[[Middleware], None]) -> None:
    register(metrics_middleware)
