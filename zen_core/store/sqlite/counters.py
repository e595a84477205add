"""Counters in the ``counters`` table (budgets and rate limits shared by the processes of one machine)."""

from __future__ import annotations

import sqlite3
import time

from zen_core.store.sqlite.database import SQLiteDatabase, write_txn


class SQLiteCounters:
    """Counters in the ``counters`` table; an expired row restarts from zero on the next ``incr``."""

    def __init__(self, db: SQLiteDatabase) -> None:
        self._db = db

    async def incr(self, key: str, amount: float, ttl_s: int) -> float:
        def _incr(conn: sqlite3.Connection) -> float:
            now = time.time()
            with write_txn(conn):
                self._db.maybe_purge(conn, now)
                row = conn.execute("SELECT value, expires_at FROM counters WHERE key = ?", (key,)).fetchone()
                if row is None or row[1] <= now:
                    value, expires = float(amount), now + ttl_s
                else:
                    value, expires = float(row[0]) + amount, row[1]
                conn.execute("INSERT OR REPLACE INTO counters VALUES (?, ?, ?)", (key, value, expires))
                return value

        return await self._db.run(_incr)

    async def get(self, key: str) -> float:
        def _get(conn: sqlite3.Connection) -> float:
            row = conn.execute(
                "SELECT value FROM counters WHERE key = ? AND expires_at > ?", (key, time.time())
            ).fetchone()
            return 0.0 if row is None else float(row[0])

        return await self._db.run(_get)
