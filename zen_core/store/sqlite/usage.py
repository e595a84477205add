"""Usage events in the ``usage_events`` table (purged after the retention time)."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence

from zen_core.store.owner import ANYONE, Anyone, Owner
from zen_core.store.sqlite.database import SQLiteDatabase, write_txn
from zen_core.store.usage import UsageEvent, UsageLog


class SQLiteUsageLog(UsageLog):
    def __init__(self, db: SQLiteDatabase) -> None:
        self._db = db

    async def append(self, events: Sequence[UsageEvent]) -> None:
        rows = [(e.ts, e.owner, e.model_dump_json()) for e in events]

        def _append(conn: sqlite3.Connection) -> None:
            with write_txn(conn):
                self._db.maybe_purge(conn, time.time())
                conn.executemany("INSERT INTO usage_events VALUES (?, ?, ?)", rows)

        if rows:
            await self._db.run(_append)

    async def since(self, ts: float, *, owner: Owner = ANYONE) -> list[UsageEvent]:
        args: tuple[float | str | None, ...] = (ts,) if isinstance(owner, Anyone) else (ts, owner)
        mine = "" if isinstance(owner, Anyone) else " AND owner IS ?"

        def _since(conn: sqlite3.Connection) -> list[str]:
            query = f"SELECT data FROM usage_events WHERE ts >= ?{mine} ORDER BY ts"
            return [data for (data,) in conn.execute(query, args)]

        return [UsageEvent.model_validate_json(data) for data in await self._db.run(_since)]
