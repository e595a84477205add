"""MCP resources: an agent whose context was cleared finds its conversations (and reads one whole), the
models it may use and its usage — each key only its own."""

from __future__ import annotations

from typing import Any

import pytest
from mcp.shared.exceptions import MCPError

from zen_core.builtins.keys import KeyFile
from zen_core.testing.fake_llm import FakeLLM
from zen_core.testing.mcp import HTTPServerProcess, http_client, stdio_client
from zen_core.testing.pytest_plugin import ZenConfig

pytestmark = pytest.mark.zen_plugins("zen-tool-chat")
ERAS = [pytest.param({"mode": "legacy"}, id="legacy"), pytest.param({}, id="2026-07-28")]


def text(result: Any) -> str:
    return str(result.contents[0].text)


@pytest.mark.parametrize("era", ERAS)
async def test_resources_over_stdio_recover_a_conversation(
    zen_env: dict[str, str], zen_config: ZenConfig, fake_llm: FakeLLM, era: dict[str, Any]
) -> None:
    model = fake_llm.model("res", text="use a queue")
    zen_config.write("models.yaml", {"models": {"m": fake_llm.entry(model)}})
    async with stdio_client(zen_env, **era) as client:
        started = await client.call_tool("chat", {"prompt": "how do we scale the importer?", "model": "m"})
        thread = started.structured_content["data"]["continuation_id"]
        listed = {str(r.uri): r for r in (await client.list_resources()).resources}
        templates = [t.uri_template for t in (await client.list_resource_templates()).resource_templates]
        threads = text(await client.read_resource("zen://threads"))
        whole = text(await client.read_resource(f"zen://threads/{thread}"))
        models = text(await client.read_resource("zen://models"))
        with pytest.raises(MCPError) as unknown:
            await client.read_resource("zen://threads/00000000-0000-0000-0000-000000000000")
    assert {"zen://threads", "zen://models", "zen://usage", f"zen://threads/{thread}"} <= set(listed)
    assert listed[f"zen://threads/{thread}"].title == "chat: how do we scale the importer?"
    assert templates == ["zen://threads/{continuation_id}"]
    assert thread in threads and "how do we scale the importer?" in threads
    assert f"continuation_id: {thread}" in whole
    assert "--- Turn 1 (user via chat) ---\nhow do we scale the importer?" in whole
    assert "--- Turn 2 (assistant, m via chat) ---\nuse a queue" in whole
    assert '"name": "m"' in models
    assert "was not found" in unknown.value.message


@pytest.mark.parametrize("era", ERAS)
async def test_resources_over_http_are_the_keys_own(
    zen_env: dict[str, str], zen_config: ZenConfig, fake_llm: FakeLLM, era: dict[str, Any]
) -> None:
    model = fake_llm.model("res-http", text="noted")
    zen_config.write("models.yaml", {"models": {"m": fake_llm.entry(model), "n": fake_llm.entry(model)}})
    keys = KeyFile(zen_config.dir)
    alice, bob = keys.add("alice"), keys.add("bob", models=["n"])
    async with HTTPServerProcess(zen_env) as server:
        async with http_client(server.url, api_key=alice, **era) as client:
            started = await client.call_tool("chat", {"prompt": "alice's plan", "model": "m"})
            thread = started.structured_content["data"]["continuation_id"]
        async with http_client(server.url, api_key=bob, **era) as client:
            bobs = {str(r.uri) for r in (await client.list_resources()).resources}
            threads = text(await client.read_resource("zen://threads"))
            models = text(await client.read_resource("zen://models"))
            with pytest.raises(MCPError) as refused:
                await client.read_resource(f"zen://threads/{thread}")
    assert f"zen://threads/{thread}" not in bobs
    assert "alice's plan" not in threads and threads == "No active conversations."
    assert "not allowed for API key 'bob'" in models
    assert "was not found" in refused.value.message and "alice's plan" not in refused.value.message
