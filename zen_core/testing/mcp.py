"""Start Zen the way agents do and connect the MCP SDK's real client to it.

- :func:`stdio_client` spawns ``zen serve`` and talks MCP over its stdin/stdout;
- :class:`HTTPServerProcess` runs ``zen serve --http --port 0`` and :func:`http_client` connects to it.

Extra plugin modules (``extra_plugins``) are loaded by the server through ``ZEN_EXTRA_PLUGINS``, so a
test's temporary plugins live and die with the server process.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from mcp import Client
from mcp.client.stdio import StdioServerParameters

from zen_core.testing import preload
from zen_core.testing.environment import server_env


def zen_command(*args: str) -> list[str]:
    """The argv of ``zen ARGS``: forked from the test process's preloaded Zen (milliseconds instead of the
    seconds LiteLLM's import takes; see :mod:`zen_core.testing.preload`) unless the running test is marked
    ``zen_fresh_process`` or ``ZEN_TEST_PRELOAD=0``; then a fresh ``python -m zen_core.cli``."""
    if preload.enabled() and not preload.fresh_process_requested:
        return preload.command(*args)
    return [sys.executable, "-m", "zen_core.cli", *args]


@contextlib.asynccontextmanager
async def stdio_client(
    env: Mapping[str, str] | None = None,
    *,
    extra_plugins: Sequence[str] = (),
    cwd: str | Path | None = None,
    **client_kwargs: Any,
) -> AsyncIterator[Client]:
    """Spawn ``zen serve`` (stdio) and yield a connected MCP ``Client``."""
    command = zen_command("serve")
    params = StdioServerParameters(
        command=command[0], args=command[1:], env=server_env(env, extra_plugins), cwd=str(cwd) if cwd else None
    )
    async with Client(params, **client_kwargs) as client:
        yield client


@contextlib.asynccontextmanager
async def http_client(url: str, *, api_key: str | None = None, **client_kwargs: Any) -> AsyncIterator[Client]:
    """Yield an MCP ``Client`` connected to a Streamable HTTP URL, optionally with a bearer key."""
    import httpx2
    from mcp.client.streamable_http import streamable_http_client

    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    async with httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(120.0)) as http:
        async with Client(streamable_http_client(url, http_client=http), **client_kwargs) as client:
            yield client


class HTTPServerProcess:
    """``zen serve --http`` on a free loopback port, in a subprocess. Use as a (async) context manager.

    :meth:`start` returns once the server has printed its ``listening on`` line, when it accepts
    connections. Signal the server through ``process`` (a launcher passes signals on); look at it in
    ``/proc`` through :attr:`pid`.
    """

    LISTENING = re.compile(r"listening on (http://\S+/mcp)")

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        *,
        extra_plugins: Sequence[str] = (),
        host: str = "127.0.0.1",
        port: int = 0,
        args: Sequence[str] = (),
        startup_timeout: float = 60.0,
    ) -> None:
        self.env = server_env(env, extra_plugins)
        self.host = host
        self.port = port
        self.args = list(args)
        self.startup_timeout = startup_timeout
        self.url = ""
        self.process: subprocess.Popen[str] | None = None
        self.stderr_lines: list[str] = []
        self._reader: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return self.url.rsplit("/mcp", 1)[0]

    @property
    def pid(self) -> int:
        """The server's own pid (``process`` may be the launcher of a server forked from the preloaded Zen)."""
        assert self.process is not None
        return preload.server_pid(self.process.pid)

    def start(self) -> HTTPServerProcess:
        cmd = zen_command("serve", "--http", "--host", self.host, "--port", str(self.port), *self.args)
        self.process = subprocess.Popen(
            cmd, env=self.env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        found = threading.Event()

        def read_stderr() -> None:
            assert self.process is not None and self.process.stderr is not None
            for line in self.process.stderr:
                self.stderr_lines.append(line)
                match = self.LISTENING.search(line)
                if match and not found.is_set():
                    self.url = match.group(1)
                    found.set()

        self._reader = threading.Thread(target=read_stderr, daemon=True)
        self._reader.start()
        deadline = time.monotonic() + self.startup_timeout
        while not found.wait(0.05):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"zen serve --http did not start:\n{''.join(self.stderr_lines)}")
        return self

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> int | None:
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._reader is not None:
            self._reader.join(timeout=5)
        return self.process.returncode

    @property
    def stderr(self) -> str:
        return "".join(self.stderr_lines)

    def __enter__(self) -> HTTPServerProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def __aenter__(self) -> HTTPServerProcess:
        return await asyncio.to_thread(self.start)

    async def __aexit__(self, *exc: object) -> None:
        await asyncio.to_thread(self.stop)


@contextlib.asynccontextmanager
async def in_own_task(cm: contextlib.AbstractAsyncContextManager[Any]) -> AsyncIterator[Any]:
    """Enter and exit ``cm`` inside one dedicated task.

    The MCP client uses anyio cancel scopes, which must be exited by the task that entered them;
    pytest runs a fixture's setup and teardown in different tasks, so fixtures wrap clients in this.
    """
    ready: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
    stop = asyncio.Event()

    async def holder() -> None:
        try:
            async with cm as value:
                ready.set_result(value)
                await stop.wait()
        except BaseException as exc:
            if not ready.done():
                ready.set_exception(exc)
            else:
                raise

    task = asyncio.create_task(holder())
    try:
        yield await ready
    finally:
        stop.set()
        await task


Progress = list[tuple[float, "float | None", "str | None"]]


def tool_progress(progress: Progress, tool: str) -> Progress:
    """The notifications ``tool`` sent itself, without Zen's heartbeats (``"<tool> · <stage> · 12s"``, sent
    whenever the tool was quiet for ``server.progress_interval_s`` — on a busy machine, in any test)."""
    beat = f"{tool} · "
    return [entry for entry in progress if not (entry[2] or "").startswith(beat)]


async def finished_job(client: Client, job_id: str, within_s: float = 60.0) -> dict[str, Any]:
    """The ``jobs`` tool's data for ``job_id`` once the job has ended (``done``, ``failed``, ``cancelled``
    or ``lost``), polling it through ``client``; ``AssertionError`` when it is still running after ``within_s``."""
    from zen_core.testing.waiting import wait_until

    job: dict[str, Any] = {}

    async def ended() -> bool:
        result = await client.call_tool("jobs", {"job_id": job_id})
        assert not result.is_error, result.content
        job.update(result.structured_content["data"])
        return job["status"] not in ("running", "cancelling")

    await wait_until(ended, f"job {job_id} ends", within_s)
    return job


def list_tools_handshake(protocol_version: str = "2025-11-25") -> bytes:
    """``initialize``, ``notifications/initialized`` and ``tools/list`` (id 2) as raw JSON-RPC lines, the
    way a client writes them to a stdio server it just spawned (for timing a start, or reading its
    answers and exit without the SDK's client)."""
    import json

    initialize = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": protocol_version,
            "capabilities": {},
            "clientInfo": {"name": "zen-test", "version": "0"},
        },
    }
    messages = (initialize, {"jsonrpc": "2.0", "method": "notifications/initialized"}, LIST_TOOLS)
    return b"".join(json.dumps(message).encode() + b"\n" for message in messages)


#: The ``tools/list`` request of :func:`list_tools_handshake`.
LIST_TOOLS = {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}
