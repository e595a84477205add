"""The apilookup tool: offered only with a model that can search the web; web_search_options reach the
provider through LiteLLM (the loopback fake LLM records them)."""

from __future__ import annotations

from typing import Any

import pytest
from planner_helpers import PLAIN, SEARCHES, configure, data, error, messages, text
from zen_tool_planner.apilookup import sources_of

from zen_core.testing.fake_llm import FakeLLM
from zen_core.testing.mcp import stdio_client

pytestmark = pytest.mark.zen_plugins("apilookup")

ANSWER = (
    "httpx 0.28 removed the `app=` shortcut; see https://www.python-httpx.org/advanced/transports/ and use:\n"
    "```python\nhttpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url='http://test')\n```\n"
    "SOURCES:\nhttps://www.python-httpx.org/changelog/\nhttps://github.com/encode/httpx/releases/tag/0.28.0."
)
NOT_OFFERED = "no usable model can search the web; mark one in models.yaml with supports_web_search: true"


async def tool_names(client: Any) -> set[str]:
    return {t.name for t in (await client.list_tools()).tools}


@pytest.mark.zen_plugins("apilookup", "zen-tool-chat")
async def test_offered_only_with_a_web_search_model(
    zen_env: dict[str, str], zen_config: Any, fake_llm: FakeLLM
) -> None:
    # Server 1: no model can search the web: the tool is not listed, and listmodels says why.
    names = configure(zen_config, fake_llm, plain={"text": "no search here", "entry": {**PLAIN, "score": 90}})
    async with stdio_client(zen_env) as client:
        assert "apilookup" not in await tool_names(client) and "chat" in await tool_names(client)
        listing = await client.call_tool("listmodels", {})
        assert data(listing)["tools_not_offered"]["apilookup"].startswith(NOT_OFFERED)
        assert f"Tools not offered (1):\n- apilookup: {NOT_OFFERED}" in text(listing)
        refused = await client.call_tool("apilookup", {"query": "httpx AsyncClient app="})
        assert error(refused)["code"] == "tool_not_offered"
    assert fake_llm.calls(names["plain"]) == 0

    # Server 2: one model can (configured so): the tool is listed and uses it, with web_search_options.
    names = configure(
        zen_config,
        fake_llm,
        settings={"search_context_size": "high"},
        plain={"text": "no search here", "entry": {**PLAIN, "score": 90}},
        searcher={"text": ANSWER, "entry": {**SEARCHES, "score": 40}},
        helper={"text": "Use ASGITransport."},
    )
    async with stdio_client(zen_env) as client:
        assert "apilookup" in await tool_names(client)
        assert "Tools not offered" not in text(await client.call_tool("listmodels", {}))
        result = await client.call_tool("apilookup", {"query": "httpx AsyncClient app= in the latest release"})
        body = data(result)
        assert body["model_used"] == "searcher"  # the one that searches, not the best-scored one
        assert body["answer"] == ANSWER
        assert body["sources"] == [
            "https://www.python-httpx.org/changelog/",
            "https://github.com/encode/httpx/releases/tag/0.28.0",
        ]
        assert body["search_context_size"] == "high" and body["usage"]["total_tokens"] > 0
        assert text(result).startswith(ANSWER + "\n\n---\nmodel searcher · ")
        sent = fake_llm.last_request(names["searcher"])
        assert sent["web_search_options"] == {"search_context_size": "high"}
        assert "model_info" not in sent and "supports_web_search" not in sent  # Zen's flag stays local
        system, user = messages(sent)
        assert "never invent an API" in system
        assert user.endswith("httpx AsyncClient app= in the latest release")

        wrong = await client.call_tool("apilookup", {"query": "q", "model": "plain"})
        assert error(wrong)["code"] == "no_web_search"
        assert "Model 'plain' cannot search the web. Models that can: searcher." in text(wrong)
        assert fake_llm.calls(names["plain"]) == 0

        chat = data(
            await client.call_tool(
                "chat",
                {"prompt": "So what do I change?", "model": "helper", "continuation_id": body["continuation_id"]},
            )
        )
        assert chat["continuation_id"] == body["continuation_id"]
        _, seen = messages(fake_llm.last_request(names["helper"]))
        assert "Look up: httpx AsyncClient app= in the latest release" in seen and "ASGITransport(app=app)" in seen


