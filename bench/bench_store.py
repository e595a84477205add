"""Conversation store latency: appending a turn and rebuilding a history, SQLite vs Redis.

``run(report)`` is the harness entry point; ``python bench/bench_store.py`` prints the figures.
Both backends run on this machine: SQLite in a temporary directory, Redis as a throw-away
``redis-server`` on a loopback port (so the Redis figures include one local network round trip).
"""

from __future__ import annotations

import asyncio
import functools
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

if __package__ in (None, ""):  # run as a script from a checkout
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import Report
from zen_core.context.history import build_history
from zen_core.store import ConversationSettings, Store, Turn
from zen_core.store.redis import RedisStore
from zen_core.store.sqlite import SQLiteStore
from zen_core.testing.redis_server import RedisServer

#: A conversation's worth of turns, sized like real ones (prompts ~1 KB, answers ~3 KB).
TURNS_PER_THREAD = 50
THREADS = 6
HISTORY_ROUNDS = 60
HISTORY_BUDGET_TOKENS = 100_000


def _turn(i: int) -> Turn:
    if i % 2 == 0:
        return Turn(
            role="user",
            content=f"Question {i}: " + "please look at this code " * 40,
            tool="chat",
            files=[f"/src/module_{i % 7}.py"],
        )
    return Turn(
        role="assistant",
        content=f"Answer {i}: " + "the function returns early because " * 90,
        tool="chat",
        model="gpt-5",
        metadata={"input_tokens": 1800, "output_tokens": 700, "cost_usd": 0.0123},
    )


async def _timed(fn: Callable[[], Awaitable[object]]) -> float:
    start = time.perf_counter()
    await fn()
    return (time.perf_counter() - start) * 1000


async def measure(store: Store) -> tuple[float, float]:
    """Median milliseconds per turn append and per history rebuild (get + build_history)."""
    threads = store.threads
    append_ms: list[float] = []
    ids: list[str] = []
    for _ in range(THREADS):
        thread = await threads.create("chat")
        ids.append(thread.id)
        for i in range(TURNS_PER_THREAD):
            append_ms.append(await _timed(functools.partial(threads.add_turn, thread.id, _turn(i))))

    def count_tokens(text: str) -> int:
        return len(text) // 4

    async def rebuild(thread_id: str) -> None:
        build_history(await threads.get(thread_id), budget_tokens=HISTORY_BUDGET_TOKENS, count_tokens=count_tokens)

    history_ms = [await _timed(functools.partial(rebuild, ids[r % len(ids)])) for r in range(HISTORY_ROUNDS)]
    return statistics.median(append_ms), statistics.median(history_ms)


async def run(report: Report) -> None:
    config = ConversationSettings(ttl_hours=1, max_turns=TURNS_PER_THREAD)
    with tempfile.TemporaryDirectory(prefix="zen-bench-store-") as tmp:
        sqlite = SQLiteStore(Path(tmp) / "zen.db", config)
        try:
            await sqlite.ping()
            sqlite_append, sqlite_history = await measure(sqlite)
        finally:
            await sqlite.aclose()
    with RedisServer() as server:
        redis = RedisStore(server.url, config)
        try:
            await redis.ping()
            redis_append, redis_history = await measure(redis)
        finally:
            await redis.aclose()

    history_what = f"{TURNS_PER_THREAD}-turn thread"
    report("store.sqlite.append_turn_p50", sqlite_append, "ms", None, "", "< 5 ms per append")
    report("store.redis.append_turn_p50", redis_append, "ms", sqlite_append, "SQLite append", "< 5 ms per append")
    report("store.sqlite.history_rebuild_p50", sqlite_history, "ms", None, "", f"< 20 ms for a {history_what}")
    report(
        "store.redis.history_rebuild_p50",
        redis_history,
        "ms",
        sqlite_history,
        "SQLite rebuild",
        f"< 20 ms for a {history_what}",
    )


def _print(name: str, value: float, unit: str, reference: float | None, reference_name: str, target: str) -> None:
    ref = f"  (vs {reference_name}: {reference:.3f} {unit}, x{value / reference:.2f})" if reference else ""
    print(f"{name:36} {value:9.3f} {unit}{ref}  target {target}")


if __name__ == "__main__":
    asyncio.run(run(_print))
