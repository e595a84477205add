"""Embedded backend: one SQLite file (WAL mode) in the per-user data dir.

All SQLite work runs on one dedicated worker thread per store, never on the event loop. Writes
use ``BEGIN IMMEDIATE`` so several processes on one machine can append to the same thread
without losing turns (the busy timeout makes them queue for the write lock).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from zen_core.store.base import Store
from zen_core.store.models import ConversationSettings
from zen_core.store.sqlite.counters import SQLiteCounters
from zen_core.store.sqlite.database import DB_FILENAME, SQLiteDatabase, use_wal, write_txn
from zen_core.store.sqlite.jobs import SQLiteJobStore
from zen_core.store.sqlite.threads import SQLiteThreadStore
from zen_core.store.sqlite.usage import SQLiteUsageLog

__all__ = ["DB_FILENAME", "SQLiteCounters", "SQLiteDatabase", "SQLiteStore", "SQLiteThreadStore", "use_wal"]


class SQLiteStore(Store):
    """The embedded store. Construction is free: the file is opened on first use."""

    def __init__(self, path: Path | str, config: ConversationSettings) -> None:
        self._db = SQLiteDatabase(Path(path))
        self.path = self._db.path
        super().__init__(
            description=self._db.description,
            threads=SQLiteThreadStore(self._db, config),
            counters=SQLiteCounters(self._db),
            usage=SQLiteUsageLog(self._db),
            jobs=SQLiteJobStore(self._db, config.ttl_seconds),
        )

    async def ping(self) -> None:
        def _check_writable(conn: sqlite3.Connection) -> None:
            with write_txn(conn):
                conn.execute("SELECT 1 FROM threads LIMIT 1").fetchone()

        await self._db.run(_check_writable)

    async def _close(self) -> None:
        await self._db.aclose()
