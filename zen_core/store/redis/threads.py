"""Threads as a metadata hash plus a list of turns, both expiring together; an index per owner."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence

from pydantic_core import to_json
from redis.typing import EncodableT, FieldT

from zen_core.store.base import ThreadFull, ThreadStore, normalize_thread_id
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
from zen_core.store.redis.connection import RedisConnection

# KEYS: meta, turns, index. ARGV: id, now, ttl_ms, max_turns, first_prompt, models ("\n"-joined),
# check_owner ("1"/"0"), owner ("" = none), owner-index key prefix, turns...
# Returns the new turn count, -1 when the thread does not exist (or belongs to another owner), -2 when
# it would exceed max_turns. Threads written before owners had their own field keep it in initial_context.
_APPEND_LUA = """
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local owner = redis.call('HGET', KEYS[1], 'owner')
if not owner then
  local context = cjson.decode(redis.call('HGET', KEYS[1], 'initial_context') or '{}')
  owner = context['owner']
  if type(owner) ~= 'string' then owner = '' end
end
if ARGV[7] == '1' and owner ~= ARGV[8] then return -1 end
local count = redis.call('LLEN', KEYS[2])
local adding = #ARGV - 9
if count + adding > tonumber(ARGV[4]) then return -2 end
for i = 10, #ARGV do redis.call('RPUSH', KEYS[2], ARGV[i]) end
local known = redis.call('HGET', KEYS[1], 'models') or ''
local models = known
for model in string.gmatch(ARGV[6], '[^\\n]+') do
  if not string.find('\\n' .. models .. '\\n', '\\n' .. model .. '\\n', 1, true) then
    if models == '' then models = model else models = models .. '\\n' .. model end
  end
end
redis.call('HSET', KEYS[1], 'updated_at', ARGV[2], 'models', models)
if ARGV[5] ~= '' and (redis.call('HGET', KEYS[1], 'first_prompt') or '') == '' then
  redis.call('HSET', KEYS[1], 'first_prompt', ARGV[5])
