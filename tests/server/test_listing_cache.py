"""A stdio start answers ``tools/list`` from the listing an earlier start saved, before any plugin loads.

The plugin used here waits at import until a *gate* file exists: with the gate closed, a server that had
to import it could never answer ``tools/list``. A saved listing is used only while nothing it depends on
changed (config files, ``ZEN_*`` variables, plugin files …); a listing that turns out stale once the
plugins have loaded is replaced and announced (``notifications/tools/list_changed``).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from asyncio.subprocess import PIPE
from pathlib import Path
from typing import Any

import pytest

from zen_core.server import listing_cache
from zen_core.testing.environment import server_env
from zen_core.testing.mcp import list_tools_handshake, stdio_client, zen_command

PLUGIN = """
import os, time

from pydantic import Field

from zen_core import Tool, ToolRequest, ToolResponse, hookimpl

if os.path.exists(os.environ["BREAK_FILE"]):
    raise RuntimeError("this plugin broke since the last start")
deadline = time.monotonic() + 60
while not os.path.exists(os.environ["GATE_FILE"]) and time.monotonic() < deadline:
    time.sleep(0.02)


class EchoRequest(ToolRequest):
    text: str = Field(description="What to echo")


class Echo(Tool[EchoRequest]):
    name = "gated_echo"
    description = "DESCRIPTION"
    request_model = EchoRequest

    async def execute(self, request, ctx):
        return ToolResponse(data={"echo": request.text}, text=request.text)


@hookimpl
def register_tools(register):
    register(Echo())
