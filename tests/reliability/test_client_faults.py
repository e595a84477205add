"""Client faults: a cancelled call (``notifications/cancelled``) or a vanished client cancels the LLM
request; SIGTERM lets in-flight calls finish (bounded drain) and leaves the store consistent.

"The LLM request is cancelled" is observed from outside: the slow model lives on its own fake
server, and the Zen process's TCP connections to that server's port (``/proc/<pid>/net/tcp`` matched
to the process's socket fds) must drop to zero long before the fake would have answered.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from zen_core.testing import preload
from zen_core.testing.fake_llm import FakeLLM
from zen_core.testing.waiting import wait_until

from .conftest import Rig, text_of

pytestmark = pytest.mark.zen_plugins("zen-tool-chat")

HANG_S = 60.0  # the slow model's latency: far longer than any test waits


@pytest.fixture
def hang_fake() -> Iterator[FakeLLM]:
    """A fake LLM of its own, so every connection to its port is the slow model's."""
    with FakeLLM() as fake:
        yield fake


def connections_to(pid: int, port: int) -> int:
    """Established TCP connections of process ``pid`` to loopback ``port``."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    count = 0
    for line in Path(f"/proc/{pid}/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        remote_port = int(fields[2].split(":")[1], 16)
        if remote_port == port and fields[3] == "01" and fields[9] in inodes:
            count += 1
    return count


def stdio_server_pid(config_dir: str) -> int:
    """The pid of the ``zen serve`` spawned over stdio for ``config_dir``: the fresh process, or the
    server forked behind the launcher that was spawned."""
    launcher = str(preload.LAUNCHER).encode()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")
            environ = Path(f"/proc/{entry}/environ").read_bytes()
        except OSError:
            continue
        zen = b"zen_core.cli" in cmdline or launcher in cmdline
        stdio = zen and b"serve" in cmdline and b"--http" not in cmdline
        if stdio and f"ZEN_CONFIG_DIR={config_dir}".encode() in environ:
            return preload.server_pid(int(entry))
    raise AssertionError("no stdio server process found")


def hang_rig(rig_factory: Any, hang_fake: FakeLLM, *, http: bool) -> Rig:
    port = int(hang_fake.base_url.split(":")[2].split("/")[0])
    models = {"ok": {"text": "still here"}, "hang": {"entry": {"api_base": hang_fake.base_url}}}
    rig: Rig = rig_factory(models, start=False)
    rig.models["hang"] = hang_fake.behave(rig.models["hang"], latency_s=HANG_S)
    rig.env["HANG_PORT"] = str(port)
    return rig.start() if http else rig


@pytest.mark.parametrize("transport", ["stdio", "http"])
async def test_cancelled_call_cancels_the_llm_request(transport: str, rig_factory: Any, hang_fake: FakeLLM) -> None:
    rig = hang_rig(rig_factory, hang_fake, http=transport == "http")
    port = int(rig.env["HANG_PORT"])
    connect = rig.stdio() if transport == "stdio" else rig.http()
    async with asyncio.timeout(60), connect as client:
        pid = stdio_server_pid(rig.env["ZEN_CONFIG_DIR"]) if transport == "stdio" else rig.pid
        with anyio.move_on_after(30) as scope:
            async with anyio.create_task_group() as tg:
                tg.start_soon(client.call_tool, "chat", {"prompt": "take your time", "model": "hang"})
                await wait_until(lambda: hang_fake.calls(rig.models["hang"]) == 1, "the request reaches the fake")
                await wait_until(lambda: connections_to(pid, port) == 1, "the server holds the LLM connection")
                tg.cancel_scope.cancel()  # the SDK client sends notifications/cancelled
        assert not scope.cancelled_caught
        await wait_until(lambda: connections_to(pid, port) == 0, "the LLM connection is closed", within_s=10)
        result = await client.call_tool("chat", {"prompt": "after the cancel", "model": "ok"})
        assert result.is_error is False and "still here" in text_of(result)
    assert hang_fake.calls(rig.models["hang"]) == 1  # cancelled, not retried


async def test_http_client_vanishing_mid_call_cancels_the_llm_request(rig_factory: Any, hang_fake: FakeLLM) -> None:
    rig = hang_rig(rig_factory, hang_fake, http=True)
    port = int(rig.env["HANG_PORT"])

    async def doomed_client() -> None:
        async with rig.http() as client:
            await client.call_tool("chat", {"prompt": "never mind", "model": "hang"})

    async with asyncio.timeout(60):
        task = asyncio.create_task(doomed_client())
        await wait_until(lambda: connections_to(rig.pid, port) == 1, "the server holds the LLM connection")
        task.cancel()  # the client's HTTP connection goes away with it
        with pytest.raises(asyncio.CancelledError):
            await task
        await wait_until(lambda: connections_to(rig.pid, port) == 0, "the LLM connection is closed", within_s=10)
        async with rig.http() as client:
            result = await client.call_tool("chat", {"prompt": "next client", "model": "ok"})
        assert result.is_error is False and "still here" in text_of(result)


async def test_stdio_client_vanishing_mid_call_stops_the_server(rig_factory: Any, hang_fake: FakeLLM) -> None:
    rig = hang_rig(rig_factory, hang_fake, http=False)
    pid = 0

    async def doomed_client() -> None:
        nonlocal pid
        async with rig.stdio() as client:
            pid = stdio_server_pid(rig.env["ZEN_CONFIG_DIR"])
            await client.call_tool("chat", {"prompt": "never mind", "model": "hang"})

    async with asyncio.timeout(60):
        task = asyncio.create_task(doomed_client())
        await wait_until(lambda: hang_fake.calls(rig.models["hang"]) == 1, "the request reaches the fake")
        task.cancel()  # closes the server's stdin
        with pytest.raises(asyncio.CancelledError):
            await task
        await wait_until(lambda: not Path(f"/proc/{pid}").exists() or _zombie(pid), "the server exits", within_s=15)


def _zombie(pid: int) -> bool:
    try:
        return "\nState:\tZ" in Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return True


async def _sigterm_mid_calls(rig: Rig, calls: int, mode: str = "auto") -> list[Any]:
    """Start ``calls`` slow chat calls from a client speaking ``mode`` ("auto": the 2026 protocol,
    "legacy": the 2025-11-25 handshake), SIGTERM the server once all reached the fake; gather outcomes.
    The server must exit with code 0."""
    outcomes: list[Any] = []
    sent_sigterm: list[bool] = []

    async def client_side() -> None:
        async with rig.http(mode=mode) as client:
            await client.list_tools()  # as agents do; the SDK client would otherwise list tools mid-call
            tasks = [
                asyncio.create_task(client.call_tool("chat", {"prompt": f"drain {i}", "model": "slow"}))
                for i in range(calls)
            ]
            await wait_until(lambda: rig.calls("slow") == calls, "all calls reach the fake")
            assert rig.server is not None and rig.server.process is not None
            rig.server.process.send_signal(signal.SIGTERM)
            sent_sigterm.append(True)
            outcomes.extend(await asyncio.gather(*tasks, return_exceptions=True))

    try:
        async with asyncio.timeout(120):
            await client_side()
    except Exception as exc:  # the client's own task group fails when the server vanishes under it
        outcomes.append(exc)
    if not sent_sigterm:
        raise AssertionError(f"SIGTERM was never sent: the client side failed first: {outcomes!r}")
    assert rig.server is not None and rig.server.process is not None
    try:
        code = await asyncio.to_thread(rig.server.process.wait, 30)  # bounded: --drain defaults to 30 s
    except subprocess.TimeoutExpired:
        rig.server.process.kill()
        raise AssertionError(f"still running 30 s after SIGTERM:\n{rig.server.stderr[-3000:]}") from None
    assert code == 0, rig.server.stderr[-2000:]
    return outcomes


#: Both protocol eras: agents of today (Claude Code, Codex, Cursor) speak 2025-11-25 ("legacy").
CLIENT_MODES = pytest.mark.parametrize("mode", ["legacy", "auto"])


@CLIENT_MODES
async def test_sigterm_drains_in_flight_calls_to_the_client(rig_factory: Any, mode: str) -> None:
    calls = 50
    rig: Rig = rig_factory({"slow": {"latency_s": 1.5, "echo": True}})
    outcomes = await _sigterm_mid_calls(rig, calls, mode)
    assert len(outcomes) == calls and all(getattr(o, "is_error", True) is False for o in outcomes), outcomes
    for i, result in enumerate(outcomes):
        assert f"drain {i}" in text_of(result)


@CLIENT_MODES
async def test_sigterm_mid_calls_leaves_the_store_consistent(rig_factory: Any, mode: str) -> None:
    rig: Rig = rig_factory({"slow": {"latency_s": 1.5, "echo": True}, "ok": {"text": "fine"}})
    await _sigterm_mid_calls(rig, 5, mode)
    rig.start()  # same config and data dir
    async with asyncio.timeout(60), rig.http() as client:
        listed = await client.call_tool("threads", {"limit": 20})
        threads = listed.structured_content["data"]["threads"]
        # every call that reached the model finished during the drain: 5 whole conversations, no half ones
        assert sorted(t["turn_count"] for t in threads) == [2] * 5, text_of(listed)
        assert sorted(t["first_prompt"] for t in threads) == [f"drain {i}" for i in range(5)]
        again = await client.call_tool(
            "chat", {"prompt": "after restart", "model": "ok", "continuation_id": threads[0]["id"]}
        )
        assert again.is_error is False, text_of(again)
        listed = await client.call_tool("threads", {"limit": 20})
        counts = {t["id"]: t["turn_count"] for t in listed.structured_content["data"]["threads"]}
        assert counts[threads[0]["id"]] == 4


async def test_get_on_mcp_is_405_so_no_idle_stream_holds_up_a_drain(rig_factory: Any) -> None:
    """Agents on the TypeScript SDK open ``GET /mcp`` for server-sent messages after the handshake. A
    stateless server never sends any, and an idle open stream would keep a draining server alive for
    the whole ``--drain`` time: the server answers 405 (which the MCP spec lets clients expect)."""
    rig: Rig = rig_factory({"ok": {"text": "fine"}})
    assert rig.server is not None
    headers = {"Accept": "text/event-stream", "MCP-Protocol-Version": "2025-11-25"}
    async with asyncio.timeout(60), httpx.AsyncClient(timeout=30) as http:
        async with http.stream("GET", rig.server.url, headers=headers) as response:
            assert response.status_code == 405, response.headers
            assert response.headers["allow"] == "POST"
