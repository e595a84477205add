"""While a call runs, a progress notification goes out at least every ``server.progress_interval_s``
(10 s by default), naming the stage, the models still answering and the time so far — even while the
model is silent — so agents that abort idle tools do not abort Zen."""

from __future__ import annotations

from typing import Any

import pytest

from zen_core.testing.fake_llm import FakeLLM
from zen_core.testing.mcp import HTTPServerProcess, http_client, stdio_client
from zen_core.testing.pytest_plugin import ZenConfig

pytestmark = pytest.mark.zen_plugins("zen-tool-chat", "zen-tool-consensus")


def recorder() -> tuple[list[tuple[float, float | None, str | None]], Any]:
    seen: list[tuple[float, float | None, str | None]] = []

    async def on_progress(done: float, total: float | None, message: str | None) -> None:
        seen.append((done, total, message))

    return seen, on_progress


async def test_a_model_silent_for_25_s_gets_heartbeats_at_the_default_interval(
    zen_env: dict[str, str], zen_config: ZenConfig, fake_llm: FakeLLM
) -> None:
    slow = fake_llm.model("silent", text="finally", latency_s=25)
    zen_config.write("models.yaml", {"models": {"deep": fake_llm.entry(slow)}})
    seen, on_progress = recorder()
    async with stdio_client(zen_env, mode="legacy") as client:
        result = await client.call_tool(
            "chat", {"prompt": "think hard", "model": "deep"}, progress_callback=on_progress
        )
    assert not result.is_error, result.content[0].text
    beats = [m for _, _, m in seen if m and m.startswith("chat · waiting on deep")]
    assert len(beats) >= 2, seen  # at about 10 s and 20 s, before the first word of the answer
    assert beats[0].endswith(("10s", "11s")) and beats[1].endswith(("20s", "21s"))
    values = [done for done, _, _ in seen]
    assert values == sorted(values) and len(set(values)) == len(values)  # progress only grows, as MCP requires


async def test_heartbeat_names_the_stage_and_the_models_still_answering(
    zen_env: dict[str, str], zen_config: ZenConfig, fake_llm: FakeLLM
) -> None:
    quick = fake_llm.model("quick", text="yes\nPOSITION: support")
    slow = fake_llm.model("slow", text="no\nPOSITION: oppose", latency_s=3.5)
    zen_config.write("models.yaml", {"models": {"quick": fake_llm.entry(quick), "slow": fake_llm.entry(slow)}})
    zen_config.write("server.yaml", {"server": {"progress_interval_s": 1}})
    seen, on_progress = recorder()
    async with HTTPServerProcess(zen_env) as server, http_client(server.url) as client:
        result = await client.call_tool(
            "consensus",
            {"prompt": "ship it?", "models": ["quick", "slow"], "rounds": 0},
            progress_callback=on_progress,
        )
    assert not result.is_error, result.content[0].text
    beats = [m for _, _, m in seen if m and "waiting on slow" in m]
    assert len(beats) >= 2, seen
    assert beats[-1].startswith("consensus · 1/2 initial answers · waiting on slow · ")
    assert all("quick" not in beat for beat in beats)  # quick answered at once: not waited on