"""


class Plugin:
    """A plugin module in its own directory, and the gate its import waits for."""

    def __init__(self, root: Path, description: str = "Echo the text.") -> None:
        self.dir = root / "gated_plugin"
        self.dir.mkdir()
        self.gate = root / "gate"
        self.broken = root / "broken"
        self.write(description)
        self.open()

    def write(self, description: str) -> None:
        (self.dir / "zen_gated_echo.py").write_text(PLUGIN.replace("DESCRIPTION", description))

    def open(self) -> None:
        self.gate.touch()

    def close(self) -> None:
        self.gate.unlink()


@pytest.fixture
def plugin(tmp_path: Path) -> Plugin:
    return Plugin(tmp_path)


@pytest.fixture
def env(zen_env: dict[str, str], plugin: Plugin) -> dict[str, str]:
    return {
        **zen_env,
        "PYTHONPATH": os.pathsep.join([str(plugin.dir), os.environ.get("PYTHONPATH", "")]),
        "ZEN_EXTRA_PLUGINS": "zen_gated_echo",
        "GATE_FILE": str(plugin.gate),
        "BREAK_FILE": str(plugin.broken),
    }


def saved_listing(env: dict[str, str]) -> dict[str, Any]:
    [path] = (Path(env["ZEN_DATA_DIR"]) / "cache").glob("tools-list-*.json")
    saved: dict[str, Any] = json.loads(path.read_text())
    return saved


def descriptions(tools: Any) -> dict[str, str]:
    return {tool.name: tool.description for tool in tools}


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_a_second_start_lists_tools_before_it_imports_a_plugin(
    env: dict[str, str], plugin: Plugin, mode: str
) -> None:
    async with asyncio.timeout(60), stdio_client(env, mode=mode) as client:
        first = descriptions((await client.list_tools()).tools)
    assert first["gated_echo"] == "Echo the text." and "version" in first
    assert {tool["name"] for tool in saved_listing(env)["tools"]} == set(first)

    plugin.close()  # importing the plugin now waits until the gate opens
    async with asyncio.timeout(60), stdio_client(env, mode=mode) as client:
        listed = await client.list_tools()
        assert descriptions(listed.tools) == first
        echo = next(tool for tool in listed.tools if tool.name == "gated_echo")
        assert echo.input_schema["properties"]["text"] == {"type": "string", "description": "What to echo"}
        call = asyncio.create_task(client.call_tool("gated_echo", {"text": "hello"}))
        await asyncio.sleep(0.5)
        assert not call.done(), "a call cannot run before the plugin that serves it has loaded"
        plugin.open()
        result = await call
    assert result.is_error is False and result.structured_content["data"] == {"echo": "hello"}


async def test_a_changed_plugin_file_or_setting_is_listed_anew(env: dict[str, str], plugin: Plugin) -> None:
    async with asyncio.timeout(60), stdio_client(env) as client:
        assert descriptions((await client.list_tools()).tools)["gated_echo"] == "Echo the text."
    plugin.write("Echo the text back, changed.")
    async with asyncio.timeout(60), stdio_client(env) as client:
        assert descriptions((await client.list_tools()).tools)["gated_echo"] == "Echo the text back, changed."
    async with asyncio.timeout(60), stdio_client({**env, "ZEN_DISABLE_PLUGINS": "nothing"}) as client:
        assert "gated_echo" in descriptions((await client.list_tools()).tools)
    async with asyncio.timeout(60), stdio_client({**env, "ZEN_EXTRA_PLUGINS": ""}) as client:
        assert "gated_echo" not in descriptions((await client.list_tools()).tools)


async def test_a_stale_listing_is_replaced_and_announced(env: dict[str, str]) -> None:
    async with asyncio.timeout(60), stdio_client(env) as client:
        real = descriptions((await client.list_tools()).tools)
    # a listing saved under the right fingerprint that no longer matches what the plugins register
    [path] = (Path(env["ZEN_DATA_DIR"]) / "cache").glob("tools-list-*.json")
    saved = saved_listing(env)
    for tool in saved["tools"]:
        if tool["name"] == "gated_echo":
            tool["description"] = "A description from an older start."
    path.write_text(json.dumps(saved))

    changed = asyncio.Event()

    async def on_message(message: Any) -> None:
        if type(getattr(message, "root", message)).__name__ == "ToolListChangedNotification":
            changed.set()

    async with asyncio.timeout(60), stdio_client(env, mode="legacy", message_handler=on_message) as client:
        stale = descriptions((await client.list_tools()).tools)
        assert stale["gated_echo"] == "A description from an older start."  # what the saved listing said
        await changed.wait()
        assert descriptions((await client.list_tools()).tools) == real
    assert {t["name"]: t["description"] for t in saved_listing(env)["tools"]} == real


async def listed_then_ended(env: dict[str, str], *, close: bool) -> tuple[set[str], int, bytes]:
    """The tools a server spawned with ``env`` lists, then its exit code and stderr once it ended (after
    closing its input when ``close``, else on its own)."""
    command = zen_command("serve")
    proc = await asyncio.create_subprocess_exec(
        *command, stdin=PIPE, stdout=PIPE, stderr=PIPE, env=server_env(env), limit=1 << 24
    )
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    proc.stdin.write(list_tools_handshake())  # the SDK's client would add variables to the environment
    tools: set[str] = set()
    async with asyncio.timeout(60):
        while line := await proc.stdout.readline():
            message = json.loads(line)
            if message.get("id") == 2:
                tools = {tool["name"] for tool in message["result"]["tools"]}
                break
        if close:
            proc.stdin.close()
        stderr = await proc.stderr.read()
        return tools, await proc.wait(), stderr


async def test_a_plugin_that_fails_after_the_listing_was_answered_stops_the_server(
    env: dict[str, str], plugin: Plugin
) -> None:
    """Strict mode refuses to serve with a broken plugin, as on a start that loads plugins first: the
    server exits 1 and says why."""
    env = {**env, "ZEN_STRICT_PLUGINS": "1"}
    tools, code, stderr = await listed_then_ended(env, close=True)
    assert "gated_echo" in tools and code == 0, stderr
    plugin.broken.touch()
    tools, code, stderr = await listed_then_ended(env, close=False)
    assert "gated_echo" in tools, stderr  # answered from the saved listing
    assert code == 1, stderr
    assert b"plugin errors (ZEN_STRICT_PLUGINS is set)" in stderr
    assert b"this plugin broke since the last start" in stderr


def test_the_fingerprint_follows_what_the_listing_depends_on(env: dict[str, str], plugin: Plugin) -> None:
    sys.path.insert(0, str(plugin.dir))
    try:
        base = listing_cache.fingerprint(env)
        assert listing_cache.fingerprint(dict(env)) == base
        assert listing_cache.fingerprint({**env, "GATE_FILE": "/elsewhere"}) == base  # only set-or-not counts
        assert listing_cache.fingerprint({**env, "OPENAI_API_KEY": "sk-1"}) != base  # a provider key appeared
        assert listing_cache.fingerprint({**env, "ZEN_LOAD_PLUGINS": "chat"}) != base
        assert listing_cache.fingerprint({**env, "LITELLM_LOG": "DEBUG"}) != base
        Path(env["ZEN_CONFIG_DIR"], "models.yaml").write_text("models: {}\n")
        with_config = listing_cache.fingerprint(env)
        assert with_config != base
        Path(env["ZEN_CONFIG_DIR"], "models.yaml").write_text("models: {a: {model: openai/a}}\n")
        assert listing_cache.fingerprint(env) != with_config
        plugin.write("Another description.")
        assert listing_cache.fingerprint(env) != with_config
    finally:
        sys.path.remove(str(plugin.dir))


def test_a_missing_unreadable_or_foreign_file_is_no_listing(tmp_path: Path) -> None:
    path = tmp_path / "cache" / "tools-list.json"
    assert listing_cache.read(path, "abc") is None
    listing_cache.write(path, "abc", [{"name": "t", "inputSchema": {"type": "object"}}])
    assert listing_cache.read(path, "abc") == [{"name": "t", "inputSchema": {"type": "object"}}]
    assert listing_cache.read(path, "other") is None
    path.write_text("{not json")
    assert listing_cache.read(path, "abc") is None
    path.write_text(json.dumps({"fingerprint": "abc", "tools": "nope"}))
    assert listing_cache.read(path, "abc") is None
    assert [p.name for p in path.parent.iterdir()] == ["tools-list.json"]  # no temporary files left


def test_the_fingerprint_reads_the_entry_points_the_plugin_loader_reads() -> None:
    from zen_core.plugin import spec

    assert listing_cache.ENTRY_POINT_GROUP == spec.PROJECT
