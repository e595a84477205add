"""Over HTTP every API key is a stranger to every other: a conversation belongs to the key that started it,
on every path (continue, page, list) and every tool; a key's model allowlist holds for the default model
too; and files come only from the roots configured for the key.

Each test runs with a client of today's agents (protocol 2025-11-25, ``mode="legacy"``) and of the
2026-07-28 protocol.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from zen_core.builtins.keys import KeyFile
from zen_core.testing.fake_llm import FakeLLM
from zen_core.testing.mcp import HTTPServerProcess, http_client
from zen_core.testing.pytest_plugin import ZenConfig

pytestmark = pytest.mark.zen_plugins("zen-tool-chat", "zen-tool-consensus")
ERAS = [pytest.param({"mode": "legacy"}, id="legacy"), pytest.param({}, id="2026-07-28")]


@dataclass
class Team:
    server: HTTPServerProcess
    fake: FakeLLM
    keys: dict[str, str]
    models: dict[str, str]
    project: Path
    shared: Path

    def client(self, key: str, era: dict[str, Any]) -> Any:
        return http_client(self.server.url, api_key=self.keys[key], **era)


@pytest.fixture
def team(zen_env: dict[str, str], zen_config: ZenConfig, fake_llm: FakeLLM, tmp_path: Path) -> Iterator[Team]:
    models = {"m": fake_llm.model("iso", text="noted"), "other": fake_llm.model("iso-other", text="also noted")}
    zen_config.write(
        "models.yaml",
        {
            "default_model": "m",
            "models": {"m": fake_llm.entry(models["m"], aliases=["quick"]), "other": fake_llm.entry(models["other"])},
        },
    )
    zen_config.write("limits.yaml", {"llm": {"num_retries": 0}, "cache": {"enabled": False}})
    project, shared = tmp_path / "alice-project", tmp_path / "shared"
    project.mkdir()
    shared.mkdir()
    (project / "plan.md").write_text("alice's plan: ship on friday\n")
    (shared / "notes.md").write_text("team notes\n")
    zen_config.write("files.yaml", {"files": {"allowed_roots": [str(shared)]}})
    key_file = KeyFile(zen_config.dir)
    keys = {
        "alice": key_file.add("alice", roots=[str(project)]),
        "bob": key_file.add("bob"),
        "nomodels": key_file.add("nomodels", models=[]),
        "quick": key_file.add("quick", models=["quick"]),
        "noroots": key_file.add("noroots", roots=[]),
        "chatonly": key_file.add("chatonly", tools=["chat"]),
    }
    with HTTPServerProcess(zen_env) as server:
        yield Team(server, fake_llm, keys, models, project, shared)


def data(result: Any) -> Any:
    return result.structured_content["data"]


def error(result: Any) -> dict[str, Any]:
    assert result.is_error, result.content[0].text
    return dict(result.structured_content["data"]["error"])


@pytest.mark.parametrize("era", ERAS)
async def test_a_conversation_belongs_to_the_key_that_started_it(team: Team, era: dict[str, Any]) -> None:
    async with team.client("alice", era) as alice:
        started = await alice.call_tool("chat", {"prompt": "alice's secret plan"})
        assert not started.is_error, started.content[0].text
    thread = data(started)["continuation_id"]
    made_up = str(uuid.uuid4())
    calls_before = team.fake.calls(team.models["m"])

    async with team.client("bob", era) as bob:
        attempts = {
            "chat": await bob.call_tool("chat", {"prompt": "what did she say?", "continuation_id": thread}),
            "page": await bob.call_tool("chat", {"continuation_id": thread, "page": 2}),
            "consensus": await bob.call_tool(
                "consensus",
                {"prompt": "agree?", "models": ["m", "other"], "continuation_id": thread},
            ),
        }
        made_up_error = error(await bob.call_tool("chat", {"prompt": "x", "continuation_id": made_up}))
        listed = data(await bob.call_tool("threads", {}))

    for result in attempts.values():
        refused = error(result)
        assert refused["code"] == "thread_not_found"
        # Exactly the answer a made-up id gets: bob cannot even tell the thread exists.
        assert refused["message"].replace(thread, "ID") == made_up_error["message"].replace(made_up, "ID")
    assert listed["threads"] == []
    assert team.fake.calls(team.models["m"]) == calls_before  # no model saw alice's conversation for bob

    async with team.client("alice", era) as alice:
        mine = data(await alice.call_tool("threads", {}))["threads"]
    assert [(t["id"], t["turn_count"]) for t in mine] == [(thread, 2)]  # nothing of bob's was appended


@pytest.mark.parametrize("era", ERAS)
async def test_an_empty_model_allowlist_allows_no_model_not_even_the_default(team: Team, era: dict[str, Any]) -> None:
    async with team.client("nomodels", era) as client:
        default = error(await client.call_tool("chat", {"prompt": "hi"}))
        named = error(await client.call_tool("chat", {"prompt": "hi", "model": "m"}))
        listing = data(await client.call_tool("listmodels", {}))
    assert default["code"] == named["code"] == "forbidden_model"
    assert "Allowed models for this key: none" in default["message"]
    assert listing["available"] == []
    assert listing["unavailable"]["m"] == "not allowed for API key 'nomodels'"


@pytest.mark.parametrize("era", ERAS)
async def test_an_alias_allowlist_allows_consensus_stance_shorthand(team: Team, era: dict[str, Any]) -> None:
    async with team.client("quick", era) as client:
        allowed = await client.call_tool(
            "consensus",
            {"prompt": "ship it?", "models": ["quick:for", "quick:against"], "rounds": 0},
        )
        refused = await client.call_tool("consensus", {"prompt": "ship it?", "models": ["quick:for", "other"]})
    assert not allowed.is_error, allowed.content[0].text
    assert [m["label"] for m in data(allowed)["models"]] == ["quick:for", "quick:against"]
    assert error(refused)["code"] == "forbidden_model" and "'other'" in error(refused)["message"]


@pytest.mark.parametrize("era", ERAS)
async def test_files_come_only_from_the_keys_roots(team: Team, era: dict[str, Any]) -> None:
    plan, notes = str(team.project / "plan.md"), str(team.shared / "notes.md")
    async with team.client("alice", era) as alice:
        own = await alice.call_tool("chat", {"prompt": "read", "files": [plan]})
        server_wide = await alice.call_tool("chat", {"prompt": "read", "files": [notes]})
    async with team.client("bob", era) as bob:
        bobs = await bob.call_tool("chat", {"prompt": "read", "files": [notes]})
        alices = await bob.call_tool("chat", {"prompt": "read", "files": [plan]})
    assert data(own)["files"]["included"] == [plan]
    # alice's own roots replace the server-wide ones
    assert error(server_wide)["code"] == "path_refused" and "outside the allowed roots" in error(server_wide)["message"]
    assert data(bobs)["files"]["included"] == [notes]  # bob has no roots of his own: the server-wide ones
    assert error(alices)["code"] == "path_refused"
    async with team.client("noroots", era) as noroots:  # an empty list allows nothing, as for tools and models
        refused = error(await noroots.call_tool("chat", {"prompt": "read", "files": [notes]}))
    assert refused["code"] == "file_access_off" and "this API key" in refused["message"]
    sent = str(team.fake.requests(team.models["m"]))
    assert sent.count("ship on friday") == 1  # only alice's own call carried her file


async def test_http_reads_no_file_unless_roots_are_configured(
    zen_env: dict[str, str], zen_config: ZenConfig, fake_llm: FakeLLM, tmp_path: Path
) -> None:
    model = fake_llm.model("noroots")
    zen_config.write("models.yaml", {"default_model": "m", "models": {"m": fake_llm.entry(model)}})
    readable = Path.cwd() / "pyproject.toml"  # inside the server's working directory and home
    key = KeyFile(zen_config.dir).add("anyone")
    async with HTTPServerProcess(zen_env) as server:
        async with http_client(server.url, api_key=key) as client:
            result = await client.call_tool("chat", {"prompt": "read", "files": [str(readable)]})
            image = await client.call_tool("chat", {"prompt": "look", "images": [str(readable)]})
    for refused in (error(result), error(image)):
        assert refused["code"] == "file_access_off"
        assert "files.allowed_roots" in refused["message"] and "zen keys add NAME --roots" in refused["message"]
    assert fake_llm.calls(model) == 0


@pytest.mark.parametrize("era", ERAS)
async def test_tools_list_shows_a_key_only_the_tools_it_may_call(team: Team, era: dict[str, Any]) -> None:
    async with team.client("chatonly", era) as limited:
        listed = {tool.name for tool in (await limited.list_tools()).tools}
    async with team.client("bob", era) as everyone:
        everything = {tool.name for tool in (await everyone.list_tools()).tools}
    # its own tools, and jobs/cancel_job: any call of its may become a background job
    assert listed == {"chat", "jobs", "cancel_job"}
    assert {"chat", "consensus", "listmodels", "threads", "jobs", "cancel_job"} <= everything
