"""Usage events in one Redis list per UTC day (``<prefix>usage:<YYYY-MM-DD>``), each kept 8 days."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone

from zen_core.store.owner import ANYONE, Owner, owner_matches
from zen_core.store.redis.connection import RedisConnection
from zen_core.store.usage import USAGE_RETENTION_S, UsageEvent, UsageLog


def _day(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%d")


class RedisUsageLog(UsageLog):
    def __init__(self, conn: RedisConnection) -> None:
        self._conn = conn

    def _key(self, day: str) -> str:
        return f"{self._conn.prefix}usage:{day}"

    async def append(self, events: Sequence[UsageEvent]) -> None:
        by_day: dict[str, list[str]] = {}
        for event in events:
            by_day.setdefault(_day(event.ts), []).append(event.model_dump_json())
        if not by_day:
            return
        with self._conn.guard():
            async with self._conn.client.pipeline(transaction=True) as pipe:
                for day, rows in by_day.items():
                    pipe.rpush(self._key(day), *rows)
                    pipe.expire(self._key(day), int(USAGE_RETENTION_S))
                await pipe.execute()

    async def since(self, ts: float, *, owner: Owner = ANYONE) -> list[UsageEvent]:
        first = datetime.fromtimestamp(max(ts, time.time() - USAGE_RETENTION_S), timezone.utc).date()
        last = datetime.now(timezone.utc).date()
        days = [(first + timedelta(days=n)).strftime("%Y-%m-%d") for n in range((last - first).days + 1)]
        with self._conn.guard():
            async with self._conn.client.pipeline(transaction=False) as pipe:
                for day in days:
                    pipe.lrange(self._key(day), 0, -1)
                replies = await pipe.execute()
        events = [UsageEvent.model_validate_json(row) for rows in replies for row in rows]
        return sorted((e for e in events if e.ts >= ts and owner_matches(owner, e.owner)), key=lambda e: e.ts)
