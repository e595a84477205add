"""The lazily created Redis client, and the error translation every call goes through."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

import redis.exceptions
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.commands.core import AsyncScript

from zen_core.store.base import StoreUnavailable, mask_url

DEFAULT_PREFIX = "zen:"
CONNECT_TIMEOUT_S = 2.0
SOCKET_TIMEOUT_S = 5.0


class RedisConnection:
    """The lazily created client plus the error translation every call goes through."""

    def __init__(self, url: str, prefix: str) -> None:
        self.url = url
        self.prefix = prefix
        self.description = mask_url(url)
        self._client: Redis | None = None
        self._scripts: dict[str, AsyncScript] = {}
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def client(self) -> Redis:
        """The client for the running event loop (redis.asyncio connections belong to one loop)."""
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop:
            # A client left behind by an earlier loop cannot be closed from this one; drop it.
            self._scripts, self._loop = {}, loop
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

    def script(self, source: str) -> AsyncScript:
        """A Lua script registered on this client (re-loaded by redis-py if the server lost its cache)."""
        script = self._scripts.get(source)
        if script is None:
            script = self._scripts[source] = self.client.register_script(source)
        return script

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
            client, self._client, self._scripts = self._client, None, {}
            if self._loop is asyncio.get_running_loop():
                await client.aclose()
