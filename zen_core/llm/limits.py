"""Rate limits and budgets on shared counters (Redis when configured), queueing instead of failing;
and each call's total time limit (:class:`Deadline`).

LiteLLM raises on rate limits instead of waiting; :class:`RateLimiter` waits for the next window for
up to ``max_wait_s`` and then raises :class:`LimitError` naming the limit. Counters are fixed windows
keyed by window number, so several processes sharing Redis share the limits.
"""

from __future__ import annotations

import asyncio
import logging
import math
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timezone
from typing import TypeVar

from zen_core.errors import ToolError
from zen_core.llm.config import BudgetSettings, Limit, RateLimitSettings, RouterSettings
from zen_core.llm.errors import ARGUMENT_LIMIT, SETTING_LIMIT, DeadlineExceeded, is_client_timeout
from zen_core.store.base import Counters

log = logging.getLogger("zen.llm")
T = TypeVar("T")

if sys.version_info >= (3, 11):
    from asyncio import timeout as _timeout
else:  # pragma: no cover - Python 3.10

    @asynccontextmanager
    async def _timeout(delay: float) -> AsyncIterator[None]:
        import anyio

        with anyio.fail_after(delay):
            yield


class MemoryCounters:
    """In-process counters; the fallback when shared counters fail, and handy in tests."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._values: dict[str, tuple[float, float]] = {}
        self._clock = clock

    async def incr(self, key: str, amount: float, ttl_s: int) -> float:
        now = self._clock()
        value, expires = self._values.get(key, (0.0, 0.0))
        if expires <= now:
            value = 0.0
        value += amount
        self._values[key] = (value, now + ttl_s)
        if len(self._values) > 10_000:
            self._values = {k: v for k, v in self._values.items() if v[1] > now}
        return value

    async def get(self, key: str) -> float:
        value, expires = self._values.get(key, (0.0, 0.0))
        return value if expires > self._clock() else 0.0


class SafeCounters:
    """Shared counters that fall back to local counting (and log) when the store fails."""

    def __init__(self, factory: Callable[[], Counters] | None) -> None:
        self._factory = factory
        self._shared: Counters | None = None
        self._resolved = factory is None
        self.local = MemoryCounters()
        self._warned_at = 0.0

    def _primary(self) -> Counters | None:
        if not self._resolved:
            self._resolved = True
            try:
                self._shared = self._factory() if self._factory else None
            except Exception:
                log.warning(
                    "shared counters unavailable; rate limits and budgets count in this process only", exc_info=True
                )
        return self._shared

    def _warn(self, exc: Exception) -> None:
        if time.monotonic() - self._warned_at > 60:
            self._warned_at = time.monotonic()
            log.warning("shared counters failed (%s); counting in this process", exc)

    async def incr(self, key: str, amount: float, ttl_s: int) -> float:
        shared = self._primary()
        if shared is not None:
            try:
                return await shared.incr(key, amount, ttl_s)
            except Exception as exc:
                self._warn(exc)
        return await self.local.incr(key, amount, ttl_s)

    async def get(self, key: str) -> float:
        shared = self._primary()
        if shared is not None:
            try:
                return await shared.get(key)
            except Exception as exc:
                self._warn(exc)
        return await self.local.get(key)


class LimitError(ToolError):
    """A Zen rate limit or budget refused the call."""


class RateLimiter:
    """Requests/tokens per window, global and per model, plus local concurrency caps."""

    def __init__(self, config: RateLimitSettings, counters: Counters, *, prefix: str = "zen") -> None:
        self.config = config
        self._counters = counters
        self._prefix = prefix
        self._per_model = {name.lower(): limit for name, limit in config.per_model.items()}
        self._semaphores: dict[str, asyncio.Semaphore] = {}

    def _scopes(self, model: str, names: list[str]) -> list[tuple[str, Limit, str]]:
        scopes = [("global", self.config.global_, "rate_limits.global")]
        for name in names:
            limit = self._per_model.get(name.lower())
            if limit is not None:
                scopes.append((f"model:{model}", limit, f"rate_limits.per_model.{name}"))
                break
        return scopes

    @asynccontextmanager
    async def slot(self, model: str, names: list[str], tokens: int) -> AsyncIterator[Callable[[int], None]]:
        """Hold a slot for one call; yields ``report(actual_tokens)`` to correct the token estimate.

        Every reservation the call took (requests and tokens, in every scope) is given back when it is
        refused — a scope full, the wait for a ``max_concurrent`` slot over, cancelled while waiting —
        and when it fails without reaching the provider: an exception whose ``provider_reached`` is
        ``False`` (see :class:`~zen_core.llm.errors.LLMError`). A call that reached the provider counts,
        whatever its outcome.
        """
        scopes = self._scopes(model, names)
        deadline = time.monotonic() + self.config.max_wait_s
        taken = await self._acquire(scopes, tokens, deadline)
        held: list[asyncio.Semaphore] = []
        actual = [tokens]
        refund = True
        try:
            for key, limit, where in scopes:
                if not limit.max_concurrent:
                    continue
                sem = self._semaphore(key, limit.max_concurrent)
                try:
                    await asyncio.wait_for(sem.acquire(), max(deadline - time.monotonic(), 0.001))
                except TimeoutError as exc:
                    raise self._error(f"{where}.max_concurrent", "calls in flight") from exc
                held.append(sem)
            try:
                yield lambda n: actual.__setitem__(0, n)
            except BaseException as exc:
                refund = getattr(exc, "provider_reached", True) is False
                raise
            refund = False
        finally:
            for sem in held:
                sem.release()
            if refund:
                await self._give_back(taken)
            elif actual[0] != tokens:
                for counter, kind, _ in taken:
                    if kind == "tok":
                        await self._counters.incr(counter, actual[0] - tokens, self._ttl)

    def _semaphore(self, key: str, size: int) -> asyncio.Semaphore:
        sem = self._semaphores.get(key)
        if sem is None:
            sem = self._semaphores[key] = asyncio.Semaphore(size)
        return sem

    @property
    def _ttl(self) -> int:
        return max(2, math.ceil(self.config.window_s * 2))

    def _key(self, scope: str, kind: str, window: int) -> str:
        return f"{self._prefix}:rl:{scope}:{kind}:{window}"

    async def _give_back(self, taken: list[tuple[str, str, float]]) -> None:
        for counter, _, amount in taken:
            await self._counters.incr(counter, -amount, self._ttl)

    async def _acquire(
        self, scopes: list[tuple[str, Limit, str]], tokens: int, deadline: float
    ) -> list[tuple[str, str, float]]:
        """Wait (until ``deadline``) for room in every scope; returns what was taken: (counter, kind, amount)."""
        limited = [s for s in scopes if s[1].requests_per_minute or s[1].tokens_per_minute]
        while True:
            now = time.time()
            window = int(now // self.config.window_s)
            taken: list[tuple[str, str, float]] = []
            blocked = await self._take(limited, tokens, window, taken)
            if blocked is None:
                return taken
            wait = (window + 1) * self.config.window_s - now + 0.001
            if time.monotonic() + wait > deadline:
                raise self._error(*blocked)
            await asyncio.sleep(wait)

    async def _take(
        self, scopes: list[tuple[str, Limit, str]], tokens: int, window: int, taken: list[tuple[str, str, float]]
    ) -> tuple[str, str] | None:
        """Take a request (and the token estimate) in every scope, appending to ``taken``; when one is
        full, give everything back and return ``(limit, what)``."""
        try:
            for key, limit, where in scopes:
                for kind, cap, amount, what in (
                    ("req", limit.requests_per_minute, 1.0, "requests"),
                    ("tok", limit.tokens_per_minute, float(tokens), "tokens"),
                ):
                    if not cap:
                        continue
                    counter = self._key(key, kind, window)
                    value = await self._counters.incr(counter, amount, self._ttl)
                    taken.append((counter, kind, amount))
                    if value > cap and not (kind == "tok" and value == amount):  # one big call may exceed alone
                        await self._give_back(taken)
                        suffix = "requests_per_minute" if kind == "req" else "tokens_per_minute"
                        return f"{where}.{suffix} = {cap}", what
        except BaseException:
            await self._give_back(taken)  # cancelled or the counters failed halfway
            raise
        return None

    def _error(self, limit: str, what: str) -> LimitError:
        return LimitError(
            f"Rate limit {limit} reached: waited {self.config.max_wait_s:g}s for {what} to free up. "
            "What to do: retry later, or raise the limit / rate_limits.max_wait_s in limits.yaml.",
            code="rate_limited",
            details={"limit": limit, "max_wait_s": self.config.max_wait_s},
        )


class Deadline:
    """The time one call may take across all its attempts, retries and fallbacks.

    ``llm.total_timeout_s`` bounds every call; a call's ``timeout_s`` argument can lower that bound
    (not raise it). Each attempt is given the smaller of ``llm.timeout_s`` and what is left, and
    :meth:`run` / :meth:`bound` cut off whatever still runs when the time is up (a Router call trying
    its fallbacks, a backoff, a stream that trickles), raising :class:`DeadlineExceeded` that names
    the limit. Starts when created: after the rate limiter let the call through.
    """

    def __init__(self, settings: RouterSettings, timeout_s: float | None = None) -> None:
        if timeout_s is not None and timeout_s < settings.total_timeout_s:
            self.total_s, self.limit = timeout_s, ARGUMENT_LIMIT
        else:
            self.total_s, self.limit = settings.total_timeout_s, SETTING_LIMIT
        self.attempt_s = settings.timeout_s
        self._end = time.monotonic() + self.total_s

    def remaining(self) -> float:
        """Seconds left (0 when the time is up)."""
        return max(self._end - time.monotonic(), 0.0)

    def attempt_timeout(self, model_timeout_s: float | None = None) -> float:
        """The timeout for an attempt starting now: ``llm.timeout_s`` (or the model's own ``timeout``,
        from its ``extra_params``), or what is left, if less."""
        attempt_s = self.attempt_s if model_timeout_s is None else model_timeout_s
        return max(min(attempt_s, self.remaining()), 0.001)

    def allows(self, delay_s: float) -> bool:
        """Whether waiting ``delay_s`` (a backoff) still leaves time for another attempt."""
        return delay_s < self.remaining()

    def exceeded(self) -> DeadlineExceeded:
        return DeadlineExceeded(self.total_s, self.limit)

    async def run(self, awaitable: Awaitable[T]) -> T:
        """Await ``awaitable``, cancelling it when the time is up (then :class:`DeadlineExceeded`).

        An attempt whose own timeout (set to what was left) fires at the end counts as the limit too.
        """
        try:
            async with _timeout(self.remaining()):  # in this task: no hop to another task and back
                return await awaitable
        except Exception as exc:
            if self.remaining() <= _DEADLINE_SLACK_S and is_client_timeout(exc):
                raise self.exceeded() from exc
            raise

    def bound(self, stream: AsyncIterator[T]) -> AsyncIterator[T]:
        """``stream``, each item awaited under this deadline."""
        return _Bounded(stream, self)


#: A timeout this close to the deadline is the deadline's (timers fire a little early or late).
_DEADLINE_SLACK_S = 0.05


class _Bounded(AsyncIterator[T]):
    def __init__(self, stream: AsyncIterator[T], deadline: Deadline) -> None:
        self._stream = stream
        self._deadline = deadline

    async def __anext__(self) -> T:
        return await self._deadline.run(self._stream.__anext__())


class Budget:
    """Per-call cost ceiling and daily spend limit (shared through counters)."""

    def __init__(self, config: BudgetSettings, counters: Counters, *, prefix: str = "zen") -> None:
        self.config = config
        self._counters = counters
        self._prefix = prefix

    def _day_key(self) -> str:
        return f"{self._prefix}:spend:{datetime.now(timezone.utc):%Y-%m-%d}"

    def per_call_limit(self, max_cost_usd: float | None = None) -> tuple[float, str] | None:
        """The per-call ceiling and where it comes from: the lower of ``budgets.max_cost_per_call_usd``
        and a call's ``max_cost_usd`` argument (which can lower the configured ceiling, not raise it)."""
        limits = [(self.config.max_cost_per_call_usd, "budgets.max_cost_per_call_usd")]
        limits.append((max_cost_usd, "the max_cost_usd argument"))
        given = [(value, source) for value, source in limits if value is not None]
        return min(given, key=lambda item: item[0]) if given else None

    def needs_estimate(self, max_cost_usd: float | None = None) -> bool:
        """Whether checking a call needs its estimated cost (any ceiling or daily limit applies)."""
        return self.active or max_cost_usd is not None

    async def check(self, model: str, estimate_usd: float, max_cost_usd: float | None = None) -> None:
        """Refuse a call whose estimated cost breaks the per-call or daily limit."""
        per_call = self.per_call_limit(max_cost_usd)
        if per_call is not None and estimate_usd > per_call[0]:
            limit, source = per_call
            raise LimitError(
                f"Call to '{model}' refused: estimated cost ${estimate_usd:.6f} exceeds the per-call limit "
                f"${limit:g} ({source}). What to do: shorten the input, lower max_tokens, pick a cheaper "
                "model, or raise the limit.",
                code="budget_exceeded",
                details={"model": model, "estimate_usd": estimate_usd, "limit_usd": limit, "limit": source},
            )
        daily = self.config.daily_limit_usd
        if daily is not None:
            spent = await self._counters.get(self._day_key())
            if spent + estimate_usd > daily:
                raise LimitError(
                    f"Call to '{model}' refused: today's spend ${spent:.4f} plus this call's estimate "
                    f"${estimate_usd:.6f} exceeds budgets.daily_limit_usd = ${daily:g}. What to do: wait "
                    "until tomorrow (UTC) or raise the limit.",
                    code="budget_exceeded",
                    details={"model": model, "spent_usd": spent, "limit_usd": daily},
                )

    async def record(self, cost_usd: float) -> None:
        if cost_usd > 0 and self.config.daily_limit_usd is not None:
            await self._counters.incr(self._day_key(), cost_usd, 2 * 86400)

    @property
    def active(self) -> bool:
        return self.config.max_cost_per_call_usd is not None or self.config.daily_limit_usd is not None
