"""One ``zen serve --http`` with the think plugin for a module, its models on the session's fake LLM.

Starting a server (and LiteLLM in it) costs seconds, so the HTTP tests share one; each test opens its
own MCP client and uses its own fake models, files and conversations. The shared helpers are made
importable here (the suite runs with ``--import-mode=importlib``).
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).parent))

from think_cases import CASES, INPUT_PRICE, OUTPUT_PRICE

from zen_core.testing.fake_llm import FakeLLM
from zen_core.testing.mcp import HTTPServerProcess, http_client

#: Seconds between progress notifications while a model thinks (the default is 10).
HEARTBEAT_S = 0.2
PROSE = "I think the bug is in load(): it indexes 'items' without checking. Add a check."
TRUNCATED = '{"summary": "The input has no items key", "hypotheses": [{"cause": "The JSON lacks'


def model_entry(fake: FakeLLM, name: str, **extra: Any) -> dict[str, Any]:
    spec = {
        "context_window": 16000,
        "max_output_tokens": 2000,
        "supports_thinking": True,
        "input_cost_per_token": INPUT_PRICE,
        "output_cost_per_token": OUTPUT_PRICE,
        **extra,
    }
    return fake.entry(name, **spec)


@dataclass
class ThinkServer:
    server: HTTPServerProcess
    fake: FakeLLM
    root: Path
    outside: Path
    #: Zen model name → the fake's model name (what the fake records requests under).
    models: dict[str, str]

    def last_request(self, model: str) -> dict[str, Any]:
        return self.fake.last_request(self.models[model])

    def calls(self, model: str) -> int:
        return self.fake.calls(self.models[model])

    @asynccontextmanager
    async def client(self) -> AsyncIterator[Any]:
        async with http_client(self.server.url) as client:
            yield client

    async def call(self, tool: str, args: dict[str, Any], progress: Any = None) -> Any:
        async with self.client() as client:
            return await client.call_tool(tool, args, progress_callback=progress)


@pytest.fixture(scope="module")
def think_server(fake_llm_server: FakeLLM, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ThinkServer]:
    tmp = tmp_path_factory.mktemp("think")
    root, outside, config, data = (tmp / d for d in ("root", "outside", "config", "data"))
    for d in (root, outside, config, data):
        d.mkdir()
    fake = fake_llm_server
    names = {case.tool: fake.model(case.tool, text=case.reply()) for case in CASES}
    names["prose"] = fake.model("prose", text=PROSE)
    names["truncated"] = fake.model("truncated", text=TRUNCATED, finish_reason="length")
    names["empty"] = fake.model("empty", text='{"summary": "", "hypotheses": []}')
    names["broken"] = fake.model("broken", status=500, error_message="upstream exploded")
    names["slow"] = fake.model("slow", text=CASES[0].reply(), latency_s=1.0)
    models = {alias: model_entry(fake, name) for alias, name in names.items()}
    (config / "models.yaml").write_text(yaml.safe_dump({"models": models}))
    limits = {"llm": {"timeout_s": 20, "num_retries": 0, "cooldown_s": 0}, "cache": {"enabled": False}}
    (config / "limits.yaml").write_text(yaml.safe_dump(limits))
    (config / "conversations.yaml").write_text(yaml.safe_dump({"conversations": {"max_turns": 4}}))
    (config / "files.yaml").write_text(yaml.safe_dump({"files": {"allowed_roots": [str(root)]}}))
    (config / "server.yaml").write_text(yaml.safe_dump({"server": {"progress_interval_s": HEARTBEAT_S}}))
    env = {
        "ZEN_CONFIG_DIR": str(config),
        "ZEN_DATA_DIR": str(data),
        "ZEN_LOG_LEVEL": "WARNING",
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        "LITELLM_OFFLINE_MODE": "true",
        "ZEN_LOAD_PLUGINS": "think",
    }
    with HTTPServerProcess(env) as server:
        yield ThinkServer(server, fake, root.resolve(), outside.resolve(), names)
