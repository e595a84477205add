"""A call the rate limiter refused, or one that never reached the provider, gives back every
reservation it took: the next call in the same window still gets the whole allowance.

Run on real counters: in-process (``MemoryCounters``) and the SQLite store's.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from zen_core.llm import LimitError, LLMError, LLMService
from zen_core.llm.config import RateLimitSettings
from zen_core.llm.limits import MemoryCounters, RateLimiter
from zen_core.store import ConversationSettings
from zen_core.store.base import Counters
from zen_core.store.sqlite import SQLiteStore
from zen_core.testing.fake_llm import FakeLLM
from zen_core.testing.waiting import wait_until

USER = [{"role": "user", "content": "count me"}]
#: Windows are fixed (numbered from the epoch), so a test running across a boundary would see a fresh
#: allowance; with windows of 10^9 s the next boundary is in 2033.
WINDOW_S = 10**9


@pytest.fixture(params=["memory", "sqlite"])
async def counters(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Counters]:
    if request.param == "memory":
        yield MemoryCounters()
        return
    store = SQLiteStore(tmp_path / "zen.db", ConversationSettings(ttl_hours=1, max_turns=10))
    try:
        yield store.counters
    finally:
        await store.aclose()


def _limits(max_wait_s: float = 0, **rate_limits: Any) -> dict[str, Any]:
    return {
        "llm": {"num_retries": 0},
        "cache": {"enabled": False},
        "rate_limits": {"window_s": WINDOW_S, "max_wait_s": max_wait_s, **rate_limits},
    }


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _calls_allowed(llm: LLMService, model: str, at_most: int = 5) -> int:
    """How many more calls to ``model`` the limiter lets through now (stops at the first refusal)."""
    for allowed in range(at_most):
        try:
            await llm.complete(model, USER)
        except LimitError:
            return allowed
    return at_most


async def test_refused_by_another_scope_returns_its_reservations(
    fake_llm: FakeLLM, make_llm: Callable[..., LLMService], counters: Counters
) -> None:
    llm = make_llm(
        counters=counters,
        models={"m": fake_llm.entry(fake_llm.model()), "o": fake_llm.entry(fake_llm.model())},
        limits=_limits(**{"global": {"requests_per_minute": 3}, "per_model": {"m": {"requests_per_minute": 1}}}),
    )
    await llm.complete("m", USER)
    with pytest.raises(LimitError, match=r"rate_limits\.per_model\.m\.requests_per_minute"):
        await llm.complete("m", USER)  # took a global request, then found m full
    assert await _calls_allowed(llm, "o") == 2  # 3 global, 1 used by the first call


async def test_refused_waiting_for_max_concurrent_returns_its_reservations(
    fake_llm: FakeLLM, make_llm: Callable[..., LLMService], counters: Counters
) -> None:
    name = fake_llm.model(latency_s=1.0)
    llm = make_llm(
        counters=counters,
        models={"m": fake_llm.entry(name)},
        limits=_limits(
            max_wait_s=0.3, **{"global": {"requests_per_minute": 2}, "per_model": {"m": {"max_concurrent": 1}}}
        ),
    )
    first = asyncio.create_task(llm.complete("m", USER))
    await wait_until(lambda: fake_llm.calls(name) == 1, "the first call reached the fake")
    with pytest.raises(LimitError, match="max_concurrent"):
        await llm.complete("m", USER)  # counted a request, then waited 0.3 s for the slot in vain
    await first
    assert await _calls_allowed(llm, "m") == 1  # 2 per window, 1 used by the first call
    assert fake_llm.calls(name) == 2


async def test_call_that_never_reached_the_provider_returns_its_reservations(
    fake_llm: FakeLLM, make_llm: Callable[..., LLMService], counters: Counters
) -> None:
    down = {"model": "openai/nobody", "api_base": f"http://127.0.0.1:{_closed_port()}/v1", "api_key": "k"}
    llm = make_llm(
        counters=counters,
        models={"down": down, "m": fake_llm.entry(fake_llm.model())},
        limits=_limits(**{"global": {"requests_per_minute": 2}}),
    )
    with pytest.raises(LLMError, match="cannot reach the provider"):
        await llm.complete("down", USER)
    assert await _calls_allowed(llm, "m") == 2


async def test_call_that_reached_the_provider_keeps_its_reservation(
    fake_llm: FakeLLM, make_llm: Callable[..., LLMService], counters: Counters
) -> None:
    llm = make_llm(
        counters=counters,
        models={"bad": fake_llm.entry(fake_llm.model(status=500)), "m": fake_llm.entry(fake_llm.model())},
        limits=_limits(**{"global": {"requests_per_minute": 2}}),
    )
    with pytest.raises(LLMError, match="HTTP 500"):
        await llm.complete("bad", USER)
    assert await _calls_allowed(llm, "m") == 1  # the provider saw the failed call: it counts


async def test_tokens_of_a_refused_call_are_returned(counters: Counters) -> None:
    """Token reservations too, straight on the limiter: a slot refused by max_concurrent and a call
    that never reached the provider both give their tokens back."""
    config = RateLimitSettings.model_validate(
        {"window_s": WINDOW_S, "max_wait_s": 0.1, "global": {"tokens_per_minute": 100, "max_concurrent": 1}}
    )
    limiter = RateLimiter(config, counters, prefix="refunds")
    async with limiter.slot("m", ["m"], 60) as report:
        with pytest.raises(LimitError, match="max_concurrent"):
            async with limiter.slot("m", ["m"], 30):
                pass
        report(30)  # the call used fewer tokens than estimated
    unreached = LLMError(
        "no connection", model="m", provider="openai", status_code=None, provider_message="", provider_reached=False
    )
    with pytest.raises(LLMError):
        async with limiter.slot("m", ["m"], 50):
            raise unreached
    async with limiter.slot("m", ["m"], 70) as report:  # 30 + 70: exactly the allowance
        report(70)
    with pytest.raises(LimitError, match="tokens_per_minute"):
        async with limiter.slot("m", ["m"], 1):
            pass
