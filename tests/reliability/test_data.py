"""Data: concurrent continuations of one conversation lose no turn, and the conversation survives restarts."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest

from .conftest import Rig, text_of

pytestmark = pytest.mark.zen_plugins("zen-tool-chat")
WRITERS = 20  # 2 + 2 × 20 = 42 turns, within the default max_turns of 50


async def turn_count(client: Any, thread_id: str) -> int:
    listed = await client.call_tool("threads", {"limit": 100})
    counts = {t["id"]: t["turn_count"] for t in listed.structured_content["data"]["threads"]}
    return int(counts[thread_id])


async def test_concurrent_continuations_lose_no_turn_across_restarts(rig_factory: Any) -> None:
    rig: Rig = rig_factory({"echo": {"echo": True}, "short": {"text": "noted"}})
    async with asyncio.timeout(120):
        async with rig.http() as client:
            first = await client.call_tool("chat", {"prompt": "start token-start", "model": "short"})
            thread_id = first.structured_content["data"]["continuation_id"]
            results = await asyncio.gather(
                *(
                    client.call_tool(
                        "chat", {"prompt": f"writer token-w{i:02d}", "model": "short", "continuation_id": thread_id}
                    )
                    for i in range(WRITERS)
                )
            )
            assert [r.is_error for r in results] == [False] * WRITERS, [text_of(r)[:200] for r in results]
            assert await turn_count(client, thread_id) == 2 + 2 * WRITERS

        for _ in range(2):  # SIGTERM and restart on the same data dir, twice
            rig.stop()
            rig.start()
            async with rig.http() as client:
                assert await turn_count(client, thread_id) == 2 + 2 * WRITERS

        async with rig.http() as client:
            last = await client.call_tool(
                "chat", {"prompt": "final token-end", "model": "echo", "continuation_id": thread_id}
            )
            assert last.is_error is False, text_of(last)
            # the echo model answers with the messages it got: the whole history, every writer's turn in it
            sent = set(re.findall(r"token-(w\d\d|start|end)", text_of(last)))
            expected = {"start", "end", *(f"w{i:02d}" for i in range(WRITERS))}
            assert sent == expected, (expected - sent, len(text_of(last)))
            assert await turn_count(client, thread_id) == 4 + 2 * WRITERS
