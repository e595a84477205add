"""Background jobs in the ``jobs`` table (each row expires ``ttl_s`` after its last write)."""

from __future__ import annotations

import sqlite3
import time

from zen_core.store.jobs import Job, JobNotFound, JobStore
from zen_core.store.owner import ANYONE, Anyone, Owner, owner_matches
from zen_core.store.sqlite.database import SQLiteDatabase, write_txn


class SQLiteJobStore(JobStore):
    def __init__(self, db: SQLiteDatabase, ttl_s: float) -> None:
        super().__init__(ttl_s)
        self._db = db

    async def put(self, job: Job) -> None:
        job = job.model_copy(update={"updated_at": time.time()})

        def _put(conn: sqlite3.Connection) -> None:
            with write_txn(conn):
                # a cancel request that arrived meanwhile is kept: the running instance has not seen it yet
                row = conn.execute("SELECT data FROM jobs WHERE id = ?", (job.id,)).fetchone()
                stored = job
                if row is not None and Job.model_validate_json(row[0]).cancel_requested:
                    stored = job.model_copy(update={"cancel_requested": True})
                conn.execute(
                    "INSERT OR REPLACE INTO jobs VALUES (?, ?, ?, ?, ?)",
                    (job.id, job.owner, job.created_at, job.updated_at + self.ttl_s, stored.model_dump_json()),
                )

        await self._db.run(_put)

    async def get(self, job_id: str, *, owner: Owner = ANYONE) -> Job:
        def _get(conn: sqlite3.Connection) -> str | None:
            row = conn.execute(
                "SELECT data, owner FROM jobs WHERE id = ? AND expires_at > ?", (job_id, time.time())
            ).fetchone()
            return None if row is None or not owner_matches(owner, row[1]) else str(row[0])

        data = await self._db.run(_get)
        if data is None:
            raise JobNotFound(job_id)
        return Job.model_validate_json(data)

    async def request_cancel(self, job_id: str, *, owner: Owner = ANYONE) -> Job:
        def _cancel(conn: sqlite3.Connection) -> str | None:
            with write_txn(conn):
                row = conn.execute(
                    "SELECT data, owner FROM jobs WHERE id = ? AND expires_at > ?", (job_id, time.time())
                ).fetchone()
                if row is None or not owner_matches(owner, row[1]):
                    return None
                job = Job.model_validate_json(row[0])
                if not job.finished:
                    job = job.model_copy(update={"cancel_requested": True})
                    conn.execute("UPDATE jobs SET data = ? WHERE id = ?", (job.model_dump_json(), job_id))
                return job.model_dump_json()

        data = await self._db.run(_cancel)
        if data is None:
            raise JobNotFound(job_id)
        return Job.model_validate_json(data)

    async def list_jobs(self, *, owner: Owner = ANYONE, limit: int = 20) -> list[Job]:
        args: tuple[float | str | int | None, ...]
        if isinstance(owner, Anyone):
            mine, args = "", (time.time(), limit)
        else:
            mine, args = " AND owner IS ?", (time.time(), owner, limit)

        def _list(conn: sqlite3.Connection) -> list[str]:
            query = f"SELECT data FROM jobs WHERE expires_at > ?{mine} ORDER BY created_at DESC LIMIT ?"
            return [data for (data,) in conn.execute(query, args)]

        return [Job.model_validate_json(data) for data in await self._db.run(_list)]
