"""End-to-end tests: a real ``zen serve`` loads this plugin through its entry point, a real MCP client
calls the tool, and LiteLLM's real HTTP path reaches the loopback fake LLM from ``zen_core.testing``."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest
from zen_core.testing.mcp import server_env, stdio_client

# Test servers load only this plugin (the entry point name in pyproject.toml), whatever else is installed.
pytestmark = pytest.mark.zen_plugins("{{ cookiecutter.plugin_slug }}")

TOOL = "{{ cookiecutter.tool_name }}"


async def test_tool_is_served_with_its_schema(zen_env: dict[str, str]) -> None:
    async with stdio_client(zen_env) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
        assert TOOL in tools, f"{TOOL} not in tools/list: {sorted(tools)}"
        schema = tools[TOOL].input_schema
        assert schema["required"] == ["text"]
        assert set(schema["properties"]) == {"text", "model"}
        assert "description" not in schema and "title" not in schema  # the docstring costs agents no tokens

        missing = await client.call_tool(TOOL, {})
        assert missing.is_error is True
        assert "text" in missing.content[0].text


async def test_tool_asks_the_model_and_reports_progress(
    zen_env: dict[str, str], zen_config: Any, fake_llm: Any
) -> None:
    model = fake_llm.model(text="Seven words, and all of them good.")
    zen_config.write("models.yaml", {"models": {"test-model": fake_llm.entry(model)}})
    progress: list[tuple[float, float | None, str | None]] = []

    async def on_progress(done: float, total: float | None, message: str | None) -> None:
        progress.append((done, total, message))

    async with stdio_client(zen_env) as client:
        result = await client.call_tool(
            TOOL, {"text": "count these four words", "model": "test-model"}, progress_callback=on_progress
        )

    assert result.is_error is False, result.content[0].text
    assert result.content[0].text == "Seven words, and all of them good."
    assert result.structured_content["data"] == {"answer": "Seven words, and all of them good.", "words": 4}
    sent = fake_llm.last_request(model)["messages"]
    assert sent[0]["role"] == "system"
    assert sent[-1] == {"role": "user", "content": "count these four words"}
    assert progress == [(0, 2, "asking test-model"), (2, 2, "done")]


def test_zen_plugins_lists_the_plugin(zen_env: dict[str, str]) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "zen_core.cli", "plugins", "--json"],
        env=server_env(zen_env),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    plugins = {info["name"]: info for info in json.loads(out.stdout)}
    info = plugins["{{ cookiecutter.plugin_slug }}"]
    assert info["distribution"] == "{{ cookiecutter.project_slug }}"
    assert info["tools"] == [TOOL]
    assert info["error"] is None
