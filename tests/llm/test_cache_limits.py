"""Cache, coalescing, independent samples, rate limits, budgets, counters fallback."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest

from zen_core.llm import LimitError, LLMService
from zen_core.testing.fake_llm import FakeLLM

USER = [{"role": "user", "content": "cache me please"}]
OneModel = Callable[..., tuple[LLMService, str]]


async def _eventually_cached(llm: LLMService) -> bool:
    for _ in range(50):  # bounded: the answer is stored before complete() returns
        if (await llm.complete("m", USER)).cache_hit:
            return True
        await asyncio.sleep(0.02)
    return False


async def test_cache_hit_reaches_the_provider_once(one_model: OneModel, fake_llm: FakeLLM) -> None:
    llm, name = one_model(text="cached answer", entry={"input_cost_per_token": 1e-6, "output_cost_per_token": 1e-6})
    first = await llm.complete("m", USER)
    await asyncio.sleep(0.1)
    second = await llm.complete("m", USER, metadata={"trace_id": "other"})
    assert (first.cache_hit, second.cache_hit) == (False, True)
    assert second.text == "cached answer"
    assert second.cost_usd == 0.0 and first.cost_usd > 0
    assert fake_llm.calls(name) == 1


async def test_identical_call_right_after_is_a_hit(one_model: OneModel, fake_llm: FakeLLM) -> None:
    llm, name = one_model(text="stored before returning")
    await llm.complete("m", [{"role": "user", "content": "back to back"}])
    again = await llm.complete("m", [{"role": "user", "content": "back to back"}])  # no pause in between
    assert again.cache_hit and again.text == "stored before returning"
    assert fake_llm.calls(name) == 1


async def test_cache_false_bypasses_the_cache(one_model: OneModel, fake_llm: FakeLLM) -> None:
    llm, name = one_model()
    await llm.complete("m", USER)
    assert await _eventually_cached(llm)
    calls = fake_llm.calls(name)
    fresh = await llm.complete("m", USER, cache=False)
    assert not fresh.cache_hit
    assert fake_llm.calls(name) == calls + 1


async def test_cache_disabled_by_config(one_model: OneModel, fake_llm: FakeLLM) -> None:
    llm, name = one_model(limits={"cache": {"enabled": False}})
    for _ in range(3):
        assert not (await llm.complete("m", USER)).cache_hit
        await asyncio.sleep(0.05)
    assert fake_llm.calls(name) == 3


async def test_identical_concurrent_calls_are_coalesced(one_model: OneModel, fake_llm: FakeLLM) -> None:
    llm, name = one_model(latency_s=0.2)
    results = await asyncio.gather(*(llm.complete("m", USER) for _ in range(10)))
    assert fake_llm.calls(name) == 1
    assert sum(r.coalesced for r in results) == 9
    assert {r.text for r in results} == {"ok"}


async def test_independent_samples_are_not_coalesced(one_model: OneModel, fake_llm: FakeLLM) -> None:
    llm, name = one_model(latency_s=0.1)
    results = await asyncio.gather(*(llm.complete("m", USER, cache=False) for _ in range(2)))
    assert fake_llm.calls(name) == 2
    assert not any(r.cache_hit or r.coalesced for r in results)


async def test_rate_limit_waits_for_the_next_window(one_model: OneModel, fake_llm: FakeLLM) -> None:
    limits = {"rate_limits": {"window_s": 0.5, "max_wait_s": 2, "per_model": {"m": {"requests_per_minute": 2}}}}
    llm, name = one_model(limits=limits)
    await asyncio.to_thread(llm.warm_up)  # LiteLLM loaded first, or the calls would start at any point
    # windows are fixed (time.time() // window_s): start right after a boundary, so the third call
    # has to wait most of a window (~0.5 s), not just whatever was left of the current one
    await asyncio.sleep(0.5 - time.time() % 0.5 + 0.01)
    started = time.perf_counter()
    await asyncio.gather(*(llm.complete("m", USER, cache=False) for _ in range(3)))
    assert fake_llm.calls(name) == 3
    assert time.perf_counter() - started >= 0.3  # the third waited for the next window


async def test_rate_limit_error_names_the_limit(one_model: OneModel, fake_llm: FakeLLM) -> None:
    limits = {"rate_limits": {"window_s": 10**9, "max_wait_s": 0.1, "global": {"requests_per_minute": 1}}}
    llm, name = one_model(limits=limits)
    await llm.complete("m", USER, cache=False)
    started = time.perf_counter()
    with pytest.raises(LimitError) as info:
        await llm.complete("m", USER, cache=False)
    assert (
        time.perf_counter() - started < 10
    )  # max_wait_s, not the window (fixed windows of 10^9 s: no boundary mid-test)
    assert "rate_limits.global.requests_per_minute = 1" in str(info.value)
    assert info.value.code == "rate_limited"
    assert fake_llm.calls(name) == 1


async def test_max_concurrent_caps_calls_in_flight(one_model: OneModel, fake_llm: FakeLLM) -> None:
    llm, name = one_model(latency_s=0.1, limits={"rate_limits": {"per_model": {"m": {"max_concurrent": 2}}}})
    await asyncio.gather(*(llm.complete("m", USER, cache=False) for _ in range(6)))
    assert fake_llm.calls(name) == 6
    assert fake_llm.peak_concurrency(name) == 2


async def test_per_call_budget_refusal(one_model: OneModel, fake_llm: FakeLLM) -> None:
    entry = {"input_cost_per_token": 0.01, "output_cost_per_token": 0.01}
    llm, name = one_model(entry=entry, limits={"budgets": {"max_cost_per_call_usd": 0.05}})
    with pytest.raises(LimitError, match=r"exceeds the per-call limit \$0\.05") as info:
        await llm.complete("m", [{"role": "user", "content": "word " * 50}])
    assert info.value.code == "budget_exceeded"
    assert fake_llm.calls(name) == 0
    with pytest.raises(LimitError):
        await llm.complete("m", [{"role": "user", "content": "hi"}], max_cost_usd=0.0001)


async def test_daily_budget_counts_spend(one_model: OneModel, fake_llm: FakeLLM) -> None:
    entry = {"input_cost_per_token": 0.001, "output_cost_per_token": 0.001}
    llm, name = one_model(
        entry=entry, prompt_tokens=10, completion_tokens=10, limits={"budgets": {"daily_limit_usd": 0.025}}
    )
    first = await llm.complete("m", USER, cache=False)
    assert first.cost_usd == pytest.approx(0.02)
    with pytest.raises(LimitError, match="daily_limit_usd"):
        await llm.complete("m", USER, cache=False)
    assert fake_llm.calls(name) == 1


async def test_counters_failure_falls_back_to_local(fake_llm: FakeLLM, zen_config_dir, caplog) -> None:
    class Broken:
        async def incr(self, key: str, amount: float, ttl_s: int) -> float:
            raise ConnectionError("store down")

        async def get(self, key: str) -> float:
            raise ConnectionError("store down")

    name = fake_llm.model()
    limits = {"rate_limits": {"window_s": 10**9, "max_wait_s": 0, "global": {"requests_per_minute": 1}}}
    llm = zen_config_dir.write(models={"m": fake_llm.entry(name)}, limits=limits).service(counters=Broken())
    try:
        assert (await llm.complete("m", USER, cache=False)).text == "ok"
        with pytest.raises(LimitError):  # still limited, counted locally
            await llm.complete("m", USER, cache=False)
        assert "counting in this process" in caplog.text
    finally:
        await llm.aclose()


@pytest.mark.parametrize("mode", ["complete", "stream"])
async def test_max_cost_usd_is_enforced_without_configured_budgets(
    one_model: OneModel, fake_llm: FakeLLM, mode: str
) -> None:
    """No budgets and no token limits configured: the per-call ceiling alone still refuses the call."""
    llm, name = one_model(entry={"input_cost_per_token": 0.01, "output_cost_per_token": 0.01})
    expensive = [{"role": "user", "content": "word " * 50}]
    with pytest.raises(LimitError, match=r"exceeds the per-call limit \$0\.0001 \(the max_cost_usd argument\)") as info:
        if mode == "complete":
            await llm.complete("m", expensive, max_cost_usd=0.0001)
        else:
            await llm.stream("m", expensive, max_cost_usd=0.0001).collect()
    assert info.value.code == "budget_exceeded"
    assert info.value.details["estimate_usd"] >= 50 * 0.01
    assert fake_llm.calls(name) == 0
    assert (await llm.complete("m", expensive, max_cost_usd=5.0)).text == "ok"  # under the ceiling: called
    assert fake_llm.calls(name) == 1


async def test_max_cost_usd_cannot_raise_the_configured_ceiling(one_model: OneModel, fake_llm: FakeLLM) -> None:
    entry = {"input_cost_per_token": 0.01, "output_cost_per_token": 0.01}
    llm, name = one_model(entry=entry, limits={"budgets": {"max_cost_per_call_usd": 0.05}})
    with pytest.raises(LimitError, match=r"per-call limit \$0\.05 \(budgets\.max_cost_per_call_usd\)"):
        await llm.complete("m", [{"role": "user", "content": "word " * 50}], max_cost_usd=100.0)
    assert fake_llm.calls(name) == 0
