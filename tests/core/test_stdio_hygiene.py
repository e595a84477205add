"""On stdio, stdout carries MCP protocol messages only — whatever tools or libraries print."""

from __future__ import annotations

import json
import subprocess
import sys

from zen_core.testing.mcp import server_env

PROTOCOL = "2025-11-25"


def test_stdout_carries_only_json_rpc(test_tools_env: dict[str, str]) -> None:
    messages = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": PROTOCOL, "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}}},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
        {"jsonrpc": "2.0", "id": 3, "method": "tools/call",
         "params": {"name": "steps", "arguments": {"steps": 2}, "_meta": {"progressToken": "p1"}}},
        {"jsonrpc": "2.0", "id": 4, "method": "tools/call", "params": {"name": "boom", "arguments": {}}},
    ]
    proc = subprocess.Popen(
        [sys.executable, "-m", "zen_core.cli", "serve"], env=server_env(test_tools_env),
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    assert proc.stdin is not None and proc.stdout is not None
    for message in messages:
        proc.stdin.write(json.dumps(message) + "\n")
        proc.stdin.flush()
    replies: dict[int, dict] = {}
    lines = []
    while len(replies) < 4:
        line = proc.stdout.readline()
        assert line, f"server closed stdout early; stderr:\n{proc.stderr.read() if proc.stderr else ''}"
        lines.append(line)
        message = json.loads(line)  # every stdout line is a JSON-RPC message
        assert message["jsonrpc"] == "2.0"
        if "id" in message:
            replies[message["id"]] = message
    proc.stdin.close()
    proc.wait(timeout=30)
    stderr = proc.stderr.read() if proc.stderr else ""
    assert not any("stray print" in line for line in lines)
    assert "stderr noise 2" in stderr
    progress = [json.loads(x) for x in lines if '"notifications/progress"' in x]
    assert [p["params"]["progress"] for p in progress] == [1, 2]
    assert replies[3]["result"]["content"][0]["text"] == "done 2 steps"
    assert replies[4]["result"]["isError"] is True
