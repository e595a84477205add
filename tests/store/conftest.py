"""Fixtures for the store tests: real SQLite files and real ``redis-server`` processes on loopback
(the session's ``redis_server`` fixture from :mod:`zen_core.testing.redis_server`)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from zen_core.store import ConversationSettings, Store
from zen_core.store.redis import RedisStore
from zen_core.store.sqlite import SQLiteStore


def conversation_config(ttl_seconds: float = 3600.0, max_turns: int = 50) -> ConversationSettings:
    return ConversationSettings(ttl_hours=ttl_seconds / 3600.0, max_turns=max_turns)


StoreFactory = Callable[..., Awaitable[Store]]


@pytest.fixture(
    params=["sqlite", pytest.param("redis", marks=pytest.mark.redis)],
)
async def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[StoreFactory]:
    """Build stores of the parametrized backend: ``await make_store(ttl_seconds=…, max_turns=…)``.

    Stores built by one test share their data (same SQLite file / same Redis key prefix), like
    several processes or instances of one deployment would.
    """
    backend: str = request.param
    prefix = f"test-{uuid.uuid4().hex[:12]}:"
    redis_url = request.getfixturevalue("redis_server").url if backend == "redis" else ""
    stores: list[Store] = []

    async def factory(ttl_seconds: float = 3600.0, max_turns: int = 50) -> Store:
        config = conversation_config(ttl_seconds, max_turns)
        store: Store
        if backend == "redis":
            store = RedisStore(redis_url, config, prefix=prefix)
        else:
            store = SQLiteStore(tmp_path / "zen.db", config)
        stores.append(store)
        return store

    yield factory
    for store in stores:
        await store.aclose()
