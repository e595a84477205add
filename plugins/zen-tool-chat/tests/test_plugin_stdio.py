"""The chat plugin the way agents run Zen: ``zen serve`` over stdio; and switched off."""

from __future__ import annotations

from typing import Any

import pytest

from zen_core.testing.mcp import stdio_client

pytestmark = pytest.mark.zen_plugins("zen-tool-chat")


async def tool_names(client: Any) -> set[str]:
    return {tool.name for tool in (await client.list_tools()).tools}


@pytest.mark.parametrize("era", [{"mode": "legacy"}, {}], ids=["legacy", "2026-07-28"])
async def test_chat_over_stdio(zen_env: dict[str, str], zen_config: Any, fake_llm: Any, era: dict[str, Any]) -> None:
    name = fake_llm.model("stdio", text="answer over stdio")
    zen_config.write("models.yaml", {"models": {"buddy": fake_llm.entry(name, context_window=8000)}})
    zen_config.write("limits.yaml", {"llm": {"num_retries": 0}, "cache": {"enabled": False}})
    zen_config.write("chat.yaml", {"plugins": {"zen-tool-chat": {"default_model": "buddy"}}})
    async with stdio_client(zen_env, **era) as client:
        tools = (await client.list_tools()).tools
        chat = next(t for t in tools if t.name == "chat")
        assert "prompt" in chat.input_schema["properties"]
        assert chat.input_schema["additionalProperties"] is False
        # the whole answer is in structuredContent (Claude Code shows the model only that), and says so
        answer, handle = chat.output_schema["properties"]["data"]["anyOf"]  # the answer, or a background job
        assert answer["required"] == ["answer", "continuation_id"] and handle["required"] == ["job_id"]
        assert chat.meta == {"anthropic/maxResultSizeChars": 100_000}
        hints = chat.annotations  # read-only, never destructive, not idempotent (answers vary), open world
        assert hints is not None and hints.title == "Chat with another model"
        assert (hints.read_only_hint, hints.destructive_hint, hints.idempotent_hint, hints.open_world_hint) == (
            True,
            False,
            False,
            True,
        )
        result = await client.call_tool("chat", {"prompt": "hello?"})  # model from plugins.zen-tool-chat
    assert not result.is_error, result.content
    body = result.structured_content["data"]
    assert body["answer"] == "answer over stdio" and body["model_used"] == "buddy"
    assert fake_llm.calls(name) == 1


async def test_disabled_plugin_removes_chat(zen_env: dict[str, str]) -> None:
    async with stdio_client({**zen_env, "ZEN_DISABLE_PLUGINS": "chat"}) as client:
        names = await tool_names(client)
    assert "chat" not in names and "listmodels" in names


@pytest.mark.zen_plugins("some-other-plugin")
def test_chat_absent_unless_selected(zen_host: Any) -> None:
    assert "chat" not in zen_host.tools


def test_chat_registered_from_its_distribution(zen_host: Any) -> None:
    entry = zen_host.tools["chat"]
    assert entry.distribution == "zen-tool-chat" and not entry.builtin
