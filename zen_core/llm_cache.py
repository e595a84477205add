"""Response-cache setup (LiteLLM's cache) and coalescing of identical in-flight calls."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

from zen_core.llm_config import CacheSettings

log = logging.getLogger("zen.llm")
T = TypeVar("T")

#: Per-call LiteLLM cache control that neither reads nor writes the cache.
NO_CACHE = {"no-cache": True, "no-store": True}


def make_cache(litellm: Any, config: CacheSettings, redis_url: str | None) -> Any:
    """A ``litellm.Cache`` per config (``None`` when disabled). Redis when chosen and a URL is known."""
    if not config.enabled:
        return None
    from litellm.caching.caching import Cache as _Cache

    Cache: Any = _Cache

    use_redis = config.backend == "redis" or (config.backend == "auto" and redis_url)
    if use_redis:
        if not redis_url:
            raise ValueError("cache.backend is 'redis' but no URL is set (ZEN_REDIS_URL or cache.redis_url)")
        return Cache(type="redis", url=redis_url, ttl=config.ttl_s, namespace=config.namespace)
    return Cache(type="local", ttl=config.ttl_s)


async def close_cache(cache: Any) -> None:
    """Close a cache's connections (Redis); errors are logged, not raised."""
    backend = getattr(cache, "cache", None)
    disconnect = getattr(backend, "disconnect", None)
    if disconnect is None:
        return
    try:
        result = disconnect()
        if asyncio.iscoroutine(result):
            await result
    except Exception:
        log.debug("closing the response cache failed", exc_info=True)


def request_key(*parts: Any) -> str:
    """A stable hash of a request's identity (model, messages, params)."""
    blob = json.dumps(parts, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


class Coalescer(Generic[T]):
    """Run one call per key at a time; concurrent callers with the same key share its result.

    The shared call is cancelled only when every caller waiting on it has been cancelled.
    """

    def __init__(self) -> None:
        self._inflight: dict[str, tuple[asyncio.Future[T], list[int]]] = {}

    def __len__(self) -> int:
        return len(self._inflight)

    async def run(self, key: str, call: Callable[[], Awaitable[T]]) -> tuple[T, bool]:
        """``(result, shared)``; ``shared`` is True when another caller's call provided the result."""
        entry = self._inflight.get(key)
        shared = entry is not None
        if entry is None:
            task: asyncio.Future[T] = asyncio.ensure_future(call())
            entry = (task, [0])
            self._inflight[key] = entry
            task.add_done_callback(lambda _t, e=entry: self._forget(key, e))  # type: ignore[misc]
        task, waiters = entry
        waiters[0] += 1
        try:
            return await asyncio.shield(task), shared
        except asyncio.CancelledError:
            if not task.done() and waiters[0] == 1:
                task.cancel()
            raise
        finally:
            waiters[0] -= 1

    def _forget(self, key: str, entry: tuple[asyncio.Future[T], list[int]]) -> None:
        if self._inflight.get(key) is entry:
            del self._inflight[key]
        task = entry[0]
        if not task.cancelled() and task.exception() is not None and entry[1][0] == 0:
            log.debug("coalesced call failed with no waiter left: %s", task.exception())
