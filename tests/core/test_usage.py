"""Usage per model and per key, from the store: the ``usage`` tool shows a key its own, ``zen usage`` the
operator everyone's; consensus tells which models agreed with the majority."""

from __future__ import annotations

import asyncio
import json
import subprocess
from typing import Any

import pytest

from zen_core.builtins.keys import KeyFile
from zen_core.testing.fake_llm import FakeLLM
from zen_core.testing.mcp import HTTPServerProcess, http_client, server_env, zen_command
from zen_core.testing.pytest_plugin import ZenConfig
from zen_core.testing.waiting import wait_until

pytestmark = pytest.mark.zen_plugins("zen-tool-chat", "zen-tool-consensus")


def report_of(result: Any) -> dict[str, Any]:
    assert not result.is_error, result.content[0].text
    return dict(result.structured_content["data"])


@pytest.mark.parametrize("era", [{"mode": "legacy"}, {}], ids=["legacy", "2026-07-28"])
async def test_usage_is_per_key_and_counts_consensus_agreement(
    zen_env: dict[str, str], zen_config: ZenConfig, fake_llm: FakeLLM, era: dict[str, Any]
) -> None:
    yes = fake_llm.model("yes", text="Do it.\nPOSITION: support", prompt_tokens=30, completion_tokens=10)
    also = fake_llm.model("also", text="Agreed.\nPOSITION: support")
    nope = fake_llm.model("nope", text="Don't.\nPOSITION: oppose")
    models = {"yes": fake_llm.entry(yes, input_cost_per_token=1e-6, output_cost_per_token=2e-6)}
    models |= {"also": fake_llm.entry(also), "nope": fake_llm.entry(nope)}
    zen_config.write("models.yaml", {"models": models})
    zen_config.write("limits.yaml", {"cache": {"enabled": False}})
    keys = KeyFile(zen_config.dir)
    alice, bob = keys.add("alice"), keys.add("bob")
    async with HTTPServerProcess(zen_env) as server:
        async with http_client(server.url, api_key=alice, **era) as client:
            for _ in range(2):
                assert not (await client.call_tool("chat", {"prompt": "hi", "model": "yes"})).is_error

            async def alice_counted() -> bool:
                report = report_of(await client.call_tool("usage", {}))
                return bool(report["today"]["models"].get("yes", {}).get("calls") == 2)

            await wait_until(alice_counted, "alice's two calls are counted")
            mine = report_of(await client.call_tool("usage", {}))
        async with http_client(server.url, api_key=bob, **era) as client:
            arguments = {"prompt": "ship?", "models": ["yes", "also", "nope"], "rounds": 0}
            assert not (await client.call_tool("consensus", arguments)).is_error

            async def bob_counted() -> bool:
                return "nope" in report_of(await client.call_tool("usage", {}))["today"]["models"]

            await wait_until(bob_counted, "bob's consensus is counted")
            theirs = await client.call_tool("usage", {})

    today = mine["today"]
    assert set(today["models"]) == {"yes"} and set(today["keys"]) == {"alice"}  # only alice's own calls
    yes_today = today["models"]["yes"]
    assert (yes_today["calls"], yes_today["prompt_tokens"], yes_today["completion_tokens"]) == (2, 60, 20)
    assert yes_today["cost_usd"] == pytest.approx(2 * (30e-6 + 20e-6))
    assert yes_today["latency_p50_ms"] is not None and yes_today["error_rate"] == 0.0
    bobs = report_of(theirs)["today"]["models"]
    assert (bobs["yes"]["agreed_with_majority"], bobs["nope"]["agreed_with_majority"]) == (1, 0)
    assert bobs["also"]["agreement_rate"] == 1.0 and bobs["nope"]["agreement_rate"] == 0.0
    assert "nope" in theirs.content[0].text and "AGREED" in theirs.content[0].text

    operator = await asyncio.to_thread(
        subprocess.run,
        zen_command("usage", "--json"),
        env=server_env(zen_env),
        capture_output=True,
        text=True,
        timeout=60,
    )
    everyone = json.loads(operator.stdout)["last_7_days"]
    assert set(everyone["keys"]) == {"alice", "bob"} and everyone["models"]["yes"]["calls"] == 3
