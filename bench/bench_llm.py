"""Overhead of the LLM service against a loopback fake endpoint.

``async def run(report)`` reports: per-call latency of ``LLMService.complete`` vs a bare
``litellm.Router.acompletion`` vs a bare ``httpx`` POST (median and p95 over 200 calls); 100
concurrent calls to a 200 ms model through the service vs the bare Router; and how many requests
10 identical concurrent calls cause (coalescing). Standalone: ``python bench/bench_llm.py``.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

from zen_core.llm import LLMService, import_litellm
from zen_core.testing.fake_llm import FakeLLM
from zen_core.testing.llm_fixtures import MemoryCounters, ZenConfigDir

Report = Callable[[str, float, str, "float | None", str, str], None]
CALLS = 200
MSGS = [{"role": "user", "content": "benchmark"}]


async def _timed(call: Callable[[], Awaitable[Any]], n: int) -> list[float]:
    for _ in range(10):
        await call()
    out = []
    for _ in range(n):
        start = time.perf_counter()
        await call()
        out.append((time.perf_counter() - start) * 1000)
    return out


def _p95(values: list[float]) -> float:
    return sorted(values)[int(len(values) * 0.95) - 1]


async def run(report: Report) -> None:
    with FakeLLM() as fake, tempfile.TemporaryDirectory() as tmp:
        fast, slow, same = fake.model("fast"), fake.model("slow", latency_s=0.2), fake.model("same", latency_s=0.2)
        models = {"fast": fake.entry(fast), "slow": fake.entry(slow), "same": fake.entry(same)}
        limits = {"rate_limits": {"global": {"max_concurrent": 1000}}}
        config = ZenConfigDir(Path(tmp)).write(models=models, limits=limits)
        llm: LLMService = config.service(counters=MemoryCounters())
        await asyncio.to_thread(llm.warm_up)
        litellm = import_litellm()
        router = litellm.Router(
            model_list=[
                {"model_name": n, "litellm_params": {"model": f"openai/{m}", "api_base": fake.base_url, "api_key": "x"}}
                for n, m in (("fast", fast), ("slow", slow))
            ],
            num_retries=0,
            timeout=30,
        )
        body = {"model": fast, "messages": MSGS}
        async with httpx.AsyncClient(base_url=fake.base_url) as client:
            bare = await _timed(lambda: client.post("/chat/completions", json=body), CALLS)
        routed = await _timed(lambda: router.acompletion(model="fast", messages=MSGS), CALLS)
        zen = await _timed(lambda: llm.complete("fast", MSGS, cache=False), CALLS)
        b_med = statistics.median(bare)
        for label, values in (("httpx", bare), ("router", routed), ("complete", zen)):
            report(f"llm.per_call.{label}.median", statistics.median(values), "ms", b_med, "bare httpx", "lower")
            report(f"llm.per_call.{label}.p95", _p95(values), "ms", _p95(bare), "bare httpx", "lower")

        start = time.perf_counter()
        await asyncio.gather(*(router.acompletion(model="slow", messages=MSGS) for _ in range(100)))
        router_wall = time.perf_counter() - start
        start = time.perf_counter()
        await asyncio.gather(*(llm.complete("slow", MSGS, cache=False) for _ in range(100)))
        zen_wall = time.perf_counter() - start
        report("llm.concurrent100.router", router_wall * 1000, "ms", 200.0, "model latency", "lower")
        report("llm.concurrent100.complete", zen_wall * 1000, "ms", router_wall * 1000, "bare Router", "lower")

        await asyncio.gather(*(llm.complete("same", MSGS) for _ in range(10)))
        report("llm.coalesce10.provider_calls", float(fake.calls(same)), "calls", 1.0, "one call", "== 1")
        await llm.aclose()


def _print(name: str, value: float, unit: str, reference: float | None, reference_name: str, target: str) -> None:
    ref = f" (reference {reference:.2f} {unit}, {reference_name})" if reference is not None else ""
    print(f"{name}: {value:.2f} {unit}{ref} target: {target}")


if __name__ == "__main__":
    asyncio.run(run(_print))
