"""Background jobs as Redis strings (``<prefix>job:<id>``, JSON) expiring ``ttl_s`` after their last write,
indexed by creation time for everyone and per owner."""

from __future__ import annotations

import json
import time

from zen_core.store.jobs import Job, JobNotFound, JobStore
from zen_core.store.owner import ANYONE, Anyone, Owner, owner_matches
from zen_core.store.redis.connection import RedisConnection

# KEYS: job, index, owner index. ARGV: job JSON, ttl_ms, created_at, id.
# A cancel request stored meanwhile is kept: the running instance has not seen it yet.
_PUT_LUA = """
local new = ARGV[1]
local old = redis.call('GET', KEYS[1])
if old then
  local stored = cjson.decode(old)
  if stored['cancel_requested'] == true then
    local job = cjson.decode(new)
    job['cancel_requested'] = true
    new = cjson.encode(job)
  end
end
redis.call('SET', KEYS[1], new, 'PX', ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[4])
return 1
"""
# KEYS: job. ARGV: check_owner ("1"/"0"), owner ("" = none). Returns the job JSON, or nil.
_CANCEL_LUA = """
local raw = redis.call('GET', KEYS[1])
if not raw then return nil end
local job = cjson.decode(raw)
local owner = job['owner']
if type(owner) ~= 'string' then owner = '' end
if ARGV[1] == '1' and owner ~= ARGV[2] then return nil end
if job['status'] == 'running' and job['cancel_requested'] ~= true then
  job['cancel_requested'] = true
  raw = cjson.encode(job)
  redis.call('SET', KEYS[1], raw, 'KEEPTTL')
end
return raw
"""


class RedisJobStore(JobStore):
    def __init__(self, conn: RedisConnection, ttl_s: float) -> None:
        super().__init__(ttl_s)
        self._conn = conn

    def _key(self, job_id: str) -> str:
        return f"{self._conn.prefix}job:{job_id}"

    def _index(self, owner: Owner) -> str:
        if isinstance(owner, Anyone):
            return f"{self._conn.prefix}jobs"
        return f"{self._conn.prefix}jobs:owner:{owner or ''}"

    async def put(self, job: Job) -> None:
        job = job.model_copy(update={"updated_at": time.time()})  # the heartbeat readers check
        keys = [self._key(job.id), self._index(ANYONE), self._index(job.owner)]
        args: list[str | int] = [job.model_dump_json(), max(1, round(self.ttl_s * 1000)), repr(job.created_at), job.id]
        with self._conn.guard():
            await self._conn.script(_PUT_LUA)(keys=keys, args=args)

    async def get(self, job_id: str, *, owner: Owner = ANYONE) -> Job:
        with self._conn.guard():
            raw = await self._conn.client.get(self._key(job_id))
        job = Job.model_validate_json(raw) if raw else None
        if job is None or not owner_matches(owner, job.owner):
            raise JobNotFound(job_id)
        return job

    async def request_cancel(self, job_id: str, *, owner: Owner = ANYONE) -> Job:
        check = "0" if isinstance(owner, Anyone) else "1"
        with self._conn.guard():
            raw = await self._conn.script(_CANCEL_LUA)(
                keys=[self._key(job_id)], args=[check, "" if isinstance(owner, Anyone) else owner or ""]
            )
        if not raw:
            raise JobNotFound(job_id)
        return Job.model_validate(json.loads(raw))

    async def list_jobs(self, *, owner: Owner = ANYONE, limit: int = 20) -> list[Job]:
        index = self._index(owner)
        client = self._conn.client
        with self._conn.guard():
            ids = [str(i) for i in await client.zrevrange(index, 0, max(limit * 2, limit) - 1)]
            raws = await client.mget([self._key(i) for i in ids]) if ids else []
            gone = [i for i, raw in zip(ids, raws, strict=True) if raw is None]
            if gone:
                await client.zrem(index, *gone)
        jobs = [Job.model_validate_json(raw) for raw in raws if raw is not None]
        return [j for j in jobs if owner_matches(owner, j.owner)][:limit]
