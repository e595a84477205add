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

from zen_core.store.base import Counters, Store, ThreadStore
from zen_core.store.jobs import JobStore
from zen_core.store.models import ConversationSettings
from zen_core.store.redis.connection import DEFAULT_PREFIX, RedisConnection
from zen_core.store.redis.counters import RedisCounters
from zen_core.store.redis.jobs import RedisJobStore
from zen_core.store.redis.threads import RedisThreadStore
from zen_core.store.redis.usage import RedisUsageLog
from zen_core.store.usage import UsageLog

__all__ = ["DEFAULT_PREFIX", "RedisConnection", "RedisCounters", "RedisStore", "RedisThreadStore"]


class RedisStore(Store):
    """The Redis store. Construction is free: the client connects on first use."""

    def __init__(self, url: str, config: ConversationSettings, *, prefix: str = DEFAULT_PREFIX) -> None:
        self._conn = RedisConnection(url, prefix)
        self.url = url
        self.description = self._conn.description
        self._threads = RedisThreadStore(self._conn, config)
        self._counters = RedisCounters(self._conn)
        self._usage = RedisUsageLog(self._conn)
        self._jobs = RedisJobStore(self._conn, config.ttl_seconds)

    @property
    def threads(self) -> ThreadStore:
        return self._threads

    @property
    def counters(self) -> Counters:
        return self._counters

    @property
    def usage(self) -> UsageLog:
        return self._usage

    @property
    def jobs(self) -> JobStore:
        return self._jobs

    async def ping(self) -> None:
        with self._conn.guard():
            await self._conn.client.ping()

    async def aclose(self) -> None:
        await self._conn.aclose()
