"""Counters as Redis float strings with an expiry set when the key is created."""

from __future__ import annotations

from zen_core.store.redis.connection import RedisConnection


class RedisCounters:
    """Counters as Redis float strings with an expiry set when the key is created."""

    def __init__(self, conn: RedisConnection) -> None:
        self._conn = conn

    def _key(self, key: str) -> str:
        return f"{self._conn.prefix}counter:{key}"

    async def incr(self, key: str, amount: float, ttl_s: int) -> float:
        name = self._key(key)
        with self._conn.guard():
            async with self._conn.client.pipeline(transaction=True) as pipe:
                pipe.incrbyfloat(name, amount)
                pipe.expire(name, max(1, int(ttl_s)), nx=True)
                value, _ = await pipe.execute()
        return float(value)

    async def get(self, key: str) -> float:
        with self._conn.guard():
            value = await self._conn.client.get(self._key(key))
        return 0.0 if value is None else float(value)
