"""The `threads` tool and `zen threads`: find a conversation again after the agent's context was cleared."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from zen_core.settings import Settings
from zen_core.store import Turn, open_store
from zen_core.testing.mcp import in_own_task, server_env, stdio_client, zen_command


@pytest.fixture
async def seeded(zen_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Two conversations written to the server's SQLite store before the server starts."""
    for key, value in zen_env.items():
        monkeypatch.setenv(key, value)
    store = open_store(Settings(zen_env["ZEN_CONFIG_DIR"]))
    ids = []
    try:
        for tool, prompt in (("chat", "Is this migration safe?"), ("consensus", "Should we adopt Rust?")):
            thread = await store.threads.create(tool, initial_context={"prompt": prompt})
            await store.threads.add_turn(thread.id, Turn(role="user", content=prompt, tool=tool))
            await store.threads.add_turn(thread.id, Turn(role="assistant", content="answer", tool=tool, model="m1"))
            ids.append(thread.id)
    finally:
        await store.aclose()
    return ids


async def test_threads_tool_lists_recent_conversations(zen_env: dict[str, str], seeded: list[str]) -> None:
    async with in_own_task(stdio_client(zen_env)) as client:
        result: Any = await client.call_tool("threads", {"limit": 5})
    assert result.is_error is False
    listed = result.structured_content["data"]["threads"]
    assert [t["id"] for t in listed] == list(reversed(seeded))  # most recent first
    assert listed[0]["tool"] == "consensus"
    assert listed[0]["first_prompt"] == "Should we adopt Rust?"
    assert listed[0]["models"] == ["m1"]
    text = result.content[0].text
    assert seeded[0] in text and "Is this migration safe?" in text
    assert "Pass a continuation_id to any tool" in text


def test_zen_threads_cli(zen_env: dict[str, str], seeded: list[str]) -> None:
    proc = subprocess.run(
        zen_command("threads", "--json"),
        env=server_env(zen_env),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert [t["id"] for t in json.loads(proc.stdout)] == list(reversed(seeded))
    table = subprocess.run(
        zen_command("threads"),
        env=server_env(zen_env),
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    assert table.splitlines()[0].startswith("CONTINUATION ID")
    assert seeded[1] in table