def test_sources_come_from_the_sources_section_else_from_outside_code() -> None:
    listed = "See https://a.example/x.\n**Sources:** https://b.example/y\n- https://c.example/z)."
    assert sources_of(listed) == ["https://b.example/y", "https://c.example/z"]
    prose = "Docs: https://a.example/x, and\n```\nclient = Client(base_url='http://test')\n```\nhttps://a.example/x"
    assert sources_of(prose) == ["https://a.example/x"]
    assert sources_of("no links at all") == []


@pytest.mark.parametrize(
    ("model", "flag", "offered"),
    [
        ("gemini/gemini-2.5-pro", None, True),  # LiteLLM's model info: supports_web_search
        ("openai/gpt-4o-search-preview", None, True),  # an OpenAI search model
        ("openai/gpt-5", None, False),  # flagged by LiteLLM for the Responses API only
        ("gemini/gemini-2.5-pro", False, False),  # the configuration wins
        ("openai/my-local-search", True, True),
    ],
)
async def test_litellm_model_info_or_the_configuration_decides(
    zen_env: dict[str, str],
    zen_config: Any,
    request: pytest.FixtureRequest,
    model: str,
    flag: bool | None,
    offered: bool,
) -> None:
    zen_env["ZEN_ALLOWED_MODELS"] = "m"  # only this model: the packaged ones stay out whatever keys are set
    entry: dict[str, Any] = {"model": model, "api_key": "k", "api_base": "http://127.0.0.1:9/v1"}
    if flag is not None:
        entry["supports_web_search"] = flag
    zen_config.write("models.yaml", {"models": {"m": entry}})
    host = request.getfixturevalue("zen_host")  # built now, from the config just written
    assert ("apilookup" in host.tools) is offered
    listing = await host.dispatcher().call("listmodels", {})
    assert ("apilookup" in listing.data.get("tools_not_offered", {})) is not offered


async def test_provider_error_and_bad_arguments(zen_env: dict[str, str], zen_config: Any, fake_llm: FakeLLM) -> None:
    configure(
        zen_config,
        fake_llm,
        searcher={"status": 502, "error_message": "search backend down", "entry": SEARCHES},
        empty={"text": "  ", "entry": SEARCHES},
    )
    async with stdio_client(zen_env) as client:
        failed = await client.call_tool("apilookup", {"query": "q", "model": "searcher"})
        assert error(failed)["status_code"] == 502 and "search backend down" in text(failed)
        blank = await client.call_tool("apilookup", {"query": "q", "model": "empty"})
        assert error(blank)["code"] == "bad_model_output"
        for arguments, field in (({}, "query"), ({"query": "q", "url": "x"}, "url")):
            assert field in error(await client.call_tool("apilookup", arguments))["message"]


@pytest.mark.parametrize("era", [{"mode": "legacy"}, {}], ids=["legacy", "2026-07-28"])
async def test_listing_annotations_and_output_schema(
    zen_env: dict[str, str], zen_config: Any, fake_llm: FakeLLM, era: dict[str, Any]
) -> None:
    names = configure(zen_config, fake_llm, searcher={"text": ANSWER, "entry": SEARCHES})
    async with stdio_client(zen_env, **era) as client:
        tool = next(t for t in (await client.list_tools()).tools if t.name == "apilookup")
        assert set(tool.input_schema["properties"]) == {"query", "model", "continuation_id"}
        hints = tool.annotations
        assert hints is not None and hints.title == "Look up current API docs"
        assert (hints.read_only_hint, hints.destructive_hint, hints.idempotent_hint, hints.open_world_hint) == (
            True,
            False,
            False,
            True,
        )
        schema = tool.output_schema["properties"]["data"]
        assert schema["required"] == ["answer", "sources", "continuation_id"]
        assert tool.meta == {"anthropic/maxResultSizeChars": 100_000}
        body = data(await client.call_tool("apilookup", {"query": "httpx"}))
    assert body["model_used"] == "searcher" and body["search_context_size"] == "medium"
    assert fake_llm.last_request(names["searcher"])["web_search_options"] == {"search_context_size": "medium"}
