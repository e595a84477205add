"""Before an expensive fan-out Zen asks the user (MCP elicitation) with the estimate; a client that
cannot be asked is refused with the estimate and how to raise the threshold."""

from __future__ import annotations

from typing import Any

import mcp_types as types
import pytest

from zen_core.testing.fake_llm import FakeLLM
from zen_core.testing.mcp import HTTPServerProcess, finished_job, http_client, stdio_client
from zen_core.testing.pytest_plugin import ZenConfig

pytestmark = pytest.mark.zen_plugins("zen-tool-consensus")
ERAS = [pytest.param({"mode": "legacy"}, id="legacy"), pytest.param({}, id="2026-07-28")]
ARGUMENTS = {"prompt": "rewrite it in Rust?", "models": ["pricey", "pricey"], "rounds": 0}


@pytest.fixture
def pricey(zen_config: ZenConfig, fake_llm: FakeLLM) -> str:
    """A model at $1 per thousand tokens: an 800-token answer alone is $0.80 per model."""
    name = fake_llm.model("pricey", text="Maybe.\nPOSITION: neutral")
    prices = {"input_cost_per_token": 1e-3, "output_cost_per_token": 1e-3}
    zen_config.write("models.yaml", {"models": {"pricey": fake_llm.entry(name, **prices)}})
    zen_config.write("limits.yaml", {"budgets": {"confirm_above_usd": 0.5}, "cache": {"enabled": False}})
    return name


def answering(confirm: bool, asked: list[str]) -> Any:
    async def elicit(context: Any, params: types.ElicitRequestParams) -> types.ElicitResult:
        asked.append(params.message)
        return types.ElicitResult(action="accept", content={"confirm": confirm})

    return elicit


@pytest.mark.parametrize("era", ERAS)
async def test_the_user_is_asked_and_a_yes_goes_ahead(
    zen_env: dict[str, str], pricey: str, fake_llm: FakeLLM, era: dict[str, Any]
) -> None:
    asked: list[str] = []
    async with stdio_client(zen_env, elicitation_callback=answering(True, asked), **era) as client:
        result = await client.call_tool("consensus", ARGUMENTS)
    assert not result.is_error, result.content[0].text
    assert len(asked) == 1 and asked[0].startswith("This consensus of 2 models will cost about $1.")
    assert asked[0].endswith("needs your confirmation). Continue?")
    assert fake_llm.calls(pricey) == 2


@pytest.mark.parametrize("era", ERAS)
async def test_a_no_stops_the_call_before_any_model_is_asked(
    zen_env: dict[str, str], pricey: str, fake_llm: FakeLLM, era: dict[str, Any]
) -> None:
    asked: list[str] = []
    async with stdio_client(zen_env, elicitation_callback=answering(False, asked), **era) as client:
        result = await client.call_tool("consensus", ARGUMENTS)
    assert result.is_error and result.structured_content["data"]["error"]["code"] == "cost_declined"
    assert len(asked) == 1 and fake_llm.calls(pricey) == 0


@pytest.mark.parametrize(
    "how", [pytest.param("stdio", id="stdio-no-elicitation"), pytest.param("http-legacy", id="stateless-http-2025")]
)
async def test_a_client_that_cannot_be_asked_is_refused_with_the_estimate(
    zen_env: dict[str, str], pricey: str, fake_llm: FakeLLM, how: str
) -> None:
    if how == "stdio":
        async with stdio_client(zen_env) as client:
            result = await client.call_tool("consensus", ARGUMENTS)
    else:  # the 2025 protocol over stateless HTTP has no channel for the question
        asked: list[str] = []
        async with HTTPServerProcess(zen_env) as server:
            async with http_client(server.url, mode="legacy", elicitation_callback=answering(True, asked)) as client:
                result = await client.call_tool("consensus", ARGUMENTS)
        assert asked == []
    error = result.structured_content["data"]["error"]
    assert result.is_error and error["code"] == "cost_confirmation_needed"
    assert error["estimate_usd"] > 0.5 and error["threshold_usd"] == 0.5
    assert "budgets.confirm_above_usd" in error["message"] and "about $1." in error["message"]
    assert fake_llm.calls(pricey) == 0


async def test_http_on_the_2026_protocol_asks_through_the_retried_call(
    zen_env: dict[str, str], pricey: str, fake_llm: FakeLLM
) -> None:
    asked: list[str] = []
    async with HTTPServerProcess(zen_env) as server:
        async with http_client(server.url, elicitation_callback=answering(True, asked)) as client:
            result = await client.call_tool("consensus", ARGUMENTS)
    assert not result.is_error, result.content[0].text
    assert len(asked) == 1 and fake_llm.calls(pricey) == 2


@pytest.mark.parametrize("era", ERAS)
async def test_a_background_call_is_asked_before_it_becomes_a_job(
    zen_env: dict[str, str], pricey: str, fake_llm: FakeLLM, era: dict[str, Any]
) -> None:
    """`background: true` still puts the cost question to the client; the job starts after the yes."""
    asked: list[str] = []
    async with stdio_client(zen_env, elicitation_callback=answering(True, asked), **era) as client:
        started = await client.call_tool("consensus", {**ARGUMENTS, "background": True})
        assert not started.is_error, started.content[0].text
        job_id = started.structured_content["data"]["job_id"]
        assert len(asked) == 1 and asked[0].startswith("This consensus of 2 models will cost about $1.")
        job = await finished_job(client, job_id)
    assert job["status"] == "done", job
    assert fake_llm.calls(pricey) == 2


async def test_a_background_call_refused_for_its_cost_says_why(zen_env: dict[str, str], pricey: str) -> None:
    """A client that cannot be asked: the refusal comes back at once, not inside a job."""
    async with stdio_client(zen_env) as client:
        result = await client.call_tool("consensus", {**ARGUMENTS, "background": True})
    error = result.structured_content["data"]["error"]
    assert result.is_error and error["code"] == "cost_confirmation_needed"
    assert "this client cannot ask the user" in error["message"] and "rounds" not in error["message"]


async def test_a_job_refused_for_its_cost_names_why_it_became_a_job() -> None:
    """The refusal inside a job says how the call got there (asked for, or past the time limit)."""
    from zen_core.calls.confirm import CostGate
    from zen_core.errors import ToolError

    async def would_say_yes(message: str) -> bool:
        return True

    for because in ("it was started with background: true", "it ran past jobs.auto_background_after_s"):
        gate = CostGate(0.5, would_say_yes)
        gate.detach(because)
        with pytest.raises(ToolError) as refused:
            await gate.confirm(2.0, "This consensus of 2 models")
        assert refused.value.code == "cost_confirmation_needed"
        assert f"it had become a background job, which cannot ask the user ({because})" in refused.value.message
    await CostGate(0.5, None).confirm(0.4, "A cheap call")  # within the threshold: no question, no refusal
