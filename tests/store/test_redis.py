"""Redis backend: TTL on the keys, several instances, outages and recovery, authentication."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest
from redis.asyncio import Redis

from zen_core.store import StoreUnavailable, ThreadNotFound, Turn, mask_url
from zen_core.store.redis import RedisStore
from zen_core.testing.redis_server import RedisServer

from .conftest import conversation_config

pytestmark = pytest.mark.redis


def user(text: str) -> Turn:
    return Turn(role="user", content=text, tool="chat")


async def test_keys_carry_the_ttl_and_appends_refresh_it(redis_server: RedisServer) -> None:
    store = RedisStore(redis_server.url, conversation_config(ttl_seconds=100), prefix="ttl-test:")
    raw = Redis.from_url(redis_server.url, decode_responses=True)
    try:
        thread = await store.threads.create("chat", turns=[user("hi")])
        meta, turns = f"ttl-test:thread:{thread.id}", f"ttl-test:thread:{thread.id}:turns"
        await raw.pexpire(meta, 5_000)
        await raw.pexpire(turns, 5_000)
        await store.threads.add_turn(thread.id, user("again"))
        for key in (meta, turns):
            assert 95_000 < await raw.pttl(key) <= 100_000
        await store.counters.incr("c", 1, 30)
        assert 0 < await raw.ttl("ttl-test:counter:c") <= 30
    finally:
        await raw.aclose()
        await store.aclose()


def test_one_store_serves_successive_event_loops(redis_server: RedisServer) -> None:
    # e.g. a CLI that calls asyncio.run() more than once with the same services
    store = RedisStore(redis_server.url, conversation_config(), prefix="loops-test:")
    thread = asyncio.run(store.threads.create("chat"))
    assert asyncio.run(store.threads.add_turn(thread.id, user("second loop"))) == 1
    asyncio.run(store.aclose())


async def test_two_instances_share_threads(redis_server: RedisServer) -> None:
    one = RedisStore(redis_server.url, conversation_config(), prefix="lb-test:")
    two = RedisStore(redis_server.url, conversation_config(), prefix="lb-test:")
    try:
        thread = await one.threads.create("chat", turns=[user("asked on instance one")])
        await two.threads.add_turn(thread.id, Turn(role="assistant", content="answered on two", model="o3"))
        loaded = await one.threads.get(thread.id)
        assert [t.content for t in loaded.turns] == ["asked on instance one", "answered on two"]
        assert [s.models for s in await two.threads.list_threads()] == [["o3"]]
    finally:
        await one.aclose()
        await two.aclose()


async def test_outage_raises_store_unavailable_and_recovers(tmp_path: Path) -> None:
    server = RedisServer(persistent=True)
    server.start()
    store = RedisStore(server.url, conversation_config())
    try:
        thread = await store.threads.create("chat", turns=[user("before the outage")])
        await store.counters.incr("budget", 2, 3600)

        server.stop()
        calls = [
            store.threads.add_turn(thread.id, user("during")),
            store.threads.get(thread.id),
            store.threads.list_threads(),
            store.counters.incr("budget", 1, 3600),
            store.counters.get("budget"),
            store.ping(),
        ]
        for call in calls:
            with pytest.raises(StoreUnavailable) as info:
                await call
            assert info.value.code == "store_unavailable"
            assert server.url in info.value.message
            assert "is redis-server running?" in info.value.message

        server.start()  # same port, data restored from the append-only file
        await store.ping()
        assert await store.threads.add_turn(thread.id, user("after the outage")) == 2
        assert [t.content for t in (await store.threads.get(thread.id)).turns] == [
            "before the outage",
            "after the outage",
        ]
        assert await store.counters.incr("budget", 1, 3600) == 3.0
    finally:
        await store.aclose()
        server.stop()


async def test_password_is_used_and_never_shown(tmp_path: Path) -> None:
    with RedisServer(password="hunter2-secret") as server:
        good = RedisStore(server.url, conversation_config())
        bad = RedisStore(server.url.replace("hunter2-secret", "wrong-secret"), conversation_config())
        try:
            assert "hunter2" not in good.description and ":***@" in good.description
            thread = await good.threads.create("chat")
            with pytest.raises(ThreadNotFound):
                await good.threads.get(str(uuid.uuid4()))
            with pytest.raises(StoreUnavailable) as info:
                await bad.threads.get(thread.id)
            assert "wrong-secret" not in info.value.message
            assert ":***@127.0.0.1" in info.value.message
        finally:
            await good.aclose()
            await bad.aclose()


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://127.0.0.1:6390/0", "redis://127.0.0.1:6390/0"),
        ("redis://:pw@cache:6379/0", "redis://:***@cache:6379/0"),
        ("rediss://user:pw@[::1]:6380/2?ssl_cert_reqs=none", "rediss://user:***@[::1]:6380/2?ssl_cert_reqs=none"),
        ("unix:///run/redis.sock?db=1&password=pw", "unix:///run/redis.sock?db=1&password=***"),
    ],
)
def test_mask_url(url: str, shown: str) -> None:
    assert mask_url(url) == shown
