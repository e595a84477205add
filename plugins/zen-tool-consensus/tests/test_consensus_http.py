"""Concurrent consensus calls over Streamable HTTP do not interfere (no per-run state on the tool)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from consensus_helpers import answer, by_label, configure, data, last_user

from zen_core.testing.fake_llm import FakeLLM
from zen_core.testing.mcp import HTTPServerProcess, http_client

pytestmark = pytest.mark.zen_plugins("zen-tool-consensus")


async def test_two_concurrent_consensus_calls_keep_separate_results(
    zen_env: dict[str, str], zen_config: Any, fake_llm: FakeLLM
) -> None:
    slow = {"latency_s": 0.3}
    names = configure(
        zen_config,
        fake_llm,
        red=answer("Red team says ship.", "support") | slow,
        orange=answer("Orange disagrees, wait.", "oppose") | slow,
        blue=answer("Blue says wait.", "oppose") | slow,
        green=answer("Green says wait too.", "oppose") | slow,
        teal=answer("Teal is unsure.", "neutral") | slow,
    )
    first = {"prompt": "Ship release 7?", "models": ["red", "orange"], "synthesize_with": "red"}
    second = {"prompt": "Ship release 8?", "models": ["blue", "green", "teal"], "rounds": 2}
    async with HTTPServerProcess(zen_env) as server, http_client(server.url) as client:
        one, two = await asyncio.gather(client.call_tool("consensus", first), client.call_tool("consensus", second))

    a, b = data(one), data(two)
    assert list(by_label(a)) == ["red", "orange"]
    assert list(by_label(b)) == ["blue", "green", "teal"]
    assert a["continuation_id"] != b["continuation_id"]
    assert (a["agreement"]["level"], a["agreement"]["leading_position"]) == ("split", None)
    assert b["agreement"]["counts"] == {"oppose": 2, "neutral": 1}
    assert a["cross_feedback"]["rounds_run"] == 1 and b["cross_feedback"]["rounds_run"] == 2
    assert a["totals"]["calls"] == 5 and b["totals"]["calls"] == 9
    assert a["synthesis"]["status"] == "ok" and b["synthesis"] is None
    assert "Red team says ship." in one.content[0].text and "Blue says wait." not in one.content[0].text
    # Each call's cross-feedback only shows its own models' answers, and its own question.
    red_refine = last_user(fake_llm.requests(names["red"])[1])
    assert "Orange disagrees" in red_refine and "Blue" not in red_refine and "Teal" not in red_refine
    blue_round2 = fake_llm.requests(names["blue"])[2]
    assert "Ship release 8?" in str(blue_round2["messages"][1]["content"])
    assert "Red team" not in str(blue_round2["messages"])