end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[1])
redis.call('ZADD', ARGV[9] .. owner, ARGV[2], ARGV[1])
return count + adding
"""


class RedisThreadStore(ThreadStore):
    """Threads as a metadata hash plus a list of turns, both expiring together."""

    def __init__(self, conn: RedisConnection, config: ConversationSettings) -> None:
        super().__init__(config)
        self._conn = conn
        self._index = f"{conn.prefix}threads"
        self._owner_index_prefix = f"{conn.prefix}threads:owner:"

    def _meta_key(self, thread_id: str) -> str:
        return f"{self._conn.prefix}thread:{thread_id}"

    def _turns_key(self, thread_id: str) -> str:
        return f"{self._conn.prefix}thread:{thread_id}:turns"

    @property
    def _ttl_ms(self) -> int:
        return max(1, round(self.ttl_seconds * 1000))

    async def _insert(self, thread: Thread, now: float) -> None:
        turns, context = thread.turns, thread.initial_context
        meta: dict[FieldT, EncodableT] = {
            "parent_id": thread.parent_id or "",
            "tool": thread.tool,
            "created_at": repr(now),
            "updated_at": repr(now),
            "initial_context": to_json(context).decode(),
            "first_prompt": first_prompt_of(turns, context),
            "models": "\n".join(merge_models([], turns)),
            "owner": thread.owner or "",
        }
        meta_key, turns_key = self._meta_key(thread.id), self._turns_key(thread.id)
        with self._conn.guard():
            async with self._conn.client.pipeline(transaction=True) as pipe:
                pipe.hset(meta_key, mapping=meta)
                if turns:
                    pipe.rpush(turns_key, *(t.model_dump_json() for t in turns))
                    pipe.pexpire(turns_key, self._ttl_ms)
                pipe.pexpire(meta_key, self._ttl_ms)
                pipe.zadd(self._index, {thread.id: now})
                pipe.zadd(self._owner_index_prefix + (thread.owner or ""), {thread.id: now})
                await pipe.execute()

    async def get(self, thread_id: str, *, owner: Owner = ANYONE) -> Thread:
        thread_id = normalize_thread_id(thread_id)
        with self._conn.guard():
            async with self._conn.client.pipeline(transaction=True) as pipe:
                pipe.hgetall(self._meta_key(thread_id))
                pipe.lrange(self._turns_key(thread_id), 0, -1)
                pipe.pttl(self._meta_key(thread_id))
                meta, turns, pttl = await pipe.execute()
        if not meta:
            raise self._not_found(thread_id)
        context = json.loads(meta["initial_context"])
        thread_owner = _owner_of(meta, context)
        if not owner_matches(owner, thread_owner):
            raise self._not_found(thread_id)
        return Thread(
            id=thread_id,
            parent_id=meta.get("parent_id") or None,
            tool=meta["tool"],
            owner=thread_owner,
            created_at=from_epoch(float(meta["created_at"])),
            updated_at=from_epoch(float(meta["updated_at"])),
            expires_at=from_epoch(time.time() + max(0, int(pttl)) / 1000),
            initial_context=context,
            turns=[Turn.model_validate_json(t) for t in turns],
        )

    async def add_turns(self, thread_id: str, turns: Sequence[Turn], *, owner: Owner = ANYONE) -> int:
        thread_id = normalize_thread_id(thread_id)
        turn_list = list(turns)
        # The first prompt is only used when the thread has none yet (decided inside the script).
        candidate = first_prompt_of(turn_list, {}) if any(t.role == "user" for t in turn_list) else ""
        args: list[str | int] = [
            thread_id,
            repr(time.time()),
            self._ttl_ms,
            self.max_turns,
            candidate,
            "\n".join(merge_models([], turn_list)),
            "0" if isinstance(owner, Anyone) else "1",
            "" if isinstance(owner, Anyone) else owner or "",
            self._owner_index_prefix,
            *(t.model_dump_json() for t in turn_list),
        ]
        with self._conn.guard():
            result = int(
                await self._conn.script(_APPEND_LUA)(
                    keys=[self._meta_key(thread_id), self._turns_key(thread_id), self._index], args=args
                )
            )
        if result == -1:
            raise self._not_found(thread_id)
        if result == -2:
            raise ThreadFull(thread_id, self.max_turns)
        return result

    async def delete(self, thread_id: str) -> bool:
        thread_id = normalize_thread_id(thread_id)
        with self._conn.guard():
            async with self._conn.client.pipeline(transaction=True) as pipe:
                pipe.delete(self._meta_key(thread_id), self._turns_key(thread_id))
                pipe.zrem(self._index, thread_id)
                deleted, _ = await pipe.execute()
        return int(deleted) > 0

    async def list_threads(self, limit: int = 20, *, owner: Owner = ANYONE) -> list[ThreadSummary]:
        if limit <= 0:
            return []
        now = time.time()
        index = self._index if isinstance(owner, Anyone) else self._owner_index_prefix + (owner or "")
        fields = ("tool", "first_prompt", "models", "created_at", "updated_at", "initial_context", "owner")
        summaries: list[ThreadSummary] = []
        client = self._conn.client
        with self._conn.guard():
            # Index entries older than the TTL belong to expired threads.
            await client.zremrangebyscore(index, "-inf", now - self.ttl_seconds)
            start = 0
            while len(summaries) < limit:
                ids = [str(i) for i in await client.zrevrange(index, start, start + limit - 1)]
                if not ids:
                    break
                start += len(ids)
                async with client.pipeline(transaction=False) as pipe:
                    for tid in ids:
                        pipe.hmget(self._meta_key(tid), fields)
                        pipe.llen(self._turns_key(tid))
                    replies = await pipe.execute()
                gone = []
                for tid, values, count in zip(ids, replies[::2], replies[1::2], strict=True):
                    tool, prompt, models, created, updated, context, owner_field = values
                    if tool is None:  # expired or deleted since it was indexed
                        gone.append(tid)
                        continue
                    meta = {} if owner_field is None else {"owner": owner_field}
                    if not owner_matches(owner, _owner_of(meta, json.loads(context or "{}"))):
                        continue
                    if len(summaries) < limit:
                        summaries.append(
                            ThreadSummary(
                                id=tid,
                                tool=tool,
                                first_prompt=prompt or "",
                                models=[m for m in (models or "").split("\n") if m],
                                created_at=from_epoch(float(created)),
                                updated_at=from_epoch(float(updated)),
                                age_seconds=max(0.0, now - float(created)),
                                turn_count=int(count),
                            )
                        )
                if gone:
                    await client.zrem(index, *gone)
                    start -= len(gone)
        return summaries


def _owner_of(meta: dict[str, str], context: dict[str, object]) -> str | None:
    """A thread's owner: its ``owner`` field (older threads kept it in their initial context)."""
    value = meta.get("owner")
    if value is None:
        legacy = context.get("owner")
        value = legacy if isinstance(legacy, str) else ""
    return value or None
