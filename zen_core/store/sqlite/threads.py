"""Threads in the ``threads`` table, turns in ``turns`` (one row per turn)."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Sequence
from typing import Any

from zen_core.store.base import ThreadStore, normalize_thread_id
from zen_core.store.models import (
    ConversationSettings,
    Thread,
    ThreadSummary,
    Turn,
    first_prompt_of,
    from_epoch,
    merge_models,
)
from zen_core.store.owner import ANYONE, Anyone, Owner, owner_matches
from zen_core.store.sqlite.database import SQLiteDatabase, dumps, read_txn, write_txn


class SQLiteThreadStore(ThreadStore):
    """Threads in the ``threads`` table, turns in ``turns`` (one row per turn)."""

    def __init__(self, db: SQLiteDatabase, config: ConversationSettings) -> None:
        super().__init__(config)
        self._db = db

    async def _insert(self, thread: Thread, now: float) -> None:
        expires = now + self.ttl_seconds
        turns, context = thread.turns, thread.initial_context

        def _create(conn: sqlite3.Connection) -> None:
            with write_txn(conn):
                self._db.maybe_purge(conn, now)
                conn.execute(
                    "INSERT INTO threads (id, parent_id, tool, created_at, updated_at, expires_at, turn_count,"
                    " initial_context, first_prompt, models, owner) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        thread.id,
                        thread.parent_id,
                        thread.tool,
                        now,
                        now,
                        expires,
                        len(turns),
                        dumps(context),
                        first_prompt_of(turns, context),
                        json.dumps(merge_models([], turns)),
                        thread.owner,
                    ),
                )
                conn.executemany(
                    "INSERT INTO turns VALUES (?, ?, ?)",
                    [(thread.id, seq, t.model_dump_json()) for seq, t in enumerate(turns)],
                )

        await self._db.run(_create)

    async def get(self, thread_id: str, *, owner: Owner = ANYONE) -> Thread:
        thread_id = normalize_thread_id(thread_id)

        def _get(conn: sqlite3.Connection) -> tuple[Any, list[str]] | None:
            with read_txn(conn):
                row = conn.execute(
                    "SELECT parent_id, tool, created_at, updated_at, expires_at, initial_context, owner"
                    " FROM threads WHERE id = ? AND expires_at > ?",
                    (thread_id, time.time()),
                ).fetchone()
                if row is None or not owner_matches(owner, row[6]):
                    return None
                turns = conn.execute("SELECT data FROM turns WHERE thread_id = ? ORDER BY seq", (thread_id,))
                return row, [data for (data,) in turns]

        found = await self._db.run(_get)
        if found is None:
            raise self._not_found(thread_id)
        (parent_id, tool, created, updated, expires, context, thread_owner), turns = found
        return Thread(
            id=thread_id,
            parent_id=parent_id,
            tool=tool,
            owner=thread_owner,
            created_at=from_epoch(created),
            updated_at=from_epoch(updated),
            expires_at=from_epoch(expires),
            initial_context=json.loads(context),
            turns=[Turn.model_validate_json(t) for t in turns],
        )

    async def add_turns(self, thread_id: str, turns: Sequence[Turn], *, owner: Owner = ANYONE) -> int:
        thread_id = normalize_thread_id(thread_id)
        turn_list = list(turns)
        rows = [t.model_dump_json() for t in turn_list]

        def _append(conn: sqlite3.Connection) -> int:
            now = time.time()
            with write_txn(conn):
                self._db.maybe_purge(conn, now)
                row = conn.execute(
                    "SELECT turn_count, first_prompt, models, initial_context, owner FROM threads"
                    " WHERE id = ? AND expires_at > ?",
                    (thread_id, now),
                ).fetchone()
                if row is None or not owner_matches(owner, row[4]):
                    raise self._not_found(thread_id)
                count, first_prompt, models, context, _ = row
                self._check_new_turns(thread_id, count, len(turn_list))
                conn.executemany(
                    "INSERT INTO turns VALUES (?, ?, ?)",
                    [(thread_id, count + i, data) for i, data in enumerate(rows)],
                )
                if not first_prompt:
                    first_prompt = first_prompt_of(turn_list, json.loads(context))
                conn.execute(
                    "UPDATE threads SET turn_count = ?, updated_at = ?, expires_at = ?, first_prompt = ?,"
                    " models = ? WHERE id = ?",
                    (
                        count + len(rows),
                        now,
                        now + self.ttl_seconds,
                        first_prompt,
                        json.dumps(merge_models(json.loads(models), turn_list)),
                        thread_id,
                    ),
                )
                return int(count) + len(rows)

        return await self._db.run(_append)

    async def delete(self, thread_id: str) -> bool:
        thread_id = normalize_thread_id(thread_id)

        def _delete(conn: sqlite3.Connection) -> bool:
            with write_txn(conn):
                live = conn.execute(
                    "SELECT 1 FROM threads WHERE id = ? AND expires_at > ?", (thread_id, time.time())
                ).fetchone()
                conn.execute("DELETE FROM threads WHERE id = ?", (thread_id,))
                return live is not None

        return await self._db.run(_delete)

    async def list_threads(self, limit: int = 20, *, owner: Owner = ANYONE) -> list[ThreadSummary]:
        args: tuple[str | None, ...] = () if isinstance(owner, Anyone) else (owner,)
        mine = " AND owner IS ?" if args else ""

        def _list(conn: sqlite3.Connection) -> tuple[float, list[Any]]:
            now = time.time()
            rows = conn.execute(
                "SELECT id, tool, first_prompt, models, created_at, updated_at, turn_count FROM threads"
                f" WHERE expires_at > ?{mine} ORDER BY updated_at DESC LIMIT ?",
                (now, *args, max(0, limit)),
            ).fetchall()
            return now, rows

        now, rows = await self._db.run(_list)
        return [
            ThreadSummary(
                id=tid,
                tool=tool,
                first_prompt=prompt,
                models=json.loads(models),
                created_at=from_epoch(created),
                updated_at=from_epoch(updated),
                age_seconds=max(0.0, now - created),
                turn_count=count,
            )
            for tid, tool, prompt, models, created, updated, count in rows
        ]
