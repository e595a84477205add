"""Over stdio the call log goes to stderr (stdout is the MCP channel) and needs no key."""

from __future__ import annotations

from pathlib import Path

from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.client.stdio import stdio_client as sdk_stdio_client

from zen_core.testing.mcp import server_env, zen_command

from .conftest import plugin_env, wait_for_log


async def test_stdio_call_is_logged_to_stderr_as_json(zen_env: dict[str, str], tmp_path: Path) -> None:
    command = zen_command("serve")
    params = StdioServerParameters(command=command[0], args=command[1:], env=server_env(plugin_env(zen_env)))
    errlog_path = tmp_path / "stderr.txt"
    with errlog_path.open("w") as errlog:
        async with Client(sdk_stdio_client(params, errlog=errlog)) as client:
            result = await client.call_tool("echo", {"text": "over stdio", "model": "m-stdio"})
            trace_id = result.structured_content["metadata"]["trace_id"]
            record = wait_for_log(errlog_path.read_text, trace_id)
    assert not result.is_error and result.structured_content["data"]["text"] == "over stdio"
    assert record["transport"] == "stdio" and record["key_name"] is None
    assert record["tool"] == "echo" and record["models"] == ["m-stdio"] and record["status"] == "success"
    assert "arguments" not in record  # bodies only at debug level
