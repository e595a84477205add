"""The response cache and shared counters on a real redis-server."""

from __future__ import annotations

import pytest

from zen_core.llm.limits import LimitError
from zen_core.store import ConversationSettings
from zen_core.store.redis import RedisStore
from zen_core.testing.fake_llm import FakeLLM
from zen_core.testing.llm_fixtures import ZenConfigDir

pytestmark = pytest.mark.redis
USER = [{"role": "user", "content": "remember this in redis"}]


async def test_redis_cache_is_shared_between_services(
    fake_llm: FakeLLM, zen_config_dir: ZenConfigDir, redis_url: str
) -> None:
    name = fake_llm.model(text="from redis")
    config = zen_config_dir.write(
        models={"m": fake_llm.entry(name)}, limits={"cache": {"backend": "redis", "redis_url": redis_url}}
    )
    first = config.service()
    try:
        assert not (await first.complete("m", USER)).cache_hit
    finally:
        await first.aclose()
    second = config.service()  # a fresh service, as another process would have: only Redis is shared
    try:
        again = await second.complete("m", USER)
    finally:
        await second.aclose()
    assert again.cache_hit
    assert again.text == "from redis"
    assert fake_llm.calls(name) == 1


async def test_daily_budget_is_shared_through_redis_counters(
    fake_llm: FakeLLM, zen_config_dir: ZenConfigDir, redis_url: str
) -> None:
    name = fake_llm.model(prompt_tokens=10, completion_tokens=10)
    config = zen_config_dir.write(
        models={"m": fake_llm.entry(name, input_cost_per_token=0.001, output_cost_per_token=0.001)},
        limits={"budgets": {"daily_limit_usd": 0.025}, "cache": {"enabled": False}},
    )
    settings = ConversationSettings(ttl_hours=1, max_turns=10)
    stores = [RedisStore(redis_url, settings) for _ in range(2)]  # the stores of two instances
    one, two = config.service(counters=stores[0].counters), config.service(counters=stores[1].counters)
    try:
        await one.complete("m", USER)
        with pytest.raises(LimitError, match="daily_limit_usd"):
            await two.complete("m", USER)  # the spend recorded by `one` is seen by `two`
    finally:
        for service in (one, two):
            await service.aclose()
        for store in stores:
            await store.aclose()
    assert fake_llm.calls(name) == 1
