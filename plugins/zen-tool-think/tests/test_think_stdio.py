"""The think tools the way agents run Zen: ``zen serve`` over stdio (both client eras), what tools/list
says about them, their cost in tokens, conversations continued by chat, and a store failing on Redis."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from conftest import model_entry
from think_cases import BY_TOOL, SOURCE, TOOLS, make_file, ok, text, user_text

from zen_core.testing.fake_llm import FakeLLM
from zen_core.testing.llm_fixtures import TEST_LIMITS
from zen_core.testing.mcp import HTTPServerProcess, http_client, server_env, stdio_client, zen_command
from zen_core.testing.redis_server import RedisServer

pytestmark = pytest.mark.zen_plugins("think")

COMMON = ["prompt", "files", "model", "continuation_id"]
#: tool → (its input properties in order, the required ones, its answer's fields).
SCHEMAS: dict[str, tuple[list[str], list[str], list[str]]] = {
    "debug": ([*COMMON, "thinking_mode", "error"], ["prompt"], ["summary", "hypotheses", "missing"]),
    "thinkdeep": (
        [*COMMON, "thinking_mode"],
        ["prompt"],
        ["summary", "right", "missing", "risks", "alternatives", "recommendation"],
    ),
    "analyze": ([*COMMON, "thinking_mode", "focus"], ["files"], ["summary", "components", "findings"]),
    "refactor": ([*COMMON, "kind"], ["files"], ["summary", "refactorings"]),
    "testgen": (COMMON, ["files"], ["framework", "summary", "test_file", "cases", "code"]),
    "docgen": (COMMON, ["files"], ["style", "summary", "docs"]),
    "tracer": ([*COMMON, "symbol", "mode"], ["files", "symbol"], ["summary", "entry", "steps", "unresolved"]),
}
RESULT = ["continuation_id", "model_used", "usage", "cost_usd"]


def configure(zen_config: Any, fake: FakeLLM, **models: str) -> None:
    """Zen model name → the fake's model name; cache off so every call reaches the fake."""
    entries = {alias: model_entry(fake, name) for alias, name in models.items()}
    zen_config.write("models.yaml", {"models": entries})
    zen_config.write("limits.yaml", {**TEST_LIMITS, "cache": {"enabled": False}})


@pytest.mark.parametrize("era", [{"mode": "legacy"}, {}], ids=["legacy", "2026-07-28"])
async def test_tools_over_stdio(
    zen_env: dict[str, str], zen_config: Any, fake_llm: FakeLLM, tmp_path: Path, era: dict[str, Any]
) -> None:
    thinker = fake_llm.model("thinker", text=BY_TOOL["thinkdeep"].reply())
    writer = fake_llm.model("writer", text=BY_TOOL["docgen"].reply())
    analyst = fake_llm.model("analyst", text=BY_TOOL["analyze"].reply())
    configure(zen_config, fake_llm, thinker=thinker, writer=writer, analyst=analyst)
    # The plugin's default model, and tools' own models.
    settings = {"default_model": "thinker", "models": {"docgen": "writer", "analyze": "analyst"}}
    zen_config.write("think.yaml", {"plugins": {"zen-tool-think": settings}})
    # The user's own prompts: thinkdeep's instructions, and what analyze's security focus looks at.
    overrides = {
        "thinkdeep": {"system": "You are a terse staff engineer."},
        "analyze": {"focus": {"security": "SSRF only"}},
    }
    zen_config.write("prompts.yaml", {"prompts": overrides})
    zen_env["ZEN_FILES__ALLOWED_ROOTS"] = str(tmp_path)
    source = make_file(tmp_path / "src" / "app.py", SOURCE)
    async with stdio_client(zen_env, **era) as client:
        listed = {t.name: t for t in (await client.list_tools()).tools}
        assert set(TOOLS) <= set(listed)
        for name, (properties, required, answer) in SCHEMAS.items():
            tool = listed[name]
            schema = tool.input_schema
            assert list(schema["properties"]) == properties, name
            assert schema.get("required", []) == required, name
            assert schema["additionalProperties"] is False
            assert "title" not in schema and "description" not in schema
            data = tool.output_schema["properties"]["data"]
            assert data["required"] == RESULT + answer, name
            assert tool.meta == {"anthropic/maxResultSizeChars": 100_000}
            hints = tool.annotations
            assert hints is not None and hints.title
            assert (hints.read_only_hint, hints.destructive_hint, hints.idempotent_hint, hints.open_world_hint) == (
                True,
                False,
                False,
                True,
            ), name
        assert listed["thinkdeep"].input_schema["properties"]["thinking_mode"]["default"] == "high"
        assert listed["analyze"].input_schema["properties"]["focus"]["default"] == "general"

        deep = await client.call_tool("thinkdeep", {"prompt": "Is a module-level cache fine?"})
        docs = await client.call_tool("docgen", {"files": [str(source)]})
        analysis = await client.call_tool("analyze", {"files": [str(source)], "focus": "security"})
    body = ok(deep)
    assert body["model_used"] == "thinker" and body["reasoning_effort"] == "high"
    assert body["recommendation"] == "Key the cache by (path, mtime) and bound it."
    sent = fake_llm.last_request(thinker)
    assert sent["reasoning_effort"] == "high"
    # An overridden system prompt keeps the answer format the parser relies on.
    assert sent["messages"][0]["content"].startswith("You are a terse staff engineer.\n\nAnswer with one JSON object")
    assert ok(analysis)["model_used"] == "analyst"
    assert "Focus: security — SSRF only." in user_text(fake_llm.last_request(analyst))
    assert "analysing a codebase" in fake_llm.last_request(analyst)["messages"][0]["content"]  # its own system
    assert ok(docs)["model_used"] == "writer" and ok(docs)["style"] == "Google"
    assert "THINK_MARKER" in user_text(fake_llm.last_request(writer))


