"""Several reviewers at once can be expensive: above ``budgets.confirm_above_usd`` the user is asked first
(MCP elicitation mid-call with today's clients, the input-required retry on 2026-07-28); and a review can
run as a background job (``background: true``) whose result ``jobs`` returns later. Through the MCP SDK's
real client over stdio, as agents run Zen."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import mcp_types as types
import pytest
from review_helpers import ERA_IDS, ERAS, answer, finding, new_repo, ok, write

from zen_core.testing.fake_llm import FakeLLM
from zen_core.testing.mcp import stdio_client
from zen_core.testing.pytest_plugin import ZenConfig
from zen_core.testing.waiting import wait_until

pytestmark = pytest.mark.zen_plugins("zen-tool-review")

TOOLS = ("codereview", "precommit", "secaudit")
#: What each tool calls itself in the question.
WHAT = {"codereview": "This code review", "precommit": "This pre-commit check", "secaudit": "This security audit"}


@pytest.fixture
def project(zen_config: ZenConfig, tmp_path: Path) -> Path:
    """A repository with an uncommitted change, inside the allowed roots."""
    zen_config.write("files.yaml", {"files": {"allowed_roots": [str(tmp_path)]}})
    repo = new_repo(tmp_path / "repo", {"app.py": "def f():\n    return 1\n"})
    write(repo / "app.py", "def f():\n    return None\n")
    return repo


@pytest.fixture
def pricey(zen_config: ZenConfig, fake_llm: FakeLLM) -> str:
    """A model at $1 per thousand tokens: the 800-token answer the estimate assumes is $0.80 per reviewer."""
    name = fake_llm.model("pricey-review", text=answer([finding("high", "app.py", 2, "Returns None.")], verdict="go"))
    prices = {"input_cost_per_token": 1e-3, "output_cost_per_token": 1e-3}
    zen_config.write("models.yaml", {"models": {"pricey": fake_llm.entry(name, **prices)}})
    zen_config.write(
        "limits.yaml",
        {"budgets": {"confirm_above_usd": 0.5}, "cache": {"enabled": False}, "llm": {"num_retries": 0}},
    )
    return name


def arguments(tool: str, repo: Path, models: list[str]) -> dict[str, Any]:
    if tool == "precommit":
        return {"path": str(repo), "models": models}
    if tool == "codereview":
        return {"diff": {"repo": str(repo)}, "models": models}
    return {"files": [str(repo / "app.py")], "models": models}


def answering(confirm: bool, asked: list[str]) -> Any:
    async def elicit(context: Any, params: types.ElicitRequestParams) -> types.ElicitResult:
        asked.append(params.message)
        return types.ElicitResult(action="accept", content={"confirm": confirm})

    return elicit


@pytest.mark.parametrize("era", ERAS, ids=ERA_IDS)
async def test_several_reviewers_ask_the_user_first_and_a_yes_goes_ahead(
    zen_env: dict[str, str], pricey: str, project: Path, fake_llm: FakeLLM, era: dict[str, Any]
) -> None:
    asked: list[str] = []
    async with stdio_client(zen_env, elicitation_callback=answering(True, asked), **era) as client:
        if not era:  # 2026-07-28: the question comes back as the result; the client answers in a retried call
            first = await client.session.call_tool(
                "codereview", arguments("codereview", project, ["pricey", "pricey"]), allow_input_required=True
            )
            assert isinstance(first, types.InputRequiredResult), first
            question = first.input_requests["zen_confirm"]
            assert question.params.message.startswith("This code review by 2 models will cost about $")
            assert fake_llm.calls(pricey) == 0
        for tool in TOOLS:
            before = len(asked)
            body = ok(await client.call_tool(tool, arguments(tool, project, ["pricey", "pricey"])))
            assert [m["label"] for m in body["models"]] == ["pricey#1", "pricey#2"], tool
            assert len(asked) == before + 1, tool
            assert asked[-1].startswith(f"{WHAT[tool]} by 2 models will cost about $"), asked[-1]
            assert asked[-1].endswith("(more than the $0.5 that needs your confirmation). Continue?")
        # One reviewer is never asked about (a fan-out is what multiplies the cost), whatever its price.
        ok(await client.call_tool("secaudit", arguments("secaudit", project, ["pricey"])))
    assert len(asked) == 3 and fake_llm.calls(pricey) == 7


async def test_a_no_stops_the_review_before_any_model_is_asked(
    zen_env: dict[str, str], pricey: str, project: Path, fake_llm: FakeLLM
) -> None:
    asked: list[str] = []
    async with stdio_client(zen_env, elicitation_callback=answering(False, asked), mode="legacy") as client:
        declined = await client.call_tool("precommit", arguments("precommit", project, ["pricey", "pricey"]))
    error = declined.structured_content["data"]["error"]
    assert declined.is_error and error["code"] == "cost_declined", error
    assert error["message"].startswith("This pre-commit check by 2 models was not made: the user declined its cost")
    assert len(asked) == 1 and fake_llm.calls(pricey) == 0


async def test_a_client_that_cannot_be_asked_is_refused_with_the_estimate(
    zen_env: dict[str, str], pricey: str, project: Path, fake_llm: FakeLLM
) -> None:
    async with stdio_client(zen_env) as client:  # no elicitation support
        refused = await client.call_tool("secaudit", arguments("secaudit", project, ["pricey", "pricey"]))
    error = refused.structured_content["data"]["error"]
    assert refused.is_error and error["code"] == "cost_confirmation_needed", error
    assert error["estimate_usd"] > 1.6 and error["threshold_usd"] == 0.5
    assert "budgets.confirm_above_usd" in error["message"]
    assert fake_llm.calls(pricey) == 0


@pytest.mark.parametrize("era", ERAS, ids=ERA_IDS)
async def test_a_background_review_returns_a_job_and_jobs_returns_its_result(
    zen_env: dict[str, str], zen_config: ZenConfig, fake_llm: FakeLLM, project: Path, era: dict[str, Any]
) -> None:
    slow = fake_llm.model(
        "slow-review",
        text=answer([finding("high", "app.py", 2, "Returns None.")], verdict="no_go"),
        latency_s=1.0,
    )
    zen_config.write("models.yaml", {"models": {"slow": fake_llm.entry(slow), "other": fake_llm.entry(slow)}})
    zen_config.write("limits.yaml", {"cache": {"enabled": False}, "llm": {"num_retries": 0}})
    async with stdio_client(zen_env, **era) as client:
        listed = {t.name: t for t in (await client.list_tools()).tools}
        handles = {}
        for tool in TOOLS:
            entry = listed[tool]
            assert entry.input_schema["properties"]["background"]["type"] == "boolean", tool
            _, handle_schema = entry.output_schema["properties"]["data"]["anyOf"]  # the review, or a job
            assert handle_schema["required"] == ["job_id"]
            result = await client.call_tool(tool, {**arguments(tool, project, ["slow", "other"]), "background": True})
            handle = ok(result)  # the client checked it against the tool's outputSchema
            assert handle["status"] == "running" and handle["tool"] == tool, handle
            handles[tool] = handle["job_id"]
        jobs: dict[str, dict[str, Any]] = {}
        for tool, job_id in handles.items():

            async def done(tool: str = tool, job_id: str = job_id) -> bool:
                jobs[tool] = ok(await client.call_tool("jobs", {"job_id": job_id}))
                return jobs[tool]["status"] not in ("running", "cancelling")

            await wait_until(done, f"the {tool} job ends")
    for tool, job in jobs.items():
        assert job["status"] == "done", job
        structured = job["result"]["structured"]
        jsonschema.validate(structured, listed[tool].output_schema)
        body = structured["data"]
        assert [m["label"] for m in body["models"]] == ["slow", "other"]
        assert body["findings"][0]["file"] == str(project / "app.py") and body["continuation_id"]
        assert "Returns None." in job["result"]["text"]
    assert jobs["precommit"]["result"]["structured"]["data"]["verdict"] == "no_go"
    assert fake_llm.calls(slow) == 6
