"""Overhead of the LLM service against a loopback fake endpoint (issue targets in the table).

``async def run(report)`` reports: per-call latency of ``LLMService.complete`` vs a bare
``litellm.Router.acompletion`` vs a bare ``httpx`` POST (median and p95 over 200 calls each, measured
in alternating batches so machine noise hits all three alike) — Zen's layer must add under 2 ms to the
Router; 100 concurrent calls to a 200 ms model through the service vs the bare Router (median of 3
alternating rounds) — within 1.2x; and how many requests 10 identical concurrent calls cause
(coalescing) — one. The fake runs in its own process. Standalone: ``python bench/bench_llm.py``.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import FakeLLMProcess, Report, percentile
from zen_core.llm import LLMService, import_litellm
from zen_core.testing.fake_llm import FakeLLM
from zen_core.testing.llm_fixtures import MemoryCounters, ZenConfigDir

CALLS = 200
BATCHES = 10


def _msgs(tag: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": f"benchmark {tag}"}]


async def _timed(call: Callable[[int], Awaitable[Any]], n: int, start: int) -> list[float]:
    out = []
    for i in range(start, start + n):
        began = time.perf_counter()
        await call(i)
        out.append((time.perf_counter() - began) * 1000)
    return out


async def _per_call(report: Report, llm: LLMService, router: Any, base_url: str) -> None:
    body = {"model": "fast", "messages": _msgs("httpx")}
    async with httpx.AsyncClient(base_url=base_url) as client:
        contenders: dict[str, Callable[[int], Awaitable[Any]]] = {
            "httpx": lambda i: client.post("/chat/completions", json=body),
            "router": lambda i: router.acompletion(model="fast", messages=_msgs(f"r{i}")),
            "complete": lambda i: llm.complete("fast", _msgs(f"c{i}"), cache=False),
        }
        times: dict[str, list[float]] = {name: [] for name in contenders}
        for call in contenders.values():  # warm-up
            await _timed(call, 10, -10)
        per_batch = CALLS // BATCHES
        for batch in range(BATCHES):
            for name, call in contenders.items():
                times[name] += await _timed(call, per_batch, batch * per_batch)
    base = statistics.median(times["httpx"])
    for name, values in times.items():
        report(f"llm.per_call.{name}.median", statistics.median(values), "ms", base, "bare httpx POST", "")
        report(
            f"llm.per_call.{name}.p95",
            percentile(values, 95),
            "ms",
            percentile(times["httpx"], 95),
            "bare httpx POST",
            "",
        )
    added = statistics.median(times["complete"]) - statistics.median(times["router"])
    report("llm.per_call.zen_layer_added_p50", added, "ms", None, "", "< 2")


async def _concurrent(report: Report, llm: LLMService, router: Any) -> None:
    n = 20 if os.environ.get("ZEN_BENCH_QUICK") else 100  # a quick run on a loaded test machine: fewer
    zen: list[float] = []
    ref: list[float] = []
    for round_ in range(3):
        began = time.perf_counter()
        await asyncio.gather(*(router.acompletion(model="slow", messages=_msgs(f"r{round_}.{i}")) for i in range(n)))
        ref.append((time.perf_counter() - began) * 1000)
        began = time.perf_counter()
        await asyncio.gather(*(llm.complete("slow", _msgs(f"c{round_}.{i}"), cache=False) for i in range(n)))
        zen.append((time.perf_counter() - began) * 1000)
    report(
        f"llm.concurrent{n}.complete_wall",
        statistics.median(zen),
        "ms",
        statistics.median(ref),
        f"{n} concurrent bare Router calls, median of 3",
        "<= 1.2x reference",
    )


async def _coalescing(report: Report) -> None:
    """Counting requests needs the in-process fake (the subprocess one does not report counts)."""
    with FakeLLM() as fake, tempfile.TemporaryDirectory() as tmp:
        same = fake.model("same", latency_s=0.2)
        llm = ZenConfigDir(Path(tmp)).write(models={"same": fake.entry(same)}).service(counters=MemoryCounters())
        try:
            await asyncio.to_thread(llm.warm_up)
            await asyncio.gather(*(llm.complete("same", _msgs("same")) for _ in range(10)))
        finally:
            await llm.aclose()
        report("llm.coalesce10.provider_calls", float(fake.calls(same)), "calls", 1.0, "one call", "== 1")


async def run(report: Report) -> None:
    with FakeLLMProcess({"fast": {}, "slow": {"latency_s": 0.2}}) as fake, tempfile.TemporaryDirectory() as tmp:
        models = {"fast": fake.entry("fast"), "slow": fake.entry("slow")}
        limits = {"rate_limits": {"global": {"max_concurrent": 1000}}}
        llm = ZenConfigDir(Path(tmp)).write(models=models, limits=limits).service(counters=MemoryCounters())
        try:
            await asyncio.to_thread(llm.warm_up)
            litellm = import_litellm()
            deployments = [{"model_name": n, "litellm_params": {**e, "timeout": 30}} for n, e in models.items()]
            router = litellm.Router(
                model_list=deployments,
                num_retries=0,
                timeout=30,
            )
            await _per_call(report, llm, router, fake.base_url)
            await _concurrent(report, llm, router)
        finally:
            await llm.aclose()
    await _coalescing(report)


def _print(name: str, value: float, unit: str, reference: float | None, reference_name: str, target: str) -> None:
    ref = f" (reference {reference:.2f} {unit}, {reference_name})" if reference is not None else ""
    print(f"{name}: {value:.2f} {unit}{ref} target: {target or '-'}")


if __name__ == "__main__":
    asyncio.run(run(_print))
