"""Shared backend on Redis, for several Zen instances behind a load balancer.

Layout (``<p>`` is the key prefix, ``zen:`` by default):

* ``<p>thread:<id>`` — hash with the thread's metadata;
* ``<p>thread:<id>:turns`` — list of turns (JSON), appended by a Lua script that checks the
  turn limit, pushes, and refreshes the TTL of both keys atomically;
* ``<p>threads`` — sorted set of thread ids by last update, for ``list_threads``;
* ``<p>counter:<key>`` — counters (``INCRBYFLOAT`` + ``EXPIRE NX`` in one ``MULTI``).

The client connects on first use and reconnects by itself once Redis is back; while it is
down every call raises :class:`StoreUnavailable`.
"""

from __future__ import annotations

from zen_core.store.base import Store
from zen_core.store.models import ConversationSettings
from zen_core.store.redis.connection import DEFAULT_PREFIX, RedisConnection
from zen_core.store.redis.counters import RedisCounters
from zen_core.store.redis.jobs import RedisJobStore
from zen_core.store.redis.threads import RedisThreadStore
from zen_core.store.redis.usage import RedisUsageLog

__all__ = ["DEFAULT_PREFIX", "RedisConnection", "RedisCounters", "RedisStore", "RedisThreadStore"]


class RedisStore(Store):
    """The Redis store. Construction is free: the client connects on first use."""

    def __init__(self, url: str, config: ConversationSettings, *, prefix: str = DEFAULT_PREFIX) -> None:
        self._conn = RedisConnection(url, prefix)
        self.url = url
        super().__init__(
            description=self._conn.description,
            threads=RedisThreadStore(self._conn, config),
            counters=RedisCounters(self._conn),
            usage=RedisUsageLog(self._conn),
            jobs=RedisJobStore(self._conn, config.ttl_seconds),
        )

    async def ping(self) -> None:
        with self._conn.guard():
            await self._conn.client.ping()

    async def _close(self) -> None:
        await self._conn.aclose()
