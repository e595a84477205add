"""Shared backend on Redis, for several Zen instances behind a load balancer.

Layout (``<p>`` is the key prefix, ``zen:`` by default):

* ``<p>thread:<id>`` — hash with the thread's metadata;
* ``<p>thread:<id>:turns`` — list of turns (JSON), appended by a Lua script that checks the
  turn limit, pushes, and refreshes the TTL of both keys atomically;
* ``<p>threads`` — sorted set of thread ids by last update, for ``list_threads``;
* ``<p>counter:<key>`` — counters (``INCRBYFLOAT`` + ``EXPIRE NX`` in one ``MULTI``).

The client connects on first use and reconnects by itself once Redis is back; while it is
down every call raises :class:`StoreUnavailable`.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import redis.exceptions
from pydantic_core import to_json
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.commands.core import AsyncScript
from redis.typing import EncodableT, FieldT

from zen_core.store.base import (
    ANYONE,
    Anyone,
    Counters,
    Owner,
    Store,
    StoreUnavailable,
    ThreadFull,
    ThreadStore,
    mask_url,
    normalize_thread_id,
    owner_matches,
)
from zen_core.store.models import (
    ConversationSettings,
    Thread,
    ThreadSummary,
    Turn,
    first_prompt_of,
    from_epoch,
    merge_models,
)

DEFAULT_PREFIX = "zen:"
CONNECT_TIMEOUT_S = 2.0
SOCKET_TIMEOUT_S = 5.0

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


class RedisConnection:
    """The lazily created client plus the error translation every call goes through."""

    def __init__(self, url: str, prefix: str) -> None:
        self.url = url
        self.prefix = prefix
        self.description = mask_url(url)
        self._client: Redis | None = None
        self._append: AsyncScript | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def client(self) -> Redis:
        """The client for the running event loop (redis.asyncio connections belong to one loop)."""
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop:
            # A client left behind by an earlier loop cannot be closed from this one; drop it.
            self._append, self._loop = None, loop
            self._client = Redis.from_url(
                self.url,
                decode_responses=True,
                socket_connect_timeout=CONNECT_TIMEOUT_S,
                socket_timeout=SOCKET_TIMEOUT_S,
                health_check_interval=30,
                retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), retries=2),
                client_name="zen",
            )
        return self._client

    @property
    def append_script(self) -> AsyncScript:
        """The atomic append script (re-loaded by redis-py if the server lost its script cache)."""
        if self._append is None:
            self._append = self.client.register_script(_APPEND_LUA)
        return self._append

    @contextmanager
    def guard(self) -> Iterator[None]:
        """Turn Redis and socket errors into :class:`StoreUnavailable` naming the (masked) URL."""
        try:
            yield
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError) as exc:
            raise StoreUnavailable(
                f"Redis at {self.description} is unreachable ({exc}); is redis-server running? "
                "Conversation memory and shared counters are unavailable until it is back.",
                store=self.description,
            ) from exc
        except redis.exceptions.RedisError as exc:
            raise StoreUnavailable(
                f"Redis at {self.description} rejected a command: {exc}", store=self.description
            ) from exc

    async def aclose(self) -> None:
        if self._client is not None:
            client, self._client, self._append = self._client, None, None
            if self._loop is asyncio.get_running_loop():
                await client.aclose()


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
                await self._conn.append_script(
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


class RedisStore(Store):
    """The Redis store. Construction is free: the client connects on first use."""

    def __init__(self, url: str, config: ConversationSettings, *, prefix: str = DEFAULT_PREFIX) -> None:
        self._conn = RedisConnection(url, prefix)
        self.url = url
        self.description = self._conn.description
        self._threads = RedisThreadStore(self._conn, config)
        self._counters = RedisCounters(self._conn)

    @property
    def threads(self) -> ThreadStore:
        return self._threads

    @property
    def counters(self) -> Counters:
        return self._counters

    async def ping(self) -> None:
        with self._conn.guard():
            await self._conn.client.ping()

    async def aclose(self) -> None:
        await self._conn.aclose()
