"""The response cache (on LiteLLM's cache backends) and coalescing of identical in-flight calls."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

from zen_core.llm.models import ModelConfig

log = logging.getLogger("zen.llm")
T = TypeVar("T")


class ResponseCache:
    """Whole answers stored under Zen's request key in a LiteLLM cache backend: in-process by default,
    Redis (shared by every instance) when configured.

    Zen looks the key up before calling the provider and stores the answer before returning it, rather
    than switching on LiteLLM's per-call caching: that costs every call about 1.5 ms of CPU and writes
    only after the call has returned, so an identical call right after it still reached the provider.
    A failing backend (Redis down) is a miss, never an error.
    """

    def __init__(self, backend: Any, *, ttl_s: float, namespace: str, description: str) -> None:
        self.backend = backend
        self.ttl_s = ttl_s
        self.prefix = f"{namespace}:response:"
        self.description = description

    async def get(self, key: str) -> dict[str, Any] | None:
        try:
            value = await self.backend.async_get_cache(self.prefix + key)
            if isinstance(value, (str, bytes)):  # the backends usually decode JSON themselves
                value = json.loads(value)
        except Exception:
            log.warning("response cache (%s) lookup failed; calling the provider", self.description, exc_info=True)
            return None
        return value if isinstance(value, dict) else None

    async def put(self, key: str, value: dict[str, Any]) -> None:
        try:
            await self.backend.async_set_cache(self.prefix + key, value, ttl=self.ttl_s)
        except Exception:
            log.warning("response cache (%s) write failed", self.description, exc_info=True)

    async def aclose(self) -> None:
        """Close the backend's connections (Redis); errors are logged, not raised."""
        disconnect = getattr(self.backend, "disconnect", None)
        if disconnect is None:
            return
        try:
            result = disconnect()
            if asyncio.iscoroutine(result):
                await result
        except Exception:
            log.debug("closing the response cache failed", exc_info=True)


def model_identity(cfg: ModelConfig) -> dict[str, Any]:
    """What about a model shapes its answers, for the cache key: the Zen name, and the provider model
    id, endpoint and extra parameters of each deployment (not the keys). A cache shared through Redis
    by instances whose "m" is configured differently (or by one before and after a config change)
    keeps their answers apart."""
    deployments = [
        {"model": d.model or cfg.model, "api_base": d.api_base or cfg.api_base, "extra_params": d.extra_params}
        for d in cfg.deployments
    ]
    return {
        "name": cfg.name,
        "model": cfg.model,
        "api_base": cfg.api_base,
        "extra_params": cfg.extra_params,
        "deployments": deployments,
    }


def request_key(*parts: Any) -> str:
    """A stable hash of a request's identity (:func:`model_identity`, messages, every parameter sent)."""
    blob = json.dumps(parts, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


class Coalescer(Generic[T]):
    """Run one call per key at a time; concurrent callers with the same key share its result.

    The first caller makes the call in its own task (no task hop between the provider's answer and the
    caller, where other work would get to run first); the others wait for its result. A first caller
    that is cancelled cancels its call: one of those waiting then makes it.
    """

    def __init__(self) -> None:
        self._inflight: dict[str, asyncio.Future[T]] = {}

    def __len__(self) -> int:
        return len(self._inflight)

    async def run(self, key: str, call: Callable[[], Awaitable[T]]) -> tuple[T, bool]:
        """``(result, shared)``; ``shared`` is True when another caller's call provided the result."""
        while True:
            ongoing = self._inflight.get(key)
            if ongoing is None:
                return await self._lead(key, call), False
            try:
                return await asyncio.shield(ongoing), True
            except asyncio.CancelledError:
                if ongoing.cancelled() and not _being_cancelled():  # the caller making it gave up, not us
                    continue
                raise

    async def _lead(self, key: str, call: Callable[[], Awaitable[T]]) -> T:
        result: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._inflight[key] = result
        try:
            value = await call()
        except asyncio.CancelledError:
            result.cancel()
            raise
        except BaseException as exc:
            result.set_exception(exc)
            result.exception()  # retrieved: with no one waiting, asyncio must not log it as lost
            raise
        finally:
            if self._inflight.get(key) is result:
                del self._inflight[key]
        result.set_result(value)
        return value


def _being_cancelled() -> bool:
    """Whether the current task has a cancellation pending (always ``False`` before Python 3.11)."""
    task = asyncio.current_task()
    cancelling = getattr(task, "cancelling", None)
    return bool(cancelling and cancelling())
