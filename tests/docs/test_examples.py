"""The plugin examples that docs/plugins/*.md embed, run for real: one ``zen serve`` loads all three
(tool, middleware, model source), a real MCP client calls the tool, and LiteLLM reaches the fake LLM
through the model the example source defined. This is also the test of each of the three hooks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from zen_core.testing.mcp import stdio_client

EXAMPLES = Path(__file__).parent / "examples"
MODULES = ["docs_haiku_tool", "docs_size_guard", "docs_gateway_source"]


async def test_doc_examples_work_together(zen_env: dict[str, str], zen_config: Any, fake_llm: Any) -> None:
    upstream = fake_llm.model("haiku", text="old pond\na frog jumps in\nsplash")
    zen_config.write("gateway.yaml", {"gateway": {"url": fake_llm.base_url, "models": [upstream]}})
    env = {**zen_env, "PYTHONPATH": str(EXAMPLES), "GATEWAY_KEY": "secret-from-env"}
    progress: list[tuple[float, float | None, str | None]] = []

    async def on_progress(done: float, total: float | None, message: str | None) -> None:
        progress.append((done, total, message))

    async with stdio_client(env, extra_plugins=MODULES) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
        assert tools["haiku"].input_schema["required"] == ["topic", "model"]
        assert tools["haiku"].annotations.title == "Haiku"

        models = await client.call_tool("listmodels", {})
        assert f"gw-{upstream}" in models.content[0].text  # the model source's model is offered

        result = await client.call_tool(
            "haiku", {"topic": "frogs", "model": f"gw-{upstream}"}, progress_callback=on_progress
        )
        assert result.is_error is False, result.content[0].text
        assert result.structured_content["data"] == {"haiku": ["old pond", "a frog jumps in", "splash"]}
        assert result.structured_content["metadata"]["size_guard"] == {
            "argument_chars": len('{"topic": "frogs", "model": "gw-' + upstream + '"}')
        }
        assert progress == [(0, 1, f"asking gw-{upstream}"), (1, 1, "done")]

        too_big = await client.call_tool("haiku", {"topic": "x" * 3000, "model": f"gw-{upstream}"})
        assert too_big.is_error is True
        assert "the limit is 2000" in too_big.content[0].text
        assert too_big.structured_content["data"]["error"]["code"] == "arguments_too_large"

    sent = fake_llm.last_request(upstream)
    assert sent["messages"][-1] == {"role": "user", "content": "frogs"}
    assert sent["temperature"] == 0.9
    assert fake_llm.calls(upstream) == 1  # the oversized call never reached the model
