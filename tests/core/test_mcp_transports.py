"""The MCP server through the SDK's real client, over stdio and Streamable HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from zen_core.testing.mcp import HTTPServerProcess, http_client, in_own_task, stdio_client


@pytest.fixture(params=["stdio", "http"])
async def client(request: pytest.FixtureRequest, test_tools_env: dict[str, str]) -> AsyncIterator[Any]:
    if request.param == "stdio":
        async with in_own_task(stdio_client(test_tools_env)) as c:
            yield c
    else:
        async with HTTPServerProcess(test_tools_env) as server, in_own_task(http_client(server.url)) as c:
            yield c


async def test_tools_list_serves_plugin_and_builtin_tools(client: Any) -> None:
    tools = {t.name: t for t in (await client.list_tools()).tools}
    assert {"echo", "boom", "steps", "listmodels", "version"} <= set(tools)
    schema = tools["echo"].input_schema
    assert schema["required"] == ["text"]
    assert schema["properties"]["text"]["description"] == "Text to echo back"
    assert "request_id" not in schema["properties"]
    assert tools["listmodels"].annotations.read_only_hint is True


async def test_tools_call_returns_text_and_structured_content(client: Any) -> None:
    result = await client.call_tool("echo", {"text": "ab", "times": 2})
    assert result.is_error is False
    assert result.structured_content["status"] == "success"
    assert result.structured_content["data"]["text"] == "abab"
    # the host fills request_id in the request and the response alike
    assert result.structured_content["data"]["request_id"] == result.structured_content["request_id"]
    assert result.structured_content["metadata"]["trace_id"]
    assert '"abab"' in result.content[0].text


async def test_bad_arguments_name_every_field_and_the_fix(client: Any) -> None:
    result = await client.call_tool("echo", {"times": 9, "colour": "red"})
    assert result.is_error is True
    text = result.content[0].text
    assert "Invalid arguments for tool 'echo'" in text
    assert '- text: Field required (add "text" (string))' in text
    assert "- times: Input should be less than or equal to 5 (got 9)" in text
    assert '- colour: Extra inputs are not permitted (remove "colour"; accepted fields: text, times)' in text
    fields = {e["field"] for e in result.structured_content["data"]["error"]["errors"]}
    assert fields == {"text", "times", "colour"}


async def test_exception_in_tool_is_an_error_result_and_server_keeps_serving(client: Any) -> None:
    result = await client.call_tool("boom", {})
    assert result.is_error is True
    assert result.content[0].text == "Tool 'boom' failed: RuntimeError: kaboom from a broken tool"
    refused = await client.call_tool("refuse", {})
    assert refused.is_error is True
    assert refused.content[0].text == "I refuse: set FOO to continue"
    assert refused.structured_content["data"]["error"]["code"] == "refused"
    again = await client.call_tool("echo", {"text": "still here"})
    assert again.structured_content["data"]["text"] == "still here"


async def test_unknown_tool_is_a_clear_error(client: Any) -> None:
    result = await client.call_tool("nope", {})
    assert result.is_error is True
    tools = "boom, cancel_job, echo, jobs, listmodels, refuse, steps, threads, usage, version"
    assert f"Unknown tool 'nope'. Available tools: {tools}." in result.content[0].text


async def test_progress_notifications_reach_the_client(client: Any) -> None:
    seen: list[tuple[float, float | None, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        seen.append((progress, total, message))

    result = await client.call_tool("steps", {"steps": 3}, progress_callback=on_progress)
    assert result.content[0].text == "done 3 steps"
    assert seen == [(1, 3, "step 1/3"), (2, 3, "step 2/3"), (3, 3, "step 3/3")]


async def test_prompts_offer_one_prompt_per_tool(client: Any) -> None:
    prompts = {p.name for p in (await client.list_prompts()).prompts}
    assert {"echo", "listmodels", "version"} <= prompts
    got = await client.get_prompt("echo", {"request": "say hi"})
    assert got.messages[0].content.text == "Use the `echo` tool of the zen MCP server for this: say hi"


async def test_listmodels_without_any_key_says_how_to_configure_one(client: Any) -> None:
    result = await client.call_tool("listmodels", {})
    assert result.is_error is False
    text = result.content[0].text
    assert "OPENAI_API_KEY" in text
    assert "models.yaml" in text


async def test_oversized_arguments_are_refused_with_the_limit_named(client: Any) -> None:
    result = await client.call_tool("echo", {"text": "x" * 1_000_100})
    assert result.is_error is True
    text = result.content[0].text
    assert "the limit is 1,000,000 bytes (setting server.max_arguments_bytes)" in text
    assert result.structured_content["data"]["error"]["code"] == "arguments_too_large"
