"""A key's model allowlist holds for fallbacks too: when an allowed model fails, its configured fallbacks
answer only if the key may use them (a key limited to a cheap model must not be answered, and billed, by a
pricey fallback). Through a real HTTP server, in both client eras."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from zen_core.builtins.keys import KeyFile
from zen_core.testing.fake_llm import FakeLLM
from zen_core.testing.mcp import HTTPServerProcess, http_client
from zen_core.testing.pytest_plugin import ZenConfig

pytestmark = pytest.mark.zen_plugins("zen-tool-chat")
ERAS = [pytest.param({"mode": "legacy"}, id="legacy"), pytest.param({}, id="2026-07-28")]


@dataclass
class Rig:
    server: HTTPServerProcess
    fake: FakeLLM
    keys: dict[str, str]
    models: dict[str, str]

    def client(self, key: str, era: dict[str, Any]) -> Any:
        return http_client(self.server.url, api_key=self.keys[key], **era)


@pytest.fixture
def rig(zen_env: dict[str, str], zen_config: ZenConfig, fake_llm: FakeLLM) -> Iterator[Rig]:
    models = {
        "m": fake_llm.model("fb-broken", status=500, error_message="down"),
        "pricey": fake_llm.model("fb-pricey", text="pricey answer"),
        "cheap": fake_llm.model("fb-cheap", text="cheap answer"),
    }
    zen_config.write(
        "models.yaml",
        {
            "models": {name: fake_llm.entry(model) for name, model in models.items()},
            "fallbacks": {"m": ["pricey", "cheap"]},
        },
    )
    zen_config.write("limits.yaml", {"llm": {"num_retries": 0}, "cache": {"enabled": False}})
    key_file = KeyFile(zen_config.dir)
    keys = {
        "only-m": key_file.add("only-m", models=["m"]),
        "m-and-cheap": key_file.add("m-and-cheap", models=["m", "cheap"]),
        "all": key_file.add("all"),
    }
    with HTTPServerProcess(zen_env) as server:
        yield Rig(server, fake_llm, keys, models)


def chat(client: Any) -> Any:
    return client.call_tool("chat", {"prompt": "hello", "model": "m"})


@pytest.mark.parametrize("era", ERAS)
async def test_a_fallback_outside_the_allowlist_never_answers(rig: Rig, era: dict[str, Any]) -> None:
    async with rig.client("only-m", era) as client:
        result = await chat(client)
    assert result.is_error, result.content[0].text
    assert "Model 'm'" in result.content[0].text
    assert rig.fake.calls(rig.models["pricey"]) == rig.fake.calls(rig.models["cheap"]) == 0


@pytest.mark.parametrize("era", ERAS)
async def test_the_allowed_fallback_answers(rig: Rig, era: dict[str, Any]) -> None:
    async with rig.client("m-and-cheap", era) as client:
        result = await chat(client)
    assert not result.is_error, result.content[0].text
    assert result.structured_content["data"]["answer"] == "cheap answer"
    assert rig.fake.calls(rig.models["pricey"]) == 0


@pytest.mark.parametrize("era", ERAS)
async def test_a_key_without_a_model_allowlist_keeps_every_fallback(rig: Rig, era: dict[str, Any]) -> None:
    async with rig.client("all", era) as client:
        result = await chat(client)
    assert not result.is_error, result.content[0].text
    assert result.structured_content["data"]["answer"] == "pricey answer"
