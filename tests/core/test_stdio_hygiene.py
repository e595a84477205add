"""On stdio, stdout carries MCP protocol messages only — whatever tools or libraries print."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from zen_core.testing.fake_llm import FakeLLM
from zen_core.testing.mcp import server_env
from zen_core.testing.pytest_plugin import ZenConfig

PROTOCOL = "2025-11-25"
HANDSHAKE = [
    {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {"protocolVersion": PROTOCOL, "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}},
    },
    {"jsonrpc": "2.0", "method": "notifications/initialized"},
]


def converse(env: dict[str, str], calls: list[dict[str, Any]]) -> tuple[list[str], dict[int, Any], str]:
    """Send the handshake and ``calls`` to ``zen serve`` as raw JSON-RPC lines; return every stdout line
    (each checked to be a JSON-RPC message), the replies by id, and stderr. stdin stays open until every
    reply is in: EOF would cancel calls still in flight."""
    messages = HANDSHAKE + calls
    expected = sum(1 for m in messages if "id" in m)
    proc = subprocess.Popen(
        [sys.executable, "-m", "zen_core.cli", "serve"],
        env=server_env(env),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    proc.stdin.write("".join(json.dumps(m) + "\n" for m in messages))
    proc.stdin.flush()
    lines: list[str] = []
    replies: dict[int, Any] = {}
    while len(replies) < expected:
        line = proc.stdout.readline()
        assert line, "server closed stdout early"
        lines.append(line)
        message = json.loads(line)  # every stdout line is a JSON-RPC message
        assert message["jsonrpc"] == "2.0"
        if "id" in message:
            replies[message["id"]] = message
    proc.stdin.close()
    proc.wait(timeout=30)
    return lines, replies, proc.stderr.read()


def test_stdout_carries_only_json_rpc(test_tools_env: dict[str, str]) -> None:
    lines, replies, stderr = converse(
        test_tools_env,
        [
            {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
            {
                "jsonrpc": "2.0",
                "id": 3,
                "method": "tools/call",
                "params": {"name": "steps", "arguments": {"steps": 2}, "_meta": {"progressToken": "p1"}},
            },
            {"jsonrpc": "2.0", "id": 4, "method": "tools/call", "params": {"name": "boom", "arguments": {}}},
        ],
    )
    assert not any("stray print" in line for line in lines)
    assert "stderr noise 2" in stderr
    progress = [json.loads(x) for x in lines if '"notifications/progress"' in x]
    assert [p["params"]["progress"] for p in progress] == [1, 2]
    assert replies[3]["result"]["content"][0]["text"] == "done 2 steps"
    assert replies[4]["result"]["isError"] is True


@pytest.mark.zen_plugins("zen-tool-chat")
def test_failing_provider_call_prints_nothing_on_stdout(
    zen_env: dict[str, str], zen_config: ZenConfig, fake_llm: FakeLLM
) -> None:
    """LiteLLM prints to stdout on errors unless silenced; over stdio that would corrupt the protocol."""
    failing = fake_llm.model("fails", status=500, error_message="upstream exploded")
    unpriced = fake_llm.model("unpriced", text="fine")  # no price: LiteLLM's cost lookup also likes to print
    zen_config.write("models.yaml", {"models": {"bad": fake_llm.entry(failing), "odd": fake_llm.entry(unpriced)}})
    zen_config.write("limits.yaml", {"llm": {"num_retries": 0}})
    _, replies, _ = converse(
        zen_env,
        [
            {
                "jsonrpc": "2.0",
                "id": 2,
                "method": "tools/call",
                "params": {"name": "chat", "arguments": {"prompt": "hi", "model": "bad"}},
            },
            {
                "jsonrpc": "2.0",
                "id": 3,
                "method": "tools/call",
                "params": {"name": "chat", "arguments": {"prompt": "hi", "model": "odd"}},
            },
        ],
    )
    failed = replies[2]["result"]
    assert failed["isError"] is True
    assert "HTTP 500 from provider" in failed["content"][0]["text"]
    assert "upstream exploded" in failed["content"][0]["text"]
    assert replies[3]["result"]["isError"] is False
