"""Provider calls made by a tool show up in the call's log line and in /metrics, with the trace id."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from zen_core.testing.fake_llm import FakeLLM
from zen_core.testing.mcp import HTTPServerProcess, http_client
from zen_core.testing.pytest_plugin import ZenConfig

pytestmark = pytest.mark.zen_plugins("zen-tool-chat")


def samples(text: str, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    return {
        tuple(sorted(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == name
    }


async def test_llm_usage_reaches_log_line_and_metrics(
    zen_env: dict[str, str], zen_config: ZenConfig, fake_llm: FakeLLM
) -> None:
    name = fake_llm.model("obs", text="observed answer", prompt_tokens=11, completion_tokens=7)
    zen_config.write("models.yaml", {"models": {"obs": fake_llm.entry(name)}})
    async with HTTPServerProcess(zen_env) as server:

        async def on_progress(progress: float, total: float | None, message: str | None) -> None:
            pass  # asking for progress makes chat stream the answer

        async with http_client(server.url) as client:
            result: Any = await client.call_tool("chat", {"prompt": "watch me", "model": "obs"})
            streamed: Any = await client.call_tool(
                "chat", {"prompt": "stream me", "model": "obs"}, progress_callback=on_progress
            )
        assert result.is_error is False, result.content[0].text
        assert streamed.is_error is False, streamed.content[0].text
        trace_id = result.structured_content["metadata"]["trace_id"]
        stream_trace = streamed.structured_content["metadata"]["trace_id"]
        async with httpx.AsyncClient() as http:
            metrics = (await http.get(f"{server.base_url}/metrics")).text
        lines = [json.loads(x) for x in server.stderr_lines if x.startswith("{") and trace_id in x]
        stream_lines = [json.loads(x) for x in server.stderr_lines if x.startswith("{") and stream_trace in x]
    assert len(lines) == 1
    line = lines[0]
    assert line["tool"] == "chat" and line["status"] == "success"
    assert line["models"] == ["obs"]
    assert line["llm_calls"] == 1
    assert (line["prompt_tokens"], line["completion_tokens"]) == (11, 7)
    assert len(stream_lines) == 1 and stream_lines[0]["llm_calls"] == 1  # the streamed call is recorded too
    tokens = samples(metrics, "zen_llm_tokens_total")
    assert tokens[(("kind", "prompt"), ("model", "obs"))] == 22
    assert tokens[(("kind", "completion"), ("model", "obs"))] == 14
    calls = samples(metrics, "zen_llm_calls_total")
    assert calls[(("model", "obs"), ("status", "ok"))] == 2
