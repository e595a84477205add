"""Conversations survive a server restart (SQLite), and a Redis outage is a clear error, not a crash."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from zen_core.testing.fake_llm import FakeLLM
from zen_core.testing.mcp import HTTPServerProcess, http_client, in_own_task, stdio_client
from zen_core.testing.pytest_plugin import ZenConfig
from zen_core.testing.redis_server import RedisServer

pytestmark = pytest.mark.zen_plugins("zen-tool-chat")


@pytest.fixture
def echo_model(fake_llm: FakeLLM, zen_config: ZenConfig) -> str:
    name = fake_llm.model("echo", echo=True)
    zen_config.write("models.yaml", {"models": {"echo": fake_llm.entry(name)}})
    zen_config.write("limits.yaml", {"llm": {"num_retries": 0}, "cache": {"enabled": False}})
    return name


async def test_thread_survives_a_restart(zen_env: dict[str, str], echo_model: str, fake_llm: FakeLLM) -> None:
    async with in_own_task(stdio_client(zen_env)) as client:
        first: Any = await client.call_tool("chat", {"prompt": "the password is swordfish", "model": "echo"})
    assert first.is_error is False, first.content[0].text
    thread = first.structured_content["data"]["continuation_id"]
    # a brand-new server process on the same data dir
    async with in_own_task(stdio_client(zen_env)) as client:
        second: Any = await client.call_tool("chat", {"prompt": "what was it?", "continuation_id": thread})
        listed: Any = await client.call_tool("threads", {})
    assert second.is_error is False, second.content[0].text
    assert "the password is swordfish" in str(fake_llm.last_request(echo_model)["messages"])
    assert thread in [t["id"] for t in listed.structured_content["data"]["threads"]]


@pytest.mark.redis
async def test_redis_outage_is_a_clear_error_and_service_recovers(
    zen_env: dict[str, str],
    echo_model: str,
) -> None:
    with RedisServer(persistent=True) as redis:
        env = {**zen_env, "ZEN_REDIS_URL": redis.url}
        async with HTTPServerProcess(env) as server:
            async with http_client(server.url) as client:
                first: Any = await client.call_tool("chat", {"prompt": "before", "model": "echo"})
                assert first.is_error is False, first.content[0].text
                thread = first.structured_content["data"]["continuation_id"]

                redis.stop()
                down: Any = await client.call_tool("chat", {"prompt": "during", "continuation_id": thread})
                assert down.is_error is True
                assert "is redis-server running?" in down.content[0].text
                assert f"127.0.0.1:{redis.port}" in down.content[0].text
                version: Any = await client.call_tool("version", {})  # the server still serves
                assert version.is_error is False

                redis.start()  # same port, data kept in the append-only file
                after: Any = await client.call_tool(
                    "chat", {"prompt": "after", "continuation_id": thread, "model": "echo"}
                )
                assert after.is_error is False, after.content[0].text
            assert server.process is not None and server.process.poll() is None


@pytest.mark.redis
@pytest.mark.zen_plugins("zen-tool-chat", "zen-tool-consensus")
async def test_an_answer_paid_for_is_returned_when_redis_fails_after_the_model_answered(
    zen_env: dict[str, str], zen_config: ZenConfig, fake_llm: FakeLLM
) -> None:
    slow = fake_llm.model("slow", text="the paid answer", latency_s=1.5)
    zen_config.write("models.yaml", {"models": {"slow": fake_llm.entry(slow)}})
    zen_config.write("limits.yaml", {"llm": {"num_retries": 0}, "cache": {"enabled": False}})
    with RedisServer() as redis:
        async with HTTPServerProcess({**zen_env, "ZEN_REDIS_URL": redis.url}) as server:
            async with http_client(server.url) as client:
                for index, (tool, arguments) in enumerate(
                    (
                        ("chat", {"prompt": "worth paying for?", "model": "slow"}),
                        (
                            "consensus",
                            {"prompt": "worth it?", "models": ["slow", "slow"], "rounds": 0},
                        ),
                    )
                ):
                    if index:
                        redis.start()  # back up, on the same port, for the next tool
                    call = asyncio.ensure_future(client.call_tool(tool, arguments))
                    await asyncio.sleep(0.7)  # the model is answering: Redis goes down before the answer is stored
                    redis.stop()
                    result: Any = await call
                    assert result.is_error is False, result.content[0].text
                    text = result.content[0].text
                    assert "the paid answer" in text
                    assert "is redis-server running?" in text  # says why it could not be kept
    assert fake_llm.calls(slow) == 3
