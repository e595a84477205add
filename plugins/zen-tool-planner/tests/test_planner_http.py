"""Concurrent planner calls over Streamable HTTP keep their plans apart (no per-call state on the tool)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from planner_helpers import configure, data, plan_answer

from zen_core.testing.fake_llm import FakeLLM
from zen_core.testing.mcp import HTTPServerProcess, http_client

pytestmark = pytest.mark.zen_plugins("planner")


async def test_concurrent_plans_stay_separate(zen_env: dict[str, str], zen_config: Any, fake_llm: FakeLLM) -> None:
    slow = {"latency_s": 0.3}
    configure(
        zen_config,
        fake_llm,
        red={"text": plan_answer(("r1", "Red first", []), ("r2", "Red second", ["r1"])), **slow},
        blue={"text": plan_answer(("b1", "Blue only", [])), **slow},
    )
    async with HTTPServerProcess(zen_env) as server, http_client(server.url) as client:
        red, blue = await asyncio.gather(
            client.call_tool("planner", {"task": "red work", "model": "red"}),
            client.call_tool("planner", {"task": "blue work", "model": "blue"}),
        )
        r, b = data(red), data(blue)
        assert r["continuation_id"] != b["continuation_id"]
        marked_red, marked_blue = await asyncio.gather(
            client.call_tool("planner", {"continuation_id": r["continuation_id"], "done": ["r1"]}),
            client.call_tool("planner", {"continuation_id": b["continuation_id"], "done": ["b1"]}),
        )
    assert [s["id"] for s in r["plan"]["steps"]] == ["r1", "r2"] and r["model_used"] == "red"
    assert [s["id"] for s in b["plan"]["steps"]] == ["b1"] and b["model_used"] == "blue"
    assert data(marked_red)["next"] == ["r2"] and data(marked_red)["progress"] == {"done": 1, "total": 2}
    assert data(marked_blue)["next"] == [] and data(marked_blue)["progress"] == {"done": 1, "total": 1}
    assert "All steps done." in marked_blue.content[0].text