def test_token_budget() -> None:
    """Every tool's schema costs at most 250 tokens in `zen tools`, the seven together at most 1,400."""
    env = server_env({"ZEN_LOAD_PLUGINS": "think", "ZEN_LOG_LEVEL": "WARNING"})
    out = subprocess.run(
        zen_command("tools", "--json"),
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    rows = {row["name"]: row for row in json.loads(out.stdout) if row["plugin"] == "zen-tool-think"}
    assert sorted(rows) == sorted(TOOLS)
    costs = {name: row["schema_tokens"] for name, row in rows.items()}
    assert all(0 < cost <= 250 for cost in costs.values()), costs
    assert sum(costs.values()) <= 1400, costs
    for row in rows.values():  # one sentence that says when to use the tool
        assert row["description"].count(". ") == 0 and row["description"].endswith("."), row["description"]


def test_registered_from_its_distribution(zen_host: Any) -> None:
    for name in TOOLS:
        entry = zen_host.tools[name]
        assert entry.distribution == "zen-tool-think" and not entry.builtin


async def test_disabling_the_plugin_removes_all_seven(zen_env: dict[str, str]) -> None:
    async with stdio_client({**zen_env, "ZEN_DISABLE_PLUGINS": "think"}) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
    assert not set(TOOLS) & names and "listmodels" in names


needs_chat = pytest.mark.skipif(importlib.util.find_spec("zen_tool_chat") is None, reason="zen-tool-chat missing")


@needs_chat
@pytest.mark.zen_plugins("think", "zen-tool-chat")
async def test_chat_continues_a_debug_session_and_thinkdeep_continues_a_chat(
    zen_env: dict[str, str], zen_config: Any, fake_llm: FakeLLM, tmp_path: Path
) -> None:
    debugger = fake_llm.model("debugger", text=BY_TOOL["debug"].reply())
    helper = fake_llm.model("helper", text="Follow-up from chat.")
    thinker = fake_llm.model("deep", text=BY_TOOL["thinkdeep"].reply())
    configure(zen_config, fake_llm, debugger=debugger, helper=helper, deep=thinker)
    zen_env["ZEN_FILES__ALLOWED_ROOTS"] = str(tmp_path)
    source = make_file(tmp_path / "src" / "app.py", SOURCE)
    async with stdio_client(zen_env) as client:
        debug = ok(
            await client.call_tool(
                "debug", {"prompt": "load() raises KeyError", "files": [str(source)], "model": "debugger"}
            )
        )
        cid = debug["continuation_id"]
        chat = ok(
            await client.call_tool(
                "chat", {"prompt": "Write the fix for hypothesis 1.", "model": "helper", "continuation_id": cid}
            )
        )
        assert chat["continuation_id"] == cid
        seen = user_text(fake_llm.last_request(helper))
        assert "--- Turn 1 (user via debug) ---\nFiles referenced: " + str(source) in seen
        assert "Problem:\nload() raises KeyError" in seen
        assert "--- Turn 2 (assistant, debugger via debug) ---" in seen
        assert "1. [high] The JSON lacks 'items' for empty exports\n   - app.py:7: indexes" in seen
        assert seen.count("THINK_MARKER") == 1  # the debug call's file, embedded again for chat
        assert seen.rstrip().endswith("Write the fix for hypothesis 1.")

        # The other way round: thinkdeep continues the (now debug + chat) conversation.
        deep = ok(
            await client.call_tool(
                "thinkdeep", {"prompt": "Is that fix enough?", "model": "deep", "continuation_id": cid}
            )
        )
        assert deep["continuation_id"] == cid and deep["history"] == {"turns": 4, "omitted_turns": 0}
        seen = user_text(fake_llm.last_request(thinker))
        assert "--- Turn 4 (assistant, helper via chat) ---\nFollow-up from chat." in seen
        assert seen.rstrip().endswith("=== REQUEST ===\nIs that fix enough?")


@pytest.mark.redis
async def test_an_answer_paid_for_is_returned_when_the_store_fails(
    zen_env: dict[str, str], zen_config: Any, fake_llm: FakeLLM
) -> None:
    slow = fake_llm.model("slowdeep", text=BY_TOOL["thinkdeep"].reply(), latency_s=1.5)
    configure(zen_config, fake_llm, slow=slow)
    with RedisServer() as redis:
        async with HTTPServerProcess({**zen_env, "ZEN_REDIS_URL": redis.url}) as server:
            async with http_client(server.url) as client:
                call = asyncio.ensure_future(client.call_tool("thinkdeep", {"prompt": "worth it?", "model": "slow"}))
                await asyncio.sleep(0.7)  # the model is answering: Redis goes down before the answer is stored
                redis.stop()
                result: Any = await call
    body = ok(result)
    assert body["recommendation"] == "Key the cache by (path, mtime) and bound it."
    assert body["continuation_id"] == ""
    assert "is redis-server running?" in body["not_saved"] and "cannot be continued" in body["not_saved"]
    assert "Recommendation: Key the cache" in text(result)
    assert f"Not saved: {body['not_saved']}" in text(result) and "continuation_id:" not in text(result)
    assert fake_llm.calls(slow) == 1
