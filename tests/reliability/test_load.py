"""Load: 2,000 chat calls at concurrency 100 over Streamable HTTP against a 0 ms echo model.

Zero errors; every answer carries its own request's token and no other's (no cross-talk); the server's
file descriptors return to their baseline, its memory stops growing, and it still answers afterwards.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest

from .conftest import Rig, fd_count, rss_kib, text_of

pytestmark = pytest.mark.zen_plugins("zen-tool-chat")

CALLS, CONCURRENCY = 2000, 100
TOKEN = re.compile(r"tok-\d{4}-[0-9a-f]{6}")


async def _run_calls(client: Any, tokens: list[str], errors: list[str], seen: dict[str, list[str]]) -> None:
    queue: asyncio.Queue[str] = asyncio.Queue()
    for token in tokens:
        queue.put_nowait(token)

    async def worker() -> None:
        while not queue.empty():
            token = queue.get_nowait()
            result = await client.call_tool("chat", {"prompt": f"echo {token} please", "model": "echo"})
            text = text_of(result)
            if result.is_error:
                errors.append(f"{token}: {text[:200]}")
            seen[token] = TOKEN.findall(text)

    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))


async def _settled_fds(pid: int, baseline: int) -> int:
    """The fd count once it is back at ``baseline`` (closing sockets takes a moment), or after 10 s."""
    count = fd_count(pid)
    for _ in range(100):
        if count <= baseline:
            break
        await asyncio.sleep(0.1)
        count = fd_count(pid)
    return count


async def test_2000_calls_at_concurrency_100_no_errors_no_crosstalk_no_leaks(rig_factory: Any) -> None:
    rig: Rig = rig_factory({"echo": {"echo": True}})
    async with rig.http() as client:  # warm up: LiteLLM, the store, a first thread
        for i in range(3):
            assert (await client.call_tool("chat", {"prompt": f"warm {i}", "model": "echo"})).is_error is False
    fds_before = fd_count(rig.pid)

    tokens = [f"tok-{i:04d}-{(i * 2654435761) % 16**6:06x}" for i in range(CALLS)]
    errors: list[str] = []
    seen: dict[str, list[str]] = {}
    async with asyncio.timeout(600), rig.http() as client:
        await _run_calls(client, tokens[: CALLS // 2], errors, seen)
        rss_half = rss_kib(rig.pid)
        await _run_calls(client, tokens[CALLS // 2 :], errors, seen)
        rss_end = rss_kib(rig.pid)

    assert errors == [], f"{len(errors)} errors, first: {errors[:3]}"
    assert len(seen) == CALLS
    crossed = {tok: found for tok, found in seen.items() if set(found) != {tok}}
    assert crossed == {}, f"{len(crossed)} answers carry another request's token: {list(crossed.items())[:3]}"
    assert rig.calls("echo") == CALLS + 3

    fds_after = await _settled_fds(rig.pid, fds_before)
    assert fds_after <= fds_before, f"server fds {fds_before} → {fds_after} after {CALLS} calls"
    assert rss_end < rss_half * 1.10, f"RSS grew {rss_half} → {rss_end} KiB over the last {CALLS // 2} calls"
    async with rig.http() as client:
        final = await client.call_tool("chat", {"prompt": "echo tok-9999-ffffff", "model": "echo"})
    assert final.is_error is False and "tok-9999-ffffff" in text_of(final)
