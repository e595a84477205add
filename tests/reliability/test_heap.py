"""A server freezes LiteLLM's long-lived objects out of the garbage collector once it has loaded them,
however the LLM service got loaded: by the warm-up after ``tools/list`` or by a first call.

Left tracked, those ~400,000 objects make every full collection a pause of ~180 ms for the calls in
flight (see docs/benchmarks.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from zen_core.testing.fake_llm import FakeLLM
from zen_core.testing.mcp import HTTPServerProcess, http_client, stdio_client
from zen_core.testing.pytest_plugin import ZenConfig

pytestmark = [pytest.mark.zen_plugins("zen-tool-chat"), pytest.mark.zen_fresh_process]  # it inspects the process
PROBE = {"PYTHONPATH": str(Path(__file__).parent / "plugins"), "ZEN_EXTRA_PLUGINS": "heap_probe_plugin"}


@pytest.fixture
def env(zen_env: dict[str, str], zen_config: ZenConfig, fake_llm: FakeLLM) -> dict[str, str]:
    zen_config.write("models.yaml", {"models": {"m": fake_llm.entry(fake_llm.model(text="ok"))}})
    return {**zen_env, **PROBE}


async def probe_after_a_first_call(client: Any) -> dict[str, int]:
    before = (await client.call_tool("heap_probe", {})).structured_content["data"]
    assert before["frozen"] == 0  # nothing loaded yet: LiteLLM comes with the first LLM call
    answer = await client.call_tool("chat", {"prompt": "hello", "model": "m"})
    assert answer.is_error is False, answer.content[0].text
    data: dict[str, int] = (await client.call_tool("heap_probe", {})).structured_content["data"]
    return data


async def test_http_server_freezes_the_heap_after_a_first_call(env: dict[str, str]) -> None:
    with HTTPServerProcess(env) as server:
        async with http_client(server.url) as client:
            heap = await probe_after_a_first_call(client)
    assert heap["frozen"] > 100_000, heap
    assert heap["tracked"] < heap["frozen"] / 4, heap


async def test_stdio_server_freezes_the_heap_after_a_first_call(env: dict[str, str]) -> None:
    async with stdio_client(env) as client:
        heap = await probe_after_a_first_call(client)
    assert heap["frozen"] > 100_000, heap
