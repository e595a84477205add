"""The review tools the way agents run Zen: over stdio with today's clients (protocol 2025-11-25,
``mode="legacy"``) and 2026-07-28 ones; over HTTP with API keys whose file roots decide which repositories a
key may review; one entry point per tool."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from review_helpers import (
    ERA_IDS,
    ERAS,
    add_key,
    answer,
    error,
    finding,
    new_repo,
    ok,
    write,
)

from zen_core.testing.fake_llm import FakeLLM
from zen_core.testing.mcp import HTTPServerProcess, http_client, server_env, stdio_client, zen_command
from zen_core.testing.pytest_plugin import ZenConfig

pytestmark = pytest.mark.zen_plugins("zen-tool-review")

TOOLS = ("codereview", "precommit", "secaudit")


@pytest.mark.parametrize("era", ERAS, ids=ERA_IDS)
async def test_the_three_tools_over_stdio(
    zen_env: dict[str, str], zen_config: ZenConfig, fake_llm: FakeLLM, tmp_path: Path, era: dict[str, Any]
) -> None:
    name = fake_llm.model("stdio-review", text=answer([finding("high", "app.py", 2, "Returns None.")], verdict="no_go"))
    zen_config.write("models.yaml", {"models": {"buddy": fake_llm.entry(name, context_window=16_000)}})
    zen_config.write("limits.yaml", {"llm": {"num_retries": 0}, "cache": {"enabled": False}})
    zen_config.write("review.yaml", {"plugins": {"zen-tool-review": {"default_model": "buddy"}}})
    zen_config.write("files.yaml", {"files": {"allowed_roots": [str(tmp_path)]}})
    repo = new_repo(tmp_path / "repo", {"app.py": "def f():\n    return 1\n"})
    write(repo / "app.py", "def f():\n    return None\n")

    async with stdio_client(zen_env, **era) as client:
        listed = {t.name: t for t in (await client.list_tools()).tools}
        result = await client.call_tool("precommit", {"path": str(repo)})  # model from plugins.zen-tool-review

    assert set(TOOLS) <= set(listed)
    for tool in TOOLS:
        entry = listed[tool]
        hints = entry.annotations
        assert hints is not None and entry.annotations.title
        assert (hints.read_only_hint, hints.destructive_hint, hints.idempotent_hint, hints.open_world_hint) == (
            True,
            False,
            False,
            True,
        )
        assert entry.input_schema["additionalProperties"] is False
        assert entry.meta == {"anthropic/maxResultSizeChars": 100_000}
        review, handle = entry.output_schema["properties"]["data"]["anyOf"]  # the review, or a background job
        expected = ["summary", "findings", "continuation_id"] + (["verdict"] if tool == "precommit" else [])
        assert review["required"] == expected and handle["required"] == ["job_id"], tool
        assert entry.input_schema["properties"]["background"]["type"] == "boolean", tool
    assert listed["precommit"].input_schema["required"] == ["path"]
    assert listed["secaudit"].input_schema["required"] == ["files"]
    assert "required" not in listed["codereview"].input_schema

    body = ok(result)
    assert body["verdict"] == "no_go" and body["model_used"] == "buddy"
    assert body["findings"][0]["file"] == str(repo / "app.py")
    assert fake_llm.calls(name) == 1


def test_token_budget() -> None:
    """What the package costs every agent's context (`zen tools`): each tool under 400 tokens, the three
    together at most 800."""
    env = server_env({"ZEN_LOAD_PLUGINS": "zen-tool-review", "ZEN_LOG_LEVEL": "WARNING"})
    out = subprocess.run(
        zen_command("tools", "--json"),
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    costs = {row["name"]: row["schema_tokens"] for row in json.loads(out.stdout) if row["plugin"] == "zen-tool-review"}
    assert sorted(costs) == sorted(TOOLS)
    assert all(0 < cost < 400 for cost in costs.values()), costs
    assert sum(costs.values()) <= 800, costs


async def test_each_tool_is_its_own_entry_point(zen_env: dict[str, str]) -> None:
    async with stdio_client({**zen_env, "ZEN_DISABLE_PLUGINS": "secaudit"}) as client:
        names = {t.name for t in (await client.list_tools()).tools}
    assert {"codereview", "precommit"} <= names and "secaudit" not in names


@pytest.mark.zen_plugins("codereview")
def test_one_entry_point_alone(zen_host: Any) -> None:
    assert set(TOOLS) & set(zen_host.tools) == {"codereview"}
    assert zen_host.tools["codereview"].distribution == "zen-tool-review"


# -- HTTP with API keys ------------------------------------------------------------------------------
@dataclass
class Team:
    server: HTTPServerProcess
    fake: FakeLLM
    model: str
    keys: dict[str, str]
    repo: Path

    def client(self, key: str, era: dict[str, Any]) -> Any:
        return http_client(self.server.url, api_key=self.keys[key], **era)


@pytest.fixture
def team(zen_env: dict[str, str], zen_config: ZenConfig, fake_llm: FakeLLM, tmp_path: Path) -> Iterator[Team]:
    model = fake_llm.model("keyed-review", text=answer([], verdict="go"))
    zen_config.write("models.yaml", {"default_model": "m", "models": {"m": fake_llm.entry(model)}})
    zen_config.write("limits.yaml", {"llm": {"num_retries": 0}, "cache": {"enabled": False}})
    work, elsewhere = (tmp_path / "work").resolve(), (tmp_path / "elsewhere").resolve()
    elsewhere.mkdir()
    repo = new_repo(work / "repo", {"app.py": "x = 1\n"})
    write(repo / "app.py", "x = 2\n")
    zen_config.write("files.yaml", {"files": {"allowed_roots": [str(work)]}})
    keys = {
        "outsider": add_key(zen_config.dir, "outsider", [elsewhere]),  # its roots exclude the repo
        "insider": add_key(zen_config.dir, "insider", [repo]),
    }
    with HTTPServerProcess({**zen_env, "ZEN_LOAD_PLUGINS": "zen-tool-review"}) as server:
        yield Team(server, fake_llm, model, keys, repo)


@pytest.mark.parametrize("era", ERAS, ids=ERA_IDS)
async def test_a_key_reviews_only_repositories_inside_its_roots(team: Team, era: dict[str, Any]) -> None:
    repo = str(team.repo)
    before = team.fake.calls(team.model)
    async with team.client("outsider", era) as outsider:
        attempts = [
            await outsider.call_tool("precommit", {"path": repo}),
            await outsider.call_tool("codereview", {"diff": {"repo": repo}}),
            await outsider.call_tool("codereview", {"files": [f"{repo}/app.py"]}),
            await outsider.call_tool("secaudit", {"files": [repo]}),
        ]
    for result in attempts:
        refused = error(result)
        assert refused["code"] == "path_refused", refused
        assert "outside the allowed roots" in refused["message"] and repo in refused["message"]
    assert team.fake.calls(team.model) == before  # nothing reached a model

    async with team.client("insider", era) as insider:
        allowed = ok(await insider.call_tool("precommit", {"path": repo}))
    assert allowed["verdict"] == "go" and [f["path"] for f in allowed["changes"]["files"]] == ["app.py"]
    assert "x = 2" in str(team.fake.last_request(team.model)["messages"])


@pytest.mark.parametrize("era", ERAS, ids=ERA_IDS)
async def test_http_without_roots_reads_no_repository(
    zen_env: dict[str, str], zen_config: ZenConfig, fake_llm: FakeLLM, tmp_path: Path, era: dict[str, Any]
) -> None:
    model = fake_llm.model("noroots-review")
    zen_config.write("models.yaml", {"default_model": "m", "models": {"m": fake_llm.entry(model)}})
    repo = new_repo(tmp_path / "repo", {"a.py": "a = 1\n"})
    write(repo / "a.py", "a = 2\n")
    async with HTTPServerProcess(zen_env) as server, http_client(server.url, **era) as client:
        refused = error(await client.call_tool("precommit", {"path": str(repo)}))
    assert refused["code"] == "file_access_off" and "files.allowed_roots" in refused["message"]
    assert fake_llm.calls(model) == 0
