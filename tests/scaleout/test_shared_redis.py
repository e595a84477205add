"""Two `zen serve --http` instances sharing one real Redis behave as one service."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from zen_core.testing.fake_llm import FakeLLM
from zen_core.testing.mcp import HTTPServerProcess, http_client
from zen_core.testing.pytest_plugin import ZenConfig

pytestmark = [pytest.mark.redis, pytest.mark.zen_plugins("zen-tool-chat")]


@pytest.fixture
def models(fake_llm: FakeLLM) -> dict[str, str]:
    return {
        "plain": fake_llm.model("plain", echo=True),
        "limited": fake_llm.model("limited", text="limited answer"),
        "pricey": fake_llm.model("pricey", text="expensive", completion_tokens=100),
    }


@pytest.fixture
def instances(
    zen_env: dict[str, str],
    zen_config: ZenConfig,
    fake_llm: FakeLLM,
    models: dict[str, str],
    redis_url: str,
    tmp_path: Any,
) -> Iterator[tuple[HTTPServerProcess, HTTPServerProcess]]:
    zen_config.write(
        "models.yaml",
        {
            "models": {
                "plain": fake_llm.entry(models["plain"]),
                "limited": fake_llm.entry(models["limited"]),
                "pricey": fake_llm.entry(models["pricey"], input_cost_per_token=1e-7, output_cost_per_token=1e-3),
            }
        },
    )
    zen_config.write(
        "limits.yaml",
        {
            "llm": {"num_retries": 0},
            "rate_limits": {"max_wait_s": 0.3, "window_s": 3600, "per_model": {"limited": {"requests_per_minute": 3}}},
            "cache": {"enabled": True, "backend": "auto"},
            "budgets": {"daily_limit_usd": 0.05},
        },
    )
    env_a = {**zen_env, "ZEN_REDIS_URL": redis_url, "ZEN_DATA_DIR": str(tmp_path / "data-a")}
    env_b = {**zen_env, "ZEN_REDIS_URL": redis_url, "ZEN_DATA_DIR": str(tmp_path / "data-b")}
    with HTTPServerProcess(env_a) as a, HTTPServerProcess(env_b) as b:
        assert a.url != b.url
        yield a, b


async def chat(server: HTTPServerProcess, **arguments: Any) -> Any:
    async with http_client(server.url) as client:
        return await client.call_tool("chat", arguments)


async def test_conversation_started_on_a_continues_on_b(
    instances: tuple[HTTPServerProcess, HTTPServerProcess],
    fake_llm: FakeLLM,
    models: dict[str, str],
) -> None:
    a, b = instances
    first = await chat(a, prompt="remember the word zebra", model="plain")
    assert first.is_error is False, first.content[0].text
    thread = first.structured_content["data"]["continuation_id"]
    second = await chat(b, prompt="which word?", model="plain", continuation_id=thread)
    assert second.is_error is False, second.content[0].text
    assert second.structured_content["data"]["continuation_id"] == thread
    sent = str(fake_llm.last_request(models["plain"])["messages"])
    assert "remember the word zebra" in sent and "which word?" in sent


async def test_cache_written_by_a_is_hit_by_b(
    instances: tuple[HTTPServerProcess, HTTPServerProcess],
    fake_llm: FakeLLM,
    models: dict[str, str],
) -> None:
    a, b = instances
    first = await chat(a, prompt="cache me", model="plain")
    assert first.is_error is False, first.content[0].text
    for _ in range(50):  # LiteLLM writes the cache after answering; give it a moment
        second = await chat(b, prompt="cache me", model="plain")
        if fake_llm.calls(models["plain"]) == 1 and second.structured_content["data"]["answer"]:
            break
        await asyncio.sleep(0.1)
    assert fake_llm.calls(models["plain"]) == 1
    assert second.structured_content["data"]["answer"] == first.structured_content["data"]["answer"]


async def test_rate_limit_is_shared_by_both_instances(
    instances: tuple[HTTPServerProcess, HTTPServerProcess],
    fake_llm: FakeLLM,
    models: dict[str, str],
) -> None:
    a, b = instances
    for server, n in ((a, 1), (b, 2), (a, 3)):
        ok = await chat(server, prompt=f"question {n}", model="limited")
        assert ok.is_error is False, ok.content[0].text
    refused = await chat(b, prompt="question 4", model="limited")
    assert refused.is_error is True
    assert refused.structured_content["data"]["error"]["code"] == "rate_limited"
    limit = refused.structured_content["data"]["error"]["limit"]
    assert limit == "rate_limits.per_model.limited.requests_per_minute = 3"
    assert fake_llm.calls(models["limited"]) == 3


async def test_budget_spent_on_a_is_seen_by_b(
    instances: tuple[HTTPServerProcess, HTTPServerProcess],
    fake_llm: FakeLLM,
    models: dict[str, str],
) -> None:
    a, b = instances
    spent = await chat(a, prompt="spend", model="pricey")
    assert spent.is_error is False, spent.content[0].text
    assert spent.structured_content["data"]["cost_usd"] > 0.05
    refused = await chat(b, prompt="spend more", model="pricey")
    assert refused.is_error is True
    assert refused.structured_content["data"]["error"]["code"] == "budget_exceeded"
    assert "daily" in refused.content[0].text.lower()
    assert fake_llm.calls(models["pricey"]) == 1
