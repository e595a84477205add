"""The SQLite file: one connection on one worker thread, WAL, transactions, schema and migrations."""

from __future__ import annotations

import asyncio
import functools
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from pydantic_core import to_json

from zen_core.store.base import StoreUnavailable

T = TypeVar("T")

DB_FILENAME = "zen.db"
SCHEMA_VERSION = 3
#: How long a writer waits for another process's write lock before giving up.
BUSY_TIMEOUT_S = 15.0
#: Expired rows are deleted at most this often (reads filter them out in between).
PURGE_INTERVAL_S = 60.0

_SCHEMA: tuple[str, ...] = (
    """CREATE TABLE IF NOT EXISTS threads (
        id TEXT PRIMARY KEY,
        parent_id TEXT,
        tool TEXT NOT NULL,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL,
        expires_at REAL NOT NULL,
        turn_count INTEGER NOT NULL,
        initial_context TEXT NOT NULL,
        first_prompt TEXT NOT NULL,
        models TEXT NOT NULL,
        owner TEXT)""",
    "CREATE INDEX IF NOT EXISTS threads_by_updated ON threads(updated_at)",
    "CREATE INDEX IF NOT EXISTS threads_by_expiry ON threads(expires_at)",
    """CREATE TABLE IF NOT EXISTS turns (
        thread_id TEXT NOT NULL REFERENCES threads(id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        data TEXT NOT NULL,
        PRIMARY KEY (thread_id, seq)) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS counters (
        key TEXT PRIMARY KEY,
        value REAL NOT NULL,
        expires_at REAL NOT NULL) WITHOUT ROWID""",
    "CREATE INDEX IF NOT EXISTS counters_by_expiry ON counters(expires_at)",
)
#: Usage events and background jobs (schema version 3).
_SCHEMA_3 = (
    """CREATE TABLE IF NOT EXISTS usage_events (
        ts REAL NOT NULL,
        owner TEXT,
        data TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS usage_by_ts ON usage_events(ts)",
    """CREATE TABLE IF NOT EXISTS jobs (
        id TEXT PRIMARY KEY,
        owner TEXT,
        created_at REAL NOT NULL,
        expires_at REAL NOT NULL,
        data TEXT NOT NULL) WITHOUT ROWID""",
    "CREATE INDEX IF NOT EXISTS jobs_by_owner ON jobs(owner, created_at)",
)
_SCHEMA = _SCHEMA + _SCHEMA_3
#: Seconds usage events are kept (the 7-day report plus a day).
USAGE_RETENTION_S = 8 * 86400.0
#: Statements that bring a database of the given version to the next one.
_MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: (
        "ALTER TABLE threads ADD COLUMN owner TEXT",
        "UPDATE threads SET owner = json_extract(initial_context, '$.owner')",
    ),
    2: _SCHEMA_3,
}
_OWNER_INDEX = "CREATE INDEX IF NOT EXISTS threads_by_owner ON threads(owner, updated_at)"


class SQLiteDatabase:
    """One connection owned by one worker thread; :meth:`run` executes a function there."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.description = f"sqlite:{path}"
        self._executor: ThreadPoolExecutor | None = None
        self._executor_lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._closed = False
        self._last_purge = 0.0

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(conn, *args)`` on the worker thread; SQLite failures become :class:`StoreUnavailable`."""
        if self._closed:
            message = f"the conversation store {self.description} is closed"
            raise StoreUnavailable(message, store=self.description)
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._worker(), functools.partial(self._call, fn, *args))
        except (sqlite3.Error, OSError) as exc:
            raise StoreUnavailable(
                f"the conversation store {self.description} failed: {exc}", store=self.description
            ) from exc

    def _worker(self) -> ThreadPoolExecutor:
        with self._executor_lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="zen-sqlite")
            return self._executor

    def _call(self, fn: Callable[..., T], *args: Any) -> T:
        if self._conn is None:
            self._conn = self._connect()
        return fn(self._conn, *args)

    def _connect(self) -> sqlite3.Connection:
        if not self.path.exists():
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            # Conversations contain code and prompts: keep the file private to the user.
            os.close(os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600))
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False)
        try:
            use_wal(conn, within_s=BUSY_TIMEOUT_S)
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            with write_txn(conn):
                version = int(conn.execute("PRAGMA user_version").fetchone()[0])
                if version > SCHEMA_VERSION:
                    raise sqlite3.DatabaseError(
                        f"schema version {version} was written by a newer Zen (this one knows {SCHEMA_VERSION})"
                    )
                if version == 0:  # a new file: the current schema
                    for statement in _SCHEMA:
                        conn.execute(statement)
                    version = SCHEMA_VERSION
                for step in range(version, SCHEMA_VERSION):
                    for statement in _MIGRATIONS[step]:
                        conn.execute(statement)
                conn.execute(_OWNER_INDEX)
                conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        except BaseException:
            conn.close()
            raise
        return conn

    def maybe_purge(self, conn: sqlite3.Connection, now: float) -> None:
        """Delete expired threads, counters, jobs and usage events (call inside a write transaction)."""
        if now - self._last_purge < PURGE_INTERVAL_S:
            return
        self._last_purge = now
        conn.execute("DELETE FROM threads WHERE expires_at <= ?", (now,))
        conn.execute("DELETE FROM counters WHERE expires_at <= ?", (now,))
        conn.execute("DELETE FROM jobs WHERE expires_at <= ?", (now,))
        conn.execute("DELETE FROM usage_events WHERE ts < ?", (now - USAGE_RETENTION_S,))

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        executor = self._executor
        if executor is None:
            return

        def _close() -> None:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

        await asyncio.get_running_loop().run_in_executor(executor, _close)
        executor.shutdown(wait=False)


def use_wal(conn: sqlite3.Connection, *, within_s: float) -> None:
    """Put the database in WAL mode, waiting up to ``within_s`` for other connections.

    SQLite does not run the busy handler for a journal-mode change: when several processes open a
    new file at once (the workers of a pool on their first calls), the losers would fail at once
    with "database is locked". WAL is a property of the file, so once any process has switched it
    there is nothing left to do; until then, retry with a short backoff. (Where WAL is impossible,
    SQLite keeps the old mode without an error, and so does this.)
    """
    deadline = time.monotonic() + within_s
    delay = 0.002
    while True:
        try:
            if str(conn.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
                conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if not _is_busy(exc):
                raise
            if time.monotonic() >= deadline:
                raise sqlite3.OperationalError(f"{exc} (waited {within_s:g} s)") from exc
        time.sleep(delay)
        delay = min(delay * 2, 0.1)


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    """SQLITE_BUSY ("database is locked") or SQLITE_LOCKED ("database table is locked")."""
    return "is locked" in str(exc)


@contextmanager
def write_txn(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` … ``COMMIT``: takes the write lock up front, so read-modify-write is safe."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


@contextmanager
def read_txn(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """A consistent snapshot across several SELECTs."""
    conn.execute("BEGIN")
    try:
        yield conn
    finally:
        conn.execute("COMMIT")


def dumps(value: Any) -> str:
    return to_json(value).decode()
