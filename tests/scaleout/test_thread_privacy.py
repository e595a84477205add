"""Over HTTP with API keys, `threads` lists only the caller's own conversations."""

from __future__ import annotations

from typing import Any

import pytest

from zen_core.builtins.keys import KeyFile
from zen_core.testing.fake_llm import FakeLLM
from zen_core.testing.mcp import HTTPServerProcess, http_client
from zen_core.testing.pytest_plugin import ZenConfig

pytestmark = pytest.mark.zen_plugins("zen-tool-chat")


async def test_each_key_sees_only_its_own_threads(
    zen_env: dict[str, str], zen_config: ZenConfig, fake_llm: FakeLLM
) -> None:
    zen_config.write("models.yaml", {"models": {"m": fake_llm.entry(fake_llm.model("priv"))}})
    keys = KeyFile(zen_config.dir)
    alice, bob = keys.add("alice"), keys.add("bob")
    async with HTTPServerProcess(zen_env) as server:
        async with http_client(server.url, api_key=alice) as client:
            started: Any = await client.call_tool("chat", {"prompt": "alice's secret plan", "model": "m"})
            assert started.is_error is False, started.content[0].text
            mine: Any = await client.call_tool("threads", {})
        async with http_client(server.url, api_key=bob) as client:
            theirs: Any = await client.call_tool("threads", {})
    thread = started.structured_content["data"]["continuation_id"]
    assert [t["id"] for t in mine.structured_content["data"]["threads"]] == [thread]
    assert theirs.structured_content["data"]["threads"] == []
    assert "alice's secret plan" not in theirs.content[0].text
