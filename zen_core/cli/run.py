"""``zen serve`` and ``zen call``."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import click

from zen_core.cli.arguments import build_arguments, json_object, split_pairs
from zen_core.cli.common import echo_json, load_host, run_async
from zen_core.errors import ConfigError

if TYPE_CHECKING:
    from zen_core.plugin.host import ZenHost
    from zen_core.settings import Settings


@click.command()
@click.option("--http", "use_http", is_flag=True, help="Serve Streamable HTTP at /mcp instead of stdio.")
@click.option("--host", "bind_host", default="127.0.0.1", show_default=True, help="Address to bind (HTTP).")
@click.option("--port", default=8765, show_default=True, type=int, help="Port to bind (HTTP); 0 picks a free one.")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Server processes sharing the port (HTTP) [default: server.workers, 1].",
)
@click.option(
    "--drain",
    default=30.0,
    show_default=True,
    type=float,
    help="Seconds in-flight calls get to finish on SIGTERM (HTTP).",
)
@click.option(
    "--metrics-port",
    type=int,
    default=None,
    help="Also serve Prometheus metrics on 127.0.0.1:PORT (stdio; HTTP serves /metrics itself).",
)
@click.option("--worker-fd", type=int, default=None, hidden=True)
@click.option("--ready-fd", type=int, default=None, hidden=True)
def serve(
    use_http: bool,
    bind_host: str,
    port: int,
    workers: int | None,
    drain: float,
    metrics_port: int | None,
    worker_fd: int | None,
    ready_fd: int | None,
) -> None:
    """Run the MCP server (stdio by default, the transport agents spawn)."""
    if worker_fd is not None:
        from zen_core.server.workers import die_with_parent

        die_with_parent()
    if not use_http:
        from zen_core.server.stdio import serve_stdio

        if metrics_port is not None:
            from zen_core.builtins.metrics import start_metrics_server

            server = start_metrics_server(metrics_port)
            click.echo(f"Zen metrics on http://127.0.0.1:{server.server_port}/metrics", err=True)
        run_async(serve_stdio(load_host))
        return
    from zen_core.server.http import serve_http

    host = load_host()
    count = workers or (1 if worker_fd is not None else _configured_workers(host.settings))
    if count > 1:
        sys.exit(_serve_pool(host, bind_host, port, count, drain))
    sock = socket.socket(fileno=worker_fd) if worker_fd is not None else None
    with _startup_errors(bind_host, port):
        run_async(serve_http(host, bind_host=bind_host, port=port, drain_s=drain, sock=sock, ready_fd=ready_fd))


@contextlib.contextmanager
def _startup_errors(bind_host: str, port: int) -> Iterator[None]:
    """Configuration errors and a port that cannot be bound end the command with a clean message."""
    try:
        yield
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {bind_host}:{port}: {exc.strerror or exc}") from exc


def _configured_workers(settings: Settings) -> int:
    """``server.workers`` from the settings (validated here, so a bad value fails before anything starts)."""
    value = settings.get("server.workers", 1)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise click.ClickException(
            f"server.workers must be a whole number of at least 1, not {value!r}: fix it in server.yaml or "
            "ZEN_SERVER__WORKERS, or pass --workers."
        )
    return value


def _serve_pool(host: ZenHost, bind_host: str, port: int, count: int, drain: float) -> int:
    """Bind once and supervise ``count`` worker processes on the socket (see :mod:`zen_core.server.workers`)."""
    if sys.platform == "win32":
        raise click.ClickException("--workers is not supported on Windows: run one process per port instead.")
    from zen_core.server.http import bind_socket, build_http_app, check_bind, listening_line
    from zen_core.server.workers import WORKER_COMMAND, WorkerPool

    with _startup_errors(bind_host, port):
        check_bind(host, bind_host, port)
        sock = bind_socket(bind_host, port)
        address, bound_port = sock.getsockname()[:2]
        # auth and app errors surface once, before any worker starts
        build_http_app(host, bind_host=bind_host, port=bound_port, bound_address=address)
    with sock:
        pool = WorkerPool(sock, count, drain_s=drain, command=[*WORKER_COMMAND, "--host", bind_host])
        return pool.run(listening_line(sock, count))


def _log_calls_at_cli_level() -> None:
    """The call log of a one-shot command follows ``--log-level`` (WARNING unless asked), not ``logging.level``."""
    from zen_core.builtins.call_log import override_level

    override_level(str(click.get_current_context().find_root().params.get("log_level") or "WARNING"))


#: A one-shot process cannot keep a background job alive: ``zen call`` always waits for the answer.
FOREGROUND_NOTE = (
    "zen call runs in the foreground: background=true is ignored (the job would die with this process). "
    "Use an MCP client (zen serve) for background jobs."
)


@click.command()
@click.argument("tool")
@click.option("--arg", "pairs", multiple=True, metavar="KEY=VALUE", help="A tool argument (repeatable).")
@click.option("--json", "raw_json", metavar="JSON", help="All arguments as one JSON object.")
@click.option("--output", type=click.Choice(["text", "json"]), default="text", show_default=True)
def call(tool: str, pairs: tuple[str, ...], raw_json: str | None, output: str) -> None:
    """Run TOOL locally, without an MCP client, printing progress (stderr) and the result.

    Values are read as the tool's input schema types them: a single --arg files=/a/b is a one-item list.
    """
    base, split = json_object(raw_json), split_pairs(pairs)
    _log_calls_at_cli_level()
    host = load_host()
    entry = host.tools.get(tool)
    arguments = build_arguments(base, split, entry.tool.input_schema() if entry is not None else None)
    if entry is not None and entry.tool.background and arguments.get("background") is True:
        click.echo(FOREGROUND_NOTE, err=True)
    from zen_core.calls.context import Caller

    async def progress(done: float, total: float | None, message: str | None) -> None:
        shown = f"{done:g}/{total:g}" if total else f"{done:g}"
        click.echo(f"[progress {shown}] {message or ''}".rstrip(), err=True)

    async def run() -> Any:
        dispatcher = host.dispatcher()
        try:
            return await dispatcher.call(
                tool, arguments, caller=Caller(transport="cli"), progress=progress, foreground=True
            )
        finally:
            await dispatcher.aclose()  # its usage writes go to the store before the store closes
            await host.services.aclose()

    with contextlib.redirect_stdout(sys.stderr):  # stdout is for the result only
        response = asyncio.run(run())
    if output == "json":
        echo_json(response.structured())
    else:
        click.echo(response.render_text())
    if response.status == "error":
        sys.exit(1)
